// Quantized layers of mlx.nn: QuantizedLinear, QuantizedEmbedding, and
// nn::quantize, which swaps every quantizable leaf of a model for its
// quantized form. The packed weights are frozen (MLX: no gradients with
// respect to quantized parameters); other parameters train as usual.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "mlx/nn/module.h"

namespace mlx::nn {

class Linear;
class Embedding;

/** Quantization settings a class_predicate may return for one layer. */
struct QuantizeConfig {
  int group_size = 64;
  int bits = 4;
  std::string mode = "affine";
};

/**
 * y = x W^T + b with W quantized (mlx::core::quantize). Parameters:
 * "weight" (packed uint32), "scales", "biases" (affine only), "bias".
 */
class QuantizedLinear : public Module {
public:
  /** Random weights as Linear draws them (U(-k, k), k = 1/sqrt(input_dims)),
   * then quantized. */
  QuantizedLinear(
      int input_dims,
      int output_dims,
      bool bias = true,
      int group_size = 64,
      int bits = 4,
      const std::string& mode = "affine");

  /** The quantized form of `linear` (its bias, if any, copied as is). */
  static std::shared_ptr<QuantizedLinear> from_linear(
      const Linear& linear,
      int group_size = 64,
      int bits = 4,
      const std::string& mode = "affine");

  std::string name() const override { return "QuantizedLinear"; }
  std::string describe() const override;
  array operator()(const array& x) override;
  /** Unfreezes children, never the quantized parameters (as MLX). */
  Module& unfreeze(
      bool recurse = true,
      const std::vector<std::string>& keys = {},
      bool strict = false) override;

  int group_size() const { return group_size_; }
  int bits() const { return bits_; }
  const std::string& mode() const { return mode_; }

private:
  QuantizedLinear(
      const Linear& linear, int group_size, int bits, const std::string& mode);

  int group_size_;
  int bits_;
  std::string mode_;
};

/**
 * Embedding with a quantized table: rows are dequantized as they are looked
 * up. Parameters: "weight" (packed uint32), "scales", "biases" (affine).
 */
class QuantizedEmbedding : public Module {
public:
  /** Random table as Embedding draws it (N(0, 1/dims)), then quantized. */
  QuantizedEmbedding(
      int num_embeddings,
      int dims,
      int group_size = 64,
      int bits = 4,
      const std::string& mode = "affine");

  static std::shared_ptr<QuantizedEmbedding> from_embedding(
      const Embedding& embedding,
      int group_size = 64,
      int bits = 4,
      const std::string& mode = "affine");

  std::string name() const override { return "QuantizedEmbedding"; }
  std::string describe() const override;
  /** indices (integer, any shape) -> indices.shape + (dims). */
  array operator()(const array& indices) override;
  /** x @ weight^T with the quantized table: (..., dims) -> (...,
   * num_embeddings). */
  array as_linear(const array& x) const;
  Module& unfreeze(
      bool recurse = true,
      const std::vector<std::string>& keys = {},
      bool strict = false) override;

  int group_size() const { return group_size_; }
  int bits() const { return bits_; }
  const std::string& mode() const { return mode_; }

private:
  QuantizedEmbedding(
      const Embedding& embedding,
      int group_size,
      int bits,
      const std::string& mode);

  int group_size_;
  int bits_;
  std::string mode_;
};

/** Decides for (path, module) whether to quantize it: false, true (with
 * nn::quantize's settings) or settings of its own. */
using QuantizePredicate = std::function<std::variant<bool, QuantizeConfig>(
    const std::string& path, Module& module)>;

/**
 * Replaces, in place, each leaf module of `model` that class_predicate
 * selects by module.to_quantized(...) (default predicate: every leaf that
 * has a quantized form: Linear and Embedding). A selected leaf without a
 * quantized form raises.
 */
void quantize(
    Module& model,
    int group_size = 64,
    int bits = 4,
    const std::string& mode = "affine",
    const QuantizePredicate& class_predicate = nullptr);

} // namespace mlx::nn
