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
  int axis() const { return axis_; }

private:
  int axis_;
};

/** inputs {a, indices, updates}, all 1-D: a copy of `a` with updates[k]
 * combined into a[indices[k]] by the reduction (None writes it). The ops
 * gather/scatter* (ops/scatter.cpp) reduce MLX's N-d forms to this one on
 * the flattened array; indices are int64 and updates have a's dtype. */
class Scatter : public UnaryPrimitive {
public:
  enum ReduceType { None, Sum, Prod, Max, Min };

  Scatter(Stream stream, ReduceType reduce)
      : UnaryPrimitive(stream), reduce_(reduce) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()
  const char* name() const override { return "Scatter"; }
  bool is_equivalent(const Primitive& other) const override;
  ReduceType reduce_type() const { return reduce_; }
  /** The op's name for messages: "scatter", "scatter_add", ... */
  const char* op_name() const;

private:
  ReduceType reduce_;
};

/** The Scatter primitive on 1-D a, indices (int64) and updates. */
array scatter_flat(
    const array& a,
    const array& indices,
    const array& updates,
    Scatter::ReduceType reduce,
    StreamOrDevice s = {});

} // namespace mlx::core
