// jvp, vjp and vmap rules of the matmul primitives.
#include "mlx/primitives/matmul.h"

namespace mlx::core {

std::vector<array> Matmul::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return Primitive::jvp(primals, tangents, argnums);
}

std::vector<array> Matmul::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return Primitive::vjp(primals, cotangents, argnums, outputs);
}

std::pair<std::vector<array>, std::vector<int>>
Matmul::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  return Primitive::vmap(inputs, axes);
}

std::vector<array> AddMM::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return Primitive::jvp(primals, tangents, argnums);
}

std::vector<array> AddMM::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return Primitive::vjp(primals, cotangents, argnums, outputs);
}

std::pair<std::vector<array>, std::vector<int>>
AddMM::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  return Primitive::vmap(inputs, axes);
}

} // namespace mlx::core
