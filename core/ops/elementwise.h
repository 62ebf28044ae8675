// Element-wise math, comparison, logical and bitwise ops.
#pragma once

#include <optional>

#include "mlx/array.h"
#include "mlx/stream.h"

namespace mlx::core {

// Unary math. Integer inputs to floating ops compute in float32.
array abs(const array& a, StreamOrDevice s = {});
array negative(const array& a, StreamOrDevice s = {});
array operator-(const array& a);
array sign(const array& a, StreamOrDevice s = {});
array square(const array& a, StreamOrDevice s = {});
array sqrt(const array& a, StreamOrDevice s = {});
array rsqrt(const array& a, StreamOrDevice s = {});
array reciprocal(const array& a, StreamOrDevice s = {});
array exp(const array& a, StreamOrDevice s = {});
array expm1(const array& a, StreamOrDevice s = {});
array log(const array& a, StreamOrDevice s = {});
array log2(const array& a, StreamOrDevice s = {});
array log10(const array& a, StreamOrDevice s = {});
array log1p(const array& a, StreamOrDevice s = {});
array sin(const array& a, StreamOrDevice s = {});
array cos(const array& a, StreamOrDevice s = {});
array tan(const array& a, StreamOrDevice s = {});
array arcsin(const array& a, StreamOrDevice s = {});
array arccos(const array& a, StreamOrDevice s = {});
array arctan(const array& a, StreamOrDevice s = {});
array sinh(const array& a, StreamOrDevice s = {});
array cosh(const array& a, StreamOrDevice s = {});
array tanh(const array& a, StreamOrDevice s = {});
array arcsinh(const array& a, StreamOrDevice s = {});
array arccosh(const array& a, StreamOrDevice s = {});
array arctanh(const array& a, StreamOrDevice s = {});
array degrees(const array& a, StreamOrDevice s = {});
array radians(const array& a, StreamOrDevice s = {});
array floor(const array& a, StreamOrDevice s = {});
/** Rounds toward zero; integers are returned unchanged. */
array trunc(const array& a, StreamOrDevice s = {});
/** Unary plus: a itself (a no-op, as NumPy's positive). */
array positive(const array& a, StreamOrDevice s = {});
array ceil(const array& a, StreamOrDevice s = {});
/** Round half to even to the given number of decimals. */
array round(const array& a, int decimals, StreamOrDevice s = {});
array round(const array& a, StreamOrDevice s = {});
array erf(const array& a, StreamOrDevice s = {});
array erfinv(const array& a, StreamOrDevice s = {});
array sigmoid(const array& a, StreamOrDevice s = {});
array conjugate(const array& a, StreamOrDevice s = {});
array conj(const array& a, StreamOrDevice s = {});
array real(const array& a, StreamOrDevice s = {});
array imag(const array& a, StreamOrDevice s = {});
array isnan(const array& a, StreamOrDevice s = {});
array isinf(const array& a, StreamOrDevice s = {});
array isfinite(const array& a, StreamOrDevice s = {});
array isposinf(const array& a, StreamOrDevice s = {});
array isneginf(const array& a, StreamOrDevice s = {});
/** nan -> nan, +inf -> posinf (default: dtype max), -inf -> neginf. */
array nan_to_num(
    const array& a,
    float nan = 0.0f,
    const std::optional<float> posinf = std::nullopt,
    const std::optional<float> neginf = std::nullopt,
    StreamOrDevice s = {});

// Binary arithmetic (with NumPy broadcasting and MLX type promotion).
array add(const array& a, const array& b, StreamOrDevice s = {});
array subtract(const array& a, const array& b, StreamOrDevice s = {});
array multiply(const array& a, const array& b, StreamOrDevice s = {});
/** True division: integer inputs give float32. */
array divide(const array& a, const array& b, StreamOrDevice s = {});
array floor_divide(const array& a, const array& b, StreamOrDevice s = {});
/** Remainder with the sign of the divisor (Python's %). */
array remainder(const array& a, const array& b, StreamOrDevice s = {});
/** {floor_divide(a, b), remainder(a, b)} */
std::vector<array>
divmod(const array& a, const array& b, StreamOrDevice s = {});
array maximum(const array& a, const array& b, StreamOrDevice s = {});
array minimum(const array& a, const array& b, StreamOrDevice s = {});
array power(const array& a, const array& b, StreamOrDevice s = {});
array arctan2(const array& a, const array& b, StreamOrDevice s = {});
array logaddexp(const array& a, const array& b, StreamOrDevice s = {});

// Comparison (bool results).
array equal(const array& a, const array& b, StreamOrDevice s = {});
array not_equal(const array& a, const array& b, StreamOrDevice s = {});
array less(const array& a, const array& b, StreamOrDevice s = {});
array less_equal(const array& a, const array& b, StreamOrDevice s = {});
array greater(const array& a, const array& b, StreamOrDevice s = {});
array greater_equal(const array& a, const array& b, StreamOrDevice s = {});

// Logical (inputs converted to bool) and bitwise (integers and bool).
array logical_not(const array& a, StreamOrDevice s = {});
array logical_and(const array& a, const array& b, StreamOrDevice s = {});
array logical_or(const array& a, const array& b, StreamOrDevice s = {});
/** Exactly one of a, b is true (as bool). */
array logical_xor(const array& a, const array& b, StreamOrDevice s = {});
array bitwise_and(const array& a, const array& b, StreamOrDevice s = {});
array bitwise_or(const array& a, const array& b, StreamOrDevice s = {});
array bitwise_xor(const array& a, const array& b, StreamOrDevice s = {});
array bitwise_invert(const array& a, StreamOrDevice s = {});
array left_shift(const array& a, const array& b, StreamOrDevice s = {});
array right_shift(const array& a, const array& b, StreamOrDevice s = {});

/** Elements of x where condition holds, else of y (all broadcast). */
array where(
    const array& condition,
    const array& x,
    const array& y,
    StreamOrDevice s = {});

/** Clip to [a_min, a_max]; either bound may be absent. */
array clip(
    const array& a,
    const std::optional<array>& a_min = std::nullopt,
    const std::optional<array>& a_max = std::nullopt,
    StreamOrDevice s = {});

/** |a - b| <= atol + rtol * |b|, element-wise. */
array isclose(
    const array& a,
    const array& b,
    double rtol = 1e-5,
    double atol = 1e-8,
    bool equal_nan = false,
    StreamOrDevice s = {});
/** isclose over all elements (a scalar bool array). */
array allclose(
    const array& a,
    const array& b,
    double rtol = 1e-5,
    double atol = 1e-8,
    bool equal_nan = false,
    StreamOrDevice s = {});
/** Same shape and equal values (a scalar bool array). */
array array_equal(
    const array& a, const array& b, bool equal_nan, StreamOrDevice s = {});
inline array
array_equal(const array& a, const array& b, StreamOrDevice s = {}) {
  return array_equal(a, b, false, s);
}

/** Scalars that combine with arrays in operators (not streams etc.). */
template <typename T>
inline constexpr bool is_scalar_v =
    std::is_arithmetic_v<T> || is_half_v<T> || std::is_same_v<T, complex64_t>;

// Operators, with scalars on either side.
#define MLX_BINARY_OPERATOR(op, fn)                                            \
  array operator op(const array& a, const array& b);                           \
  template <typename T, typename = std::enable_if_t<is_scalar_v<T>>>           \
  array operator op(T a, const array& b) {                                     \
    return fn(array(a), b);                                                    \
  }                                                                            \
  template <typename T, typename = std::enable_if_t<is_scalar_v<T>>>           \
  array operator op(const array& a, T b) {                                     \
    return fn(a, array(b));                                                    \
  }

MLX_BINARY_OPERATOR(+, add)
MLX_BINARY_OPERATOR(-, subtract)
MLX_BINARY_OPERATOR(*, multiply)
MLX_BINARY_OPERATOR(/, divide)
MLX_BINARY_OPERATOR(%, remainder)
MLX_BINARY_OPERATOR(==, equal)
MLX_BINARY_OPERATOR(!=, not_equal)
MLX_BINARY_OPERATOR(<, less)
MLX_BINARY_OPERATOR(<=, less_equal)
MLX_BINARY_OPERATOR(>, greater)
MLX_BINARY_OPERATOR(>=, greater_equal)
MLX_BINARY_OPERATOR(&&, logical_and)
MLX_BINARY_OPERATOR(||, logical_or)
MLX_BINARY_OPERATOR(&, bitwise_and)
MLX_BINARY_OPERATOR(|, bitwise_or)
MLX_BINARY_OPERATOR(^, bitwise_xor)
MLX_BINARY_OPERATOR(<<, left_shift)
MLX_BINARY_OPERATOR(>>, right_shift)
#undef MLX_BINARY_OPERATOR

array operator!(const array& a);
array operator~(const array& a);

} // namespace mlx::core
