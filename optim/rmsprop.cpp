#include "mlx/optimizers/rmsprop.h"

#include "mlx/ops.h"

namespace mlx::optimizers {

namespace mx = mlx::core;
using detail::check_non_negative;
using detail::scalar;
using detail::state_array;

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

} // namespace mlx::optimizers
