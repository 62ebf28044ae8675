// jvp, vjp and vmap rules of the sort primitives.
#include "mlx/primitives/sort.h"

namespace mlx::core {

std::vector<array> Sort::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return Primitive::jvp(primals, tangents, argnums);
}

std::vector<array> Sort::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return Primitive::vjp(primals, cotangents, argnums, outputs);
}

std::pair<std::vector<array>, std::vector<int>>
Sort::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  return Primitive::vmap(inputs, axes);
}

std::vector<array> ArgSort::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return Primitive::jvp(primals, tangents, argnums);
}

std::vector<array> ArgSort::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return Primitive::vjp(primals, cotangents, argnums, outputs);
}

std::pair<std::vector<array>, std::vector<int>>
ArgSort::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  return Primitive::vmap(inputs, axes);
}

std::vector<array> Partition::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return Primitive::jvp(primals, tangents, argnums);
}

std::vector<array> Partition::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return Primitive::vjp(primals, cotangents, argnums, outputs);
}

std::pair<std::vector<array>, std::vector<int>> Partition::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  return Primitive::vmap(inputs, axes);
}

std::vector<array> ArgPartition::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return Primitive::jvp(primals, tangents, argnums);
}

std::vector<array> ArgPartition::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return Primitive::vjp(primals, cotangents, argnums, outputs);
}

std::pair<std::vector<array>, std::vector<int>> ArgPartition::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  return Primitive::vmap(inputs, axes);
}

} // namespace mlx::core
