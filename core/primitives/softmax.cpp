// Softmax's transform rules, in ops over its output y (so they are
// differentiable again): vjp y (g - sum(g y)), jvp y (t - sum(t y)).
#include "mlx/primitives/softmax.h"

#include "mlx/ops.h"

namespace mlx::core {

namespace {

// y (v - sum(v y)) over the last axis: the softmax Jacobian (symmetric)
// applied to v.
array softmax_jacobian_product(const array& y, const array& v, Stream s) {
  array dot = sum(multiply(v, y, s), -1, true, s);
  return multiply(y, subtract(v, dot, s), s);
}

} // namespace

bool Softmax::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Softmax*>(&other);
  return o && o->precise_ == precise_;
}

std::vector<array> Softmax::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return {softmax_jacobian_product(outputs[0], cotangents[0], stream())};
}

std::vector<array> Softmax::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  array y = softmax(primals[0], -1, precise_, stream());
  return {softmax_jacobian_product(y, tangents[0], stream())};
}

std::pair<std::vector<array>, std::vector<int>>
Softmax::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  // Rows stay rows unless the batch axis is the last one: move it first.
  array x = inputs[0];
  int axis = axes[0];
  if (axis == static_cast<int>(x.ndim()) - 1) {
    x = moveaxis(x, axis, 0, stream());
    axis = 0;
  }
  return {{softmax(x, -1, precise_, stream())}, {axis}};
}

} // namespace mlx::core
