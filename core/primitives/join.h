// Joining primitives. Kernels live in backend/cpu/join.cpp.
#pragma once

#include "mlx/primitives/primitive.h"

namespace mlx::core {

/** Joins the inputs along `axis` (their shapes agree elsewhere). Inputs
 * may differ in dtype: each is converted to the output's while copied. */
class Concatenate : public UnaryPrimitive {
public:
  Concatenate(Stream stream, int axis) : UnaryPrimitive(stream), axis_(axis) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()
  const char* name() const override { return "Concatenate"; }
  bool is_equivalent(const Primitive& other) const override;
  int axis() const { return axis_; }

private:
  int axis_;
};

} // namespace mlx::core
