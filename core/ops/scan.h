// Cumulative reductions along an axis, or over the flattened array when no
// axis is given. `reverse` scans from the end; `inclusive = false` makes
// element i combine elements before i only (the first gets the identity).
#pragma once

#include <optional>

#include "mlx/array.h"
#include "mlx/stream.h"

namespace mlx::core {

#define MLX_SCAN(name)                                                         \
  array name(                                                                  \
      const array& a,                                                          \
      bool reverse = false,                                                    \
      bool inclusive = true,                                                   \
      StreamOrDevice s = {});                                                  \
  array name(                                                                  \
      const array& a,                                                          \
      int axis,                                                                \
      bool reverse = false,                                                    \
      bool inclusive = true,                                                   \
      StreamOrDevice s = {});

/** Cumulative sum; bool gives int32, other dtypes keep theirs. */
MLX_SCAN(cumsum)
/** Cumulative product; bool gives int32, other dtypes keep theirs. */
MLX_SCAN(cumprod)
/** Cumulative maximum (a NaN propagates forward, as NumPy). */
MLX_SCAN(cummax)
/** Cumulative minimum (a NaN propagates forward, as NumPy). */
MLX_SCAN(cummin)
/** Cumulative log(sum(exp(a))), computed stably; bool and integers give
 * float32; complex is not supported. */
MLX_SCAN(logcumsumexp)
#undef MLX_SCAN

/** cumsum / cumprod computed in `dtype` (a's dtype when absent). */
array cumsum(
    const array& a,
    bool reverse,
    bool inclusive,
    std::optional<Dtype> dtype,
    StreamOrDevice s = {});
array cumsum(
    const array& a,
    int axis,
    bool reverse,
    bool inclusive,
    std::optional<Dtype> dtype,
    StreamOrDevice s = {});
array cumprod(
    const array& a,
    bool reverse,
    bool inclusive,
    std::optional<Dtype> dtype,
    StreamOrDevice s = {});
array cumprod(
    const array& a,
    int axis,
    bool reverse,
    bool inclusive,
    std::optional<Dtype> dtype,
    StreamOrDevice s = {});

} // namespace mlx::core
