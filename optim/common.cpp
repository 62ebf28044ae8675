#include "mlx/optimizers/common.h"

#include "mlx/compile.h"
#include "mlx/ops.h"
#include "mlx/utils.h"

namespace mlx::optimizers {

namespace mx = mlx::core;
using detail::scalar;
using mx::throw_error;

namespace {

void check_non_negative(const char* opt, const char* what, double value) {
  if (value < 0.0) {
    throw_error(
        "[",
        opt,
        "] ",
        what,
        " should be >= 0, ",
        value,
        " was provided instead.");
  }
}

void check_betas(const char* opt, const std::array<double, 2>& betas) {
  for (double b : betas) {
    if (!(b >= 0.0 && b < 1.0)) {
      throw_error(
          "[",
          opt,
          "] betas should be in [0, 1), (",
          betas[0],
          ", ",
          betas[1],
          ") was provided instead.");
    }
  }
}

const array& state_array(const Tree& state, const char* key) {
  return state.at(key).as_array();
}

} // namespace

// ---- SGD

SGD::SGD(
    ScalarOrSchedule learning_rate,
    double momentum,
    double weight_decay,
    double dampening,
    bool nesterov)
    : momentum(momentum), weight_decay(weight_decay), dampening(dampening),
      nesterov(nesterov) {
  if (nesterov && (momentum <= 0 || dampening != 0)) {
    throw_error(
        "[SGD] Nesterov momentum requires a momentum and zero dampening, got "
        "momentum=",
        momentum,
        ", dampening=",
        dampening,
        ".");
  }
  maybe_schedule("learning_rate", learning_rate);
}

void SGD::init_single(const array& parameter, Tree& state) {
  state["v"] = Tree(mx::zeros_like(parameter));
}

array SGD::apply_single(const array& g, const array& parameter, Tree& state) {
  auto dtype = g.dtype();
  array gradient = g;
  if (weight_decay != 0) {
    gradient = gradient + scalar(weight_decay, dtype) * parameter;
  }
  auto lr = hyper_parameter("learning_rate", dtype);
  if (momentum <= 0) {
    return parameter - lr * gradient;
  }
  auto mu = scalar(momentum, dtype);
  array v = mu * state_array(state, "v");
  if (dampening > 0) {
    v = v + scalar(1.0 - dampening, dtype) * gradient;
  } else {
    v = v + gradient;
  }
  state["v"] = Tree(v);
  auto update = nesterov ? gradient + mu * v : v;
  return parameter - lr * update;
}

// ---- RMSprop

RMSprop::RMSprop(ScalarOrSchedule learning_rate, double alpha, double eps)
    : alpha(alpha), eps(eps) {
  check_non_negative("RMSprop", "alpha", alpha);
  check_non_negative("RMSprop", "eps", eps);
  maybe_schedule("learning_rate", learning_rate);
}

void RMSprop::init_single(const array& parameter, Tree& state) {
  state["v"] = Tree(mx::zeros_like(parameter));
}

array RMSprop::apply_single(
    const array& g, const array& parameter, Tree& state) {
  auto dtype = g.dtype();
  auto lr = hyper_parameter("learning_rate", dtype);
  auto v = scalar(alpha, dtype) * state_array(state, "v") +
           scalar(1.0 - alpha, dtype) * mx::square(g);
  state["v"] = Tree(v);
  return parameter - lr * g / (mx::sqrt(v) + scalar(eps, dtype));
}

// ---- Adagrad

Adagrad::Adagrad(ScalarOrSchedule learning_rate, double eps) : eps(eps) {
  check_non_negative("Adagrad", "eps", eps);
  maybe_schedule("learning_rate", learning_rate);
}

void Adagrad::init_single(const array& parameter, Tree& state) {
  state["v"] = Tree(mx::zeros_like(parameter));
}

array Adagrad::apply_single(
    const array& g, const array& parameter, Tree& state) {
  auto dtype = g.dtype();
  auto lr = hyper_parameter("learning_rate", dtype);
  auto v = state_array(state, "v") + mx::square(g);
  state["v"] = Tree(v);
  return parameter - lr * g / (mx::sqrt(v) + scalar(eps, dtype));
}

// ---- AdaDelta

AdaDelta::AdaDelta(ScalarOrSchedule learning_rate, double rho, double eps)
    : rho(rho), eps(eps) {
  check_non_negative("AdaDelta", "rho", rho);
  check_non_negative("AdaDelta", "eps", eps);
  maybe_schedule("learning_rate", learning_rate);
}

void AdaDelta::init_single(const array& parameter, Tree& state) {
  state["v"] = Tree(mx::zeros_like(parameter));
  state["u"] = Tree(mx::zeros_like(parameter));
}

array AdaDelta::apply_single(
    const array& g, const array& parameter, Tree& state) {
  auto dtype = g.dtype();
  auto lr = hyper_parameter("learning_rate", dtype);
  auto r = scalar(rho, dtype);
  auto one_minus_r = scalar(1.0 - rho, dtype);
  auto e = scalar(eps, dtype);
  auto v = r * state_array(state, "v") + one_minus_r * mx::square(g);
  auto d = mx::sqrt(state_array(state, "u") + e) / mx::sqrt(v + e) * g;
  auto u = r * state_array(state, "u") + one_minus_r * mx::square(d);
  state["v"] = Tree(v);
  state["u"] = Tree(u);
  return parameter - lr * d;
}

// ---- Adam, AdamW

Adam::Adam(
    ScalarOrSchedule learning_rate,
    std::array<double, 2> betas,
    double eps,
    bool bias_correction)
    : Adam("Adam", std::move(learning_rate), betas, eps, bias_correction) {}

Adam::Adam(
    const char* checked_as,
    ScalarOrSchedule learning_rate,
    std::array<double, 2> betas,
    double eps,
    bool bias_correction)
    : betas(betas), eps(eps), bias_correction(bias_correction) {
  check_betas(checked_as, betas);
  check_non_negative(checked_as, "eps", eps);
  maybe_schedule("learning_rate", learning_rate);
}

void Adam::init_single(const array& parameter, Tree& state) {
  state["m"] = Tree(mx::zeros_like(parameter));
  state["v"] = Tree(mx::zeros_like(parameter));
}

namespace {

// Adam's step without bias correction as one compiled graph: the
// element-wise chain fuses into a few passes over the parameter instead of
// a kernel (and a temporary) per op. Inputs: g, w, m, v, lr, b1, 1 - b1,
// b2, 1 - b2, eps; outputs: w', m', v'.
std::vector<array> adam_step(const std::vector<array>& in) {
  auto& g = in[0];
  auto m = in[5] * in[2] + in[6] * g;
  auto v = in[7] * in[3] + in[8] * mx::square(g);
  return {in[1] - in[4] * m / (mx::sqrt(v) + in[9]), m, v};
}

} // namespace

array Adam::apply_single(const array& g, const array& parameter, Tree& state) {
  auto dtype = g.dtype();
  auto lr = hyper_parameter("learning_rate", dtype);
  auto [b1, b2] = betas;
  auto e = scalar(eps, dtype);
  if (!bias_correction) {
    // Shapeless: one trace serves every parameter shape of a dtype.
    static auto step_fn = mx::compile(adam_step, /* shapeless */ true);
    auto out = step_fn(
        {g,
         parameter,
         state_array(state, "m"),
         state_array(state, "v"),
         lr,
         scalar(b1, dtype),
         scalar(1.0 - b1, dtype),
         scalar(b2, dtype),
         scalar(1.0 - b2, dtype),
         e});
    state["m"] = Tree(out[1]);
    state["v"] = Tree(out[2]);
    return out[0];
  }
  auto m =
      scalar(b1, dtype) * state_array(state, "m") + scalar(1.0 - b1, dtype) * g;
  auto v = scalar(b2, dtype) * state_array(state, "v") +
           scalar(1.0 - b2, dtype) * mx::square(g);
  state["m"] = Tree(m);
  state["v"] = Tree(v);
  // b^t in float32 from the (incremented) step, as MLX's `b1**step`.
  auto t = mx::astype(step(), mx::float32);
  auto one = array(1.0f);
  auto c1 = mx::astype(one - mx::power(array(float(b1)), t), dtype);
  auto c2 = mx::astype(mx::sqrt(one - mx::power(array(float(b2)), t)), dtype);
  return parameter - lr / c1 * m / (mx::sqrt(v) / c2 + e);
}

AdamW::AdamW(
    ScalarOrSchedule learning_rate,
    std::array<double, 2> betas,
    double eps,
    double weight_decay,
    bool bias_correction)
    : Adam("AdamW", std::move(learning_rate), betas, eps, bias_correction),
      weight_decay(weight_decay) {}

array AdamW::apply_single(const array& g, const array& parameter, Tree& state) {
  auto dtype = g.dtype();
  auto lr = hyper_parameter("learning_rate", dtype);
  auto decayed =
      parameter * (scalar(1.0, dtype) - lr * scalar(weight_decay, dtype));
  return Adam::apply_single(g, decayed, state);
}

// ---- Adamax

Adamax::Adamax(
    ScalarOrSchedule learning_rate, std::array<double, 2> betas, double eps)
    : betas(betas), eps(eps) {
  check_betas("Adamax", betas);
  check_non_negative("Adamax", "eps", eps);
  maybe_schedule("learning_rate", learning_rate);
}

void Adamax::init_single(const array& parameter, Tree& state) {
  state["m"] = Tree(mx::zeros_like(parameter));
  state["v"] = Tree(mx::zeros_like(parameter));
}

array Adamax::apply_single(
    const array& g, const array& parameter, Tree& state) {
  auto dtype = g.dtype();
  auto lr = hyper_parameter("learning_rate", dtype);
  auto [b1, b2] = betas;
  auto m =
      scalar(b1, dtype) * state_array(state, "m") + scalar(1.0 - b1, dtype) * g;
  auto v = mx::maximum(scalar(b2, dtype) * state_array(state, "v"), mx::abs(g));
  state["m"] = Tree(m);
  state["v"] = Tree(v);
  return parameter - lr * m / (v + scalar(eps, dtype));
}

// ---- Lion

Lion::Lion(
    ScalarOrSchedule learning_rate,
    std::array<double, 2> betas,
    double weight_decay)
    : betas(betas), weight_decay(weight_decay) {
  check_betas("Lion", betas);
  maybe_schedule("learning_rate", learning_rate);
}

void Lion::init_single(const array& parameter, Tree& state) {
  state["m"] = Tree(mx::zeros_like(parameter));
}

array Lion::apply_single(const array& g, const array& parameter, Tree& state) {
  auto dtype = g.dtype();
  auto lr = hyper_parameter("learning_rate", dtype);
  auto [b1, b2] = betas;
  array m = state_array(state, "m");
  auto c = scalar(b1, dtype) * m + scalar(1.0 - b1, dtype) * g;
  auto new_m = scalar(b2, dtype) * m + scalar(1.0 - b2, dtype) * g;
  array p = parameter;
  if (weight_decay > 0) {
    p = (scalar(1.0, dtype) - lr * scalar(weight_decay, dtype)) * p;
  }
  state["m"] = Tree(new_m);
  return p - lr * mx::sign(c);
}

} // namespace mlx::optimizers
