// linalg::norm (vector and matrix norms composed from element-wise ops,
// reductions and, for the spectral and nuclear norms, the singular values)
// and linalg::cross.
#include <algorithm>
#include <cmath>
#include <limits>

#include "mlx/ops/linalg.h"
#include "mlx/utils.h"

namespace mlx::core::linalg {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Integers and bools are measured in float32; complex values by modulus.
array norm_input(const array& a) {
  return issubdtype(a.dtype(), inexact) ? a : astype(a, float32);
}

array real_dtype_zero(const array& x) {
  return array(0.0, x.dtype() == complex64 ? float32 : x.dtype());
}

array sum_of_squares(const array& x, const std::vector<int>& axes, Stream s) {
  array sq = x.dtype() == complex64 ? square(abs(x, s), s) : square(x, s);
  return sum(sq, axes, true, s);
}

// Normalized, distinct axes for a norm over at most two axes.
std::vector<int> norm_axes(const array& a, const std::vector<int>& axis) {
  if (axis.empty() || axis.size() > 2) {
    throw_error(
        "[linalg::norm] Received ",
        axis.size(),
        " axes; norms take one (vector) or two (matrix) axes.");
  }
  std::vector<int> out;
  for (int ax : axis) {
    out.push_back(
        normalize_axis(ax, static_cast<int>(a.ndim()), "linalg::norm"));
  }
  if (out.size() == 2 && out[0] == out[1]) {
    throw_error(
        "[linalg::norm] Got the same axis twice: ",
        axis[0],
        ", ",
        axis[1],
        ".");
  }
  return out;
}

// Default axes when none are given with an ord: a vector or a matrix.
std::vector<int> default_axes(const array& a) {
  if (a.ndim() == 1) {
    return {0};
  }
  if (a.ndim() == 2) {
    return {0, 1};
  }
  throw_error(
      "[linalg::norm] Without axes, ord needs a 1-D or 2-D array, got shape ",
      a.shape(),
      ".");
}

array drop_axes(array x, std::vector<int> axes, bool keepdims, Stream s) {
  return keepdims ? x : squeeze(x, axes, s);
}

array vector_norm(
    const array& a, double ord, int axis, bool keepdims, Stream s) {
  std::vector<int> axes{axis};
  array r = [&]() {
    if (ord == 2.0) {
      return sqrt(sum_of_squares(a, axes, s), s);
    }
    array mag = abs(a, s);
    if (ord == kInf) {
      return max(mag, axes, true, s);
    }
    if (ord == -kInf) {
      return min(mag, axes, true, s);
    }
    if (ord == 0.0) {
      return astype(
          sum(not_equal(mag, real_dtype_zero(a), s), axes, true, s),
          mag.dtype(),
          s);
    }
    if (ord == 1.0) {
      return sum(mag, axes, true, s);
    }
    array p(ord, mag.dtype());
    array inv_p(1.0 / ord, mag.dtype());
    return power(sum(power(mag, p, s), axes, true, s), inv_p, s);
  }();
  return drop_axes(r, axes, keepdims, s);
}

// The singular values of the matrices over `axes` (moved last).
array singular_values(const array& a, const std::vector<int>& axes, Stream s) {
  return svd(
      moveaxis(
          moveaxis(a, axes[0], -1, s),
          axes[1] > axes[0] ? axes[1] - 1 : axes[1],
          -1,
          s),
      false,
      s)[0];
}

array matrix_norm(
    const array& a,
    double ord,
    std::vector<int> axes,
    bool keepdims,
    Stream s) {
  int row = axes[0], col = axes[1];
  std::vector<int> both{row, col};
  std::sort(both.begin(), both.end());
  if (ord == 2.0 || ord == -2.0) {
    array sv = singular_values(a, axes, s);
    array r = ord > 0 ? max(sv, -1, false, s) : min(sv, -1, false, s);
    return keepdims ? expand_dims(r, both, s) : r;
  }
  array mag = abs(a, s);
  array r = [&]() {
    if (ord == 1.0 || ord == -1.0) { // max (min) over columns of column sums
      array sums = sum(mag, row, true, s);
      return ord > 0 ? max(sums, col, true, s) : min(sums, col, true, s);
    }
    if (ord == kInf || ord == -kInf) { // over rows of row sums
      array sums = sum(mag, col, true, s);
      return ord > 0 ? max(sums, row, true, s) : min(sums, row, true, s);
    }
    throw_error(
        "[linalg::norm] Matrix norms take ord 1, -1, 2, -2, inf, -inf, "
        "'fro' or 'nuc', got ",
        ord,
        ".");
  }();
  return drop_axes(r, both, keepdims, s);
}

} // namespace

array norm(
    const array& a_in,
    const double ord,
    const std::optional<std::vector<int>>& axis,
    bool keepdims,
    StreamOrDevice s) {
  Stream stream = to_stream(s);
  array a = norm_input(a_in);
  auto axes = norm_axes(a, axis ? *axis : default_axes(a));
  if (axes.size() == 1) {
    return vector_norm(a, ord, axes[0], keepdims, stream);
  }
  return matrix_norm(a, ord, axes, keepdims, stream);
}

array norm(
    const array& a_in,
    const std::string& ord,
    const std::optional<std::vector<int>>& axis,
    bool keepdims,
    StreamOrDevice s) {
  Stream stream = to_stream(s);
  array a = norm_input(a_in);
  auto axes = norm_axes(a, axis ? *axis : default_axes(a));
  if (axes.size() != 2 || (ord != "fro" && ord != "nuc")) {
    throw_error(
        "[linalg::norm] String ord '",
        ord,
        "' needs two axes and must be 'fro' or 'nuc' (got ",
        axes.size(),
        " axes).");
  }
  std::vector<int> both = axes;
  std::sort(both.begin(), both.end());
  if (ord == "fro") {
    return drop_axes(
        sqrt(sum_of_squares(a, both, stream), stream), both, keepdims, stream);
  }
  array r = sum(singular_values(a, axes, stream), -1, false, stream);
  return keepdims ? expand_dims(r, both, stream) : r;
}

array norm(
    const array& a_in,
    const std::optional<std::vector<int>>& axis,
    bool keepdims,
    StreamOrDevice s) {
  Stream stream = to_stream(s);
  array a = norm_input(a_in);
  if (!axis) {
    // The 2-norm of the flattened array (Frobenius for a matrix).
    std::vector<int> all(a.ndim());
    for (int d = 0; d < static_cast<int>(a.ndim()); ++d) {
      all[d] = d;
    }
    array r = sqrt(sum_of_squares(a, all, stream), stream);
    return keepdims ? r : reshape(r, {}, stream);
  }
  auto axes = norm_axes(a, *axis);
  if (axes.size() == 1) {
    return vector_norm(a, 2.0, axes[0], keepdims, stream);
  }
  return norm(a, std::string("fro"), axes, keepdims, stream);
}

array cross(const array& a, const array& b, int axis, StreamOrDevice s) {
  Stream stream = to_stream(s);
  if (a.ndim() != b.ndim()) {
    throw_error(
        "[linalg::cross] Inputs must have the same number of dimensions, got "
        "shapes ",
        a.shape(),
        " and ",
        b.shape(),
        ".");
  }
  int ax = normalize_axis(axis, static_cast<int>(a.ndim()), "linalg::cross");
  for (const array* x : {&a, &b}) {
    if (x->shape(ax) != 2 && x->shape(ax) != 3) {
      throw_error(
          "[linalg::cross] The axis ",
          axis,
          " must have size 2 or 3, got shapes ",
          a.shape(),
          " and ",
          b.shape(),
          ".");
    }
  }
  // Component i along the axis (kept as a size-1 axis); a 2-vector's z is 0.
  auto component = [&](const array& x, int i) {
    if (i == 2 && x.shape(ax) == 2) {
      Shape shape = x.shape();
      shape[ax] = 1;
      return zeros(shape, x.dtype(), stream);
    }
    Shape start(x.ndim(), 0), stop = x.shape();
    start[ax] = i;
    stop[ax] = i + 1;
    return slice(x, start, stop, stream);
  };
  array a0 = component(a, 0), a1 = component(a, 1), a2 = component(a, 2);
  array b0 = component(b, 0), b1 = component(b, 1), b2 = component(b, 2);
  auto det2 =
      [&](const array& p, const array& q, const array& r, const array& t) {
        return subtract(multiply(p, q, stream), multiply(r, t, stream), stream);
      };
  return concatenate(
      {det2(a1, b2, a2, b1), det2(a2, b0, a0, b2), det2(a0, b1, a1, b0)},
      ax,
      stream);
}

} // namespace mlx::core::linalg
