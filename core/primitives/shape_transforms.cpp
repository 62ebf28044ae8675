// jvp, vjp and vmap rules of the shape primitives.
#include "mlx/primitives/shape.h"

#include <numeric>

#include "mlx/ops.h"

namespace mlx::core {

namespace {

// The sum of `x` over the axes that broadcasting `shape` to x's shape
// added or stretched: the cotangent of a broadcast.
array sum_to_shape(const array& x, const Shape& shape, Stream s) {
  int added = static_cast<int>(x.ndim() - shape.size());
  std::vector<int> axes(added);
  std::iota(axes.begin(), axes.end(), 0);
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1 && x.shape(added + i) != 1) {
      axes.push_back(added + static_cast<int>(i));
    }
  }
  if (axes.empty()) {
    return x;
  }
  return reshape(sum(x, axes, true, s), shape, s);
}

} // namespace

std::vector<array> Reshape::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return Primitive::jvp(primals, tangents, argnums);
}

std::vector<array> Reshape::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return Primitive::vjp(primals, cotangents, argnums, outputs);
}

std::pair<std::vector<array>, std::vector<int>>
Reshape::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  return Primitive::vmap(inputs, axes);
}

std::vector<array> Transpose::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return Primitive::jvp(primals, tangents, argnums);
}

std::vector<array> Transpose::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return Primitive::vjp(primals, cotangents, argnums, outputs);
}

std::pair<std::vector<array>, std::vector<int>> Transpose::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  return Primitive::vmap(inputs, axes);
}

std::vector<array> Broadcast::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return {broadcast_to(tangents[0], shape_, stream())};
}

std::vector<array> Broadcast::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return {sum_to_shape(cotangents[0], primals[0].shape(), stream())};
}

std::pair<std::vector<array>, std::vector<int>> Broadcast::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  if (axes[0] == -1) {
    return {{broadcast_to(inputs[0], shape_, stream())}, {-1}};
  }
  // Batch first, then as many unit axes as broadcasting would add.
  array x = moveaxis(inputs[0], axes[0], 0, stream());
  Shape expanded = x.shape();
  expanded.insert(expanded.begin() + 1, shape_.size() + 1 - x.ndim(), 1);
  Shape target = shape_;
  target.insert(target.begin(), x.shape(0));
  return {
      {broadcast_to(reshape(x, expanded, stream()), target, stream())}, {0}};
}

std::vector<array> Slice::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return Primitive::jvp(primals, tangents, argnums);
}

std::vector<array> Slice::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return Primitive::vjp(primals, cotangents, argnums, outputs);
}

std::pair<std::vector<array>, std::vector<int>>
Slice::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  return Primitive::vmap(inputs, axes);
}

std::vector<array> AsStrided::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return Primitive::jvp(primals, tangents, argnums);
}

std::vector<array> AsStrided::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return Primitive::vjp(primals, cotangents, argnums, outputs);
}

std::pair<std::vector<array>, std::vector<int>> AsStrided::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  return Primitive::vmap(inputs, axes);
}

std::vector<array> View::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return Primitive::jvp(primals, tangents, argnums);
}

std::vector<array> View::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return Primitive::vjp(primals, cotangents, argnums, outputs);
}

std::pair<std::vector<array>, std::vector<int>>
View::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  return Primitive::vmap(inputs, axes);
}

std::vector<array> Contiguous::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return Primitive::jvp(primals, tangents, argnums);
}

std::vector<array> Contiguous::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return Primitive::vjp(primals, cotangents, argnums, outputs);
}

std::pair<std::vector<array>, std::vector<int>> Contiguous::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  return Primitive::vmap(inputs, axes);
}

std::vector<array> StopGradient::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return {zeros_like(primals[0], stream())};
}

std::vector<array> StopGradient::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return {zeros_like(primals[0], stream())};
}

std::pair<std::vector<array>, std::vector<int>> StopGradient::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  return {{stop_gradient(inputs[0], stream())}, {axes[0]}};
}

std::vector<array> Full::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return Primitive::jvp(primals, tangents, argnums);
}

std::vector<array> Full::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return Primitive::vjp(primals, cotangents, argnums, outputs);
}

std::pair<std::vector<array>, std::vector<int>>
Full::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  return Primitive::vmap(inputs, axes);
}

} // namespace mlx::core
