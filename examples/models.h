// Models and helpers shared by the training examples (train_mnist,
// train_lm) and by benchmarks/train_step_bench.cpp, which times the same
// models.
#pragma once

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "mlx/mlx.h"
#include "mlx/nn.h"

namespace examples {

namespace mx = mlx::core;
namespace nn = mlx::nn;
namespace mu = mlx::utils;

// --device cpu|gpu: makes that device the default for every op of the
// program, and prints which device this rank got (each rank of a job on a
// multi-GPU host picks its own by local rank, or MLX_VULKAN_DEVICE).
inline void use_device(const std::string& name, int rank) {
  if (name != "cpu" && name != "gpu") {
    throw std::invalid_argument("--device is cpu or gpu, not '" + name + "'");
  }
  mx::Device device = name == "gpu" ? mx::Device::gpu : mx::Device::cpu;
  if (!mx::is_available(device)) {
    throw std::runtime_error(
        "--device gpu: no GPU is available (MLX_VULKAN_DEVICE=cpu picks "
        "Mesa's lavapipe, a CPU Vulkan device)");
  }
  mx::set_default_device(device);
  const auto& info = mx::device_info(device);
  auto text = [&](const char* key) -> std::string {
    auto it = info.find(key);
    if (it == info.end()) {
      return "?";
    }
    if (auto* s = std::get_if<std::string>(&it->second)) {
      return *s;
    }
    return std::to_string(std::get<size_t>(it->second));
  };
  std::printf(
      "[%d] device %s: %s (index %s)\n",
      rank,
      name.c_str(),
      text("device_name").c_str(),
      name == "gpu" ? text("device_index").c_str() : "0");
  std::fflush(stdout);
}

// train_mnist's CNN: two 3x3 conv + ReLU + 2x2 max-pool stages (side ->
// side / 2 -> side / 4; c1 and c2 channels) and two linear layers.
class Cnn : public nn::Module {
public:
  Cnn(int side, int c1, int c2, int hidden_dim) {
    conv1_ =
        register_module("conv1", std::make_shared<nn::Conv2d>(1, c1, 3, 1, 1));
    conv2_ =
        register_module("conv2", std::make_shared<nn::Conv2d>(c1, c2, 3, 1, 1));
    int flat = (side / 4) * (side / 4) * c2;
    fc1_ =
        register_module("fc1", std::make_shared<nn::Linear>(flat, hidden_dim));
    fc2_ = register_module("fc2", std::make_shared<nn::Linear>(hidden_dim, 10));
  }
  std::string name() const override { return "Cnn"; }
  mx::array operator()(const mx::array& images) override {
    auto x = pool_(nn::relu((*conv1_)(images)));
    x = pool_(nn::relu((*conv2_)(x)));
    x = mx::reshape(x, {x.shape(0), -1});
    return (*fc2_)(nn::relu((*fc1_)(x)));
  }

private:
  std::shared_ptr<nn::Conv2d> conv1_, conv2_;
  std::shared_ptr<nn::Linear> fc1_, fc2_;
  nn::MaxPool2d pool_{2};
};

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
