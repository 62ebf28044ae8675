// FusedVJP: the backward pass of a fused primitive (mlx/fast.h) as one
// kernel, used by their vjp rules (fast_transforms.cpp) on the CPU.
#pragma once

#include <memory>
#include <vector>

#include "mlx/primitives/fast.h"

namespace mlx::core::fast {

/** The vjp of a fused primitive as one CPU kernel: LayerNorm and RMSNorm
 * (dx, dweight, dbias in one pass per row plus column sums) and
 * ScaledDotProductAttention (P recomputed a block of query rows at a time,
 * dS = P (dP - rowsum(dO O)), never the whole attention matrix; no mask or
 * sinks gradients). Inputs: the forward's inputs, its output's cotangent
 * and its output; outputs: the cotangents of the inputs in argnums. Its
 * own rules differentiate the vjp of the composed form. */
class FusedVJP : public Primitive {
public:
  FusedVJP(
      Stream stream,
      std::shared_ptr<Primitive> forward,
      std::vector<int> argnums)
      : Primitive(stream), forward_(std::move(forward)),
        argnums_(std::move(argnums)) {}

  void eval_cpu(
      const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(
      const std::vector<array>& inputs, std::vector<array>& outputs) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override { return "FusedVJP"; }
  bool is_equivalent(const Primitive& other) const override;
  const Primitive& forward() const { return *forward_; }
  const std::vector<int>& argnums() const { return argnums_; }

private:
  std::shared_ptr<Primitive> forward_;
  std::vector<int> argnums_;
};

} // namespace mlx::core::fast
