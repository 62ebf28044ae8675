// MLX's general gather and scatter: slices of `a` at the positions given by
// one index array per axis in `axes` (the index arrays broadcast together
// to a shape I). Negative indices count from the end; out-of-range ones
// raise std::invalid_argument when the result is evaluated.
#pragma once

#include <vector>

#include "mlx/array.h"
#include "mlx/stream.h"

namespace mlx::core {

/** Slices of size `slice_sizes` (one per dim of `a`) starting at the
 * indexed positions (0 along dims not in `axes`): shape I + slice_sizes. */
array gather(
    const array& a,
    const std::vector<array>& indices,
    const std::vector<int>& axes,
    const Shape& slice_sizes,
    StreamOrDevice s = {});
inline array gather(
    const array& a,
    const array& indices,
    int axis,
    const Shape& slice_sizes,
    StreamOrDevice s = {}) {
  return gather(a, {indices}, std::vector<int>{axis}, slice_sizes, s);
}

/** A copy of `a` with `updates` (shape I + a slice shape of a.ndim() dims;
 * its leading dims broadcast to I) written at the indexed slices. With
 * duplicate indices scatter keeps one of the updates; the reductions
 * combine all of them: add, multiply, maximum, minimum. */
#define MLX_SCATTER_OP(name)                                                   \
  array name(                                                                  \
      const array& a,                                                          \
      const std::vector<array>& indices,                                       \
      const array& updates,                                                    \
      const std::vector<int>& axes,                                            \
      StreamOrDevice s = {});                                                  \
  inline array name(                                                           \
      const array& a,                                                          \
      const array& indices,                                                    \
      const array& updates,                                                    \
      int axis,                                                                \
      StreamOrDevice s = {}) {                                                 \
    return name(a, {indices}, updates, std::vector<int>{axis}, s);             \
  }

MLX_SCATTER_OP(scatter)
MLX_SCATTER_OP(scatter_add)
MLX_SCATTER_OP(scatter_prod)
MLX_SCATTER_OP(scatter_max)
MLX_SCATTER_OP(scatter_min)
#undef MLX_SCATTER_OP

} // namespace mlx::core
