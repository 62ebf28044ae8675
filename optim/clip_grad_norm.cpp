#include "mlx/optimizers/clip_grad_norm.h"

#include "mlx/ops.h"

namespace mlx::optimizers {

namespace mx = mlx::core;

// Added to the norm before dividing by it (MLX's value).
constexpr float kClipEps = 1e-6f;

std::pair<Tree, array> clip_grad_norm(const Tree& grads, double max_norm) {
  auto norm_squared = mlx::utils::tree_reduce<array>(
      [](array acc, const array& g) {
        return mx::add(acc, mx::sum(mx::square(g)));
      },
      grads,
      array(0.0f));
  auto total_norm = mx::sqrt(norm_squared);
  auto max_norm_array = array(static_cast<float>(max_norm));
  auto normalizer = max_norm_array / (total_norm + array(kClipEps));
  auto keep = mx::less(total_norm, max_norm_array);
  auto clipped = mlx::utils::tree_map(
      [&](const array& g) {
        return mx::where(keep, g, g * mx::astype(normalizer, g.dtype()));
      },
      grads);
  return {clipped, total_norm};
}

} // namespace mlx::optimizers
