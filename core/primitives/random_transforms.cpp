// Transform rules of RandomBits: its outputs are integers, so it has no
// derivative; under vmap a batch of keys is simply a batched key input.
#include "mlx/ops/shape.h"
#include "mlx/primitives/random.h"
#include "mlx/utils.h"

namespace mlx::core {

std::vector<array> RandomBits::jvp(
    const std::vector<array>&,
    const std::vector<array>&,
    const std::vector<int>&) {
  throw std::invalid_argument(
      "[RandomBits] Random bits are integers and not differentiable.");
}

std::vector<array> RandomBits::vjp(
    const std::vector<array>&,
    const std::vector<array>&,
    const std::vector<int>&,
    const std::vector<array>&) {
  throw std::invalid_argument(
      "[RandomBits] Random bits are integers and not differentiable.");
}

std::pair<std::vector<array>, std::vector<int>> RandomBits::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  // The kernel already draws one block per key of a (..., 2) key array:
  // put the vmapped axis first and the batch comes out as axis 0.
  array keys = inputs[0];
  int out_axis = -1;
  if (axes[0] >= 0) {
    keys = moveaxis(keys, axes[0], 0, stream());
    out_axis = 0;
  }
  Shape out_shape(keys.shape().begin(), keys.shape().end() - 1);
  out_shape.insert(out_shape.end(), shape_.begin(), shape_.end());
  Dtype dtype = width_ == 1 ? uint8 : width_ == 2 ? uint16 : uint32;
  array out(
      std::move(out_shape),
      dtype,
      std::make_shared<RandomBits>(stream(), shape_, width_),
      {keys});
  return {{out}, {out_axis}};
}

} // namespace mlx::core
