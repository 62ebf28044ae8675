#include "mlx/optimizers/adadelta.h"

#include "mlx/ops.h"

namespace mlx::optimizers {

namespace mx = mlx::core;
using detail::check_non_negative;
using detail::scalar;
using detail::state_array;

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

} // namespace mlx::optimizers
