// jvp, vjp and vmap rules of the shape primitives. The layout primitives
// are linear: their jvp applies the primitive to the tangent and their vjp
// is the adjoint layout change (a scatter for the views that select).
#include "mlx/primitives/shape.h"

#include <climits>
#include <numeric>

#include "mlx/ops.h"
#include "mlx/primitives/rule_utils.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

// The sum of `x` over the axes that broadcasting `shape` to x's shape
// added or stretched: the cotangent of a broadcast.
array sum_to_shape(const array& x, const Shape& shape, Stream s) {
  int added = static_cast<int>(x.ndim() - shape.size());
  std::vector<int> axes(added);
  std::iota(axes.begin(), axes.end(), 0);
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1 && x.shape(added + i) != 1) {
      axes.push_back(added + static_cast<int>(i));
    }
  }
  if (axes.empty()) {
    return x;
  }
  return reshape(sum(x, axes, true, s), shape, s);
}

// Shape with `batch` inserted at `axis`.
Shape with_batch(Shape shape, int axis, int batch) {
  shape.insert(shape.begin() + axis, batch);
  return shape;
}

// The normalized stops as slice() takes them again: a negative-step slice
// that runs through index 0 has stop -1, which slice() would count from the
// end; any stop below -n means the same without wrapping.
Shape unwrapped_stops(const Shape& in_shape, Shape stop, const Shape& strides) {
  for (size_t i = 0; i < stop.size(); ++i) {
    if (strides[i] < 0 && stop[i] < 0) {
      stop[i] = -in_shape[i] - 1;
    }
  }
  return stop;
}

} // namespace

std::vector<array> Reshape::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return {reshape(tangents[0], shape_, stream())};
}

std::vector<array> Reshape::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return {reshape(cotangents[0], primals[0].shape(), stream())};
}

std::pair<std::vector<array>, std::vector<int>>
Reshape::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  array x = detail::batch_first(inputs[0], axes[0], 1, false, stream());
  return {{reshape(x, with_batch(shape_, 0, x.shape(0)), stream())}, {0}};
}

std::vector<array> Transpose::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return {transpose(tangents[0], axes_, stream())};
}

std::vector<array> Transpose::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  std::vector<int> inverse(axes_.size());
  for (size_t i = 0; i < axes_.size(); ++i) {
    inverse[axes_[i]] = static_cast<int>(i);
  }
  return {transpose(cotangents[0], inverse, stream())};
}

std::pair<std::vector<array>, std::vector<int>> Transpose::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  // One transpose: the batch axis first, then the permuted axes (shifted
  // past the batch axis).
  int b = axes[0];
  std::vector<int> perm{b};
  for (int ax : axes_) {
    perm.push_back(ax < b ? ax : ax + 1);
  }
  return {{transpose(inputs[0], perm, stream())}, {0}};
}

std::vector<array> Broadcast::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return {broadcast_to(tangents[0], shape_, stream())};
}

std::vector<array> Broadcast::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return {sum_to_shape(cotangents[0], primals[0].shape(), stream())};
}

std::pair<std::vector<array>, std::vector<int>> Broadcast::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  // Broadcasting adds `lead` axes in front; keeping the batch axis in
  // place, shifted by them, needs neither a transpose nor a reshape.
  const array& x = inputs[0];
  int b = axes[0];
  int lead = static_cast<int>(shape_.size() + 1 - x.ndim());
  Shape target = with_batch(shape_, lead + b, x.shape(b));
  return {{broadcast_to(x, target, stream())}, {lead + b}};
}

std::vector<array> Slice::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  Shape stop = unwrapped_stops(primals[0].shape(), stop_, strides_);
  return {slice(tangents[0], start_, stop, strides_, stream())};
}

std::vector<array> Slice::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  const array& c = cotangents[0];
  // The cotangent's shape says how long the slice is.
  Shape stop =
      detail::slice_stops(primals[0].shape(), start_, strides_, c.shape());
  array zero = zeros(primals[0].shape(), c.dtype(), stream());
  return {slice_update(zero, c, start_, stop, strides_, stream())};
}

std::pair<std::vector<array>, std::vector<int>>
Slice::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  // The whole batch axis, wherever it is.
  const array& x = inputs[0];
  int b = axes[0];
  Shape in_shape = x.shape();
  in_shape.erase(in_shape.begin() + b);
  Shape stop = unwrapped_stops(in_shape, stop_, strides_);
  return {
      {slice(
          x,
          with_batch(start_, b, 0),
          with_batch(stop, b, x.shape(b)),
          with_batch(strides_, b, 1),
          stream())},
      {b}};
}

std::vector<array> AsStrided::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return {as_strided(tangents[0], shape_, strides_, offset_, stream())};
}

std::vector<array> AsStrided::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  // The same view of arange(n) gives, for every output element, its
  // position in the flat input; the cotangent is added there (overlapping
  // windows read one element several times, so their cotangents add up).
  const array& x = primals[0];
  const array& c = cotangents[0];
  int64_t n = x.size();
  Dtype index_type = n > INT32_MAX ? int64 : int32;
  array flat_positions = as_strided(
      arange(0.0, static_cast<double>(n), 1.0, index_type, stream()),
      shape_,
      strides_,
      offset_,
      stream());
  array positions = reshape(flat_positions, {-1}, stream());
  array grad = scatter_add_axis(
      zeros({static_cast<int32_t>(n)}, c.dtype(), stream()),
      positions,
      reshape(c, {-1}, stream()),
      0,
      stream());
  return {reshape(grad, x.shape(), stream())};
}

std::pair<std::vector<array>, std::vector<int>> AsStrided::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  // The view reads the row-contiguous input; with the batch axis first,
  // batch element k starts k * (elements per batch) further on.
  array x = detail::batch_first(inputs[0], axes[0], 1, false, stream());
  int64_t per_batch = x.shape(0) == 0 ? 0 : x.size() / x.shape(0);
  Shape shape = with_batch(shape_, 0, x.shape(0));
  Strides strides = strides_;
  strides.insert(strides.begin(), per_batch);
  return {{as_strided(x, shape, strides, offset_, stream())}, {0}};
}

std::vector<array> View::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  // Integers carry no tangent; reinterpreted float bits have no derivative.
  if (issubdtype(primals[0].dtype(), inexact)) {
    throw_error(
        "[View] Reinterpreting the bits of ",
        primals[0].dtype(),
        " as ",
        dtype_,
        " is not differentiable.");
  }
  return {zeros_like(view(primals[0], dtype_, stream()), stream())};
}

std::vector<array> View::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  if (issubdtype(primals[0].dtype(), inexact)) {
    throw_error(
        "[View] Reinterpreting the bits of ",
        primals[0].dtype(),
        " as ",
        dtype_,
        " is not differentiable.");
  }
  return {zeros_like(primals[0], stream())};
}

std::pair<std::vector<array>, std::vector<int>>
View::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  const array& x = inputs[0];
  if (x.itemsize() == size_of(dtype_)) {
    return {{view(x, dtype_, stream())}, {axes[0]}};
  }
  // A size change rescales the last axis: keep the batch axis off it.
  array first = detail::batch_first(x, axes[0], 1, false, stream());
  return {{view(first, dtype_, stream())}, {0}};
}

std::vector<array> Contiguous::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return {contiguous(tangents[0], allow_col_major_, stream())};
}

std::vector<array> Contiguous::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return {cotangents[0]};
}

std::pair<std::vector<array>, std::vector<int>> Contiguous::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  return {{contiguous(inputs[0], allow_col_major_, stream())}, {axes[0]}};
}

std::vector<array> StopGradient::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return {zeros_like(primals[0], stream())};
}

std::vector<array> StopGradient::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return {zeros_like(primals[0], stream())};
}

std::pair<std::vector<array>, std::vector<int>> StopGradient::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  return {{stop_gradient(inputs[0], stream())}, {axes[0]}};
}

// Full stores no output shape, so only the vjp (which sees the output) can
// be written; see the note in the jvp.
std::vector<array> Full::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return {broadcast_to(tangents[0], shape_, stream())};
}

std::vector<array> Full::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  // Every output element copies the scalar: its cotangent is the sum.
  return {reshape(
      sum(cotangents[0], false, stream()), primals[0].shape(), stream())};
}

std::pair<std::vector<array>, std::vector<int>>
Full::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  // The input is 0-d, so a batched one is a vector: one fill per element.
  Shape batched = shape_;
  batched.insert(batched.begin(), inputs[0].shape(0));
  Shape column(batched.size(), 1);
  column[0] = batched[0];
  return {
      {broadcast_to(reshape(inputs[0], column, stream()), batched, stream())},
      {0}};
}

} // namespace mlx::core
