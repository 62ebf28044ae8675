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

/** The slice of `a` of size `slice_size[k]` along `axes[k]` from
 * start[k] (a 1-D integer array, one start per axis; whole dims elsewhere):
 * a gather, so the starts may be computed lazily. A slice that does not fit
 * raises when evaluated. */
array slice(
    const array& a,
    const array& start,
    std::vector<int> axes,
    Shape slice_size,
    StreamOrDevice s = {});

/** A copy of `src` with `update` written at start[k] along `axes[k]`; the
 * slice's size is the update's shape (broadcast to src's rank). */
array slice_update(
    const array& src,
    const array& update,
    const array& start,
    std::vector<int> axes,
    StreamOrDevice s = {});

/** MLX's `a.at[indices]`: index arrays for a's leading axes (broadcast
 * together to a shape I) select a[indices] of shape I + a.shape[n:], and
 * each method returns a copy of `a` with `updates` (broadcast to that shape)
 * combined in. Unlike a[indices] = ..., duplicate indices accumulate. */
class ArrayAt {
public:
  ArrayAt(array a, std::vector<array> indices);
  array add(const array& updates, StreamOrDevice s = {}) const;
  array subtract(const array& updates, StreamOrDevice s = {}) const;
  array multiply(const array& updates, StreamOrDevice s = {}) const;
  array divide(const array& updates, StreamOrDevice s = {}) const;
  array maximum(const array& updates, StreamOrDevice s = {}) const;
  array minimum(const array& updates, StreamOrDevice s = {}) const;

private:
  // The updates in scatter's layout: I + (1,) * n + a.shape[n:].
  array
  scatter_updates(const array& updates, const char* op, StreamOrDevice s) const;
  std::vector<int> axes() const;

  array a_;
  std::vector<array> indices_;
};

/** `a.at[indices]`, e.g. at(a, idx).add(v) is np.add.at(a, idx, v). */
ArrayAt at(const array& a, const array& indices);
ArrayAt at(const array& a, std::vector<array> indices);

} // namespace mlx::core
