// Helpers shared by the transform rules of the layout, indexing, join and
// scatter primitives (not part of the public API).
#pragma once

#include "mlx/ops.h"

namespace mlx::core::detail {

/** Stop bounds that make slice() reproduce a normalized slice (start,
 * strides) of `in_shape` with `out_shape` elements: a negative-step slice
 * that runs through index 0 gets a stop below -n, since -1 would count
 * from the end. */
inline Shape slice_stops(
    const Shape& in_shape,
    const Shape& start,
    const Shape& strides,
    const Shape& out_shape) {
  Shape stop(in_shape.size());
  for (size_t i = 0; i < in_shape.size(); ++i) {
    int64_t len = out_shape[i];
    int64_t step = strides[i];
    int64_t e =
        len == 0 ? start[i] : start[i] + (len - 1) * step + (step > 0 ? 1 : -1);
    stop[i] = static_cast<int32_t>(e < 0 ? -int64_t{in_shape[i]} - 1 : e);
  }
  return stop;
}

/** `x` with its batch axis `axis` moved to the front. An unbatched `x`
 * (axis -1) gets a leading axis: of size `batch` (a broadcast) when
 * `repeat`, else of size 1 (for ops that broadcast it themselves). */
inline array
batch_first(const array& x, int axis, int batch, bool repeat, Stream s) {
  if (axis > 0) {
    return moveaxis(x, axis, 0, s);
  }
  if (axis == 0) {
    return x;
  }
  array expanded = expand_dims(x, 0, s);
  if (!repeat) {
    return expanded;
  }
  Shape shape = expanded.shape();
  shape[0] = batch;
  return broadcast_to(expanded, shape, s);
}

/** The batch size of the batched inputs (axes[i] != -1). */
inline int
batch_size(const std::vector<array>& inputs, const std::vector<int>& axes) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (axes[i] >= 0) {
      return inputs[i].shape(axes[i]);
    }
  }
  return 1;
}

} // namespace mlx::core::detail
