// Global gradient-norm clipping, as mlx.optimizers.clip_grad_norm.
#pragma once

#include <utility>

#include "mlx/optimizers/optimizer.h"

namespace mlx::optimizers {

/**
 * The gradients scaled by max_norm / (total_norm + 1e-6) when their global
 * norm total_norm = sqrt(sum of all squared entries) is at least max_norm,
 * unchanged otherwise; and total_norm (a scalar, float32 for float32 or
 * half gradients). The clipped gradients keep their dtypes.
 */
std::pair<Tree, array> clip_grad_norm(const Tree& grads, double max_norm);

} // namespace mlx::optimizers
