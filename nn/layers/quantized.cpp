#include "mlx/nn/layers/quantized.h"

#include <cmath>
#include <sstream>

#include "mlx/nn/layers/embedding.h"
#include "mlx/nn/layers/linear.h"
#include "mlx/ops.h"
#include "mlx/random.h"
#include "mlx/utils.h"

namespace mlx::nn {

namespace mx = mlx::core;
using mx::throw_error;

namespace {

// quantize(w) as named parameters: "weight", "scales" and ("affine")
// "biases".
std::vector<std::pair<std::string, array>> quantized_params(
    const array& w, int group_size, int bits, const std::string& mode) {
  auto q = mx::quantize(w, group_size, bits, mode);
  std::vector<std::pair<std::string, array>> named = {
      {"weight", q[0]}, {"scales", q[1]}};
  if (q.size() > 2) {
    named.emplace_back("biases", q[2]);
  }
  return named;
}

std::optional<array> biases_of(const Module& m) {
  return m.has_param("biases") ? std::optional<array>(m.param("biases"))
                               : std::nullopt;
}

std::string settings(int group_size, int bits, const std::string& mode) {
  std::ostringstream os;
  os << "group_size=" << group_size << ", bits=" << bits << ", mode=" << mode;
  return os.str();
}

// The quantized parameters stay frozen; children follow the request.
void refreeze_own(Module& m) {
  m.freeze(/* recurse= */ false, {"weight", "scales"});
  if (m.has_param("biases")) {
    m.freeze(false, {"biases"});
  }
}

} // namespace

QuantizedLinear::QuantizedLinear(
    int input_dims,
    int output_dims,
    bool bias,
    int group_size,
    int bits,
    const std::string& mode)
    : QuantizedLinear(
          Linear(input_dims, output_dims, bias), group_size, bits, mode) {}

QuantizedLinear::QuantizedLinear(
    const Linear& linear, int group_size, int bits, const std::string& mode)
    : group_size_(group_size), bits_(bits), mode_(mode) {
  for (auto& [key, value] :
       quantized_params(linear.param("weight"), group_size, bits, mode)) {
    register_parameter(key, value);
  }
  if (linear.has_param("bias")) {
    register_parameter("bias", linear.param("bias"));
  }
  refreeze_own(*this);
}

std::shared_ptr<QuantizedLinear> QuantizedLinear::from_linear(
    const Linear& linear, int group_size, int bits, const std::string& mode) {
  return std::shared_ptr<QuantizedLinear>(
      new QuantizedLinear(linear, group_size, bits, mode));
}

std::string QuantizedLinear::describe() const {
  const array& w = param("weight");
  std::ostringstream os;
  os << "input_dims=" << w.shape(1) * 32 / bits_
     << ", output_dims=" << w.shape(0)
     << ", bias=" << (has_param("bias") ? "true" : "false") << ", "
     << settings(group_size_, bits_, mode_);
  return os.str();
}

array QuantizedLinear::operator()(const array& x) {
  array y = mx::quantized_matmul(
      x,
      param("weight"),
      param("scales"),
      biases_of(*this),
      /* transpose= */ true,
      group_size_,
      bits_,
      mode_);
  return has_param("bias") ? mx::add(y, param("bias")) : y;
}

Module& QuantizedLinear::unfreeze(
    bool recurse, const std::vector<std::string>& keys, bool strict) {
  Module::unfreeze(recurse, keys, strict);
  refreeze_own(*this);
  return *this;
}

QuantizedEmbedding::QuantizedEmbedding(
    int num_embeddings,
    int dims,
    int group_size,
    int bits,
    const std::string& mode)
    : QuantizedEmbedding(
          Embedding(num_embeddings, dims), group_size, bits, mode) {}

QuantizedEmbedding::QuantizedEmbedding(
    const Embedding& embedding,
    int group_size,
    int bits,
    const std::string& mode)
    : group_size_(group_size), bits_(bits), mode_(mode) {
  for (auto& [key, value] :
       quantized_params(embedding.param("weight"), group_size, bits, mode)) {
    register_parameter(key, value);
  }
  refreeze_own(*this);
}

std::shared_ptr<QuantizedEmbedding> QuantizedEmbedding::from_embedding(
    const Embedding& embedding,
    int group_size,
    int bits,
    const std::string& mode) {
  return std::shared_ptr<QuantizedEmbedding>(
      new QuantizedEmbedding(embedding, group_size, bits, mode));
}

std::string QuantizedEmbedding::describe() const {
  const array& w = param("weight");
  std::ostringstream os;
  os << w.shape(0) << ", " << w.shape(1) * 32 / bits_ << ", "
     << settings(group_size_, bits_, mode_);
  return os.str();
}

array QuantizedEmbedding::operator()(const array& indices) {
  if (!mx::issubdtype(indices.dtype(), mx::integer)) {
    throw_error(
        "[QuantizedEmbedding] Indices must have an integer dtype, got ",
        indices.dtype(),
        ".");
  }
  // Gather the packed rows and their scales, then dequantize only those.
  array flat = mx::flatten(indices);
  auto rows = [&](const array& a) { return mx::take(a, flat, 0); };
  std::optional<array> biases;
  if (has_param("biases")) {
    biases = rows(param("biases"));
  }
  array out = mx::dequantize(
      rows(param("weight")),
      rows(param("scales")),
      biases,
      group_size_,
      bits_,
      mode_);
  mx::Shape shape = indices.shape();
  shape.push_back(out.shape(-1));
  return mx::reshape(out, shape);
}

array QuantizedEmbedding::as_linear(const array& x) const {
  return mx::quantized_matmul(
      x,
      param("weight"),
      param("scales"),
      biases_of(*this),
      /* transpose= */ true,
      group_size_,
      bits_,
      mode_);
}

Module& QuantizedEmbedding::unfreeze(
    bool recurse, const std::vector<std::string>& keys, bool strict) {
  Module::unfreeze(recurse, keys, strict);
  refreeze_own(*this);
  return *this;
}

std::shared_ptr<Module>
Linear::to_quantized(int group_size, int bits, const std::string& mode) {
  return QuantizedLinear::from_linear(*this, group_size, bits, mode);
}

std::shared_ptr<Module>
Embedding::to_quantized(int group_size, int bits, const std::string& mode) {
  return QuantizedEmbedding::from_embedding(*this, group_size, bits, mode);
}

void quantize(
    Module& model,
    int group_size,
    int bits,
    const std::string& mode,
    const QuantizePredicate& class_predicate) {
  QuantizeConfig defaults{group_size, bits, mode};
  std::map<std::string, std::shared_ptr<Module>> swaps;
  for (auto& [path, leaf] : model.leaf_modules()) {
    if (path.empty()) {
      continue; // the model itself: it has no parent to swap it in
    }
    std::shared_ptr<Module> quantized;
    if (!class_predicate) {
      // By default: every layer that has a quantized form.
      quantized = leaf->to_quantized(group_size, bits, mode);
      if (!quantized) {
        continue;
      }
    } else {
      auto choice = class_predicate(path, *leaf);
      if (std::holds_alternative<bool>(choice) && !std::get<bool>(choice)) {
        continue;
      }
      const QuantizeConfig& c = std::holds_alternative<QuantizeConfig>(choice)
                                    ? std::get<QuantizeConfig>(choice)
                                    : defaults;
      quantized = leaf->to_quantized(c.group_size, c.bits, c.mode);
      if (!quantized) {
        throw_error(
            "[quantize] Unable to quantize module \"",
            path,
            "\" of type ",
            leaf->name(),
            ": it has no quantized form.");
      }
    }
    swaps[path] = quantized;
  }
  model.update_modules(swaps);
}

} // namespace mlx::nn
