// Softmax over the last axis as one primitive: one pass per row on the CPU
// instead of the six kernels (max, isinf/where, subtract, exp, sum, divide)
// of the composed form. The front-end (core/ops/reduce.cpp) casts the input
// to a floating dtype and uses it for a softmax over the last axis only.
#pragma once

#include "mlx/primitives/primitive.h"

namespace mlx::core {

/** softmax(x) along the last axis. The CPU kernel computes every row in
 * float (double for float64) and rounds once; a `precise` float16/bfloat16
 * softmax reaches it as float32 (the front-end casts), so `precise` only
 * takes part in equality and in the transforms it rebuilds. */
class Softmax : public UnaryPrimitive {
public:
  Softmax(Stream stream, bool precise)
      : UnaryPrimitive(stream), precise_(precise) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override { return "Softmax"; }
  bool is_equivalent(const Primitive& other) const override;
  bool precise() const { return precise_; }

private:
  bool precise_;
};

} // namespace mlx::core
