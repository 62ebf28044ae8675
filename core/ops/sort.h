// Sorting, partitioning and top-k along an axis, or over the flattened array
// when no axis is given. NaNs order after every number (NumPy's order);
// complex numbers order lexicographically (real part, then imaginary).
#pragma once

#include <string>

#include "mlx/array.h"
#include "mlx/stream.h"

namespace mlx::core {

/** Sorted copy of the flattened array (stable). */
array sort(const array& a, StreamOrDevice s = {});
/** Sorted copy along `axis` (stable). */
array sort(const array& a, int axis, StreamOrDevice s = {});

/** uint32 indices that sort the flattened array; ties keep their order. */
array argsort(const array& a, StreamOrDevice s = {});
/** uint32 indices that sort along `axis`; ties keep their order. */
array argsort(const array& a, int axis, StreamOrDevice s = {});

/** Copy in which element `kth` (negative counts from the end) is in its
 * sorted position, elements before it are <= it and elements after >= it;
 * the order inside each side is unspecified. */
array partition(const array& a, int kth, StreamOrDevice s = {});
array partition(const array& a, int kth, int axis, StreamOrDevice s = {});

/** uint32 indices that partition as `partition` does. */
array argpartition(const array& a, int kth, StreamOrDevice s = {});
array argpartition(const array& a, int kth, int axis, StreamOrDevice s = {});

/** The k largest elements (0 <= k <= size of the axis). MLX leaves their
 * order unspecified; here they come in ascending order along the axis. */
array topk(const array& a, int k, StreamOrDevice s = {});
array topk(const array& a, int k, int axis, StreamOrDevice s = {});

/** Indices (uint32) where `values` would be inserted into the 1-D, sorted
 * `sorted_sequence` to keep it sorted; side "left" gives the first such
 * position, "right" the last (NumPy's searchsorted). */
array searchsorted(
    const array& sorted_sequence,
    const array& values,
    const std::string& side = "left",
    StreamOrDevice s = {});

} // namespace mlx::core
