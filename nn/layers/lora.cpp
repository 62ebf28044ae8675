#include "mlx/nn/layers/lora.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <unordered_map>

#include "mlx/io.h"
#include "mlx/ops.h"
#include "mlx/random.h"
#include "mlx/utils.h"

namespace mlx::nn {

namespace mx = mlx::core;
using mx::throw_error;

namespace {

constexpr const char* kAdaptersFormat = "mlx-lora-adapters";

std::string join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

// Nine significant digits print a float so that it reads back exactly.
std::string float_text(float value) {
  std::ostringstream os;
  os.precision(9);
  os << value;
  return os.str();
}

// Every LoRALinear of `model` by path, in named_modules order.
std::vector<std::pair<std::string, LoRALinear*>> lora_layers(Module& model) {
  std::vector<std::pair<std::string, LoRALinear*>> out;
  for (auto& [path, m] : model.named_modules()) {
    if (auto* layer = dynamic_cast<LoRALinear*>(m)) {
      out.emplace_back(path, layer);
    }
  }
  return out;
}

} // namespace

LoRALinear::LoRALinear(
    int input_dims,
    int output_dims,
    int r,
    float dropout,
    float scale,
    bool bias)
    : LoRALinear(
          std::make_shared<Linear>(input_dims, output_dims, bias),
          r,
          dropout,
          scale) {}

LoRALinear::LoRALinear(
    std::shared_ptr<Linear> linear, int r, float dropout, float scale)
    : scale_(scale) {
  if (!linear) {
    throw_error("[LoRALinear] The layer to wrap is null.");
  }
  const array& w = linear->param("weight");
  int in = w.shape(1);
  int out = w.shape(0);
  if (r <= 0 || r > std::min(in, out)) {
    throw_error(
        "[LoRALinear] The rank r must lie in [1, min(input_dims, "
        "output_dims)] = [1, ",
        std::min(in, out),
        "] for input_dims=",
        in,
        " and output_dims=",
        out,
        ", got r=",
        r,
        ".");
  }
  if (!(dropout >= 0.0f && dropout < 1.0f)) {
    throw_error("[LoRALinear] dropout must lie in [0, 1), got ", dropout, ".");
  }
  if (!std::isfinite(scale)) {
    throw_error("[LoRALinear] scale must be finite, got ", scale, ".");
  }
  register_module("linear", std::move(linear));
  register_module("dropout", std::make_shared<Dropout>(dropout));
  float bound = 1.0f / std::sqrt(static_cast<float>(in));
  register_parameter(
      "lora_a", mx::random::uniform(-bound, bound, {in, r}, w.dtype()));
  register_parameter("lora_b", mx::zeros({r, out}, w.dtype()));
}

std::shared_ptr<LoRALinear> LoRALinear::from_base(
    std::shared_ptr<Linear> linear, int r, float dropout, float scale) {
  // The constructor is private: make_shared cannot reach it.
  return std::shared_ptr<LoRALinear>(
      new LoRALinear(std::move(linear), r, dropout, scale));
}

std::string LoRALinear::describe() const {
  const array& a = param("lora_a");
  const array& b = param("lora_b");
  std::ostringstream os;
  os << "input_dims=" << a.shape(0) << ", output_dims=" << b.shape(1)
     << ", r=" << a.shape(1) << ", scale=" << scale_;
  return os.str();
}

array LoRALinear::operator()(const array& x) {
  const array& a = param("lora_a");
  const array& b = param("lora_b");
  if (x.ndim() == 0 || x.shape(-1) != a.shape(0)) {
    throw_error(
        "[LoRALinear] The input's last dimension must be input_dims=",
        a.shape(0),
        " but the input has shape ",
        x.shape(),
        ".");
  }
  array y = (*child("linear"))(x);
  array z = mx::matmul(mx::matmul((*child("dropout"))(x), a), b);
  return mx::add(y, mx::astype(mx::multiply(z, mx::array(scale_)), y.dtype()));
}

std::shared_ptr<Linear> LoRALinear::fuse() const {
  auto linear = child("linear");
  const array& w = linear->param("weight");
  array delta = mx::transpose(
      mx::matmul(param("lora_a"), param("lora_b"))); // (out, in) as W
  array fused =
      mx::astype(mx::add(w, mx::multiply(delta, mx::array(scale_))), w.dtype());
  std::optional<array> bias;
  if (linear->has_param("bias")) {
    bias = linear->param("bias");
  }
  return std::make_shared<Linear>(fused, bias);
}

namespace lora {

std::vector<std::string> apply(
    Module& model,
    const LayerPredicate& predicate,
    int r,
    float scale,
    float dropout) {
  // All layers are built before any is swapped or frozen, so that a bad
  // argument leaves the model as it was.
  std::map<std::string, std::shared_ptr<Module>> swaps;
  std::vector<std::string> paths;
  std::vector<std::shared_ptr<Module>> bases;
  for (auto& [path, m] : model.named_modules()) {
    if (dynamic_cast<LoRALinear*>(m)) {
      continue; // its "linear" is adapted already
    }
    for (auto& [key, raw] : m->children()) {
      auto* linear = dynamic_cast<Linear*>(raw);
      std::string child_path = join(path, key);
      if (!linear || !predicate(child_path, *linear)) {
        continue;
      }
      auto base = std::static_pointer_cast<Linear>(m->child(key));
      swaps.emplace(child_path, LoRALinear::from_base(base, r, dropout, scale));
      paths.push_back(child_path);
      bases.push_back(base);
    }
  }
  for (auto& base : bases) {
    base->freeze();
  }
  model.update_modules(swaps);
  return paths;
}

std::vector<std::string> fuse(Module& model) {
  std::map<std::string, std::shared_ptr<Module>> swaps;
  std::vector<std::string> paths;
  for (auto& [path, layer] : lora_layers(model)) {
    if (path.empty()) {
      throw_error(
          "[lora::fuse] The model itself is a LoRALinear; call its fuse().");
    }
    swaps.emplace(path, layer->fuse());
    paths.push_back(path);
  }
  model.update_modules(swaps);
  return paths;
}

FlatTree adapters(Module& model) {
  FlatTree out;
  for (auto& [path, layer] : lora_layers(model)) {
    for (const char* key : {"lora_a", "lora_b"}) {
      out.emplace_back(join(path, key), layer->param(key));
    }
  }
  return out;
}

void save_adapters(Module& model, const std::string& file) {
  auto arrays = adapters(model);
  if (arrays.empty()) {
    throw_error(
        "[lora::save_adapters] The model has no LoRA layers to save to ",
        file,
        ".");
  }
  std::unordered_map<std::string, std::string> metadata{
      {"format", kAdaptersFormat}};
  for (auto& [path, layer] : lora_layers(model)) {
    metadata.emplace(join(path, "scale"), float_text(layer->scale()));
  }
  mx::save_safetensors(
      file,
      std::unordered_map<std::string, array>(arrays.begin(), arrays.end()),
      metadata);
}

void load_adapters(Module& model, const std::string& file) {
  auto [arrays, metadata] = mx::load_safetensors(file);
  auto fail = [&](const auto&... what) {
    throw_error("[lora::load_adapters] ", file, ": ", what..., ".");
  };
  if (auto it = metadata.find("format");
      it == metadata.end() || it->second != kAdaptersFormat) {
    fail("not a LoRA adapters file (no metadata format=", kAdaptersFormat, ")");
  }
  FlatTree expected = adapters(model);
  std::map<std::string, array> own(expected.begin(), expected.end());
  for (auto& [path, value] : arrays) {
    if (!own.count(path)) {
      fail("\"", path, "\" is not an adapter of the model");
    }
  }
  FlatTree loaded;
  for (auto& [path, value] : expected) {
    auto it = arrays.find(path);
    if (it == arrays.end()) {
      fail("the adapter \"", path, "\" is missing");
    }
    if (it->second.shape() != value.shape() ||
        it->second.dtype() != value.dtype()) {
      fail(
          "\"",
          path,
          "\" has shape ",
          it->second.shape(),
          " and dtype ",
          it->second.dtype(),
          " in the file but ",
          value.shape(),
          " and ",
          value.dtype(),
          " in the model");
    }
    loaded.emplace_back(path, it->second);
  }
  for (auto& [path, layer] : lora_layers(model)) {
    auto it = metadata.find(join(path, "scale"));
    std::string own_scale = float_text(layer->scale());
    if (it == metadata.end() || it->second != own_scale) {
      fail(
          "the layer \"",
          path,
          "\" has scale ",
          own_scale,
          " but the file ",
          it == metadata.end() ? std::string("none") : it->second);
    }
  }
  model.update(mlx::utils::tree_unflatten(loaded));
}

} // namespace lora

} // namespace mlx::nn
