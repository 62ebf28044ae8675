// Positional encodings of mlx.nn: RoPE, SinusoidalPositionalEncoding and
// ALiBi. None has trainable parameters.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mlx/dtype.h"
#include "mlx/nn/module.h"

namespace mlx::nn {

/**
 * Rotary positional encoding (mlx.core.fast.rope) of x shaped
 * (B, *, T, D): the first `dims` features of position offset + t are
 * rotated in pairs by the angles (offset + t) * scale * base^(-2i/dims);
 * pairs (i, i + dims/2), or (2i, 2i + 1) when `traditional`. Features past
 * `dims` pass unchanged. dims must be even.
 */
class RoPE : public Module {
public:
  explicit RoPE(
      int dims,
      bool traditional = false,
      float base = 10000.0f,
      float scale = 1.0f);
  std::string name() const override { return "RoPE"; }
  std::string describe() const override;

  array operator()(const array& x) override { return (*this)(x, 0); }
  /** Positions start at `offset` (e.g. the length of a key-value cache). */
  array operator()(const array& x, int offset);

  int dims() const { return dims_; }
  bool traditional() const { return traditional_; }
  float base() const { return base_; }
  float scale() const { return scale_; }

private:
  int dims_;
  bool traditional_;
  float base_;
  float scale_;
};

/**
 * Sinusoidal embedding of positions x (any shape, any real dtype) into
 * (x.shape..., dims): [sin(x * f), cos(x * f)] (cos first with cos_first)
 * times `scale`, over dims / 2 frequencies f geometrically spaced from
 * max_freq down to min_freq (times 2 pi with full_turns). scale defaults
 * (nullopt, or 0 as MLX's `scale or default`) to sqrt(2 / dims). dims must
 * be even and at least 4. The frequencies are a plain member, not a
 * parameter (MLX's `_sigmas`).
 */
class SinusoidalPositionalEncoding : public Module {
public:
  explicit SinusoidalPositionalEncoding(
      int dims,
      float min_freq = 0.0001f,
      float max_freq = 1.0f,
      std::optional<float> scale = std::nullopt,
      bool cos_first = false,
      bool full_turns = false);
  std::string name() const override { return "SinusoidalPositionalEncoding"; }
  std::string describe() const override;
  array operator()(const array& x) override;

  int dims() const { return dims_; }
  float scale() const { return scale_; }
  bool cos_first() const { return cos_first_; }
  /** The dims / 2 frequencies, float32. */
  const array& frequencies() const { return sigmas_; }

private:
  int dims_;
  float scale_;
  bool cos_first_;
  array sigmas_;
};

/**
 * Attention with linear biases: adds -slope_h * |i - j| to the attention
 * scores (B, H, T_q, T_k) of head h, query position i = offset + q and key
 * position j; the slopes are those of Press et al. (geometric in the head
 * count, see alibi_slopes). `mask`, when given, is added too.
 */
class ALiBi : public Module {
public:
  ALiBi() = default;
  std::string name() const override { return "ALiBi"; }

  array operator()(const array& attention_scores) override {
    return (*this)(attention_scores, 0);
  }
  array operator()(
      const array& attention_scores,
      int offset,
      const std::optional<array>& mask = std::nullopt);

  /** The per-head slopes (num_heads > 0). */
  static std::vector<double> alibi_slopes(int num_heads);
  /** The slopes as an array of shape (num_heads, 1, 1). */
  static array create_alibi_slope(
      int num_heads, mlx::core::Dtype dtype = mlx::core::float32);
  /** The biases, shape (1, num_heads, q_sequence_length - offset,
   * k_sequence_length), for queries at positions offset ..
   * q_sequence_length - 1. */
  static array create_alibi_matrix(
      int q_sequence_length,
      int k_sequence_length,
      int num_heads,
      int offset,
      mlx::core::Dtype dtype = mlx::core::float32);
};

} // namespace mlx::nn
