// jvp, vjp and vmap rules of the unary element-wise primitives (Unary,
// AsType). Binary and Select are in elementwise_transforms.cpp.
#include <cmath>

#include "mlx/ops.h"
#include "mlx/primitives/elementwise.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

array scalar(double v, Dtype t) {
  return array(v, t);
}

// g * f'(x) for the real-differentiable ops, where out = f(x). The same
// expression is the jvp (g a tangent) and the vjp (g a cotangent): as MLX,
// no conjugation for complex inputs.
array times_derivative(
    UnaryOp op, const array& x, const array& out, const array& g, Stream s) {
  Dtype t = x.dtype();
  auto one = [t] { return scalar(1.0, t); };
  switch (op) {
  case UnaryOp::Abs:
    return multiply(g, sign(x, s), s); // abs'(0) = 0, as MLX
  case UnaryOp::Sign:
  case UnaryOp::Floor:
  case UnaryOp::Ceil:
  case UnaryOp::Round:
    return zeros_like(x, s); // piecewise constant: 0 almost everywhere
  case UnaryOp::Square:
    return multiply(g, multiply(scalar(2.0, t), x, s), s);
  case UnaryOp::Sqrt:
    return divide(multiply(g, scalar(0.5, t), s), out, s);
  case UnaryOp::Rsqrt: // -x^(-3/2) / 2 = -out / (2x)
    return multiply(g, divide(multiply(scalar(-0.5, t), out, s), x, s), s);
  case UnaryOp::Exp:
    return multiply(g, out, s);
  case UnaryOp::Expm1:
    return multiply(g, add(out, one(), s), s);
  case UnaryOp::Log:
    return divide(g, x, s);
  case UnaryOp::Log2:
    return divide(g, multiply(x, scalar(M_LN2, t), s), s);
  case UnaryOp::Log10:
    return divide(g, multiply(x, scalar(M_LN10, t), s), s);
  case UnaryOp::Log1p:
    return divide(g, add(x, one(), s), s);
  case UnaryOp::Sin:
    return multiply(g, cos(x, s), s);
  case UnaryOp::Cos:
    return negative(multiply(g, sin(x, s), s), s);
  case UnaryOp::Tan: // 1 / cos^2 = 1 + tan^2
    return multiply(g, add(one(), square(out, s), s), s);
  case UnaryOp::ArcSin:
    return multiply(g, rsqrt(subtract(one(), square(x, s), s), s), s);
  case UnaryOp::ArcCos:
    return negative(
        multiply(g, rsqrt(subtract(one(), square(x, s), s), s), s), s);
  case UnaryOp::ArcTan:
    return divide(g, add(one(), square(x, s), s), s);
  case UnaryOp::Sinh:
    return multiply(g, cosh(x, s), s);
  case UnaryOp::Cosh:
    return multiply(g, sinh(x, s), s);
  case UnaryOp::Tanh:
    return multiply(g, subtract(one(), square(out, s), s), s);
  case UnaryOp::ArcSinh:
    return multiply(g, rsqrt(add(square(x, s), one(), s), s), s);
  case UnaryOp::ArcCosh:
    return multiply(g, rsqrt(subtract(square(x, s), one(), s), s), s);
  case UnaryOp::ArcTanh:
    return divide(g, subtract(one(), square(x, s), s), s);
  case UnaryOp::Erf: // 2 / sqrt(pi) exp(-x^2)
    return multiply(
        g,
        multiply(scalar(M_2_SQRTPI, t), exp(negative(square(x, s), s), s), s),
        s);
  case UnaryOp::ErfInv: // sqrt(pi) / 2 exp(erfinv(x)^2)
    return multiply(
        g, multiply(scalar(1.0 / M_2_SQRTPI, t), exp(square(out, s), s), s), s);
  case UnaryOp::Sigmoid:
    return multiply(g, multiply(out, subtract(one(), out, s), s), s);
  default:
    throw_error("[Unary] Missing derivative rule."); // linear ops: see callers
  }
}

} // namespace

std::vector<array> Unary::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  const array& x = primals[0];
  Dtype out_dtype =
      (op_ == UnaryOp::Real || op_ == UnaryOp::Imag) ? float32 : x.dtype();
  if (!issubdtype(out_dtype, inexact)) {
    throw_error(
        "[",
        name(),
        "] The jvp is not defined: ",
        name(),
        " of ",
        x.dtype(),
        " is not differentiable (its output is integer/boolean).");
  }
  if (argnums.empty()) {
    return {zeros(x.shape(), out_dtype, stream())};
  }
  const array& t = tangents[0];
  switch (op_) {
  case UnaryOp::Negative:
    return {negative(t, stream())};
  case UnaryOp::Conjugate:
    return {conjugate(t, stream())};
  case UnaryOp::Real:
    return {real(t, stream())};
  case UnaryOp::Imag:
    return {imag(t, stream())};
  default: {
    // Rules that need f(x) get a lazy node (not computed unless used).
    array out(
        x.shape(), out_dtype, std::make_shared<Unary>(stream(), op_), {x});
    return {times_derivative(op_, x, out, t, stream())};
  }
  }
}

std::vector<array> Unary::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  const array& x = primals[0];
  const array& c = cotangents[0];
  if (!issubdtype(outputs[0].dtype(), inexact)) {
    throw_error(
        "[",
        name(),
        "] The vjp is not defined: ",
        name(),
        " of ",
        x.dtype(),
        " is not differentiable (its output is integer/boolean).");
  }
  switch (op_) {
  case UnaryOp::Negative:
    return {negative(c, stream())};
  case UnaryOp::Conjugate:
    return {conjugate(c, stream())};
  case UnaryOp::Real: // as MLX: the cotangent as the real part
    return {multiply(array(complex64_t(1.0f, 0.0f)), c, stream())};
  // -i times the cotangent, as JAX: complex cotangents here are
  // dL/dRe - i dL/dIm (the fft rules and their finite-difference tests rely
  // on it). MLX multiplies by +i.
  case UnaryOp::Imag:
    return {multiply(array(complex64_t(0.0f, -1.0f)), c, stream())};
  default:
    return {times_derivative(op_, x, outputs[0], c, stream())};
  }
}

std::pair<std::vector<array>, std::vector<int>>
Unary::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  // Element-wise: the batch axis stays where it is.
  const array& x = inputs[0];
  Dtype out_dtype =
      (op_ == UnaryOp::Real || op_ == UnaryOp::Imag) ? float32 : x.dtype();
  array out(x.shape(), out_dtype, std::make_shared<Unary>(stream(), op_), {x});
  return {{out}, {axes[0]}};
}

std::vector<array> AsType::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  const array& x = primals[0];
  if (argnums.empty() || !issubdtype(x.dtype(), inexact) ||
      !issubdtype(dtype_, inexact)) {
    return {zeros(x.shape(), dtype_, stream())};
  }
  return {astype(tangents[0], dtype_, stream())};
}

std::vector<array> AsType::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  const array& x = primals[0];
  // Casts from or to integers/bool carry no gradient.
  if (!issubdtype(x.dtype(), inexact) || !issubdtype(dtype_, inexact)) {
    return {zeros_like(x, stream())};
  }
  return {astype(cotangents[0], x.dtype(), stream())};
}

std::pair<std::vector<array>, std::vector<int>>
AsType::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  return {{astype(inputs[0], dtype_, stream())}, {axes[0]}};
}

} // namespace mlx::core
