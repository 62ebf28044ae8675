// Reductions over any set of axes (all axes when none are given).
#pragma once

#include "mlx/array.h"
#include "mlx/stream.h"

namespace mlx::core {

#define MLX_REDUCTION(name)                                                    \
  array name(const array& a, bool keepdims, StreamOrDevice s = {});            \
  inline array name(const array& a, StreamOrDevice s = {}) {                   \
    return name(a, false, s);                                                  \
  }                                                                            \
  array name(                                                                  \
      const array& a,                                                          \
      const std::vector<int>& axes,                                            \
      bool keepdims = false,                                                   \
      StreamOrDevice s = {});                                                  \
  array name(                                                                  \
      const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});

/** True if all (any) elements are true / non-zero. */
MLX_REDUCTION(all)
MLX_REDUCTION(any)
/** Sum; bool sums to int32, other dtypes keep theirs. */
MLX_REDUCTION(sum)
MLX_REDUCTION(prod)
MLX_REDUCTION(max)
MLX_REDUCTION(min)
/** Mean; integers give float32. */
MLX_REDUCTION(mean)
/** log(sum(exp(a))), computed stably. */
MLX_REDUCTION(logsumexp)
#undef MLX_REDUCTION

/** The number of elements of `a` over `axes` (its inverse when
 * `inverted`), as a scalar of `dtype`. */
array number_of_elements(
    const array& a,
    std::vector<int> axes,
    bool inverted,
    Dtype dtype = int32,
    StreamOrDevice s = {});

/** Number of non-zero (true) elements, as uint32. */
array count_nonzero(
    const array& a, bool keepdims = false, StreamOrDevice s = {});
array count_nonzero(
    const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});
array count_nonzero(
    const array& a,
    const std::vector<int>& axes,
    bool keepdims = false,
    StreamOrDevice s = {});

/** Median (the mean of the two middle values for even counts); NaN
 * propagates. Integers give float32. */
array median(const array& a, bool keepdims, StreamOrDevice s = {});
inline array median(const array& a, StreamOrDevice s = {}) {
  return median(a, false, s);
}
array median(
    const array& a,
    const std::vector<int>& axes,
    bool keepdims = false,
    StreamOrDevice s = {});
array median(
    const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});

/** Variance with `ddof` delta degrees of freedom. */
array var(const array& a, bool keepdims, int ddof = 0, StreamOrDevice s = {});
inline array var(const array& a, StreamOrDevice s = {}) {
  return var(a, false, 0, s);
}
array var(
    const array& a,
    const std::vector<int>& axes,
    bool keepdims = false,
    int ddof = 0,
    StreamOrDevice s = {});
array var(
    const array& a,
    int axis,
    bool keepdims = false,
    int ddof = 0,
    StreamOrDevice s = {});

/** Standard deviation: sqrt(var). */
array std(const array& a, bool keepdims, int ddof = 0, StreamOrDevice s = {});
inline array std(const array& a, StreamOrDevice s = {}) {
  return std(a, false, 0, s);
}
array std(
    const array& a,
    const std::vector<int>& axes,
    bool keepdims = false,
    int ddof = 0,
    StreamOrDevice s = {});
array std(
    const array& a,
    int axis,
    bool keepdims = false,
    int ddof = 0,
    StreamOrDevice s = {});

/** Index (uint32) of the first maximum / minimum, over the flattened array
 * or along an axis. */
array argmax(const array& a, bool keepdims, StreamOrDevice s = {});
inline array argmax(const array& a, StreamOrDevice s = {}) {
  return argmax(a, false, s);
}
array argmax(
    const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});
array argmin(const array& a, bool keepdims, StreamOrDevice s = {});
inline array argmin(const array& a, StreamOrDevice s = {}) {
  return argmin(a, false, s);
}
array argmin(
    const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});

/** exp(a) / sum(exp(a)) over the axes, computed stably; `precise`
 * accumulates float16/bfloat16 inputs in float32. */
array softmax(
    const array& a,
    const std::vector<int>& axes,
    bool precise = false,
    StreamOrDevice s = {});
array softmax(const array& a, bool precise = false, StreamOrDevice s = {});
array softmax(
    const array& a, int axis, bool precise = false, StreamOrDevice s = {});

} // namespace mlx::core
