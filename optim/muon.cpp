#include "mlx/optimizers/muon.h"

#include <algorithm>
#include <cmath>

#include "mlx/ops.h"
#include "mlx/utils.h"

namespace mlx::optimizers {

namespace mx = mlx::core;
using detail::scalar;
using mx::throw_error;

// Coefficients of the quintic iteration from Keller Jordan's Muon write-up
// (the values MLX uses): chosen to maximise the slope at zero.
constexpr double kNewtonSchulzA = 3.4445;
constexpr double kNewtonSchulzB = -4.7750;
constexpr double kNewtonSchulzC = 2.0315;
// Keeps the normalisation finite for an all-zero update.
constexpr double kNormEps = 1e-7;

array newton_schulz(const array& x, int steps) {
  if (x.ndim() != 2) {
    throw_error(
        "[newton_schulz] Expected a 2-D array, got ", x.ndim(), " dims.");
  }
  auto dtype = x.dtype();
  bool transposed = x.shape(0) > x.shape(1);
  array X = transposed ? mx::transpose(x) : x;
  X = X / (mx::sqrt(mx::sum(mx::square(X), true)) + scalar(kNormEps, dtype));
  auto a = scalar(kNewtonSchulzA, dtype);
  auto b = scalar(kNewtonSchulzB, dtype);
  for (int i = 0; i < steps; ++i) {
    auto A = mx::matmul(X, mx::transpose(X));
    auto B = mx::addmm(b * A, A, A, static_cast<float>(kNewtonSchulzC), 1.0f);
    X = mx::addmm(a * X, B, X, 1.0f, 1.0f);
  }
  return transposed ? mx::transpose(X) : X;
}

Muon::Muon(
    ScalarOrSchedule learning_rate,
    double momentum,
    double weight_decay,
    bool nesterov,
    int ns_steps)
    : momentum(momentum), weight_decay(weight_decay), nesterov(nesterov),
      ns_steps(ns_steps) {
  if (ns_steps < 0) {
    throw_error(
        "[Muon] ns_steps should be >= 0, ", ns_steps, " was provided instead.");
  }
  maybe_schedule("learning_rate", learning_rate);
}

void Muon::init_single(const array& parameter, Tree& state) {
  state["v"] = Tree(mx::zeros_like(parameter));
}

array Muon::apply_single(const array& g, const array& parameter, Tree& state) {
  auto dtype = g.dtype();
  array gradient = g;
  if (weight_decay != 0) {
    gradient = gradient + scalar(weight_decay, dtype) * parameter;
  }
  auto mu = scalar(momentum, dtype);
  auto one_minus_mu = scalar(1.0 - momentum, dtype);
  auto v = mu * state.at("v").as_array() + one_minus_mu * gradient;
  state["v"] = Tree(v);
  array update = nesterov ? gradient * one_minus_mu + v * mu : v;

  auto lr = hyper_parameter("learning_rate", dtype);
  if (update.ndim() >= 2) {
    auto shape = update.shape();
    update = mx::reshape(update, {shape[0], -1});
    update = mx::reshape(newton_schulz(update, ns_steps), shape);
    // MLX scales with the last two dims of the parameter's own shape.
    double rows = shape[shape.size() - 2];
    double cols = shape.back();
    double ratio = cols > 0 ? std::max(1.0, rows / cols) : 1.0;
    lr = lr * scalar(std::sqrt(ratio), dtype);
  }
  return parameter - lr * update;
}

} // namespace mlx::optimizers
