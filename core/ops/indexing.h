// Indexing ops: take, take_along_axis, put_along_axis, slice_update and
// diagonals. Indices may have any integer dtype; negative indices count
// from the end, and out-of-range ones raise std::invalid_argument when the
// result is evaluated.
#pragma once

#include <initializer_list>
#include <utility>

#include "mlx/array.h"
#include "mlx/stream.h"

namespace mlx::core {

/** Slices of `a` at `indices` along `axis`: the output shape is
 * a.shape[:axis] + indices.shape + a.shape[axis+1:]. */
array take(
    const array& a, const array& indices, int axis, StreamOrDevice s = {});
/** One slice at `index` along `axis` (a view; the axis is removed). */
array take(const array& a, int index, int axis, StreamOrDevice s = {});
/** Elements of the flattened `a`. */
array take(const array& a, const array& indices, StreamOrDevice s = {});
array take(const array& a, int index, StreamOrDevice s = {});

/** out[..., i, ...] = a[..., indices[..., i, ...], ...] along `axis`;
 * `indices` has a.ndim() dims and broadcasts against `a` off the axis. */
array take_along_axis(
    const array& a, const array& indices, int axis, StreamOrDevice s = {});

/** take_along_axis of the flattened `a` (MLX's axis=None): `indices` is
 * 1-D. */
array take_along_axis(
    const array& a, const array& indices, StreamOrDevice s = {});

/** A copy of `a` with `values` (broadcast to the indices' shape) written
 * at `indices` along `axis`. */
array put_along_axis(
    const array& a,
    const array& indices,
    const array& values,
    int axis,
    StreamOrDevice s = {});

/** A copy of `src` with src[start:stop:strides] replaced by `update`
 * (broadcast to the slice's shape, converted to src's dtype). Bounds are
 * normalized as in slice(). */
array slice_update(
    const array& src,
    const array& update,
    Shape start,
    Shape stop,
    Shape strides,
    StreamOrDevice s = {});
array slice_update(
    const array& src,
    const array& update,
    Shape start,
    Shape stop,
    StreamOrDevice s = {});
// A braced start is a Shape, not an array start (see ops/scatter.h).
inline array slice_update(
    const array& src,
    const array& update,
    std::initializer_list<int> start,
    Shape stop,
    StreamOrDevice s = {}) {
  return slice_update(src, update, Shape(start), std::move(stop), s);
}

/** slice_update that combines `update` with the slice instead of
 * replacing it: src[start:stop:strides] += / *= / max= / min= update. */
#define MLX_SLICE_UPDATE_OP(name)                                              \
  array name(                                                                  \
      const array& src,                                                        \
      const array& update,                                                     \
      Shape start,                                                             \
      Shape stop,                                                              \
      Shape strides,                                                           \
      StreamOrDevice s = {});                                                  \
  array name(                                                                  \
      const array& src,                                                        \
      const array& update,                                                     \
      Shape start,                                                             \
      Shape stop,                                                              \
      StreamOrDevice s = {});

MLX_SLICE_UPDATE_OP(slice_update_add)
MLX_SLICE_UPDATE_OP(slice_update_prod)
MLX_SLICE_UPDATE_OP(slice_update_max)
MLX_SLICE_UPDATE_OP(slice_update_min)
#undef MLX_SLICE_UPDATE_OP

/** The diagonals at `offset` of the 2-D sub-arrays over axis1 and axis2, as
 * a view: those axes are removed and the diagonal becomes the last axis. */
array diagonal(
    const array& a,
    int offset = 0,
    int axis1 = 0,
    int axis2 = 1,
    StreamOrDevice s = {});

/** 1-D input: the square matrix with `a` on diagonal k. 2-D input: its
 * diagonal k. */
array diag(const array& a, int k = 0, StreamOrDevice s = {});

/** Sum along a diagonal, in `dtype` (default: a's dtype). */
array trace(
    const array& a,
    int offset,
    int axis1,
    int axis2,
    Dtype dtype,
    StreamOrDevice s = {});
array trace(
    const array& a, int offset, int axis1, int axis2, StreamOrDevice s = {});
array trace(const array& a, StreamOrDevice s = {});

/** A copy of `a` with `values` (broadcast to the indices' shape, converted
 * to a's dtype) added at `indices` along `axis`; duplicate indices
 * accumulate (NumPy's np.add.at along an axis). `indices` has a.ndim() dims
 * and broadcasts against `a` off the axis; negative indices count from the
 * end, and out-of-range ones raise std::invalid_argument when the result is
 * evaluated. */
array scatter_add_axis(
    const array& a,
    const array& indices,
    const array& values,
    int axis,
    StreamOrDevice s = {});

} // namespace mlx::core
