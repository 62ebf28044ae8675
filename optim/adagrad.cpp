#include "mlx/optimizers/adagrad.h"

#include "mlx/ops.h"

namespace mlx::optimizers {

namespace mx = mlx::core;
using detail::check_non_negative;
using detail::scalar;
using detail::state_array;

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

} // namespace mlx::optimizers
