// MultiHeadAttention and the transformer encoder / decoder stacks.
#include "mlx/nn/layers/transformer.h"

#include <cmath>
#include <string>
#include <utility>

#include "mlx/fast.h"
#include "mlx/nn/activations.h"
#include "mlx/ops.h"
#include "mlx/transforms.h"
#include "mlx/utils.h"

namespace mlx::nn {

namespace mx = mlx::core;
using mx::throw_error;

namespace {

Activation or_relu(Activation activation) {
  if (activation) {
    return activation;
  }
  return [](const array& x) { return relu(x); };
}

void check_positive(const char* layer, const char* what, int value) {
  if (value <= 0) {
    throw_error("[", layer, "] ", what, " must be positive, got ", value, ".");
  }
}

// x must be (B, L, dims).
void check_sequence(
    const char* layer, const char* what, const array& x, int dims) {
  if (x.ndim() != 3 || x.shape(-1) != dims) {
    throw_error(
        "[",
        layer,
        "] Expected ",
        what,
        " of shape (B, L, ",
        dims,
        "), got ",
        x.shape(),
        ".");
  }
}

// Runs call(inputs) through mlx::core::checkpoint with the layer's
// trainable parameters as extra inputs (MLX's nn.utils.checkpoint): the
// backward pass recomputes the layer's activations instead of keeping them,
// and gradients still reach the parameters. The layer's own arrays are put
// back after every run.
array checkpointed(
    Module& layer,
    const std::vector<array>& inputs,
    std::function<array(const std::vector<array>&)> call) {
  auto params = mlx::utils::tree_flatten(layer.trainable_parameters());
  std::vector<std::string> keys;
  std::vector<array> args = inputs;
  for (auto& [key, value] : params) {
    keys.push_back(key);
    args.push_back(value);
  }
  size_t n_inputs = inputs.size();
  // Called again by the backward pass: nothing captured by reference.
  auto fn = [target = &layer, keys, n_inputs, call = std::move(call)](
                const std::vector<array>& a) {
    if (keys.empty()) {
      return std::vector<array>{call({a.begin(), a.begin() + n_inputs})};
    }
    mlx::utils::FlatTree swapped;
    for (size_t i = 0; i < keys.size(); ++i) {
      swapped.emplace_back(keys[i], a[n_inputs + i]);
    }
    mlx::utils::Tree original = target->trainable_parameters();
    target->update(mlx::utils::tree_unflatten(swapped));
    try {
      auto out = call({a.begin(), a.begin() + n_inputs});
      target->update(original);
      return std::vector<array>{out};
    } catch (...) {
      target->update(original);
      throw;
    }
  };
  return mx::checkpoint(fn)(args)[0];
}

// Masks travel through checkpointed() as inputs: present ones are appended
// after the fixed arrays and read back in the same order.
void append_present(
    std::vector<array>& to,
    std::initializer_list<const std::optional<array>*> masks) {
  for (auto* m : masks) {
    if (m->has_value()) {
      to.push_back(**m);
    }
  }
}

std::optional<array>
next_present(bool present, const std::vector<array>& a, size_t& index) {
  if (!present) {
    return std::nullopt;
  }
  return a[index++];
}

} // namespace

// ------------------------------------------------------ MultiHeadAttention

MultiHeadAttention::MultiHeadAttention(
    int dims,
    int num_heads,
    std::optional<int> query_input_dims,
    std::optional<int> key_input_dims,
    std::optional<int> value_input_dims,
    std::optional<int> value_dims,
    std::optional<int> value_output_dims,
    bool bias)
    : num_heads_(num_heads), query_input_dims_(query_input_dims.value_or(dims)),
      key_input_dims_(key_input_dims.value_or(dims)),
      value_input_dims_(value_input_dims.value_or(key_input_dims_)) {
  check_positive("MultiHeadAttention", "num_heads", num_heads);
  int vdims = value_dims.value_or(dims);
  if (dims % num_heads != 0 || vdims % num_heads != 0) {
    throw_error(
        "[MultiHeadAttention] The feature dimensions should be divisible by "
        "the number of heads, got dims=",
        dims,
        ", value_dims=",
        vdims,
        " and num_heads=",
        num_heads,
        ".");
  }
  int qin = query_input_dims_;
  int kin = key_input_dims_;
  int vin = value_input_dims_;
  register_module("query_proj", std::make_shared<Linear>(qin, dims, bias));
  register_module("key_proj", std::make_shared<Linear>(kin, dims, bias));
  register_module("value_proj", std::make_shared<Linear>(vin, vdims, bias));
  register_module(
      "out_proj",
      std::make_shared<Linear>(vdims, value_output_dims.value_or(dims), bias));
}

array MultiHeadAttention::operator()(
    const array& queries,
    const array& keys,
    const array& values,
    const std::optional<array>& mask) {
  int qin = query_input_dims_;
  int kin = key_input_dims_;
  int vin = value_input_dims_;
  bool ok = queries.ndim() == 3 && keys.ndim() == 3 && values.ndim() == 3 &&
            queries.shape(-1) == qin && keys.shape(-1) == kin &&
            values.shape(-1) == vin && keys.shape(0) == queries.shape(0) &&
            values.shape(0) == queries.shape(0) &&
            keys.shape(1) == values.shape(1);
  if (!ok) {
    throw_error(
        "[MultiHeadAttention] Expected queries (B, L, ",
        qin,
        "), keys (B, S, ",
        kin,
        ") and values (B, S, ",
        vin,
        "), got ",
        queries.shape(),
        ", ",
        keys.shape(),
        " and ",
        values.shape(),
        ".");
  }
  // (B, L, heads * d) -> (B, heads, L, d).
  auto split_heads = [&](const array& x) {
    return mx::transpose(mx::unflatten(x, -1, {num_heads_, -1}), {0, 2, 1, 3});
  };
  // Through child(): the projections may have been swapped (LoRA).
  array q = split_heads((*child("query_proj"))(queries));
  array k = split_heads((*child("key_proj"))(keys));
  array v = split_heads((*child("value_proj"))(values));
  float scale = 1.0f / std::sqrt(static_cast<float>(q.shape(-1)));
  array out = mask ? mx::fast::scaled_dot_product_attention(
                         q, k, v, scale, "array", *mask)
                   : mx::fast::scaled_dot_product_attention(q, k, v, scale);
  out = mx::flatten(mx::transpose(out, {0, 2, 1, 3}), -2, -1);
  return (*child("out_proj"))(out);
}

array MultiHeadAttention::create_additive_causal_mask(int N, mx::Dtype dtype) {
  array indices = mx::arange(N);
  array future = mx::less(
      mx::expand_dims(indices, 1), mx::expand_dims(indices, 0)); // j > i
  return mx::multiply(
      mx::astype(future, dtype), mx::array(mx::finfo(dtype).min, dtype));
}

// ------------------------------------------------------------- encoder

TransformerEncoderLayer::TransformerEncoderLayer(
    int dims,
    int num_heads,
    std::optional<int> mlp_dims,
    float dropout,
    Activation activation,
    bool norm_first)
    : dims_(dims), norm_first_(norm_first),
      activation_(or_relu(std::move(activation))) {
  int hidden = mlp_dims.value_or(4 * dims);
  attention_ = register_module(
      "attention", std::make_shared<MultiHeadAttention>(dims, num_heads));
  ln1_ = register_module("ln1", std::make_shared<LayerNorm>(dims));
  ln2_ = register_module("ln2", std::make_shared<LayerNorm>(dims));
  register_module("linear1", std::make_shared<Linear>(dims, hidden));
  register_module("linear2", std::make_shared<Linear>(hidden, dims));
  dropout1_ = register_module("dropout1", std::make_shared<Dropout>(dropout));
  dropout2_ = register_module("dropout2", std::make_shared<Dropout>(dropout));
}

std::string TransformerEncoderLayer::describe() const {
  return std::string("norm_first=") + (norm_first_ ? "true" : "false");
}

array TransformerEncoderLayer::operator()(
    const array& x_in, const std::optional<array>& mask) {
  check_sequence("TransformerEncoderLayer", "an input", x_in, dims_);
  auto mlp = [&](const array& y) {
    // The linear layers through child(), which LoRA may have swapped.
    return (*child("linear2"))(
        (*dropout2_)(activation_((*child("linear1"))(y))));
  };
  array x = x_in;
  if (norm_first_) {
    array y = (*ln1_)(x);
    x = x + (*dropout1_)((*attention_)(y, y, y, mask));
    return x + mlp((*ln2_)(x));
  }
  x = (*ln1_)(x + (*dropout1_)((*attention_)(x, x, x, mask)));
  return (*ln2_)(x + mlp(x));
}

TransformerEncoder::TransformerEncoder(
    int num_layers,
    int dims,
    int num_heads,
    std::optional<int> mlp_dims,
    float dropout,
    Activation activation,
    bool norm_first,
    bool checkpoint)
    : checkpoint_(checkpoint) {
  if (num_layers < 0) {
    throw_error(
        "[TransformerEncoder] num_layers must be non-negative, got ",
        num_layers,
        ".");
  }
  std::vector<std::shared_ptr<TransformerEncoderLayer>> layers;
  for (int i = 0; i < num_layers; ++i) {
    layers.push_back(std::make_shared<TransformerEncoderLayer>(
        dims, num_heads, mlp_dims, dropout, activation, norm_first));
  }
  layers_ = register_modules("layers", std::move(layers));
  ln_ = register_module("ln", std::make_shared<LayerNorm>(dims));
}

array TransformerEncoder::operator()(
    const array& x_in, const std::optional<array>& mask) {
  array x = x_in;
  for (auto& layer : layers_) {
    if (!checkpoint_) {
      x = (*layer)(x, mask);
      continue;
    }
    std::vector<array> inputs;
    inputs.reserve(2);
    inputs.push_back(x);
    append_present(inputs, {&mask});
    // The backward pass calls this again after we return: capture by value.
    x = checkpointed(
        *layer,
        inputs,
        [layer, has_mask = mask.has_value()](const std::vector<array>& a) {
          size_t next = 1;
          return (*layer)(a[0], next_present(has_mask, a, next));
        });
  }
  return (*ln_)(x);
}

// ------------------------------------------------------------- decoder

TransformerDecoderLayer::TransformerDecoderLayer(
    int dims,
    int num_heads,
    std::optional<int> mlp_dims,
    float dropout,
    Activation activation,
    bool norm_first)
    : dims_(dims), norm_first_(norm_first),
      activation_(or_relu(std::move(activation))) {
  int hidden = mlp_dims.value_or(4 * dims);
  self_attention_ = register_module(
      "self_attention", std::make_shared<MultiHeadAttention>(dims, num_heads));
  cross_attention_ = register_module(
      "cross_attention", std::make_shared<MultiHeadAttention>(dims, num_heads));
  ln1_ = register_module("ln1", std::make_shared<LayerNorm>(dims));
  ln2_ = register_module("ln2", std::make_shared<LayerNorm>(dims));
  ln3_ = register_module("ln3", std::make_shared<LayerNorm>(dims));
  register_module("linear1", std::make_shared<Linear>(dims, hidden));
  register_module("linear2", std::make_shared<Linear>(hidden, dims));
  dropout1_ = register_module("dropout1", std::make_shared<Dropout>(dropout));
  dropout2_ = register_module("dropout2", std::make_shared<Dropout>(dropout));
  dropout3_ = register_module("dropout3", std::make_shared<Dropout>(dropout));
}

std::string TransformerDecoderLayer::describe() const {
  return std::string("norm_first=") + (norm_first_ ? "true" : "false");
}

array TransformerDecoderLayer::operator()(
    const array& x_in,
    const array& memory,
    const std::optional<array>& x_mask,
    const std::optional<array>& memory_mask) {
  check_sequence("TransformerDecoderLayer", "an input", x_in, dims_);
  check_sequence("TransformerDecoderLayer", "a memory", memory, dims_);
  auto mlp = [&](const array& y) {
    // The linear layers through child(), which LoRA may have swapped.
    return (*child("linear2"))(
        (*dropout3_)(activation_((*child("linear1"))(y))));
  };
  array x = x_in;
  if (norm_first_) {
    array y = (*ln1_)(x);
    x = x + (*dropout1_)((*self_attention_)(y, y, y, x_mask));
    y = (*ln2_)(x);
    x = x + (*dropout2_)((*cross_attention_)(y, memory, memory, memory_mask));
    return x + mlp((*ln3_)(x));
  }
  array y = (*dropout1_)((*self_attention_)(x, x, x, x_mask));
  x = (*ln1_)(x + y);
  // MLX queries the memory with y (not the normalized x) here.
  y = (*dropout2_)((*cross_attention_)(y, memory, memory, memory_mask));
  x = (*ln2_)(x + y);
  return (*ln3_)(x + mlp(x));
}

TransformerDecoder::TransformerDecoder(
    int num_layers,
    int dims,
    int num_heads,
    std::optional<int> mlp_dims,
    float dropout,
    Activation activation,
    bool norm_first,
    bool checkpoint)
    : checkpoint_(checkpoint) {
  if (num_layers < 0) {
    throw_error(
        "[TransformerDecoder] num_layers must be non-negative, got ",
        num_layers,
        ".");
  }
  std::vector<std::shared_ptr<TransformerDecoderLayer>> layers;
  for (int i = 0; i < num_layers; ++i) {
    layers.push_back(std::make_shared<TransformerDecoderLayer>(
        dims, num_heads, mlp_dims, dropout, activation, norm_first));
  }
  layers_ = register_modules("layers", std::move(layers));
  ln_ = register_module("ln", std::make_shared<LayerNorm>(dims));
}

array TransformerDecoder::operator()(
    const array& x_in,
    const array& memory,
    const std::optional<array>& x_mask,
    const std::optional<array>& memory_mask) {
  array x = x_in;
  for (auto& layer : layers_) {
    if (!checkpoint_) {
      x = (*layer)(x, memory, x_mask, memory_mask);
      continue;
    }
    std::vector<array> inputs = {x, memory};
    append_present(inputs, {&x_mask, &memory_mask});
    x = checkpointed(
        *layer,
        inputs,
        [layer,
         has_x_mask = x_mask.has_value(),
         has_memory_mask =
             memory_mask.has_value()](const std::vector<array>& a) {
          size_t next = 2;
          auto xm = next_present(has_x_mask, a, next);
          auto mm = next_present(has_memory_mask, a, next);
          return (*layer)(a[0], a[1], xm, mm);
        });
  }
  return (*ln_)(x);
}

// --------------------------------------------------------- Transformer

Transformer::Transformer(
    int dims,
    int num_heads,
    int num_encoder_layers,
    int num_decoder_layers,
    std::optional<int> mlp_dims,
    float dropout,
    Activation activation,
    std::shared_ptr<TransformerEncoderBase> custom_encoder,
    std::shared_ptr<TransformerDecoderBase> custom_decoder,
    bool norm_first,
    bool checkpoint) {
  if (!custom_encoder) {
    custom_encoder = std::make_shared<TransformerEncoder>(
        num_encoder_layers,
        dims,
        num_heads,
        mlp_dims,
        dropout,
        activation,
        norm_first,
        checkpoint);
  }
  if (!custom_decoder) {
    custom_decoder = std::make_shared<TransformerDecoder>(
        num_decoder_layers,
        dims,
        num_heads,
        mlp_dims,
        dropout,
        activation,
        norm_first,
        checkpoint);
  }
  encoder_ = register_module("encoder", std::move(custom_encoder));
  decoder_ = register_module("decoder", std::move(custom_decoder));
}

array Transformer::operator()(
    const array& src,
    const array& tgt,
    const std::optional<array>& src_mask,
    const std::optional<array>& tgt_mask,
    const std::optional<array>& memory_mask) {
  array memory = (*encoder_)(src, src_mask);
  return (*decoder_)(tgt, memory, tgt_mask, memory_mask);
}

} // namespace mlx::nn
