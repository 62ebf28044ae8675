// AdaDelta (mlx.optimizers.AdaDelta).
//
// Constants combine with a parameter in its own dtype (as MLX's Python
// scalars do), so a float16 model stays float16. Bad settings raise
// std::invalid_argument("[Name] ...") naming the value.
#pragma once

#include "mlx/optimizers/optimizer.h"

namespace mlx::optimizers {

/**
 * v = rho v + (1 - rho) g^2; d = sqrt(u + eps) / sqrt(v + eps) g;
 * u = rho u + (1 - rho) d^2 (state "v", "u"); w = w - lr d.
 */
class AdaDelta : public Optimizer {
public:
  explicit AdaDelta(
      ScalarOrSchedule learning_rate, double rho = 0.9, double eps = 1e-6);
  std::string name() const override { return "AdaDelta"; }

  double rho;
  double eps;

protected:
  void init_single(const array& parameter, Tree& state) override;
  array apply_single(
      const array& gradient, const array& parameter, Tree& state) override;
};

} // namespace mlx::optimizers
