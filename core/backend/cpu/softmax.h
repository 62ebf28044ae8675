// The softmax of one contiguous row, shared by the Softmax primitive and the
// attention kernels (forward and backward).
#pragma once

#include <cstdint>

namespace mlx::core::cpu {

/** In place: row[j] = exp(row[j] - m) / sum, m the row's max (0 when the
 * max is infinite, as the composed softmax does). A `sink` logit, when
 * given, takes part in the max and the sum only. */
void softmax_row(float* row, int64_t n, const float* sink = nullptr);
void softmax_row(double* row, int64_t n, const double* sink = nullptr);

} // namespace mlx::core::cpu
