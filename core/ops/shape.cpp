#include "mlx/ops/shape.h"

#include <algorithm>
#include <numeric>

#include "mlx/ops/elementwise.h"

#include "mlx/primitives/shape.h"
#include "mlx/utils.h"

namespace mlx::core {

array reshape(const array& a, Shape shape, StreamOrDevice s) {
  int infer = -1;
  size_t known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer >= 0) {
        throw_error("[reshape] Can only infer one dimension, got ", shape, ".");
      }
      infer = static_cast<int>(i);
    } else if (shape[i] < 0) {
      throw_error("[reshape] Invalid dimension ", shape[i], " in ", shape, ".");
    } else {
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || a.size() % known != 0) {
      throw_error(
          "[reshape] Cannot infer the shape ",
          shape,
          " for an array of size ",
          a.size(),
          ".");
    }
    shape[infer] = static_cast<int32_t>(a.size() / known);
    known *= shape[infer];
  }
  if (known != a.size()) {
    throw_error(
        "[reshape] Cannot reshape array of size ",
        a.size(),
        " into shape ",
        shape,
        ".");
  }
  if (shape == a.shape()) {
    return a;
  }
  return array(
      shape, a.dtype(), std::make_shared<Reshape>(to_stream(s), shape), {a});
}

array flatten(const array& a, int start_axis, int end_axis, StreamOrDevice s) {
  int nd = static_cast<int>(a.ndim());
  if (nd == 0) {
    return reshape(a, {1}, s);
  }
  int start = normalize_axis(start_axis, nd, "flatten");
  int end = normalize_axis(end_axis, nd, "flatten");
  if (start > end) {
    throw_error(
        "[flatten] start_axis ",
        start_axis,
        " must come before end_axis ",
        end_axis,
        ".");
  }
  Shape shape(a.shape().begin(), a.shape().begin() + start);
  int64_t merged = 1;
  for (int i = start; i <= end; ++i) {
    merged *= a.shape(i);
  }
  shape.push_back(static_cast<int32_t>(merged));
  shape.insert(shape.end(), a.shape().begin() + end + 1, a.shape().end());
  return reshape(a, shape, s);
}

array flatten(const array& a, StreamOrDevice s) {
  return flatten(a, 0, -1, s);
}

array unflatten(const array& a, int axis, Shape shape, StreamOrDevice s) {
  if (shape.empty()) {
    throw_error("[unflatten] The shape to unflatten into cannot be empty.");
  }
  int ax = normalize_axis(axis, static_cast<int>(a.ndim()), "unflatten");
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer >= 0) {
        throw_error(
            "[unflatten] Can only infer one dimension, got ", shape, ".");
      }
      infer = static_cast<int>(i);
    } else {
      known *= shape[i];
    }
  }
  int dim = a.shape(ax);
  if (infer >= 0) {
    if (known == 0 || dim % known != 0) {
      throw_error(
          "[unflatten] Cannot infer ", shape, " from dimension ", dim, ".");
    }
    shape[infer] = static_cast<int32_t>(dim / known);
  } else if (known != dim) {
    throw_error(
        "[unflatten] Shape ",
        shape,
        " does not match dimension ",
        dim,
        " of axis ",
        axis,
        ".");
  }
  Shape out(a.shape().begin(), a.shape().begin() + ax);
  out.insert(out.end(), shape.begin(), shape.end());
  out.insert(out.end(), a.shape().begin() + ax + 1, a.shape().end());
  return reshape(a, out, s);
}

array squeeze(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  auto ax = normalize_axes(axes, static_cast<int>(a.ndim()), "squeeze");
  Shape shape;
  for (int i = 0, j = 0; i < static_cast<int>(a.ndim()); ++i) {
    if (j < static_cast<int>(ax.size()) && ax[j] == i) {
      if (a.shape(i) != 1) {
        throw_error(
            "[squeeze] Cannot squeeze axis ", i, " of size ", a.shape(i), ".");
      }
      ++j;
    } else {
      shape.push_back(a.shape(i));
    }
  }
  return reshape(a, shape, s);
}

array squeeze(const array& a, int axis, StreamOrDevice s) {
  return squeeze(a, std::vector<int>{axis}, s);
}

array squeeze(const array& a, StreamOrDevice s) {
  Shape shape;
  for (auto d : a.shape()) {
    if (d != 1) {
      shape.push_back(d);
    }
  }
  return reshape(a, shape, s);
}

array expand_dims(
    const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  int out_ndim = static_cast<int>(a.ndim() + axes.size());
  auto ax = normalize_axes(axes, out_ndim, "expand_dims");
  Shape shape = a.shape();
  for (int i : ax) {
    shape.insert(shape.begin() + i, 1);
  }
  return reshape(a, shape, s);
}

array expand_dims(const array& a, int axis, StreamOrDevice s) {
  return expand_dims(a, std::vector<int>{axis}, s);
}

array transpose(const array& a, std::vector<int> axes, StreamOrDevice s) {
  int nd = static_cast<int>(a.ndim());
  if (static_cast<int>(axes.size()) != nd) {
    throw_error(
        "[transpose] Received ",
        axes.size(),
        " axes for an array with ",
        nd,
        " dimensions.");
  }
  for (auto& ax : axes) {
    ax = normalize_axis(ax, nd, "transpose");
  }
  std::vector<int> sorted = axes;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    throw_error(
        "[transpose] Repeated axes in ", Shape(axes.begin(), axes.end()), ".");
  }
  Shape shape(nd);
  for (int i = 0; i < nd; ++i) {
    shape[i] = a.shape(axes[i]);
  }
  return array(
      shape, a.dtype(), std::make_shared<Transpose>(to_stream(s), axes), {a});
}

array transpose(const array& a, StreamOrDevice s) {
  std::vector<int> axes(a.ndim());
  std::iota(axes.rbegin(), axes.rend(), 0);
  return transpose(a, axes, s);
}

array swapaxes(const array& a, int axis1, int axis2, StreamOrDevice s) {
  int nd = static_cast<int>(a.ndim());
  int i = normalize_axis(axis1, nd, "swapaxes");
  int j = normalize_axis(axis2, nd, "swapaxes");
  std::vector<int> axes(nd);
  std::iota(axes.begin(), axes.end(), 0);
  std::swap(axes[i], axes[j]);
  return transpose(a, axes, s);
}

array moveaxis(const array& a, int source, int destination, StreamOrDevice s) {
  int nd = static_cast<int>(a.ndim());
  int src = normalize_axis(source, nd, "moveaxis");
  int dst = normalize_axis(destination, nd, "moveaxis");
  std::vector<int> axes(nd);
  std::iota(axes.begin(), axes.end(), 0);
  axes.erase(axes.begin() + src);
  axes.insert(axes.begin() + dst, src);
  return transpose(a, axes, s);
}

array broadcast_to(const array& a, const Shape& shape, StreamOrDevice s) {
  if (a.shape() == shape) {
    return a;
  }
  if (shape.size() < a.ndim()) {
    throw_error(
        "[broadcast_to] Cannot broadcast shape ",
        a.shape(),
        " to ",
        shape,
        ".");
  }
  size_t lead = shape.size() - a.ndim();
  for (size_t i = 0; i < a.ndim(); ++i) {
    if (a.shape()[i] != shape[lead + i] && a.shape()[i] != 1) {
      throw_error(
          "[broadcast_to] Cannot broadcast shape ",
          a.shape(),
          " to ",
          shape,
          ".");
    }
  }
  for (auto d : shape) {
    if (d < 0) {
      throw_error("[broadcast_to] Negative dimension in ", shape, ".");
    }
  }
  return array(
      shape, a.dtype(), std::make_shared<Broadcast>(to_stream(s), shape), {a});
}

std::vector<array>
broadcast_arrays(const std::vector<array>& inputs, StreamOrDevice s) {
  Shape shape;
  for (auto& in : inputs) {
    shape = broadcast_shapes(shape, in.shape(), "broadcast_arrays");
  }
  std::vector<array> out;
  for (auto& in : inputs) {
    out.push_back(broadcast_to(in, shape, s));
  }
  return out;
}

array as_strided(
    array a, Shape shape, Strides strides, size_t offset, StreamOrDevice s) {
  if (shape.size() != strides.size()) {
    throw_error(
        "[as_strided] Shape ",
        shape,
        " and strides ",
        strides,
        " must have the same length.");
  }
  shape_size(shape);
  return array(
      shape,
      a.dtype(),
      std::make_shared<AsStrided>(
          to_stream(s), shape, std::move(strides), offset),
      {a});
}

array contiguous(const array& a, bool allow_col_major, StreamOrDevice s) {
  return array(
      a.shape(),
      a.dtype(),
      std::make_shared<Contiguous>(to_stream(s), allow_col_major),
      {a});
}

array view(const array& a, const Dtype& dtype, StreamOrDevice s) {
  if (a.dtype() == dtype) {
    return a;
  }
  Shape shape = a.shape();
  size_t in_size = a.itemsize(), out_size = size_of(dtype);
  if (in_size != out_size) {
    if (a.ndim() == 0) {
      throw_error(
          "[view] Changing the item size from ",
          in_size,
          " to ",
          out_size,
          " bytes requires at least one dimension.");
    }
    int64_t last_bytes = static_cast<int64_t>(shape.back()) * in_size;
    if (last_bytes % out_size != 0) {
      throw_error(
          "[view] The last dimension of ",
          a.shape(),
          " (",
          last_bytes,
          " bytes) is not divisible by the size of ",
          dtype,
          ".");
    }
    shape.back() = static_cast<int32_t>(last_bytes / out_size);
  }
  return array(shape, dtype, std::make_shared<View>(to_stream(s), dtype), {a});
}

namespace {

array atleast(const array& a, size_t nd, StreamOrDevice s) {
  if (a.ndim() >= nd) {
    return a;
  }
  switch (a.ndim() * 10 + nd) {
  case 1: // 0-d -> 1-d
    return reshape(a, {1}, s);
  case 2: // 0-d -> 2-d
    return reshape(a, {1, 1}, s);
  case 12: // (n) -> (1, n)
    return reshape(a, {1, a.shape(0)}, s);
  case 3:
    return reshape(a, {1, 1, 1}, s);
  case 13: // (n) -> (1, n, 1)
    return reshape(a, {1, a.shape(0), 1}, s);
  default: // (m, n) -> (m, n, 1)
    return reshape(a, {a.shape(0), a.shape(1), 1}, s);
  }
}

std::vector<array>
atleast_all(const std::vector<array>& a, size_t nd, StreamOrDevice s) {
  std::vector<array> out;
  for (auto& x : a) {
    out.push_back(atleast(x, nd, s));
  }
  return out;
}

} // namespace

array atleast_1d(const array& a, StreamOrDevice s) {
  return atleast(a, 1, s);
}
std::vector<array> atleast_1d(const std::vector<array>& a, StreamOrDevice s) {
  return atleast_all(a, 1, s);
}
array atleast_2d(const array& a, StreamOrDevice s) {
  return atleast(a, 2, s);
}
std::vector<array> atleast_2d(const std::vector<array>& a, StreamOrDevice s) {
  return atleast_all(a, 2, s);
}
array atleast_3d(const array& a, StreamOrDevice s) {
  return atleast(a, 3, s);
}
std::vector<array> atleast_3d(const std::vector<array>& a, StreamOrDevice s) {
  return atleast_all(a, 3, s);
}

array slice(
    const array& a, Shape start, Shape stop, Shape strides, StreamOrDevice s) {
  Shape shape = normalize_slice(a.shape(), start, stop, strides, "slice");
  if (shape == a.shape() &&
      std::all_of(
          strides.begin(), strides.end(), [](int v) { return v == 1; })) {
    return a;
  }
  return array(
      shape,
      a.dtype(),
      std::make_shared<Slice>(
          to_stream(s), std::move(start), std::move(stop), std::move(strides)),
      {a});
}

array slice(
    const array& a, const Shape& start, const Shape& stop, StreamOrDevice s) {
  return slice(a, start, stop, Shape(a.ndim(), 1), s);
}

array stop_gradient(const array& a, StreamOrDevice s) {
  return array(
      a.shape(), a.dtype(), std::make_shared<StopGradient>(to_stream(s)), {a});
}

array flip(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  int nd = static_cast<int>(a.ndim());
  Shape start(nd, 0);
  Shape stop = a.shape();
  Shape strides(nd, 1);
  for (int ax : normalize_axes(axes, nd, "flip")) {
    // a[::-1] along ax: from the last element down past the first.
    start[ax] = -1;
    stop[ax] = -a.shape(ax) - 1;
    strides[ax] = -1;
  }
  return slice(a, std::move(start), std::move(stop), std::move(strides), s);
}

array flip(const array& a, int axis, StreamOrDevice s) {
  return flip(a, std::vector<int>{axis}, s);
}

array flip(const array& a, StreamOrDevice s) {
  std::vector<int> axes(a.ndim());
  std::iota(axes.begin(), axes.end(), 0);
  return flip(a, axes, s);
}

std::vector<array> unstack(const array& a, int axis, StreamOrDevice s) {
  if (a.ndim() == 0) {
    throw_error("[unstack] Cannot unstack a scalar.");
  }
  int ax = normalize_axis(axis, static_cast<int>(a.ndim()), "unstack");
  std::vector<array> out;
  for (int i = 0; i < a.shape(ax); ++i) {
    Shape start(a.ndim(), 0);
    Shape stop = a.shape();
    start[ax] = i;
    stop[ax] = i + 1;
    out.push_back(squeeze(slice(a, start, stop, s), ax, s));
  }
  return out;
}

std::vector<array> unstack(const array& a, StreamOrDevice s) {
  return unstack(a, 0, s);
}

array diff(const array& a, int n, int axis, StreamOrDevice s) {
  if (a.ndim() == 0) {
    throw_error("[diff] Needs at least one dimension, got a scalar.");
  }
  int ax = normalize_axis(axis, static_cast<int>(a.ndim()), "diff");
  if (n < 0) {
    throw_error("[diff] The order n must be non-negative, got ", n, ".");
  }
  array x = a;
  for (int i = 0; i < n && x.shape(ax) > 0; ++i) {
    Shape lo_stop = x.shape();
    Shape hi_start(x.ndim(), 0);
    lo_stop[ax] -= 1;
    hi_start[ax] = 1;
    array hi = slice(x, hi_start, x.shape(), s);
    array lo = slice(x, Shape(x.ndim(), 0), lo_stop, s);
    // NumPy's diff of bools is "not equal".
    x = x.dtype() == bool_ ? not_equal(hi, lo, s) : subtract(hi, lo, s);
  }
  return x;
}

} // namespace mlx::core
