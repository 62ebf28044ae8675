// Muon (MomentUm Orthogonalized by Newton-Schulz), as mlx.optimizers.Muon.
#pragma once

#include "mlx/optimizers/optimizer.h"

namespace mlx::optimizers {

/**
 * Muon: SGD with momentum whose update is orthogonalised for parameters
 * with >= 2 dims.
 *   g' = g + weight_decay w
 *   v  = momentum v + (1 - momentum) g'                       (state "v")
 *   u  = nesterov ? (1 - momentum) g' + momentum v : v
 * For >= 2 dims, u is reshaped to (shape[0], -1), replaced by ns_steps
 * quintic Newton-Schulz iterations (newton_schulz below), reshaped back,
 * and the learning rate scaled by sqrt(max(1, shape[-2] / shape[-1])) of
 * the parameter's shape (MLX's rule, also for > 2 dims). 0-D and 1-D
 * parameters take the plain momentum update w = w - lr u.
 */
class Muon : public Optimizer {
public:
  explicit Muon(
      ScalarOrSchedule learning_rate,
      double momentum = 0.95,
      double weight_decay = 0.01,
      bool nesterov = true,
      int ns_steps = 5);
  std::string name() const override { return "Muon"; }

  double momentum;
  double weight_decay;
  bool nesterov;
  int ns_steps;

protected:
  void init_single(const array& parameter, Tree& state) override;
  array apply_single(
      const array& gradient, const array& parameter, Tree& state) override;
};

/**
 * Approximately orthogonalises the matrix `x` (its singular values pushed
 * towards 1): X = x / (||x||_F + 1e-7), transposed when it has more rows
 * than columns, then `steps` times A = X X^T, X = a X + (b A + c A A) X
 * with (a, b, c) = (3.4445, -4.7750, 2.0315), transposed back.
 */
array newton_schulz(const array& x, int steps);

} // namespace mlx::optimizers
