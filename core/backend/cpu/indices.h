// Index arrays as the CPU kernels use them.
#pragma once

#include <cstdint>
#include <vector>

#include "mlx/array.h"

namespace mlx::core::cpu {

/** The indices mapped into [0, n) the NumPy way (negative ones count from
 * the end), in row-major order; throws std::invalid_argument naming `op`,
 * the index and the axis for one out of range or a non-integer dtype. */
std::vector<int64_t>
wrapped_indices(const array& idx, int64_t n, int axis, const char* op);

} // namespace mlx::core::cpu
