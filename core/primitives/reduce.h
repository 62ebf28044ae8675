// Reductions. The output keeps the reduced axes with size 1; the op
// front-end squeezes them unless keepdims.
#pragma once

#include "mlx/primitives/primitive.h"

namespace mlx::core {

enum class ReduceOp { And, Or, Sum, Prod, Min, Max };

class Reduce : public UnaryPrimitive {
public:
  Reduce(Stream stream, ReduceOp op, std::vector<int> axes)
      : UnaryPrimitive(stream), op_(op), axes_(std::move(axes)) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override;
  bool is_equivalent(const Primitive& other) const override;
  ReduceOp op() const { return op_; }
  const std::vector<int>& axes() const { return axes_; }

private:
  ReduceOp op_;
  std::vector<int> axes_;
};

enum class ArgReduceOp { ArgMin, ArgMax };

/** Index of the extreme element along one axis (kept with size 1). */
class ArgReduce : public UnaryPrimitive {
public:
  ArgReduce(Stream stream, ArgReduceOp op, int axis)
      : UnaryPrimitive(stream), op_(op), axis_(axis) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override {
    return op_ == ArgReduceOp::ArgMin ? "ArgMin" : "ArgMax";
  }
  bool is_equivalent(const Primitive& other) const override;
  ArgReduceOp op() const { return op_; }
  int axis() const { return axis_; }

private:
  ArgReduceOp op_;
  int axis_;
};

} // namespace mlx::core
