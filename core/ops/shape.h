// Shape and view ops, joining and splitting.
#pragma once

#include <initializer_list>
#include <utility>

#include "mlx/array.h"
#include "mlx/stream.h"

namespace mlx::core {

/** One dim of `shape` may be -1 (inferred). */
array reshape(const array& a, Shape shape, StreamOrDevice s = {});

/** Merge axes start_axis..end_axis into one. */
array flatten(
    const array& a, int start_axis, int end_axis = -1, StreamOrDevice s = {});
array flatten(const array& a, StreamOrDevice s = {});

/** Split `axis` into `shape` (one entry may be -1). */
array unflatten(const array& a, int axis, Shape shape, StreamOrDevice s = {});

array squeeze(
    const array& a, const std::vector<int>& axes, StreamOrDevice s = {});
array squeeze(const array& a, int axis, StreamOrDevice s = {});
array squeeze(const array& a, StreamOrDevice s = {});

array expand_dims(
    const array& a, const std::vector<int>& axes, StreamOrDevice s = {});
array expand_dims(const array& a, int axis, StreamOrDevice s = {});

array transpose(const array& a, std::vector<int> axes, StreamOrDevice s = {});
inline array transpose(
    const array& a, std::initializer_list<int> axes, StreamOrDevice s = {}) {
  return transpose(a, std::vector<int>(axes), s);
}
/** Reverse the axes. */
array transpose(const array& a, StreamOrDevice s = {});

array swapaxes(const array& a, int axis1, int axis2, StreamOrDevice s = {});
array moveaxis(
    const array& a, int source, int destination, StreamOrDevice s = {});

array broadcast_to(const array& a, const Shape& shape, StreamOrDevice s = {});
std::vector<array>
broadcast_arrays(const std::vector<array>& inputs, StreamOrDevice s = {});

/** A view with the given shape, strides and offset, in elements of the
 * row-contiguous input. No bounds are checked, as in MLX and NumPy. */
array as_strided(
    array a,
    Shape shape,
    Strides strides,
    size_t offset,
    StreamOrDevice s = {});

/** Row-major copy unless it already is (or column-major, if allowed). */
array contiguous(
    const array& a, bool allow_col_major = false, StreamOrDevice s = {});

/** Reinterpret the bytes as `dtype`; the last dim scales by the size ratio. */
array view(const array& a, const Dtype& dtype, StreamOrDevice s = {});

array atleast_1d(const array& a, StreamOrDevice s = {});
std::vector<array>
atleast_1d(const std::vector<array>& a, StreamOrDevice s = {});
array atleast_2d(const array& a, StreamOrDevice s = {});
std::vector<array>
atleast_2d(const std::vector<array>& a, StreamOrDevice s = {});
array atleast_3d(const array& a, StreamOrDevice s = {});
std::vector<array>
atleast_3d(const std::vector<array>& a, StreamOrDevice s = {});

/** NumPy slicing a[start:stop:strides]; out-of-range bounds are clipped,
 * negative values count from the end. */
array slice(
    const array& a,
    Shape start,
    Shape stop,
    Shape strides,
    StreamOrDevice s = {});
// A braced start is a Shape, not an array start (see ops/scatter.h).
inline array slice(
    const array& a,
    std::initializer_list<int> start,
    Shape stop,
    Shape strides,
    StreamOrDevice s = {}) {
  return slice(a, Shape(start), std::move(stop), std::move(strides), s);
}
array slice(
    const array& a,
    const Shape& start,
    const Shape& stop,
    StreamOrDevice s = {});

/** Reverse the order of elements along the axes (all axes when none are
 * given); a view. */
array flip(const array& a, const std::vector<int>& axes, StreamOrDevice s = {});
array flip(const array& a, int axis, StreamOrDevice s = {});
array flip(const array& a, StreamOrDevice s = {});

/** The slices of `a` along `axis` (the axis removed): stack's inverse. */
std::vector<array> unstack(const array& a, int axis, StreamOrDevice s = {});
std::vector<array> unstack(const array& a, StreamOrDevice s = {});

/** n-th discrete difference along `axis`: a[1:] - a[:-1], n times. */
array diff(const array& a, int n = 1, int axis = -1, StreamOrDevice s = {});

/** Stop gradients from flowing through (identity on values). */
array stop_gradient(const array& a, StreamOrDevice s = {});

} // namespace mlx::core
