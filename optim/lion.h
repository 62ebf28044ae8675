// Lion (mlx.optimizers.Lion).
//
// Constants combine with a parameter in its own dtype (as MLX's Python
// scalars do), so a float16 model stays float16. Bad settings raise
// std::invalid_argument("[Name] ...") naming the value.
#pragma once

#include <array>

#include "mlx/optimizers/optimizer.h"

namespace mlx::optimizers {

/**
 * c = b1 m + (1 - b1) g; m = b2 m + (1 - b2) g (state "m");
 * w = w (1 - lr weight_decay) - lr sign(c).
 */
class Lion : public Optimizer {
public:
  explicit Lion(
      ScalarOrSchedule learning_rate,
      std::array<double, 2> betas = {0.9, 0.99},
      double weight_decay = 0.0);
  std::string name() const override { return "Lion"; }

  std::array<double, 2> betas;
  double weight_decay;

protected:
  void init_single(const array& parameter, Tree& state) override;
  array apply_single(
      const array& gradient, const array& parameter, Tree& state) override;
};

} // namespace mlx::optimizers
