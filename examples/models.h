// Models and helpers shared by the training examples (train_mnist,
// train_lm) and by benchmarks/train_step_bench.cpp, which times the same
// models.
#pragma once

#include <memory>
#include <vector>

#include "mlx/mlx.h"
#include "mlx/nn.h"

namespace examples {

namespace mx = mlx::core;
namespace nn = mlx::nn;
namespace mu = mlx::utils;

// The reference's MLP: Linear + ReLU layers, then a linear classifier.
class Mlp : public nn::Module {
public:
  Mlp(int num_layers, int input_dim, int hidden_dim, int output_dim) {
    std::vector<std::shared_ptr<nn::Linear>> layers;
    int in = input_dim;
    for (int i = 0; i < num_layers; ++i) {
      layers.push_back(std::make_shared<nn::Linear>(in, hidden_dim));
      in = hidden_dim;
    }
    layers.push_back(std::make_shared<nn::Linear>(in, output_dim));
    layers_ = register_modules("layers", layers);
  }
  std::string name() const override { return "Mlp"; }
  mx::array operator()(const mx::array& images) override {
    auto x = mx::reshape(images, {images.shape(0), -1});
    for (size_t i = 0; i + 1 < layers_.size(); ++i) {
      x = nn::relu((*layers_[i])(x));
    }
    return (*layers_.back())(x);
  }

private:
  std::vector<std::shared_ptr<nn::Linear>> layers_;
};

// Token and position embeddings, a causal transformer encoder, and a
// linear read-out over the 256 byte values.
class LanguageModel : public nn::Module {
public:
  LanguageModel(int context, int dims, int heads, int layers) {
    tokens_ =
        register_module("tokens", std::make_shared<nn::Embedding>(256, dims));
    positions_ = register_module(
        "positions", std::make_shared<nn::Embedding>(context, dims));
    transformer_ = register_module(
        "transformer",
        std::make_shared<nn::TransformerEncoder>(
            layers, dims, heads, 4 * dims));
    out_ = register_module("out", std::make_shared<nn::Linear>(dims, 256));
  }
  std::string name() const override { return "LanguageModel"; }
  // (batch, length) bytes -> (batch, length, 256) logits of the next byte.
  mx::array operator()(const mx::array& x) override {
    int length = x.shape(1);
    auto h = mx::add((*tokens_)(x), (*positions_)(mx::arange(length)));
    auto mask = nn::MultiHeadAttention::create_additive_causal_mask(length);
    return (*out_)((*transformer_)(h, mask));
  }

private:
  std::shared_ptr<nn::Embedding> tokens_, positions_;
  std::shared_ptr<nn::TransformerEncoder> transformer_;
  std::shared_ptr<nn::Linear> out_;
};

// mx.eval(model.parameters(), optimizer.state) in MLX's Python.
inline void eval_trees(const std::vector<mu::Tree>& trees) {
  std::vector<mx::array> leaves;
  for (auto& tree : trees) {
    for (auto& [path, leaf] : mu::tree_flatten(tree)) {
      leaves.push_back(leaf);
    }
  }
  mx::eval(leaves);
}

} // namespace examples
