// Low-rank adaptation (LoRA) of linear layers, as in MLX's LoRA examples:
// LoRALinear wraps a frozen Linear and adds a trainable low-rank update;
// nn::lora swaps chosen Linear layers of a model for LoRA ones, fuses them
// back, and saves / loads only the adapters.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mlx/nn/layers/dropout.h"
#include "mlx/nn/layers/linear.h"
#include "mlx/nn/module.h"

namespace mlx::nn {

/**
 * y = linear(x) + scale * (dropout(x) @ lora_a) @ lora_b.
 * Children: "linear" (the wrapped Linear, weight (output_dims, input_dims))
 * and "dropout". Parameters: "lora_a" (input_dims, r), drawn from U(-k, k),
 * k = 1 / sqrt(input_dims), and "lora_b" (r, output_dims), zeros, so that a
 * new layer computes exactly what the wrapped one does.
 * 0 < r <= min(input_dims, output_dims) (a larger rank adds parameters but
 * not expressiveness); dropout in [0, 1).
 */
class LoRALinear : public Module {
public:
  /** A LoRA layer around a new Linear(input_dims, output_dims, bias). */
  LoRALinear(
      int input_dims,
      int output_dims,
      int r = 8,
      float dropout = 0.0f,
      float scale = 20.0f,
      bool bias = false);

  /** Wraps `linear` itself (its arrays are shared, not copied). Freezing
   * it is the caller's choice (lora::apply does). */
  static std::shared_ptr<LoRALinear> from_base(
      std::shared_ptr<Linear> linear,
      int r = 8,
      float dropout = 0.0f,
      float scale = 20.0f);

  std::string name() const override { return "LoRALinear"; }
  std::string describe() const override;

  /** x: (..., input_dims) -> (..., output_dims). */
  array operator()(const array& x) override;

  /** A plain Linear computing the same: weight W + scale * (a @ b)^T in
   * W's dtype, the wrapped layer's bias array itself. */
  std::shared_ptr<Linear> fuse() const;

  int rank() const { return param("lora_a").shape(1); }
  float scale() const { return scale_; }

private:
  LoRALinear(std::shared_ptr<Linear> linear, int r, float dropout, float scale);

  float scale_;
};

namespace lora {

/** Chooses layers by dot-notation path ("transformer.layers.0.attention.
 * query_proj") and the layer itself. */
using LayerPredicate =
    std::function<bool(const std::string& path, const Linear& layer)>;

/**
 * Replaces, in place, every Linear sub-module of `model` (at any depth, not
 * one already wrapped by a LoRALinear) for which predicate(path, layer)
 * holds by LoRALinear::from_base(layer, r, dropout, scale), and freezes the
 * wrapped layers. Returns the replaced paths, in named_modules order.
 * Freeze the rest of the model first (model.freeze()) to train only the
 * adapters. The forward pass of the parent must call the child through
 * Module::child (the nn transformer layers do); a parent that calls a
 * pointer it kept from its constructor would keep running the old layer.
 */
std::vector<std::string> apply(
    Module& model,
    const LayerPredicate& predicate,
    int r = 8,
    float scale = 20.0f,
    float dropout = 0.0f);

/** Replaces every LoRALinear of `model` by its fuse(); returns the paths. */
std::vector<std::string> fuse(Module& model);

/** The adapters of `model`: lora_a and lora_b of every LoRALinear, with
 * their dot-notation paths ("...query_proj.lora_a"). */
FlatTree adapters(Module& model);

/**
 * Writes adapters(model) to a .safetensors file (nothing else of the
 * model), with metadata "format" = "mlx-lora-adapters" and "<path>.scale"
 * per layer. safetensors, not a checkpoint: the adapters are a few named
 * arrays without optimizer state, readable by any safetensors reader.
 */
void save_adapters(Module& model, const std::string& file);

/** Loads a file of save_adapters into a model with the same LoRA layers:
 * the names, shapes, dtypes and scales must match exactly. */
void load_adapters(Module& model, const std::string& file);

} // namespace lora

} // namespace mlx::nn
