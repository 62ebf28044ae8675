// Scatter ops: accumulate values into an array at index positions.
#pragma once

#include "mlx/array.h"
#include "mlx/stream.h"

namespace mlx::core {

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
