#include "mlx/optimizers/adamax.h"

#include "mlx/ops.h"

namespace mlx::optimizers {

namespace mx = mlx::core;
using detail::check_betas;
using detail::check_non_negative;
using detail::scalar;
using detail::state_array;

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

} // namespace mlx::optimizers
