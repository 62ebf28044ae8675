#include "mlx/optimizers/lion.h"

#include "mlx/ops.h"

namespace mlx::optimizers {

namespace mx = mlx::core;
using detail::check_betas;
using detail::scalar;
using detail::state_array;

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
