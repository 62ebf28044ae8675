// Affine layers of mlx.nn: Identity, Linear and Bilinear.
#pragma once

#include <optional>
#include <string>

#include "mlx/nn/module.h"

namespace mlx::nn {

/** Returns its input unchanged (MLX's placeholder layer; it takes no
 * settings). */
class Identity : public Module {
public:
  Identity() = default;
  std::string name() const override { return "Identity"; }
  array operator()(const array& x) override { return x; }
};

/**
 * y = x W^T + b, W of shape (output_dims, input_dims) and b of shape
 * (output_dims). Both are drawn from U(-k, k), k = 1 / sqrt(input_dims)
 * (mlx::core::random's global key). Parameters: "weight", "bias".
 */
class Linear : public Module {
public:
  Linear(int input_dims, int output_dims, bool bias = true);
  /** A layer holding the given weight (output_dims, input_dims) and bias
   * (output_dims) as they are, without drawing random numbers (e.g. the
   * result of LoRALinear::fuse). */
  explicit Linear(array weight, std::optional<array> bias = std::nullopt);

  std::string name() const override { return "Linear"; }
  std::string describe() const override;

  /** x: (..., input_dims) -> (..., output_dims). */
  array operator()(const array& x) override;
  /** A QuantizedLinear with this layer's weight quantized and its bias
   * copied (defined in quantized.cpp). */
  std::shared_ptr<Module> to_quantized(
      int group_size = 64,
      int bits = 4,
      const std::string& mode = "affine") override;
};

/**
 * y_i = x1^T W_i x2 + b_i, W of shape (output_dims, input2_dims,
 * input1_dims) as MLX lays it out, b of shape (output_dims). Both are drawn
 * from U(-k, k), k = 1 / sqrt(input1_dims).
 */
class Bilinear : public Module {
public:
  Bilinear(int input1_dims, int input2_dims, int output_dims, bool bias = true);

  std::string name() const override { return "Bilinear"; }
  std::string describe() const override;

  /** x1: (..., input1_dims), x2: (..., input2_dims) with the same leading
   * dims -> (..., output_dims). */
  array operator()(const array& x1, const array& x2);
};

} // namespace mlx::nn
