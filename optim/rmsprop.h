// RMSprop (mlx.optimizers.RMSprop).
//
// Constants combine with a parameter in its own dtype (as MLX's Python
// scalars do), so a float16 model stays float16. Bad settings raise
// std::invalid_argument("[Name] ...") naming the value.
#pragma once

#include "mlx/optimizers/optimizer.h"

namespace mlx::optimizers {

/** v = alpha v + (1 - alpha) g^2 (state "v"); w = w - lr g / (sqrt(v) + eps).
 */
class RMSprop : public Optimizer {
public:
  explicit RMSprop(
      ScalarOrSchedule learning_rate, double alpha = 0.99, double eps = 1e-8);
  std::string name() const override { return "RMSprop"; }

  double alpha;
  double eps;

protected:
  void init_single(const array& parameter, Tree& state) override;
  array apply_single(
      const array& gradient, const array& parameter, Tree& state) override;
};

} // namespace mlx::optimizers
