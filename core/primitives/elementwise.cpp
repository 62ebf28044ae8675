#include "mlx/primitives/elementwise.h"

namespace mlx::core {

const char* Unary::name() const {
  switch (op_) {
  case UnaryOp::Abs:
    return "Abs";
  case UnaryOp::Negative:
    return "Negative";
  case UnaryOp::Sign:
    return "Sign";
  case UnaryOp::Square:
    return "Square";
  case UnaryOp::Sqrt:
    return "Sqrt";
  case UnaryOp::Rsqrt:
    return "Rsqrt";
  case UnaryOp::Exp:
    return "Exp";
  case UnaryOp::Expm1:
    return "Expm1";
  case UnaryOp::Log:
    return "Log";
  case UnaryOp::Log2:
    return "Log2";
  case UnaryOp::Log10:
    return "Log10";
  case UnaryOp::Log1p:
    return "Log1p";
  case UnaryOp::Sin:
    return "Sin";
  case UnaryOp::Cos:
    return "Cos";
  case UnaryOp::Tan:
    return "Tan";
  case UnaryOp::ArcSin:
    return "ArcSin";
  case UnaryOp::ArcCos:
    return "ArcCos";
  case UnaryOp::ArcTan:
    return "ArcTan";
  case UnaryOp::Sinh:
    return "Sinh";
  case UnaryOp::Cosh:
    return "Cosh";
  case UnaryOp::Tanh:
    return "Tanh";
  case UnaryOp::ArcSinh:
    return "ArcSinh";
  case UnaryOp::ArcCosh:
    return "ArcCosh";
  case UnaryOp::ArcTanh:
    return "ArcTanh";
  case UnaryOp::Floor:
    return "Floor";
  case UnaryOp::Ceil:
    return "Ceil";
  case UnaryOp::Round:
    return "Round";
  case UnaryOp::Erf:
    return "Erf";
  case UnaryOp::ErfInv:
    return "ErfInv";
  case UnaryOp::Sigmoid:
    return "Sigmoid";
  case UnaryOp::LogicalNot:
    return "LogicalNot";
  case UnaryOp::BitwiseInvert:
    return "BitwiseInvert";
  case UnaryOp::Conjugate:
    return "Conjugate";
  case UnaryOp::Real:
    return "Real";
  case UnaryOp::Imag:
    return "Imag";
  }
  return "Unary";
}

bool Unary::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Unary*>(&other);
  return o && o->op_ == op_;
}

bool is_comparison(BinaryOp op) {
  switch (op) {
  case BinaryOp::Equal:
  case BinaryOp::NaNEqual:
  case BinaryOp::NotEqual:
  case BinaryOp::Less:
  case BinaryOp::LessEqual:
  case BinaryOp::Greater:
  case BinaryOp::GreaterEqual:
  case BinaryOp::LogicalAnd:
  case BinaryOp::LogicalOr:
    return true;
  default:
    return false;
  }
}

const char* Binary::name() const {
  switch (op_) {
  case BinaryOp::Add:
    return "Add";
  case BinaryOp::Subtract:
    return "Subtract";
  case BinaryOp::Multiply:
    return "Multiply";
  case BinaryOp::Divide:
    return "Divide";
  case BinaryOp::Remainder:
    return "Remainder";
  case BinaryOp::FloorDivide:
    return "FloorDivide";
  case BinaryOp::Maximum:
    return "Maximum";
  case BinaryOp::Minimum:
    return "Minimum";
  case BinaryOp::Power:
    return "Power";
  case BinaryOp::ArcTan2:
    return "ArcTan2";
  case BinaryOp::LogAddExp:
    return "LogAddExp";
  case BinaryOp::Equal:
    return "Equal";
  case BinaryOp::NaNEqual:
    return "NaNEqual";
  case BinaryOp::NotEqual:
    return "NotEqual";
  case BinaryOp::Less:
    return "Less";
  case BinaryOp::LessEqual:
    return "LessEqual";
  case BinaryOp::Greater:
    return "Greater";
  case BinaryOp::GreaterEqual:
    return "GreaterEqual";
  case BinaryOp::LogicalAnd:
    return "LogicalAnd";
  case BinaryOp::LogicalOr:
    return "LogicalOr";
  case BinaryOp::BitwiseAnd:
    return "BitwiseAnd";
  case BinaryOp::BitwiseOr:
    return "BitwiseOr";
  case BinaryOp::BitwiseXor:
    return "BitwiseXor";
  case BinaryOp::LeftShift:
    return "LeftShift";
  case BinaryOp::RightShift:
    return "RightShift";
  }
  return "Binary";
}

bool Binary::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Binary*>(&other);
  return o && o->op_ == op_;
}

bool AsType::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const AsType*>(&other);
  return o && o->dtype_ == dtype_;
}

} // namespace mlx::core
