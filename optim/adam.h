// Adam and AdamW (mlx.optimizers.Adam, mlx.optimizers.AdamW).
//
// Constants combine with a parameter in its own dtype (as MLX's Python
// scalars do), so a float16 model stays float16. Bad settings raise
// std::invalid_argument("[Name] ...") naming the value.
#pragma once

#include <array>

#include "mlx/optimizers/optimizer.h"

namespace mlx::optimizers {

/**
 * m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2 (state "m", "v");
 * w = w - lr m / (sqrt(v) + eps), or with bias_correction (t = step, after
 * the increment) w = w - lr / (1 - b1^t) m / (sqrt(v) / sqrt(1 - b2^t) + eps).
 */
class Adam : public Optimizer {
public:
  explicit Adam(
      ScalarOrSchedule learning_rate,
      std::array<double, 2> betas = {0.9, 0.999},
      double eps = 1e-8,
      bool bias_correction = false);
  std::string name() const override { return "Adam"; }

  std::array<double, 2> betas;
  double eps;
  bool bias_correction;

protected:
  // For subclasses: errors in the settings name `checked_as`.
  Adam(
      const char* checked_as,
      ScalarOrSchedule learning_rate,
      std::array<double, 2> betas,
      double eps,
      bool bias_correction);
  void init_single(const array& parameter, Tree& state) override;
  array apply_single(
      const array& gradient, const array& parameter, Tree& state) override;
};

/** Adam applied to w (1 - lr weight_decay) (decoupled weight decay). */
class AdamW : public Adam {
public:
  explicit AdamW(
      ScalarOrSchedule learning_rate,
      std::array<double, 2> betas = {0.9, 0.999},
      double eps = 1e-8,
      double weight_decay = 0.01,
      bool bias_correction = false);
  std::string name() const override { return "AdamW"; }

  double weight_decay;

protected:
  array apply_single(
      const array& gradient, const array& parameter, Tree& state) override;
};

} // namespace mlx::optimizers
