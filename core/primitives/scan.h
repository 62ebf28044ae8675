// Scans (cumulative reductions) along one axis: cumsum, cumprod, cummax,
// cummin, logcumsumexp. The output has the input's shape and dtype (the
// front-end converts bool and integer inputs where MLX changes the dtype).
#pragma once

#include "mlx/primitives/primitive.h"

namespace mlx::core {

enum class ScanOp { Sum, Prod, Max, Min, LogAddExp };

class Scan : public UnaryPrimitive {
public:
  Scan(Stream stream, ScanOp op, int axis, bool reverse, bool inclusive)
      : UnaryPrimitive(stream), op_(op), axis_(axis), reverse_(reverse),
        inclusive_(inclusive) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override;
  bool is_equivalent(const Primitive& other) const override;

  ScanOp op() const { return op_; }
  int axis() const { return axis_; }
  bool reverse() const { return reverse_; }
  bool inclusive() const { return inclusive_; }

private:
  ScanOp op_;
  int axis_; // normalized, in [0, ndim)
  bool reverse_;
  bool inclusive_;
};

} // namespace mlx::core
