// Attention and transformer layers of mlx.nn: MultiHeadAttention,
// TransformerEncoderLayer / TransformerEncoder, TransformerDecoderLayer /
// TransformerDecoder and Transformer, with MLX's parameter names (so that
// weights saved by MLX load here) and defaults.
//
// Sequences are (B, L, dims). Masks are additive (0 where attending, a
// very negative number elsewhere, e.g. create_additive_causal_mask) or
// boolean (true = attend), broadcastable to (B, num_heads, L_q, L_k);
// std::nullopt means no mask.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mlx/dtype.h"
#include "mlx/nn/layers/dropout.h"
#include "mlx/nn/layers/linear.h"
#include "mlx/nn/layers/normalization.h"
#include "mlx/nn/module.h"

namespace mlx::nn {

/** The MLP's activation; nullptr selects relu (MLX's default). */
using Activation = std::function<array(const array&)>;

/**
 * Multi-head scaled dot-product attention (through
 * mlx::core::fast::scaled_dot_product_attention, scale 1/sqrt(head dims)).
 * Children: query_proj (query_input_dims -> dims), key_proj (key_input_dims
 * -> dims), value_proj (value_input_dims -> value_dims), out_proj
 * (value_dims -> value_output_dims), all Linear with `bias`. Unset sizes
 * default as MLX: query/key inputs and value/output dims to dims, value
 * inputs to key_input_dims. dims and value_dims must be multiples of
 * num_heads.
 */
class MultiHeadAttention : public Module {
public:
  MultiHeadAttention(
      int dims,
      int num_heads,
      std::optional<int> query_input_dims = std::nullopt,
      std::optional<int> key_input_dims = std::nullopt,
      std::optional<int> value_input_dims = std::nullopt,
      std::optional<int> value_dims = std::nullopt,
      std::optional<int> value_output_dims = std::nullopt,
      bool bias = false);

  std::string name() const override { return "MultiHeadAttention"; }

  /** queries (B, L, query_input_dims), keys (B, S, key_input_dims), values
   * (B, S, value_input_dims) -> (B, L, value_output_dims). */
  array operator()(
      const array& queries,
      const array& keys,
      const array& values,
      const std::optional<array>& mask = std::nullopt);

  /** (N, N) additive mask: 0 on and below the diagonal, the lowest finite
   * value of `dtype` above it (query i does not see keys j > i). */
  static array create_additive_causal_mask(
      int N, mlx::core::Dtype dtype = mlx::core::float32);

  int num_heads() const { return num_heads_; }

private:
  // The projections are called through child() (swappable, e.g. by LoRA);
  // the input sizes are kept for the argument check.
  int num_heads_;
  int query_input_dims_;
  int key_input_dims_;
  int value_input_dims_;
};

/** What Transformer needs of its encoder: (src, src_mask) -> memory. A
 * custom encoder derives from this. */
class TransformerEncoderBase : public Module {
public:
  virtual array
  operator()(const array& x, const std::optional<array>& mask) = 0;
  /** Without a mask. */
  array operator()(const array& x) override { return (*this)(x, std::nullopt); }
};

/** What Transformer needs of its decoder: (tgt, memory, tgt_mask,
 * memory_mask) -> output. A custom decoder derives from this. */
class TransformerDecoderBase : public Module {
public:
  virtual array operator()(
      const array& x,
      const array& memory,
      const std::optional<array>& x_mask,
      const std::optional<array>& memory_mask) = 0;
  using Module::operator();
};

/**
 * Self-attention and an MLP, each with a residual connection. Children:
 * attention (MultiHeadAttention(dims, num_heads)), ln1, ln2 (LayerNorm),
 * linear1 (dims -> mlp_dims, default 4 dims), linear2, dropout1, dropout2.
 * norm_first: x + f(ln(x)) (pre-norm); otherwise ln(x + f(x)).
 */
class TransformerEncoderLayer : public TransformerEncoderBase {
public:
  TransformerEncoderLayer(
      int dims,
      int num_heads,
      std::optional<int> mlp_dims = std::nullopt,
      float dropout = 0.0f,
      Activation activation = nullptr,
      bool norm_first = true);

  std::string name() const override { return "TransformerEncoderLayer"; }
  std::string describe() const override;

  using TransformerEncoderBase::operator();
  array operator()(const array& x, const std::optional<array>& mask) override;

private:
  int dims_;
  bool norm_first_;
  Activation activation_;
  std::shared_ptr<MultiHeadAttention> attention_;
  std::shared_ptr<LayerNorm> ln1_, ln2_;
  std::shared_ptr<Dropout> dropout1_, dropout2_;
};

/** num_layers encoder layers ("layers.0", ...) then a LayerNorm ("ln").
 * checkpoint: each layer's activations are recomputed in the backward pass
 * instead of kept (mlx::core::checkpoint). */
class TransformerEncoder : public TransformerEncoderBase {
public:
  TransformerEncoder(
      int num_layers,
      int dims,
      int num_heads,
      std::optional<int> mlp_dims = std::nullopt,
      float dropout = 0.0f,
      Activation activation = nullptr,
      bool norm_first = true,
      bool checkpoint = false);

  std::string name() const override { return "TransformerEncoder"; }

  using TransformerEncoderBase::operator();
  array operator()(const array& x, const std::optional<array>& mask) override;

private:
  bool checkpoint_;
  std::vector<std::shared_ptr<TransformerEncoderLayer>> layers_;
  std::shared_ptr<LayerNorm> ln_;
};

/**
 * Self-attention on x, cross-attention from x to memory, and an MLP, each
 * with a residual connection. Children: self_attention, cross_attention,
 * ln1, ln2, ln3, linear1, linear2, dropout1, dropout2, dropout3.
 * Without norm_first the cross-attention's queries are the self-attention
 * output before its residual and norm, exactly as MLX computes it.
 */
class TransformerDecoderLayer : public TransformerDecoderBase {
public:
  TransformerDecoderLayer(
      int dims,
      int num_heads,
      std::optional<int> mlp_dims = std::nullopt,
      float dropout = 0.0f,
      Activation activation = nullptr,
      bool norm_first = true);

  std::string name() const override { return "TransformerDecoderLayer"; }
  std::string describe() const override;

  using TransformerDecoderBase::operator();
  array operator()(
      const array& x,
      const array& memory,
      const std::optional<array>& x_mask,
      const std::optional<array>& memory_mask) override;

private:
  int dims_;
  bool norm_first_;
  Activation activation_;
  std::shared_ptr<MultiHeadAttention> self_attention_, cross_attention_;
  std::shared_ptr<LayerNorm> ln1_, ln2_, ln3_;
  std::shared_ptr<Dropout> dropout1_, dropout2_, dropout3_;
};

/** num_layers decoder layers ("layers.0", ...) then a LayerNorm ("ln"). */
class TransformerDecoder : public TransformerDecoderBase {
public:
  TransformerDecoder(
      int num_layers,
      int dims,
      int num_heads,
      std::optional<int> mlp_dims = std::nullopt,
      float dropout = 0.0f,
      Activation activation = nullptr,
      bool norm_first = true,
      bool checkpoint = false);

  std::string name() const override { return "TransformerDecoder"; }

  using TransformerDecoderBase::operator();
  array operator()(
      const array& x,
      const array& memory,
      const std::optional<array>& x_mask,
      const std::optional<array>& memory_mask) override;

private:
  bool checkpoint_;
  std::vector<std::shared_ptr<TransformerDecoderLayer>> layers_;
  std::shared_ptr<LayerNorm> ln_;
};

/** Encoder ("encoder") and decoder ("decoder"): memory = encoder(src,
 * src_mask); returns decoder(tgt, memory, tgt_mask, memory_mask). A given
 * custom_encoder / custom_decoder replaces the standard one. */
class Transformer : public Module {
public:
  Transformer(
      int dims = 512,
      int num_heads = 8,
      int num_encoder_layers = 6,
      int num_decoder_layers = 6,
      std::optional<int> mlp_dims = std::nullopt,
      float dropout = 0.0f,
      Activation activation = nullptr,
      std::shared_ptr<TransformerEncoderBase> custom_encoder = nullptr,
      std::shared_ptr<TransformerDecoderBase> custom_decoder = nullptr,
      bool norm_first = true,
      bool checkpoint = false);

  std::string name() const override { return "Transformer"; }

  array operator()(
      const array& src,
      const array& tgt,
      const std::optional<array>& src_mask,
      const std::optional<array>& tgt_mask,
      const std::optional<array>& memory_mask);

private:
  std::shared_ptr<TransformerEncoderBase> encoder_;
  std::shared_ptr<TransformerDecoderBase> decoder_;
};

} // namespace mlx::nn
