#include "mlx/optimizers/sgd.h"

#include "mlx/ops.h"
#include "mlx/utils.h"

namespace mlx::optimizers {

namespace mx = mlx::core;
using detail::scalar;
using detail::state_array;
using mx::throw_error;

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

} // namespace mlx::optimizers
