// Activation functions of mlx.nn as plain functions ("Functions" in MLX's
// nn reference). Each is written with core ops, so it is differentiable
// (grad, vjp, jvp, vmap) like any other composition of ops.
//
// Constants keep the input's floating dtype (a float16 input gives a float16
// output); integer inputs compute in float32 where a float constant is
// involved.
//
// Inside namespace mlx::nn, names such as `sigmoid`, `tanh` and `softmax`
// also exist in mlx::core: qualify calls (nn::sigmoid(x)) when both
// namespaces are visible, since argument-dependent lookup finds the core
// version too.
#pragma once

#include "mlx/array.h"

namespace mlx::nn {

using core::array;

/** x where x > 0, alpha * (exp(x) - 1) elsewhere. */
array elu(const array& x, float alpha = 1.0f);

/** max(0, x) + min(0, alpha * (exp(x / alpha) - 1)). */
array celu(const array& x, float alpha = 1.0f);

/** x * Phi(x), Phi the standard normal CDF (exact, through erf). */
array gelu(const array& x);

/** 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))); |error| < 5e-4 on
 * [-6, 6]. */
array gelu_approx(const array& x);

/** x * sigmoid(1.702 x); |error| < 0.015 on [-6, 6]. */
array gelu_fast_approx(const array& x);

/** Splits `axis` into halves a, b and returns a * sigmoid(b); the axis
 * size must be even. */
array glu(const array& x, int axis = -1);

/** x where |x| > lambd, 0 elsewhere. */
array hard_shrink(const array& x, float lambd = 0.5f);

/** max(min(x, max_val), min_val). */
array hard_tanh(const array& x, float min_val = -1.0f, float max_val = 1.0f);

/** x * min(max(x + 3, 0), 6) / 6. */
array hardswish(const array& x);

/** max(negative_slope * x, x). */
array leaky_relu(const array& x, float negative_slope = 0.01f);

/** log(sigmoid(x)) = -softplus(-x), computed stably. */
array log_sigmoid(const array& x);

/** x - logsumexp(x, axis). */
array log_softmax(const array& x, int axis = -1);

/** x * tanh(softplus(x)). */
array mish(const array& x);

/** max(0, x) + alpha * min(0, x); alpha broadcasts against x. */
array prelu(const array& x, const array& alpha);

/** max(x, 0); keeps x's dtype (integers included). */
array relu(const array& x);

/** max(x, 0)^2. */
array relu2(const array& x);

/** min(max(x, 0), 6). */
array relu6(const array& x);

/** 1.0507 * elu(x, 1.67326) (the constants of MLX's reference). */
array selu(const array& x);

/** 1 / (1 + exp(-x)). */
array sigmoid(const array& x);

/** x * sigmoid(x) (also called swish). */
array silu(const array& x);

/** exp(x) / sum(exp(x), axis). */
array softmax(const array& x, int axis = -1);

/** softmax(-x, axis). */
array softmin(const array& x, int axis = -1);

/** log(1 + exp(x)), computed stably as logaddexp(x, 0). */
array softplus(const array& x);

/** x - lambd where x > lambd, x + lambd where x < -lambd, 0 elsewhere. */
array softshrink(const array& x, float lambd = 0.5f);

/** x / (1 + |x|). */
array softsign(const array& x);

/** 1 where x > threshold, 0 elsewhere, as int32 (as MLX's
 * where(x > threshold, 1, 0)); carries no gradient. */
array step(const array& x, float threshold = 0.0f);

/** tanh(x). */
array tanh(const array& x);

} // namespace mlx::nn
