// Stochastic gradient descent (mlx.optimizers.SGD).
//
// Constants combine with a parameter in its own dtype (as MLX's Python
// scalars do), so a float16 model stays float16. Bad settings raise
// std::invalid_argument("[Name] ...") naming the value.
#pragma once

#include "mlx/optimizers/optimizer.h"

namespace mlx::optimizers {

/**
 * Stochastic gradient descent, optionally with momentum:
 *   g' = g + weight_decay w
 *   v  = momentum v + (1 - dampening) g'      (state "v")
 *   w  = w - lr (nesterov ? g' + momentum v : v)
 * Without momentum (momentum <= 0), w = w - lr g'. Nesterov needs
 * momentum > 0 and dampening == 0.
 */
class SGD : public Optimizer {
public:
  explicit SGD(
      ScalarOrSchedule learning_rate,
      double momentum = 0.0,
      double weight_decay = 0.0,
      double dampening = 0.0,
      bool nesterov = false);
  std::string name() const override { return "SGD"; }

  double momentum;
  double weight_decay;
  double dampening;
  bool nesterov;

protected:
  void init_single(const array& parameter, Tree& state) override;
  array apply_single(
      const array& gradient, const array& parameter, Tree& state) override;
};

} // namespace mlx::optimizers
