// Element-wise primitives: one class per arity, the op chosen by an enum.
// Kernels live in backend/cpu/{unary,binary,ternary}.cpp.
#pragma once

#include "mlx/primitives/primitive.h"

namespace mlx::core {

enum class UnaryOp {
  Abs,
  Negative,
  Sign,
  Square,
  Sqrt,
  Rsqrt,
  Exp,
  Expm1,
  Log,
  Log2,
  Log10,
  Log1p,
  Sin,
  Cos,
  Tan,
  ArcSin,
  ArcCos,
  ArcTan,
  Sinh,
  Cosh,
  Tanh,
  ArcSinh,
  ArcCosh,
  ArcTanh,
  Floor,
  Ceil,
  Round,
  Erf,
  ErfInv,
  Sigmoid,
  LogicalNot,
  BitwiseInvert,
  Conjugate,
  Real,
  Imag,
};

class Unary : public UnaryPrimitive {
public:
  Unary(Stream stream, UnaryOp op) : UnaryPrimitive(stream), op_(op) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override;
  bool is_equivalent(const Primitive& other) const override;
  UnaryOp op() const { return op_; }

private:
  UnaryOp op_;
};

enum class BinaryOp {
  Add,
  Subtract,
  Multiply,
  Divide,
  Remainder,
  FloorDivide,
  Maximum,
  Minimum,
  Power,
  ArcTan2,
  LogAddExp,
  Equal,
  NaNEqual, // equality where nan == nan (array_equal with equal_nan)
  NotEqual,
  Less,
  LessEqual,
  Greater,
  GreaterEqual,
  LogicalAnd,
  LogicalOr,
  BitwiseAnd,
  BitwiseOr,
  BitwiseXor,
  LeftShift,
  RightShift,
};

/** True for ops whose output is bool whatever the input dtype. */
bool is_comparison(BinaryOp op);

class Binary : public UnaryPrimitive {
public:
  Binary(Stream stream, BinaryOp op) : UnaryPrimitive(stream), op_(op) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override;
  bool is_equivalent(const Primitive& other) const override;
  BinaryOp op() const { return op_; }

private:
  BinaryOp op_;
};

/** where(condition, x, y) */
class Select : public UnaryPrimitive {
public:
  explicit Select(Stream stream) : UnaryPrimitive(stream) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override { return "Select"; }
  bool is_equivalent(const Primitive&) const override { return true; }
};

/** Element-wise dtype conversion. */
class AsType : public UnaryPrimitive {
public:
  AsType(Stream stream, Dtype dtype) : UnaryPrimitive(stream), dtype_(dtype) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override { return "AsType"; }
  bool is_equivalent(const Primitive& other) const override;
  Dtype dtype() const { return dtype_; }

private:
  Dtype dtype_;
};

} // namespace mlx::core
