// jvp, vjp and vmap rules of the indexing primitives. Gathers and
// scatters are linear in the gathered / scattered values: their jvp
// applies the primitive to the tangents, their vjp scatters (adding, so
// that duplicate indices accumulate) or gathers the cotangent. Indices
// carry no gradient.
#include "mlx/primitives/indexing.h"

#include <climits>
#include <numeric>

#include "mlx/ops.h"
#include "mlx/primitives/rule_utils.h"

namespace mlx::core {

namespace {

// The cotangent or tangent of an input that carries none (indices, or
// integer-valued inputs).
array no_gradient(const array& input, Stream s) {
  return zeros_like(input, s);
}

// `shape` with ones everywhere except `size` at `axis` (for broadcasting a
// 1-D array along one axis).
Shape along_axis(int ndim, int axis, int size) {
  Shape shape(ndim, 1);
  shape[axis] = size;
  return shape;
}

} // namespace

std::vector<array> Take::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  if (argnums.empty() || argnums[0] != 0) {
    // Only the indices depend on the inputs: the output's tangent is zero.
    const array& a = primals[0];
    const array& indices = primals[1];
    Shape shape(a.shape().begin(), a.shape().begin() + axis_);
    shape.insert(shape.end(), indices.shape().begin(), indices.shape().end());
    shape.insert(shape.end(), a.shape().begin() + axis_ + 1, a.shape().end());
    return {zeros(shape, a.dtype(), stream())};
  }
  return {take(tangents[0], primals[1], axis_, stream())};
}

std::vector<array> Take::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  const array& a = primals[0];
  const array& indices = primals[1];
  const array& c = cotangents[0];
  std::vector<array> vjps;
  for (int arg : argnums) {
    if (arg != 0) {
      vjps.push_back(no_gradient(indices, stream()));
      continue;
    }
    // c has shape pre + indices.shape + post: flatten the indices' dims to
    // one axis of size k and add the cotangent rows at their indices.
    int nd = static_cast<int>(a.ndim());
    int k = static_cast<int>(indices.size());
    Shape flat_shape(a.shape().begin(), a.shape().begin() + axis_);
    flat_shape.push_back(k);
    flat_shape.insert(
        flat_shape.end(), a.shape().begin() + axis_ + 1, a.shape().end());
    array flat_indices = reshape(indices, along_axis(nd, axis_, k), stream());
    vjps.push_back(scatter_add_axis(
        zeros(a.shape(), c.dtype(), stream()),
        flat_indices,
        reshape(c, flat_shape, stream()),
        axis_,
        stream()));
  }
  return vjps;
}

std::pair<std::vector<array>, std::vector<int>>
Take::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  const array& a = inputs[0];
  const array& indices = inputs[1];
  if (axes[1] == -1) {
    // Batched array, shared indices: take along the shifted axis.
    array x = detail::batch_first(a, axes[0], 1, false, stream());
    return {{take(x, indices, axis_ + 1, stream())}, {0}};
  }
  array idx = detail::batch_first(indices, axes[1], 1, false, stream());
  if (axes[0] == -1) {
    // Shared array, batched indices: the batch axis lands where the
    // indices' dims begin.
    return {{take(a, idx, axis_, stream())}, {axis_}};
  }
  // Both batched: a gather per batch element. With the indices flattened
  // to (batch, k) and broadcast along the other axes of x,
  // take_along_axis picks out[b, pre, j, post] = x[b, pre, idx[b, j], post].
  array x = detail::batch_first(a, axes[0], 1, false, stream());
  int batch = x.shape(0);
  int nd = static_cast<int>(x.ndim());
  int k = batch == 0 ? 0 : static_cast<int>(idx.size() / batch);
  Shape idx_shape = along_axis(nd, axis_ + 1, k);
  idx_shape[0] = batch;
  array gathered = take_along_axis(
      x, reshape(idx, idx_shape, stream()), axis_ + 1, stream());
  Shape out_shape(x.shape().begin(), x.shape().begin() + axis_ + 1);
  out_shape.insert(out_shape.end(), idx.shape().begin() + 1, idx.shape().end());
  out_shape.insert(
      out_shape.end(), x.shape().begin() + axis_ + 2, x.shape().end());
  return {{reshape(gathered, out_shape, stream())}, {0}};
}

std::vector<array> TakeAlongAxis::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  if (argnums.empty() || argnums[0] != 0) {
    return {zeros(primals[1].shape(), primals[0].dtype(), stream())};
  }
  return {take_along_axis(tangents[0], primals[1], axis_, stream())};
}

std::vector<array> TakeAlongAxis::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  std::vector<array> vjps;
  for (int arg : argnums) {
    if (arg != 0) {
      vjps.push_back(no_gradient(primals[1], stream()));
      continue;
    }
    const array& c = cotangents[0];
    vjps.push_back(scatter_add_axis(
        zeros(primals[0].shape(), c.dtype(), stream()),
        primals[1],
        c,
        axis_,
        stream()));
  }
  return vjps;
}

std::pair<std::vector<array>, std::vector<int>> TakeAlongAxis::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  // An unbatched side gets a leading axis of size 1, which the op
  // broadcasts against the other.
  array x = detail::batch_first(inputs[0], axes[0], 1, false, stream());
  array idx = detail::batch_first(inputs[1], axes[1], 1, false, stream());
  return {{take_along_axis(x, idx, axis_ + 1, stream())}, {0}};
}

std::vector<array> PutAlongAxis::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  // Linear in (a, values): the tangent of a with the values' tangents put.
  array ta = zeros_like(primals[0], stream());
  array tv = zeros_like(primals[2], stream());
  for (size_t i = 0; i < argnums.size(); ++i) {
    if (argnums[i] == 0) {
      ta = tangents[i];
    } else if (argnums[i] == 2) {
      tv = tangents[i];
    }
  }
  return {put_along_axis(ta, primals[1], tv, axis_, stream())};
}

std::vector<array> PutAlongAxis::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  const array& a = primals[0];
  const array& indices = primals[1];
  const array& values = primals[2];
  const array& c = cotangents[0];
  std::vector<array> vjps;
  for (int arg : argnums) {
    if (arg == 0) {
      // Overwritten elements of a do not reach the output.
      vjps.push_back(put_along_axis(
          c,
          indices,
          zeros(values.shape(), c.dtype(), stream()),
          axis_,
          stream()));
    } else if (arg == 2) {
      // Of duplicate indices only the last write survives: put each
      // update's number, read back which number stayed, and give the
      // cotangent to those updates only.
      int64_t n = values.size();
      Dtype id_type = n > INT32_MAX ? int64 : int32;
      array ids = reshape(
          arange(0.0, static_cast<double>(n), 1.0, id_type, stream()),
          values.shape(),
          stream());
      array written = put_along_axis(
          full(a.shape(), array(-1, id_type), stream()),
          indices,
          ids,
          axis_,
          stream());
      array survived = equal(
          take_along_axis(written, indices, axis_, stream()), ids, stream());
      array gathered = take_along_axis(c, indices, axis_, stream());
      vjps.push_back(
          where(survived, gathered, zeros_like(gathered, stream()), stream()));
    } else {
      vjps.push_back(no_gradient(indices, stream()));
    }
  }
  return vjps;
}

std::pair<std::vector<array>, std::vector<int>> PutAlongAxis::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  // The output is batched: an unbatched array is repeated; unbatched
  // indices or values get a leading axis of size 1 (the op broadcasts).
  int batch = detail::batch_size(inputs, axes);
  array a = detail::batch_first(inputs[0], axes[0], batch, true, stream());
  array idx = detail::batch_first(inputs[1], axes[1], batch, false, stream());
  array vals = detail::batch_first(inputs[2], axes[2], batch, false, stream());
  return {{put_along_axis(a, idx, vals, axis_ + 1, stream())}, {0}};
}

std::vector<array> SliceUpdate::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  const array& src = primals[0];
  const array& update = primals[1];
  Shape stop =
      detail::slice_stops(src.shape(), start_, strides_, update.shape());
  array ts = zeros_like(src, stream());
  array tu = zeros(update.shape(), src.dtype(), stream());
  for (size_t i = 0; i < argnums.size(); ++i) {
    (argnums[i] == 0 ? ts : tu) = tangents[i];
  }
  return {slice_update(ts, tu, start_, stop, strides_, stream())};
}

std::vector<array> SliceUpdate::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  const array& src = primals[0];
  const array& update = primals[1];
  const array& c = cotangents[0];
  Shape stop =
      detail::slice_stops(src.shape(), start_, strides_, update.shape());
  std::vector<array> vjps;
  for (int arg : argnums) {
    if (arg == 0) {
      // The overwritten part of src does not reach the output.
      vjps.push_back(slice_update(
          c,
          zeros(update.shape(), c.dtype(), stream()),
          start_,
          stop,
          strides_,
          stream()));
    } else if (issubdtype(update.dtype(), inexact)) {
      vjps.push_back(astype(
          slice(c, start_, stop, strides_, stream()),
          update.dtype(),
          stream()));
    } else {
      vjps.push_back(no_gradient(update, stream()));
    }
  }
  return vjps;
}

std::pair<std::vector<array>, std::vector<int>> SliceUpdate::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  // The output is batched: an unbatched src is repeated, an unbatched
  // update broadcast by the op. The slice spans the whole batch axis.
  int batch = detail::batch_size(inputs, axes);
  array src = detail::batch_first(inputs[0], axes[0], batch, true, stream());
  array update =
      detail::batch_first(inputs[1], axes[1], batch, false, stream());
  Shape in_shape(src.shape().begin() + 1, src.shape().end());
  Shape slice_shape = inputs[1].shape();
  if (axes[1] >= 0) {
    slice_shape.erase(slice_shape.begin() + axes[1]);
  }
  Shape stop = detail::slice_stops(in_shape, start_, strides_, slice_shape);
  Shape start = start_;
  Shape strides = strides_;
  start.insert(start.begin(), 0);
  stop.insert(stop.begin(), batch);
  strides.insert(strides.begin(), 1);
  return {{slice_update(src, update, start, stop, strides, stream())}, {0}};
}

std::vector<array> Diagonal::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return {diagonal(tangents[0], offset_, axis1_, axis2_, stream())};
}

std::vector<array> Diagonal::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  // With axis1 and axis2 moved last and merged, the diagonal is a strided
  // slice (step n2 + 1) of the flat matrices: write the cotangent there.
  const array& a = primals[0];
  const array& c = cotangents[0];
  int nd = static_cast<int>(a.ndim());
  int len = c.shape(-1);
  if (len == 0) {
    return {zeros(a.shape(), c.dtype(), stream())};
  }
  std::vector<int> perm;
  Shape flat_shape;
  for (int d = 0; d < nd; ++d) {
    if (d != axis1_ && d != axis2_) {
      perm.push_back(d);
      flat_shape.push_back(a.shape(d));
    }
  }
  perm.push_back(axis1_);
  perm.push_back(axis2_);
  int64_t n1 = a.shape(axis1_), n2 = a.shape(axis2_);
  int64_t first = offset_ >= 0 ? offset_ : -int64_t{offset_} * n2;
  int64_t step = n2 + 1;
  flat_shape.push_back(static_cast<int32_t>(n1 * n2));
  Shape start(nd - 1, 0);
  Shape stop = flat_shape;
  Shape strides(nd - 1, 1);
  start.back() = static_cast<int32_t>(first);
  stop.back() = static_cast<int32_t>(first + (len - 1) * step + 1);
  strides.back() = static_cast<int32_t>(step);
  array flat = slice_update(
      zeros(flat_shape, c.dtype(), stream()),
      c,
      start,
      stop,
      strides,
      stream());
  Shape matrices(flat_shape.begin(), flat_shape.end() - 1);
  matrices.push_back(static_cast<int32_t>(n1));
  matrices.push_back(static_cast<int32_t>(n2));
  std::vector<int> inverse(nd);
  for (int i = 0; i < nd; ++i) {
    inverse[perm[i]] = i;
  }
  return {transpose(reshape(flat, matrices, stream()), inverse, stream())};
}

std::pair<std::vector<array>, std::vector<int>>
Diagonal::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  // The axes shift past the batch axis, which stays among the leading
  // (kept) axes, moved left by the diagonal axes before it.
  int b = axes[0];
  int ax1 = axis1_ < b ? axis1_ : axis1_ + 1;
  int ax2 = axis2_ < b ? axis2_ : axis2_ + 1;
  int out_axis = b - (ax1 < b) - (ax2 < b);
  return {{diagonal(inputs[0], offset_, ax1, ax2, stream())}, {out_axis}};
}

} // namespace mlx::core
