#include "mlx/ops/creation.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "mlx/ops/elementwise.h"
#include "mlx/ops/shape.h"
#include "mlx/primitives/elementwise.h"
#include "mlx/primitives/shape.h"
#include "mlx/utils.h"

namespace mlx::core {

array arange(
    double start, double stop, double step, Dtype dtype, StreamOrDevice s) {
  if (dtype == bool_) {
    throw_error("[arange] Cannot use dtype bool.");
  }
  if (std::isnan(start) || std::isnan(stop) || std::isnan(step) ||
      std::isinf(start) || std::isinf(step)) {
    throw_error(
        "[arange] Arguments must be finite: start ",
        start,
        ", stop ",
        stop,
        ", step ",
        step,
        ".");
  }
  if (step == 0) {
    throw_error("[arange] Step cannot be zero.");
  }
  double real_size = std::ceil((stop - start) / step);
  if (real_size > std::numeric_limits<int32_t>::max()) {
    throw_error("[arange] Maximum size exceeded: ", real_size, " elements.");
  }
  int32_t size = static_cast<int32_t>(std::max(real_size, 0.0));
  return array(
      {size},
      dtype,
      std::make_shared<Arange>(to_stream(s), start, stop, step),
      {});
}

array arange(double start, double stop, double step, StreamOrDevice s) {
  return arange(start, stop, step, float32, s);
}
array arange(double start, double stop, Dtype dtype, StreamOrDevice s) {
  return arange(start, stop, 1.0, dtype, s);
}
array arange(double start, double stop, StreamOrDevice s) {
  return arange(start, stop, 1.0, float32, s);
}
array arange(double stop, Dtype dtype, StreamOrDevice s) {
  return arange(0.0, stop, 1.0, dtype, s);
}
array arange(double stop, StreamOrDevice s) {
  return arange(0.0, stop, 1.0, float32, s);
}
array arange(int start, int stop, int step, StreamOrDevice s) {
  return arange(
      static_cast<double>(start),
      static_cast<double>(stop),
      static_cast<double>(step),
      int32,
      s);
}
array arange(int start, int stop, StreamOrDevice s) {
  return arange(start, stop, 1, s);
}
array arange(int stop, StreamOrDevice s) {
  return arange(0, stop, 1, s);
}

array linspace(
    double start, double stop, int num, Dtype dtype, StreamOrDevice s) {
  if (num < 0) {
    throw_error(
        "[linspace] Number of samples, ", num, ", must be non-negative.");
  }
  if (num == 1) {
    // array({start}) would be float32 (C++ doubles make float32 arrays).
    return astype(array(&start, {1}, float64), dtype, s);
  }
  // start + i * (stop - start) / (num - 1), computed in float64 so that the
  // last value is exactly stop.
  array t = divide(
      arange(0.0, static_cast<double>(num), 1.0, float64, s),
      array(static_cast<double>(std::max(num - 1, 1)), float64),
      s);
  // Scalars must be float64 too (a C++ double alone makes a float32 array).
  array v = add(
      multiply(t, array(stop - start, float64), s), array(start, float64), s);
  return astype(v, dtype, s);
}

array astype(array a, Dtype dtype, StreamOrDevice s) {
  if (a.dtype() == dtype) {
    return a;
  }
  return array(
      a.shape(), dtype, std::make_shared<AsType>(to_stream(s), dtype), {a});
}

array copy(array a, StreamOrDevice s) {
  return array(
      a.shape(),
      a.dtype(),
      std::make_shared<Contiguous>(to_stream(s), true),
      {a});
}

array full(Shape shape, array vals, Dtype dtype, StreamOrDevice s) {
  shape_size(shape);
  vals = astype(std::move(vals), dtype, s);
  if (vals.size() == 1) {
    // One value: fill without materializing a broadcast first.
    auto scalar = vals.ndim() == 0 ? vals : reshape(vals, {}, s);
    auto primitive = std::make_shared<Full>(to_stream(s), shape);
    return array(std::move(shape), dtype, std::move(primitive), {scalar});
  }
  return copy(broadcast_to(vals, shape, s), s);
}

array full(Shape shape, array vals, StreamOrDevice s) {
  Dtype dtype = vals.dtype();
  return full(std::move(shape), std::move(vals), dtype, s);
}

array zeros(const Shape& shape, Dtype dtype, StreamOrDevice s) {
  return full(shape, array(false), dtype, s);
}

array zeros_like(const array& a, StreamOrDevice s) {
  return zeros(a.shape(), a.dtype(), s);
}

array ones(const Shape& shape, Dtype dtype, StreamOrDevice s) {
  return full(shape, array(true), dtype, s);
}

array ones_like(const array& a, StreamOrDevice s) {
  return ones(a.shape(), a.dtype(), s);
}

array full_like(const array& a, array vals, StreamOrDevice s) {
  return full(a.shape(), std::move(vals), a.dtype(), s);
}

array eye(int n, int m, int k, Dtype dtype, StreamOrDevice s) {
  if (n < 0 || m < 0) {
    throw_error("[eye] N and M must be non-negative, got ", n, " and ", m, ".");
  }
  array rows = reshape(arange(0, n, s), {n, 1}, s);
  array cols = reshape(arange(0, m, s), {1, m}, s);
  return astype(equal(subtract(cols, rows, s), array(k), s), dtype, s);
}

array identity(int n, Dtype dtype, StreamOrDevice s) {
  return eye(n, n, 0, dtype, s);
}

array tri(int n, int m, int k, Dtype type, StreamOrDevice s) {
  if (n < 0 || m < 0) {
    throw_error("[tri] N and M must be non-negative, got ", n, " and ", m, ".");
  }
  // Diagonals past the corners give the same mask; clamping keeps rows + k
  // from overflowing int32.
  k = std::clamp(k, -n, m);
  array rows = reshape(arange(0, n, s), {n, 1}, s);
  array cols = reshape(arange(0, m, s), {1, m}, s);
  return astype(less_equal(cols, add(rows, array(k), s), s), type, s);
}

array tril(array x, int k, StreamOrDevice s) {
  if (x.ndim() < 2) {
    throw_error(
        "[tril] Array must have at least 2 dimensions, got ", x.ndim(), ".");
  }
  array mask = tri(x.shape(-2), x.shape(-1), k, bool_, s);
  return where(mask, x, zeros_like(x, s), s);
}

array triu(array x, int k, StreamOrDevice s) {
  if (x.ndim() < 2) {
    throw_error(
        "[triu] Array must have at least 2 dimensions, got ", x.ndim(), ".");
  }
  // k - 1 must not wrap around for k = INT_MIN (tri clamps it anyway).
  int below = k == std::numeric_limits<int>::min() ? k : k - 1;
  array mask = tri(x.shape(-2), x.shape(-1), below, bool_, s);
  return where(mask, zeros_like(x, s), x, s);
}

std::vector<array> meshgrid(
    const std::vector<array>& arrays,
    bool sparse,
    const std::string& indexing,
    StreamOrDevice s) {
  if (indexing != "xy" && indexing != "ij") {
    throw_error(
        "[meshgrid] Invalid indexing value '",
        indexing,
        "'. Valid values are 'xy' and 'ij'.");
  }
  for (auto& a : arrays) {
    if (a.ndim() != 1) {
      throw_error(
          "[meshgrid] Inputs must be 1-d, got an array of shape ",
          a.shape(),
          ".");
    }
  }
  size_t n = arrays.size();
  std::vector<array> out;
  Shape full_shape;
  for (size_t i = 0; i < n; ++i) {
    Shape shape(n, 1);
    shape[i] = -1;
    // Cartesian indexing swaps the first two output axes.
    if (indexing == "xy" && n > 1 && i < 2) {
      shape[i] = 1;
      shape[1 - i] = -1;
    }
    out.push_back(reshape(arrays[i], shape, s));
  }
  for (auto& o : out) {
    full_shape = broadcast_shapes(full_shape, o.shape(), "meshgrid");
  }
  if (!sparse) {
    for (auto& o : out) {
      o = broadcast_to(o, full_shape, s);
    }
  }
  return out;
}

array linspace(
    double start,
    double stop,
    int num,
    bool endpoint,
    Dtype dtype,
    StreamOrDevice s) {
  if (endpoint || num <= 0) {
    return linspace(start, stop, num, dtype, s);
  }
  // [start, stop) in num steps is [start, stop - step] in num points.
  return linspace(start, stop - (stop - start) / num, num, dtype, s);
}

array zeros_like(const array& a, Dtype dtype, StreamOrDevice s) {
  return zeros(a.shape(), dtype, s);
}

array ones_like(const array& a, Dtype dtype, StreamOrDevice s) {
  return ones(a.shape(), dtype, s);
}

array full_like(const array& a, array vals, Dtype dtype, StreamOrDevice s) {
  return full(a.shape(), std::move(vals), dtype, s);
}

namespace {

// NumPy's window functions as sums of cosines: sum_k c_k cos(k pi n / (M-1))
// over n = 1-M, 3-M, ..., M-1 (float32). M < 1 gives an empty window.
array cosine_window(
    int M, std::initializer_list<double> coeffs, StreamOrDevice s) {
  if (M < 1) {
    return zeros({0}, float32, s);
  }
  if (M == 1) {
    return ones({1}, float32, s);
  }
  array n = arange(1.0 - M, static_cast<double>(M), 2.0, float32, s);
  array phase = multiply(n, array(static_cast<float>(M_PI / (M - 1))), s);
  array out = zeros({M}, float32, s);
  int k = 0;
  for (double c : coeffs) {
    array term = k == 0 ? array(static_cast<float>(c))
                        : multiply(
                              array(static_cast<float>(c)),
                              cos(multiply(phase, array(float(k)), s), s),
                              s);
    out = add(out, term, s);
    ++k;
  }
  return out;
}

} // namespace

array hanning(int M, StreamOrDevice s) {
  return cosine_window(M, {0.5, 0.5}, s);
}

array hamming(int M, StreamOrDevice s) {
  return cosine_window(M, {0.54, 0.46}, s);
}

array blackman(int M, StreamOrDevice s) {
  return cosine_window(M, {0.42, 0.5, 0.08}, s);
}

array bartlett(int M, StreamOrDevice s) {
  if (M <= 1) {
    return cosine_window(M, {}, s);
  }
  // 1 - |n| / (M - 1), n = 1-M, 3-M, ..., M-1.
  array n = arange(1.0 - M, static_cast<double>(M), 2.0, float32, s);
  return subtract(
      array(1.0f), divide(abs(n, s), array(static_cast<float>(M - 1)), s), s);
}

} // namespace mlx::core
