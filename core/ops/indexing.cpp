#include "mlx/ops/indexing.h"

#include <algorithm>
#include <climits>

#include "mlx/ops/creation.h"
#include "mlx/ops/elementwise.h"
#include "mlx/ops/reduce.h"
#include "mlx/ops/shape.h"
#include "mlx/primitives/indexing.h"
#include "mlx/primitives/scatter.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

void check_indices_dtype(const array& indices, const char* op) {
  if (!issubdtype(indices.dtype(), integer)) {
    throw_error(
        "[",
        op,
        "] Indices must have an integer dtype, got ",
        indices.dtype(),
        ".");
  }
}

void check_same_ndim(const array& a, const array& indices, const char* op) {
  if (indices.ndim() != a.ndim()) {
    throw_error(
        "[",
        op,
        "] Indices of shape ",
        indices.shape(),
        " must have as many dimensions as the array of shape ",
        a.shape(),
        ".");
  }
}

// The inputs of an update along an axis (put_along_axis, scatter_add_axis):
// off the axis, `a` and the indices broadcast against each other, and the
// values (in a's dtype) broadcast to that update shape.
std::vector<array> along_axis_update_inputs(
    const array& a,
    const array& indices,
    const array& values,
    int ax,
    const char* op,
    StreamOrDevice s) {
  check_same_ndim(a, indices, op);
  Shape off_axis = a.shape();
  off_axis[ax] = 1;
  Shape shape = broadcast_shapes(off_axis, indices.shape(), op);
  if (broadcast_shapes(values.shape(), shape, op) != shape) {
    throw_error(
        "[",
        op,
        "] Values of shape ",
        values.shape(),
        " cannot be broadcast to the indices' shape ",
        shape,
        ".");
  }
  return {
      a,
      broadcast_to(indices, shape, s),
      broadcast_to(astype(values, a.dtype(), s), shape, s)};
}

} // namespace

array take(const array& a, const array& indices, int axis, StreamOrDevice s) {
  check_indices_dtype(indices, "take");
  int ax = normalize_axis(axis, static_cast<int>(a.ndim()), "take");
  Shape shape(a.shape().begin(), a.shape().begin() + ax);
  shape.insert(shape.end(), indices.shape().begin(), indices.shape().end());
  shape.insert(shape.end(), a.shape().begin() + ax + 1, a.shape().end());
  return array(
      shape, a.dtype(), std::make_shared<Take>(to_stream(s), ax), {a, indices});
}

array take(const array& a, int index, int axis, StreamOrDevice s) {
  int ax = normalize_axis(axis, static_cast<int>(a.ndim()), "take");
  int n = a.shape(ax);
  int wrapped = index < 0 ? index + n : index;
  if (wrapped < 0 || wrapped >= n) {
    throw_error(
        "[take] The index ",
        index,
        " is out of bounds for axis ",
        axis,
        " with size ",
        n,
        ".");
  }
  // A known index: a view of one slice.
  Shape start(a.ndim(), 0);
  Shape stop = a.shape();
  start[ax] = wrapped;
  stop[ax] = wrapped + 1;
  return squeeze(slice(a, start, stop, s), ax, s);
}

array take(const array& a, const array& indices, StreamOrDevice s) {
  check_indices_dtype(indices, "take");
  return take(flatten(a, s), indices, 0, s);
}

array take(const array& a, int index, StreamOrDevice s) {
  return take(flatten(a, s), index, 0, s);
}

array take_along_axis(
    const array& a, const array& indices, int axis, StreamOrDevice s) {
  check_indices_dtype(indices, "take_along_axis");
  int ax = normalize_axis(axis, static_cast<int>(a.ndim()), "take_along_axis");
  check_same_ndim(a, indices, "take_along_axis");
  // Off the axis, a and the indices broadcast against each other.
  Shape off_axis = a.shape();
  off_axis[ax] = 1;
  Shape shape = broadcast_shapes(off_axis, indices.shape(), "take_along_axis");
  Shape a_shape = shape;
  a_shape[ax] = a.shape(ax);
  return array(
      shape,
      a.dtype(),
      std::make_shared<TakeAlongAxis>(to_stream(s), ax),
      {broadcast_to(a, a_shape, s), broadcast_to(indices, shape, s)});
}

array take_along_axis(const array& a, const array& indices, StreamOrDevice s) {
  // As MLX's axis=None: `a` flattened, so the indices must be 1-D.
  return take_along_axis(flatten(a, s), indices, 0, s);
}

array put_along_axis(
    const array& a,
    const array& indices,
    const array& values,
    int axis,
    StreamOrDevice s) {
  check_indices_dtype(indices, "put_along_axis");
  int ax = normalize_axis(axis, static_cast<int>(a.ndim()), "put_along_axis");
  return array(
      a.shape(),
      a.dtype(),
      std::make_shared<PutAlongAxis>(to_stream(s), ax),
      along_axis_update_inputs(a, indices, values, ax, "put_along_axis", s));
}

array scatter_add_axis(
    const array& a,
    const array& indices,
    const array& values,
    int axis,
    StreamOrDevice s) {
  check_indices_dtype(indices, "scatter_add_axis");
  int ax = normalize_axis(axis, static_cast<int>(a.ndim()), "scatter_add_axis");
  return array(
      a.shape(),
      a.dtype(),
      std::make_shared<ScatterAddAxis>(to_stream(s), ax),
      along_axis_update_inputs(a, indices, values, ax, "scatter_add_axis", s));
}

array slice_update(
    const array& src,
    const array& update,
    Shape start,
    Shape stop,
    Shape strides,
    StreamOrDevice s) {
  Shape shape =
      normalize_slice(src.shape(), start, stop, strides, "slice_update");
  if (update.ndim() > src.ndim() ||
      broadcast_shapes(update.shape(), shape, "slice_update") != shape) {
    throw_error(
        "[slice_update] Update of shape ",
        update.shape(),
        " cannot be broadcast to the slice shape ",
        shape,
        ".");
  }
  return array(
      src.shape(),
      src.dtype(),
      std::make_shared<SliceUpdate>(
          to_stream(s), std::move(start), std::move(strides)),
      {src, broadcast_to(update, shape, s)});
}

array slice_update(
    const array& src,
    const array& update,
    Shape start,
    Shape stop,
    StreamOrDevice s) {
  Shape strides(src.ndim(), 1);
  return slice_update(
      src, update, std::move(start), std::move(stop), std::move(strides), s);
}

array diagonal(
    const array& a, int offset, int axis1, int axis2, StreamOrDevice s) {
  int nd = static_cast<int>(a.ndim());
  if (nd < 2) {
    throw_error(
        "[diagonal] Array must have at least two dimensions, got shape ",
        a.shape(),
        ".");
  }
  int ax1 = normalize_axis(axis1, nd, "diagonal");
  int ax2 = normalize_axis(axis2, nd, "diagonal");
  if (ax1 == ax2) {
    throw_error(
        "[diagonal] axis1 (",
        axis1,
        ") and axis2 (",
        axis2,
        ") cannot be the same axis.");
  }
  int64_t n1 = a.shape(ax1), n2 = a.shape(ax2);
  int64_t len =
      offset >= 0 ? std::min(n1, n2 - offset) : std::min(n1 + offset, n2);
  Shape shape;
  for (int d = 0; d < nd; ++d) {
    if (d != ax1 && d != ax2) {
      shape.push_back(a.shape(d));
    }
  }
  shape.push_back(static_cast<int32_t>(std::max<int64_t>(len, 0)));
  return array(
      shape,
      a.dtype(),
      std::make_shared<Diagonal>(to_stream(s), offset, ax1, ax2),
      {a});
}

array diag(const array& a, int k, StreamOrDevice s) {
  if (a.ndim() == 2) {
    return diagonal(a, k, 0, 1, s);
  }
  if (a.ndim() != 1) {
    throw_error(
        "[diag] Input must be 1-D or 2-D, got an array of shape ",
        a.shape(),
        ".");
  }
  // Write `a` with a stride of m + 1 into a flat m x m zero matrix.
  int64_t n = a.size();
  int64_t m = n + std::abs(static_cast<int64_t>(k));
  if (m * m > INT32_MAX) {
    throw_error("[diag] The ", m, " x ", m, " output matrix is too large.");
  }
  int64_t start = k >= 0 ? k : -static_cast<int64_t>(k) * m;
  int64_t step = m + 1;
  int64_t stop = n > 0 ? start + (n - 1) * step + 1 : start;
  auto flat = zeros({static_cast<int32_t>(m * m)}, a.dtype(), s);
  flat = slice_update(
      flat,
      a,
      {static_cast<int32_t>(start)},
      {static_cast<int32_t>(stop)},
      {static_cast<int32_t>(step)},
      s);
  return reshape(flat, {static_cast<int32_t>(m), static_cast<int32_t>(m)}, s);
}

array trace(
    const array& a,
    int offset,
    int axis1,
    int axis2,
    Dtype dtype,
    StreamOrDevice s) {
  if (a.ndim() < 2) {
    throw_error(
        "[trace] Array must have at least two dimensions, got shape ",
        a.shape(),
        ".");
  }
  int nd = static_cast<int>(a.ndim());
  if (normalize_axis(axis1, nd, "trace") ==
      normalize_axis(axis2, nd, "trace")) {
    throw_error(
        "[trace] axis1 (",
        axis1,
        ") and axis2 (",
        axis2,
        ") cannot be the same axis.");
  }
  // Sum in the requested dtype (a bool sum gives int32, hence the final
  // astype).
  auto d = astype(diagonal(a, offset, axis1, axis2, s), dtype, s);
  return astype(sum(d, -1, false, s), dtype, s);
}

array trace(
    const array& a, int offset, int axis1, int axis2, StreamOrDevice s) {
  return trace(a, offset, axis1, axis2, a.dtype(), s);
}

array trace(const array& a, StreamOrDevice s) {
  return trace(a, 0, 0, 1, s);
}

// A slice never holds an element twice, so combining the slice with the
// update and writing it back is the in-place update.
#define MLX_SLICE_UPDATE_OP(name, combine)                                     \
  array name(                                                                  \
      const array& src,                                                        \
      const array& update,                                                     \
      Shape start,                                                             \
      Shape stop,                                                              \
      Shape strides,                                                           \
      StreamOrDevice s) {                                                      \
    array current = slice(src, start, stop, strides, s);                       \
    array combined = astype(combine(current, update, s), src.dtype(), s);      \
    return slice_update(                                                       \
        src,                                                                   \
        combined,                                                              \
        std::move(start),                                                      \
        std::move(stop),                                                       \
        std::move(strides),                                                    \
        s);                                                                    \
  }                                                                            \
  array name(                                                                  \
      const array& src,                                                        \
      const array& update,                                                     \
      Shape start,                                                             \
      Shape stop,                                                              \
      StreamOrDevice s) {                                                      \
    Shape strides(src.ndim(), 1);                                              \
    return name(                                                               \
        src,                                                                   \
        update,                                                                \
        std::move(start),                                                      \
        std::move(stop),                                                       \
        std::move(strides),                                                    \
        s);                                                                    \
  }

MLX_SLICE_UPDATE_OP(slice_update_add, add)
MLX_SLICE_UPDATE_OP(slice_update_prod, multiply)
MLX_SLICE_UPDATE_OP(slice_update_max, maximum)
MLX_SLICE_UPDATE_OP(slice_update_min, minimum)
#undef MLX_SLICE_UPDATE_OP

} // namespace mlx::core
