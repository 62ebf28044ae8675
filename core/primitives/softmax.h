// Softmax over the last axis as one primitive: one pass per row on the CPU
// instead of the six kernels (max, isinf/where, subtract, exp, sum, divide)
// of the composed form. The front-end (core/ops/reduce.cpp) casts the input
// to a floating dtype and uses it for a softmax over the last axis only.
#pragma once

#include "mlx/primitives/primitive.h"

namespace mlx::core {

/** softmax(x) along the last axis. `precise` computes float16/bfloat16
 * rows in float32 throughout; otherwise their exponentials are rounded to
 * the input dtype before the sum, as the composed form does. */
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
