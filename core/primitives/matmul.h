// Matrix products. Matmul and AddMM take inputs whose batch dims are
// already broadcast to the output's (a: [..., M, K], b: [..., K, N]);
// GatherMM takes a and b with their own batch dims and index arrays that
// pick the matrices. All take operands of the output's dtype; the op
// front-ends handle 1-D operands and promotion.
#pragma once

#include "mlx/primitives/primitive.h"

namespace mlx::core {

/** out = a @ b */
class Matmul : public UnaryPrimitive {
public:
  explicit Matmul(Stream stream) : UnaryPrimitive(stream) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override { return "Matmul"; }
  bool is_equivalent(const Primitive& other) const override;
};

/** out = alpha * (a @ b) + beta * c; inputs are {c, a, b} with c already
 * broadcast to the output's shape. */
class AddMM : public UnaryPrimitive {
public:
  AddMM(Stream stream, float alpha, float beta)
      : UnaryPrimitive(stream), alpha_(alpha), beta_(beta) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override { return "AddMM"; }
  bool is_equivalent(const Primitive& other) const override;
  float alpha() const { return alpha_; }
  float beta() const { return beta_; }

private:
  float alpha_;
  float beta_;
};

/** out[i] = a[lhs[i]] @ b[rhs[i]]; inputs are {a, b, lhs, rhs}: a
 * [A..., M, K] and b [B..., K, N] indexed by their flattened batch dims,
 * lhs and rhs integer arrays already broadcast to the output's batch shape
 * (negative indices count from the end). The kernel reads the indexed
 * matrices in place: nothing is gathered. */
class GatherMM : public UnaryPrimitive {
public:
  explicit GatherMM(Stream stream) : UnaryPrimitive(stream) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override { return "GatherMM"; }
  bool is_equivalent(const Primitive& other) const override;
};

/** out[o[i]] += a[l[i]] @ b[r[i]] over the products i, out [O..., M, N]
 * starting at zero: GatherMM's gradients, which sum the products that
 * share a matrix without materializing them. Inputs {a, b, l, r, o}, the
 * index arrays of one shape (one entry per product) into the flattened
 * batch dims of a, b and out. */
class GatherMMScatterAdd : public UnaryPrimitive {
public:
  GatherMMScatterAdd(Stream stream, Shape out_batch)
      : UnaryPrimitive(stream), out_batch_(std::move(out_batch)) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override { return "GatherMMScatterAdd"; }
  bool is_equivalent(const Primitive& other) const override;
  const Shape& out_batch() const { return out_batch_; }

private:
  Shape out_batch_; // O: the output's batch shape
};

} // namespace mlx::core
