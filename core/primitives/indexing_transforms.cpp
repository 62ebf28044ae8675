// jvp, vjp and vmap rules of the indexing primitives.
#include "mlx/primitives/indexing.h"

namespace mlx::core {

std::vector<array> Take::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return Primitive::jvp(primals, tangents, argnums);
}

std::vector<array> Take::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return Primitive::vjp(primals, cotangents, argnums, outputs);
}

std::pair<std::vector<array>, std::vector<int>>
Take::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  return Primitive::vmap(inputs, axes);
}

std::vector<array> TakeAlongAxis::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return Primitive::jvp(primals, tangents, argnums);
}

std::vector<array> TakeAlongAxis::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return Primitive::vjp(primals, cotangents, argnums, outputs);
}

std::pair<std::vector<array>, std::vector<int>> TakeAlongAxis::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  return Primitive::vmap(inputs, axes);
}

std::vector<array> PutAlongAxis::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return Primitive::jvp(primals, tangents, argnums);
}

std::vector<array> PutAlongAxis::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return Primitive::vjp(primals, cotangents, argnums, outputs);
}

std::pair<std::vector<array>, std::vector<int>> PutAlongAxis::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  return Primitive::vmap(inputs, axes);
}

std::vector<array> SliceUpdate::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return Primitive::jvp(primals, tangents, argnums);
}

std::vector<array> SliceUpdate::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return Primitive::vjp(primals, cotangents, argnums, outputs);
}

std::pair<std::vector<array>, std::vector<int>> SliceUpdate::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  return Primitive::vmap(inputs, axes);
}

std::vector<array> Diagonal::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return Primitive::jvp(primals, tangents, argnums);
}

std::vector<array> Diagonal::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return Primitive::vjp(primals, cotangents, argnums, outputs);
}

std::pair<std::vector<array>, std::vector<int>>
Diagonal::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  return Primitive::vmap(inputs, axes);
}

} // namespace mlx::core
