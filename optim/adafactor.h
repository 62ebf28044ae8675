// Adafactor (Shazeer & Stern, 2018) with the options of
// mlx.optimizers.Adafactor.
#pragma once

#include <array>
#include <optional>

#include "mlx/optimizers/optimizer.h"

namespace mlx::optimizers {

/**
 * Adafactor: second-moment estimates factored into row and column running
 * means for parameters with >= 2 dims (state "exp_avg_sq_row" of shape
 * shape[:-1], "exp_avg_sq_col" of shape shape[:-2] + shape[-1:]), a full
 * running mean otherwise ("exp_avg_sq"); "exp_avg" when beta_1 is set.
 *
 * With t the step (after the increment) and RMS(x) = sqrt(mean(x^2)):
 *   rho  = relative_step ? min(warmup_init ? 1e-6 t : 1e-2, 1/sqrt(t))
 *                        : learning_rate
 *   lr   = rho * (scale_parameter ? max(eps[1], RMS(w)) : 1)
 *   b2   = 1 - t^decay_rate;  G = g^2 + eps[0]
 *   row  = b2 row + (1 - b2) mean(G, -1); col = b2 col + (1 - b2) mean(G, -2)
 *   u    = g / sqrt(row / mean(row, -1)) outer sqrt(col)   (factored)
 *        = g / sqrt(v), v = b2 v + (1 - b2) G              (otherwise)
 *   u    = lr u / max(1, RMS(u) / clip_threshold)
 *   u    = exp_avg = beta_1 exp_avg + (1 - beta_1) u       (with beta_1)
 *   w    = w - weight_decay lr w - u
 * The learning rate is used (and kept in the state) only when given;
 * relative_step = false requires it.
 */
class Adafactor : public Optimizer {
public:
  explicit Adafactor(
      std::optional<ScalarOrSchedule> learning_rate = std::nullopt,
      std::array<double, 2> eps = {1e-30, 1e-3},
      double clip_threshold = 1.0,
      double decay_rate = -0.8,
      std::optional<double> beta_1 = std::nullopt,
      double weight_decay = 0.0,
      bool scale_parameter = true,
      bool relative_step = true,
      bool warmup_init = false);
  std::string name() const override { return "Adafactor"; }

  std::array<double, 2> eps;
  double clip_threshold;
  double decay_rate;
  std::optional<double> beta_1;
  double weight_decay;
  bool scale_parameter;
  bool relative_step;
  bool warmup_init;

protected:
  void init_single(const array& parameter, Tree& state) override;
  array apply_single(
      const array& gradient, const array& parameter, Tree& state) override;
};

} // namespace mlx::optimizers
