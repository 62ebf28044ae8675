// Activation functions as compositions of core ops (differentiable through
// the ops' own transform rules).
#include "mlx/nn/activations.h"

#include "mlx/dtype.h"
#include "mlx/ops.h"
#include "mlx/utils.h"

namespace mlx::nn {

namespace {

// The dtype float constants take: x's own when x is floating (so float16
// stays float16), float32 otherwise.
core::Dtype float_dtype(const array& x) {
  return core::issubdtype(x.dtype(), core::floating) ? x.dtype()
                                                     : core::float32;
}

// A scalar constant that does not promote x's floating dtype.
array constant(double value, const array& x) {
  return array(value, float_dtype(x));
}

// selu's constants as MLX's reference gives them (rounded forms of the
// self-normalizing values of Klambauer et al., 2017).
constexpr double kSeluScale = 1.0507;
constexpr double kSeluAlpha = 1.67326;

// gelu_approx: sqrt(2 / pi) and the cubic coefficient of Hendrycks & Gimpel.
constexpr double kSqrt2OverPi = 0.7978845608028654;
constexpr double kGeluCubic = 0.044715;

// gelu: Phi(x) = (1 + erf(x / sqrt(2))) / 2.
constexpr double kSqrtHalf = 0.7071067811865476;

// gelu_fast_approx: the sigmoid slope of Hendrycks & Gimpel.
constexpr double kGeluSigmoidSlope = 1.702;

} // namespace

array elu(const array& x, float alpha) {
  auto negative_part =
      core::multiply(constant(alpha, x), core::expm1(x)); // alpha (e^x - 1)
  return core::where(core::greater(x, constant(0, x)), x, negative_part);
}

array celu(const array& x, float alpha) {
  auto a = constant(alpha, x);
  auto zero = constant(0, x);
  auto negative_part =
      core::multiply(a, core::expm1(core::divide(core::minimum(x, zero), a)));
  return core::add(core::maximum(x, zero), negative_part);
}

array gelu(const array& x) {
  auto cdf = core::multiply(
      constant(0.5, x),
      core::add(
          constant(1, x),
          core::erf(core::multiply(x, constant(kSqrtHalf, x)))));
  return core::multiply(x, cdf);
}

array gelu_approx(const array& x) {
  auto cubic = core::multiply(
      constant(kGeluCubic, x), core::multiply(x, core::square(x)));
  auto inner = core::multiply(constant(kSqrt2OverPi, x), core::add(x, cubic));
  return core::multiply(
      core::multiply(constant(0.5, x), x),
      core::add(constant(1, x), core::tanh(inner)));
}

array gelu_fast_approx(const array& x) {
  return core::multiply(
      x, core::sigmoid(core::multiply(constant(kGeluSigmoidSlope, x), x)));
}

array glu(const array& x, int axis) {
  int ax = core::normalize_axis(axis, static_cast<int>(x.ndim()), "glu");
  if (x.shape(ax) % 2 != 0) {
    core::throw_error(
        "[glu] The size of axis ",
        axis,
        " must be even to split it in halves, got shape ",
        x.shape(),
        ".");
  }
  auto halves = core::split(x, 2, ax);
  return core::multiply(halves[0], core::sigmoid(halves[1]));
}

array hard_shrink(const array& x, float lambd) {
  return core::where(
      core::greater(core::abs(x), constant(lambd, x)), x, array(0, x.dtype()));
}

array hard_tanh(const array& x, float min_val, float max_val) {
  return core::minimum(
      core::maximum(x, constant(min_val, x)), constant(max_val, x));
}

array hardswish(const array& x) {
  auto gate = core::minimum(
      core::maximum(core::add(x, constant(3, x)), constant(0, x)),
      constant(6, x));
  return core::divide(core::multiply(x, gate), constant(6, x));
}

array leaky_relu(const array& x, float negative_slope) {
  return core::maximum(core::multiply(constant(negative_slope, x), x), x);
}

array log_sigmoid(const array& x) {
  return core::negative(softplus(core::negative(x)));
}

array log_softmax(const array& x, int axis) {
  return core::subtract(x, core::logsumexp(x, axis, /* keepdims */ true));
}

array mish(const array& x) {
  return core::multiply(x, core::tanh(softplus(x)));
}

array prelu(const array& x, const array& alpha) {
  auto zero = array(0, x.dtype());
  return core::add(
      core::maximum(x, zero), core::multiply(alpha, core::minimum(x, zero)));
}

array relu(const array& x) {
  return core::maximum(x, array(0, x.dtype()));
}

array relu2(const array& x) {
  return core::square(relu(x));
}

array relu6(const array& x) {
  return core::minimum(relu(x), array(6, x.dtype()));
}

array selu(const array& x) {
  return core::multiply(constant(kSeluScale, x), elu(x, kSeluAlpha));
}

array sigmoid(const array& x) {
  return core::sigmoid(x);
}

array silu(const array& x) {
  return core::multiply(x, core::sigmoid(x));
}

array softmax(const array& x, int axis) {
  return core::softmax(x, axis);
}

array softmin(const array& x, int axis) {
  return core::softmax(core::negative(x), axis);
}

array softplus(const array& x) {
  return core::logaddexp(x, constant(0, x));
}

array softshrink(const array& x, float lambd) {
  auto l = constant(lambd, x);
  auto shrunk = core::subtract(x, core::multiply(core::sign(x), l));
  return core::where(core::greater(core::abs(x), l), shrunk, constant(0, x));
}

array softsign(const array& x) {
  return core::divide(x, core::add(constant(1, x), core::abs(x)));
}

array step(const array& x, float threshold) {
  return core::where(
      core::greater(x, constant(threshold, x)), array(1), array(0));
}

array tanh(const array& x) {
  return core::tanh(x);
}

} // namespace mlx::nn
