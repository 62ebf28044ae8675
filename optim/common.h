// The common optimizers of mlx.optimizers, with MLX's parameters,
// defaults, update formulas and state entries (see each class).
//
// Constants combine with a parameter in its own dtype (as MLX's Python
// scalars do), so a float16 model stays float16. Bad settings raise
// std::invalid_argument("[Name] ...") naming the value.
#pragma once

#include <array>

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

/** v = v + g^2 (state "v"); w = w - lr g / (sqrt(v) + eps). */
class Adagrad : public Optimizer {
public:
  explicit Adagrad(ScalarOrSchedule learning_rate, double eps = 1e-8);
  std::string name() const override { return "Adagrad"; }

  double eps;

protected:
  void init_single(const array& parameter, Tree& state) override;
  array apply_single(
      const array& gradient, const array& parameter, Tree& state) override;
};

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
