// jvp, vjp and vmap rules of the elementwise primitives.
#include "mlx/primitives/elementwise.h"

namespace mlx::core {

std::vector<array> Unary::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return Primitive::jvp(primals, tangents, argnums);
}

std::vector<array> Unary::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return Primitive::vjp(primals, cotangents, argnums, outputs);
}

std::pair<std::vector<array>, std::vector<int>>
Unary::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  return Primitive::vmap(inputs, axes);
}

std::vector<array> Binary::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return Primitive::jvp(primals, tangents, argnums);
}

std::vector<array> Binary::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return Primitive::vjp(primals, cotangents, argnums, outputs);
}

std::pair<std::vector<array>, std::vector<int>>
Binary::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  return Primitive::vmap(inputs, axes);
}

std::vector<array> Select::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return Primitive::jvp(primals, tangents, argnums);
}

std::vector<array> Select::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return Primitive::vjp(primals, cotangents, argnums, outputs);
}

std::pair<std::vector<array>, std::vector<int>>
Select::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  return Primitive::vmap(inputs, axes);
}

std::vector<array> AsType::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return Primitive::jvp(primals, tangents, argnums);
}

std::vector<array> AsType::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return Primitive::vjp(primals, cotangents, argnums, outputs);
}

std::pair<std::vector<array>, std::vector<int>>
AsType::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  return Primitive::vmap(inputs, axes);
}

} // namespace mlx::core
