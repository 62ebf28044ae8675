// Adamax (mlx.optimizers.Adamax).
//
// Constants combine with a parameter in its own dtype (as MLX's Python
// scalars do), so a float16 model stays float16. Bad settings raise
// std::invalid_argument("[Name] ...") naming the value.
#pragma once

#include <array>

#include "mlx/optimizers/optimizer.h"

namespace mlx::optimizers {

/**
 * m = b1 m + (1 - b1) g; v = max(b2 v, |g|) (state "m", "v");
 * w = w - lr m / (v + eps).
 */
class Adamax : public Optimizer {
public:
  explicit Adamax(
      ScalarOrSchedule learning_rate,
      std::array<double, 2> betas = {0.9, 0.999},
      double eps = 1e-8);
  std::string name() const override { return "Adamax"; }

  std::array<double, 2> betas;
  double eps;

protected:
  void init_single(const array& parameter, Tree& state) override;
  array apply_single(
      const array& gradient, const array& parameter, Tree& state) override;
};

} // namespace mlx::optimizers
