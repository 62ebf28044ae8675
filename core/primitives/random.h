// Random number generation: the one primitive every sampler of
// mlx::core::random builds on.
#pragma once

#include "mlx/primitives/primitive.h"

namespace mlx::core {

/** Random bits from a counter-based hash (Threefry-2x32, 20 rounds) of the
 * key, so that the output depends only on the key, the shape and the width.
 * Input: uint32 keys of shape (..., 2); every key fills its own `shape`
 * block of the output (shape = key batch dims + shape). Output dtype:
 * uint8, uint16 or uint32 for width 1, 2 or 4 bytes. The words of one key
 * follow JAX's layout (counter pairs (i, i + ceil(n / 2)) hash to words i
 * and i + ceil(n / 2)), so keys and bits match JAX and MLX. */
class RandomBits : public UnaryPrimitive {
public:
  RandomBits(Stream stream, Shape shape, int width)
      : UnaryPrimitive(stream), shape_(std::move(shape)), width_(width) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override { return "RandomBits"; }
  bool is_equivalent(const Primitive& other) const override;
  /** The per-key shape (without the key batch dims). */
  const Shape& shape() const { return shape_; }
  int width() const { return width_; }

private:
  Shape shape_;
  int width_;
};

} // namespace mlx::core
