// Scatter primitives: accumulate values into an array at index positions.
// Kernels live in backend/cpu/scatter.cpp; indices are wrapped (negative
// counts from the end) and bounds-checked there.
#pragma once

#include "mlx/primitives/primitive.h"

namespace mlx::core {

/** inputs {a, indices, values}: a copy of `a` with every value added at
 * its index along `axis` (duplicates accumulate): the adjoint of
 * TakeAlongAxis. Indices and values have the update shape (a's shape where
 * a has size > 1 off the axis); values have a's dtype. */
class ScatterAddAxis : public UnaryPrimitive {
public:
  ScatterAddAxis(Stream stream, int axis)
      : UnaryPrimitive(stream), axis_(axis) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()
  const char* name() const override { return "ScatterAddAxis"; }
  bool is_equivalent(const Primitive& other) const override;

private:
  int axis_;
};

} // namespace mlx::core
