// The fused primitives behind mlx/fast.h. Their inputs are prepared by the
// front-ends (core/fast.cpp): cast to the output's dtype, masks broadcast,
// offsets int32. Their transform rules differentiate (or vectorize) the
// same computation written with ops (on the CPU the norms' and attention's
// vjps run that derivative as one kernel: fast_vjp.h).
#pragma once

#include "mlx/primitives/primitive.h"

namespace mlx::core::fast {

/** Inputs {x} or {x, weight}: x * rsqrt(mean(x^2, -1) + eps) [* weight]. */
class RMSNorm : public UnaryPrimitive {
public:
  RMSNorm(Stream stream, float eps) : UnaryPrimitive(stream), eps_(eps) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override { return "RMSNorm"; }
  bool is_equivalent(const Primitive& other) const override;
  float eps() const { return eps_; }

private:
  float eps_;
};

/** Inputs {x, [weight], [bias]}: normalized x [* weight] [+ bias]. */
class LayerNorm : public UnaryPrimitive {
public:
  LayerNorm(Stream stream, float eps, bool has_weight, bool has_bias)
      : UnaryPrimitive(stream), eps_(eps), has_weight_(has_weight),
        has_bias_(has_bias) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override { return "LayerNorm"; }
  bool is_equivalent(const Primitive& other) const override;
  float eps() const { return eps_; }
  bool has_weight() const { return has_weight_; }
  bool has_bias() const { return has_bias_; }

private:
  float eps_;
  bool has_weight_;
  bool has_bias_;
};

/** Inputs {x, offset (int32, 1 or B entries), [freqs]}; freqs (when given)
 * and the angles are float64 for float64 x, else float32. `forward` false
 * rotates the other way (the transpose, used by the vjp). */
class RoPE : public UnaryPrimitive {
public:
  RoPE(
      Stream stream,
      int dims,
      bool traditional,
      float base,
      float scale,
      bool forward)
      : UnaryPrimitive(stream), dims_(dims), traditional_(traditional),
        base_(base), scale_(scale), forward_(forward) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override { return "RoPE"; }
  bool is_equivalent(const Primitive& other) const override;
  int dims() const { return dims_; }
  bool traditional() const { return traditional_; }
  float base() const { return base_; }
  float scale() const { return scale_; }
  bool forward() const { return forward_; }

private:
  int dims_;
  bool traditional_;
  float base_; // unused when freqs are given
  float scale_;
  bool forward_;
};

/** Inputs {q, k, v, [mask], [sinks]} of one floating dtype (a boolean
 * mask stays bool), the mask broadcast to [B, N_q, T_q, T_kv]. */
class ScaledDotProductAttention : public UnaryPrimitive {
public:
  ScaledDotProductAttention(
      Stream stream, float scale, bool causal, bool has_mask, bool has_sinks)
      : UnaryPrimitive(stream), scale_(scale), causal_(causal),
        has_mask_(has_mask), has_sinks_(has_sinks) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override { return "ScaledDotProductAttention"; }
  bool is_equivalent(const Primitive& other) const override;
  float scale() const { return scale_; }
  bool causal() const { return causal_; }
  bool has_mask() const { return has_mask_; }
  bool has_sinks() const { return has_sinks_; }

private:
  float scale_;
  bool causal_;
  bool has_mask_;
  bool has_sinks_;
};

/** The fused primitive's computation written with ops (what its gradients
 * go through, and what runs on a device without its fused kernel). */
array composed(const Primitive& p, const std::vector<array>& inputs);

} // namespace mlx::core::fast
