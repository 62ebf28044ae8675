#include "mlx/optimizers/adam.h"

#include "mlx/compile.h"
#include "mlx/ops.h"

namespace mlx::optimizers {

namespace mx = mlx::core;
using detail::check_betas;
using detail::check_non_negative;
using detail::scalar;
using detail::state_array;

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

} // namespace mlx::optimizers
