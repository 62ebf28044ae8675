#include "mlx/ops/elementwise.h"

#include <cmath>
#include <limits>

#include "mlx/ops/creation.h"
#include "mlx/ops/reduce.h"
#include "mlx/ops/shape.h"
#include "mlx/primitives/elementwise.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

// Floating ops on integers and bool compute in float32, as MLX.
Dtype at_least_float(Dtype t) {
  return issubdtype(t, inexact) ? t : float32;
}

// The kernel reads and writes out_dtype, except Real and Imag, which read
// complex64.
array unary(const array& a, UnaryOp op, Dtype out_dtype, StreamOrDevice s) {
  auto stream = to_stream(s);
  bool keep = op == UnaryOp::Real || op == UnaryOp::Imag;
  array in = keep ? a : astype(a, out_dtype, stream);
  return array(a.shape(), out_dtype, std::make_shared<Unary>(stream, op), {in});
}

array float_unary(const array& a, UnaryOp op, StreamOrDevice s) {
  return unary(a, op, at_least_float(a.dtype()), s);
}

array real_float_unary(
    const array& a, UnaryOp op, const char* name, StreamOrDevice s) {
  if (a.dtype() == complex64) {
    throw_error("[", name, "] Not supported for complex64 inputs.");
  }
  return float_unary(a, op, s);
}

// Broadcast both inputs, convert them to `in_dtype` and apply op.
array binary(
    const array& a,
    const array& b,
    BinaryOp op,
    Dtype in_dtype,
    Dtype out_dtype,
    const char* name,
    StreamOrDevice s) {
  auto stream = to_stream(s);
  Shape shape = broadcast_shapes(a.shape(), b.shape(), name);
  array x = broadcast_to(astype(a, in_dtype, stream), shape, stream);
  array y = broadcast_to(astype(b, in_dtype, stream), shape, stream);
  return array(shape, out_dtype, std::make_shared<Binary>(stream, op), {x, y});
}

array arithmetic(
    const array& a,
    const array& b,
    BinaryOp op,
    const char* name,
    StreamOrDevice s) {
  Dtype t = promote_types(a.dtype(), b.dtype());
  return binary(a, b, op, t, t, name, s);
}

array compare(
    const array& a,
    const array& b,
    BinaryOp op,
    const char* name,
    StreamOrDevice s) {
  Dtype t = promote_types(a.dtype(), b.dtype());
  return binary(a, b, op, t, bool_, name, s);
}

array bitwise(
    const array& a,
    const array& b,
    BinaryOp op,
    const char* name,
    StreamOrDevice s) {
  Dtype t = promote_types(a.dtype(), b.dtype());
  if (!issubdtype(t, integer) && t != bool_) {
    throw_error(
        "[",
        name,
        "] Bitwise ops need integer or bool inputs, got ",
        a.dtype(),
        " and ",
        b.dtype(),
        ".");
  }
  return binary(a, b, op, t, t, name, s);
}

} // namespace

array abs(const array& a, StreamOrDevice s) {
  if (a.dtype() == bool_ || issubdtype(a.dtype(), unsignedinteger)) {
    return a;
  }
  return unary(a, UnaryOp::Abs, a.dtype(), s);
}

array negative(const array& a, StreamOrDevice s) {
  if (a.dtype() == bool_) {
    throw_error("[negative] Not supported for bool, use logical_not instead.");
  }
  return unary(a, UnaryOp::Negative, a.dtype(), s);
}

array operator-(const array& a) {
  return negative(a);
}

array sign(const array& a, StreamOrDevice s) {
  return unary(a, UnaryOp::Sign, a.dtype(), s);
}

array square(const array& a, StreamOrDevice s) {
  return unary(a, UnaryOp::Square, a.dtype(), s);
}

array sqrt(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::Sqrt, s);
}
array rsqrt(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::Rsqrt, s);
}
array reciprocal(const array& a, StreamOrDevice s) {
  Dtype t = at_least_float(a.dtype());
  return divide(array(1.0f, t), a, s);
}
array exp(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::Exp, s);
}
array expm1(const array& a, StreamOrDevice s) {
  return real_float_unary(a, UnaryOp::Expm1, "expm1", s);
}
array log(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::Log, s);
}
array log2(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::Log2, s);
}
array log10(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::Log10, s);
}
array log1p(const array& a, StreamOrDevice s) {
  return real_float_unary(a, UnaryOp::Log1p, "log1p", s);
}
array sin(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::Sin, s);
}
array cos(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::Cos, s);
}
array tan(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::Tan, s);
}
array arcsin(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::ArcSin, s);
}
array arccos(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::ArcCos, s);
}
array arctan(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::ArcTan, s);
}
array sinh(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::Sinh, s);
}
array cosh(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::Cosh, s);
}
array tanh(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::Tanh, s);
}
array arcsinh(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::ArcSinh, s);
}
array arccosh(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::ArcCosh, s);
}
array arctanh(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::ArcTanh, s);
}

array degrees(const array& a, StreamOrDevice s) {
  Dtype t = at_least_float(a.dtype());
  return multiply(a, array(180.0 / M_PI, t), s);
}

array radians(const array& a, StreamOrDevice s) {
  Dtype t = at_least_float(a.dtype());
  return multiply(a, array(M_PI / 180.0, t), s);
}

array floor(const array& a, StreamOrDevice s) {
  if (a.dtype() == complex64) {
    throw_error("[floor] Not supported for complex64.");
  }
  if (!issubdtype(a.dtype(), floating)) {
    return a;
  }
  return unary(a, UnaryOp::Floor, a.dtype(), s);
}

array ceil(const array& a, StreamOrDevice s) {
  if (a.dtype() == complex64) {
    throw_error("[ceil] Not supported for complex64.");
  }
  if (!issubdtype(a.dtype(), floating)) {
    return a;
  }
  return unary(a, UnaryOp::Ceil, a.dtype(), s);
}

array round(const array& a, int decimals, StreamOrDevice s) {
  if (a.dtype() == complex64) {
    throw_error("[round] Not supported for complex64.");
  }
  if (!issubdtype(a.dtype(), floating)) {
    return a;
  }
  if (decimals == 0) {
    return unary(a, UnaryOp::Round, a.dtype(), s);
  }
  array scale(std::pow(10.0, decimals), a.dtype());
  array scaled = multiply(a, scale, s);
  return divide(unary(scaled, UnaryOp::Round, a.dtype(), s), scale, s);
}

array round(const array& a, StreamOrDevice s) {
  return round(a, 0, s);
}

array erf(const array& a, StreamOrDevice s) {
  return real_float_unary(a, UnaryOp::Erf, "erf", s);
}
array erfinv(const array& a, StreamOrDevice s) {
  return real_float_unary(a, UnaryOp::ErfInv, "erfinv", s);
}
array sigmoid(const array& a, StreamOrDevice s) {
  return real_float_unary(a, UnaryOp::Sigmoid, "sigmoid", s);
}

array conjugate(const array& a, StreamOrDevice s) {
  if (a.dtype() != complex64) {
    return a;
  }
  return unary(a, UnaryOp::Conjugate, complex64, s);
}
array conj(const array& a, StreamOrDevice s) {
  return conjugate(a, s);
}

array real(const array& a, StreamOrDevice s) {
  if (a.dtype() != complex64) {
    return a;
  }
  return unary(a, UnaryOp::Real, float32, s);
}

array imag(const array& a, StreamOrDevice s) {
  if (a.dtype() != complex64) {
    return zeros_like(a, s);
  }
  return unary(a, UnaryOp::Imag, float32, s);
}

array isnan(const array& a, StreamOrDevice s) {
  if (!issubdtype(a.dtype(), inexact)) {
    return zeros(a.shape(), bool_, s);
  }
  return not_equal(a, a, s);
}

array isinf(const array& a, StreamOrDevice s) {
  if (!issubdtype(a.dtype(), inexact)) {
    return zeros(a.shape(), bool_, s);
  }
  array inf(std::numeric_limits<float>::infinity(), a.dtype());
  return equal(abs(a, s), inf, s);
}

array isfinite(const array& a, StreamOrDevice s) {
  return logical_not(logical_or(isinf(a, s), isnan(a, s), s), s);
}

array isposinf(const array& a, StreamOrDevice s) {
  if (!issubdtype(a.dtype(), floating)) {
    return zeros(a.shape(), bool_, s);
  }
  return equal(a, array(std::numeric_limits<float>::infinity(), a.dtype()), s);
}

array isneginf(const array& a, StreamOrDevice s) {
  if (!issubdtype(a.dtype(), floating)) {
    return zeros(a.shape(), bool_, s);
  }
  return equal(a, array(-std::numeric_limits<float>::infinity(), a.dtype()), s);
}

array nan_to_num(
    const array& a,
    float nan,
    const std::optional<float> posinf,
    const std::optional<float> neginf,
    StreamOrDevice s) {
  Dtype t = a.dtype();
  if (!issubdtype(t, floating)) {
    return a;
  }
  double big = finfo(t).max;
  array out = where(isnan(a, s), array(nan, t), a, s);
  // value_or would convert `big` to float (inf for float64): pick in double.
  double pos = posinf ? static_cast<double>(*posinf) : big;
  double neg = neginf ? static_cast<double>(*neginf) : -big;
  out = where(isposinf(a, s), array(pos, t), out, s);
  return where(isneginf(a, s), array(neg, t), out, s);
}

array add(const array& a, const array& b, StreamOrDevice s) {
  return arithmetic(a, b, BinaryOp::Add, "add", s);
}
array subtract(const array& a, const array& b, StreamOrDevice s) {
  return arithmetic(a, b, BinaryOp::Subtract, "subtract", s);
}
array multiply(const array& a, const array& b, StreamOrDevice s) {
  return arithmetic(a, b, BinaryOp::Multiply, "multiply", s);
}
array divide(const array& a, const array& b, StreamOrDevice s) {
  Dtype t = at_least_float(promote_types(a.dtype(), b.dtype()));
  return binary(a, b, BinaryOp::Divide, t, t, "divide", s);
}
array floor_divide(const array& a, const array& b, StreamOrDevice s) {
  Dtype t = promote_types(a.dtype(), b.dtype());
  if (t == complex64) {
    throw_error("[floor_divide] Not supported for complex64.");
  }
  if (t == bool_) {
    t = int32; // NumPy promotes bool // bool likewise
  }
  return binary(a, b, BinaryOp::FloorDivide, t, t, "floor_divide", s);
}
array remainder(const array& a, const array& b, StreamOrDevice s) {
  Dtype t = promote_types(a.dtype(), b.dtype());
  if (t == complex64) {
    throw_error("[remainder] Not supported for complex64.");
  }
  if (t == bool_) {
    t = int32;
  }
  return binary(a, b, BinaryOp::Remainder, t, t, "remainder", s);
}
std::vector<array> divmod(const array& a, const array& b, StreamOrDevice s) {
  return {floor_divide(a, b, s), remainder(a, b, s)};
}
array maximum(const array& a, const array& b, StreamOrDevice s) {
  return arithmetic(a, b, BinaryOp::Maximum, "maximum", s);
}
array minimum(const array& a, const array& b, StreamOrDevice s) {
  return arithmetic(a, b, BinaryOp::Minimum, "minimum", s);
}
array power(const array& a, const array& b, StreamOrDevice s) {
  return arithmetic(a, b, BinaryOp::Power, "power", s);
}
array arctan2(const array& a, const array& b, StreamOrDevice s) {
  Dtype t = at_least_float(promote_types(a.dtype(), b.dtype()));
  if (t == complex64) {
    throw_error("[arctan2] Not supported for complex64.");
  }
  return binary(a, b, BinaryOp::ArcTan2, t, t, "arctan2", s);
}
array logaddexp(const array& a, const array& b, StreamOrDevice s) {
  Dtype t = at_least_float(promote_types(a.dtype(), b.dtype()));
  if (t == complex64) {
    throw_error("[logaddexp] Not supported for complex64.");
  }
  return binary(a, b, BinaryOp::LogAddExp, t, t, "logaddexp", s);
}

array equal(const array& a, const array& b, StreamOrDevice s) {
  return compare(a, b, BinaryOp::Equal, "equal", s);
}
array not_equal(const array& a, const array& b, StreamOrDevice s) {
  return compare(a, b, BinaryOp::NotEqual, "not_equal", s);
}
array less(const array& a, const array& b, StreamOrDevice s) {
  return compare(a, b, BinaryOp::Less, "less", s);
}
array less_equal(const array& a, const array& b, StreamOrDevice s) {
  return compare(a, b, BinaryOp::LessEqual, "less_equal", s);
}
array greater(const array& a, const array& b, StreamOrDevice s) {
  return compare(a, b, BinaryOp::Greater, "greater", s);
}
array greater_equal(const array& a, const array& b, StreamOrDevice s) {
  return compare(a, b, BinaryOp::GreaterEqual, "greater_equal", s);
}

array logical_not(const array& a, StreamOrDevice s) {
  return array(
      a.shape(),
      bool_,
      std::make_shared<Unary>(to_stream(s), UnaryOp::LogicalNot),
      {astype(a, bool_, s)});
}
array logical_and(const array& a, const array& b, StreamOrDevice s) {
  return binary(a, b, BinaryOp::LogicalAnd, bool_, bool_, "logical_and", s);
}
array logical_or(const array& a, const array& b, StreamOrDevice s) {
  return binary(a, b, BinaryOp::LogicalOr, bool_, bool_, "logical_or", s);
}
array bitwise_and(const array& a, const array& b, StreamOrDevice s) {
  return bitwise(a, b, BinaryOp::BitwiseAnd, "bitwise_and", s);
}
array bitwise_or(const array& a, const array& b, StreamOrDevice s) {
  return bitwise(a, b, BinaryOp::BitwiseOr, "bitwise_or", s);
}
array bitwise_xor(const array& a, const array& b, StreamOrDevice s) {
  return bitwise(a, b, BinaryOp::BitwiseXor, "bitwise_xor", s);
}
array bitwise_invert(const array& a, StreamOrDevice s) {
  if (!issubdtype(a.dtype(), integer) && a.dtype() != bool_) {
    throw_error(
        "[bitwise_invert] Bitwise ops need integer or bool inputs, got ",
        a.dtype(),
        ".");
  }
  return unary(a, UnaryOp::BitwiseInvert, a.dtype(), s);
}
array left_shift(const array& a, const array& b, StreamOrDevice s) {
  return bitwise(a, b, BinaryOp::LeftShift, "left_shift", s);
}
array right_shift(const array& a, const array& b, StreamOrDevice s) {
  return bitwise(a, b, BinaryOp::RightShift, "right_shift", s);
}

array where(
    const array& condition, const array& x, const array& y, StreamOrDevice s) {
  auto stream = to_stream(s);
  Dtype t = promote_types(x.dtype(), y.dtype());
  Shape shape = broadcast_shapes(
      broadcast_shapes(condition.shape(), x.shape(), "where"),
      y.shape(),
      "where");
  auto c = broadcast_to(astype(condition, bool_, stream), shape, stream);
  auto xb = broadcast_to(astype(x, t, stream), shape, stream);
  auto yb = broadcast_to(astype(y, t, stream), shape, stream);
  return array(shape, t, std::make_shared<Select>(stream), {c, xb, yb});
}

array clip(
    const array& a,
    const std::optional<array>& a_min,
    const std::optional<array>& a_max,
    StreamOrDevice s) {
  if (!a_min && !a_max) {
    throw_error("[clip] At most one of a_min and a_max may be None.");
  }
  array out = a;
  if (a_min) {
    out = maximum(out, *a_min, s);
  }
  if (a_max) {
    out = minimum(out, *a_max, s);
  }
  return out;
}

array isclose(
    const array& a,
    const array& b,
    double rtol,
    double atol,
    bool equal_nan,
    StreamOrDevice s) {
  // Integers and bool compare in float64, as NumPy: in their own type
  // a - b and abs wrap (uint 2 - 3, abs(int8 -128)) and give wrong answers.
  if (!issubdtype(promote_types(a.dtype(), b.dtype()), inexact)) {
    return isclose(
        astype(a, float64, s), astype(b, float64, s), rtol, atol, equal_nan, s);
  }
  // |a - b| <= atol + rtol * |b|, and equal infinities are close.
  array lhs = abs(subtract(a, b, s), s);
  array rhs = add(array(atol), multiply(array(rtol), abs(b, s), s), s);
  array close = less_equal(lhs, rhs, s);
  close = logical_or(close, equal(a, b, s), s);
  // Infinities are only close to the same infinity (inf - inf is nan).
  array any_inf = logical_or(isinf(a, s), isinf(b, s), s);
  close = where(any_inf, equal(a, b, s), close, s);
  if (equal_nan) {
    close = logical_or(close, logical_and(isnan(a, s), isnan(b, s), s), s);
  }
  return close;
}

array allclose(
    const array& a,
    const array& b,
    double rtol,
    double atol,
    bool equal_nan,
    StreamOrDevice s) {
  return all(isclose(a, b, rtol, atol, equal_nan, s), s);
}

array array_equal(
    const array& a, const array& b, bool equal_nan, StreamOrDevice s) {
  if (a.shape() != b.shape()) {
    return array(false);
  }
  Dtype t = promote_types(a.dtype(), b.dtype());
  BinaryOp op = equal_nan ? BinaryOp::NaNEqual : BinaryOp::Equal;
  return all(binary(a, b, op, t, bool_, "array_equal", s), false, s);
}

// The binary operators declared in elementwise.h forward to their ops.
#define MLX_DEFINE_OPERATOR(op, fn)                                            \
  array operator op(const array& a, const array& b) {                          \
    return fn(a, b);                                                           \
  }
MLX_DEFINE_OPERATOR(+, add)
MLX_DEFINE_OPERATOR(-, subtract)
MLX_DEFINE_OPERATOR(*, multiply)
MLX_DEFINE_OPERATOR(/, divide)
MLX_DEFINE_OPERATOR(%, remainder)
MLX_DEFINE_OPERATOR(==, equal)
MLX_DEFINE_OPERATOR(!=, not_equal)
MLX_DEFINE_OPERATOR(<, less)
MLX_DEFINE_OPERATOR(<=, less_equal)
MLX_DEFINE_OPERATOR(>, greater)
MLX_DEFINE_OPERATOR(>=, greater_equal)
MLX_DEFINE_OPERATOR(&&, logical_and)
MLX_DEFINE_OPERATOR(||, logical_or)
MLX_DEFINE_OPERATOR(&, bitwise_and)
MLX_DEFINE_OPERATOR(|, bitwise_or)
MLX_DEFINE_OPERATOR(^, bitwise_xor)
MLX_DEFINE_OPERATOR(<<, left_shift)
MLX_DEFINE_OPERATOR(>>, right_shift)
#undef MLX_DEFINE_OPERATOR

array operator!(const array& a) {
  return logical_not(a);
}
array operator~(const array& a) {
  return bitwise_invert(a);
}

array logical_xor(const array& a, const array& b, StreamOrDevice s) {
  // On bools, "not equal" is exclusive or.
  return binary(a, b, BinaryOp::NotEqual, bool_, bool_, "logical_xor", s);
}

array trunc(const array& a, StreamOrDevice s) {
  if (a.dtype() == complex64) {
    throw_error("[trunc] Not supported for complex64.");
  }
  if (!issubdtype(a.dtype(), floating)) {
    return a;
  }
  return where(less(a, array(0, a.dtype()), s), ceil(a, s), floor(a, s), s);
}

array positive(const array& a, StreamOrDevice) {
  return a;
}

} // namespace mlx::core
