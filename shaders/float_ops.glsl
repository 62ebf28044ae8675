// The float math of the Unary and Binary ops with the op as an argument:
// the element-wise shaders call them with their specialization constant
// (the switch folds away), the fused shader (fused.comp) with the op of
// each step. Codes follow core/primitives/elementwise.h.
#ifndef MLX_FLOAT_OPS_GLSL
#define MLX_FLOAT_OPS_GLSL

#include "math.glsl"

// UnaryOp codes (core/primitives/elementwise.h order).
const uint U_ABS = 0, U_NEGATIVE = 1, U_SIGN = 2, U_SQUARE = 3, U_SQRT = 4,
           U_RSQRT = 5, U_EXP = 6, U_EXPM1 = 7, U_LOG = 8, U_LOG2 = 9,
           U_LOG10 = 10, U_LOG1P = 11, U_SIN = 12, U_COS = 13, U_TAN = 14,
           U_ARCSIN = 15, U_ARCCOS = 16, U_ARCTAN = 17, U_SINH = 18,
           U_COSH = 19, U_TANH = 20, U_ARCSINH = 21, U_ARCCOSH = 22,
           U_ARCTANH = 23, U_FLOOR = 24, U_CEIL = 25, U_ROUND = 26,
           U_ERF = 27, U_ERFINV = 28, U_SIGMOID = 29, U_LOGICAL_NOT = 30,
           U_BITWISE_INVERT = 31;

// op(x) of a float compute type.
float unary_float(uint op, float x) {
  switch (op) {
  case U_ABS:
    return x < 0.0 ? -x : x;
  case U_NEGATIVE:
    return -x;
  case U_SIGN:
    return is_nan(x) ? x : float(int(x > 0.0) - int(x < 0.0));
  case U_SQUARE:
    return x * x;
  case U_SQRT:
    return sqrt(x);
  case U_RSQRT:
    return 1.0 / sqrt(x);
  case U_EXP:
    return fast_exp(x);
  case U_EXPM1:
    return expm1_f(x);
  case U_LOG:
    return log(x);
  case U_LOG2:
    return log2(x);
  case U_LOG10:
    return log2(x) * 0.30102999566398120;
  case U_LOG1P:
    return log1p_f(x);
  case U_SIN:
    return sin(x);
  case U_COS:
    return cos(x);
  case U_TAN:
    return tan(x);
  case U_ARCSIN:
    return asin_f(x);
  case U_ARCCOS:
    return acos_f(x);
  case U_ARCTAN:
    return atan_f(x);
  case U_SINH:
    return sinh_f(x);
  case U_COSH:
    return cosh_f(x);
  case U_TANH:
    return tanh(x);
  case U_ARCSINH:
    return asinh_f(x);
  case U_ARCCOSH:
    return acosh_f(x);
  case U_ARCTANH:
    return atanh_f(x);
  case U_FLOOR:
    return floor(x);
  case U_CEIL:
    return ceil(x);
  case U_ROUND:
    return roundEven(x);
  case U_ERF:
    return erf_f(x);
  case U_ERFINV:
    return erfinv_f(x);
  case U_SIGMOID:
    return 1.0 / (1.0 + fast_exp(-x));
  }
  return x;
}

// BinaryOp codes (core/primitives/elementwise.h order).
const uint B_ADD = 0, B_SUBTRACT = 1, B_MULTIPLY = 2, B_DIVIDE = 3,
           B_REMAINDER = 4, B_FLOOR_DIVIDE = 5, B_MAXIMUM = 6, B_MINIMUM = 7,
           B_POWER = 8, B_ARCTAN2 = 9, B_LOGADDEXP = 10, B_EQUAL = 11,
           B_NAN_EQUAL = 12, B_NOT_EQUAL = 13, B_LESS = 14,
           B_LESS_EQUAL = 15, B_GREATER = 16, B_GREATER_EQUAL = 17,
           B_LOGICAL_AND = 18, B_LOGICAL_OR = 19, B_BITWISE_AND = 20,
           B_BITWISE_OR = 21, B_BITWISE_XOR = 22, B_LEFT_SHIFT = 23,
           B_RIGHT_SHIFT = 24;

#define kNaN uintBitsToFloat(0x7fc00000u)

// Comparisons (1 or 0) of any compute type; NaN compares false but in
// NaNEqual and NotEqual, as IEEE and the CPU.
#define MLX_COMPARE(OP_CODE, T, X, Y, NAN_X, NAN_Y)                            \
  switch (OP_CODE) {                                                           \
  case B_EQUAL:                                                                \
    return T(X == Y);                                                          \
  case B_NAN_EQUAL:                                                            \
    return T(X == Y || (NAN_X && NAN_Y));                                      \
  case B_NOT_EQUAL:                                                            \
    return T(!(X == Y));                                                       \
  case B_LESS:                                                                 \
    return T(X < Y);                                                           \
  case B_LESS_EQUAL:                                                           \
    return T(X < Y || X == Y);                                                 \
  case B_GREATER:                                                              \
    return T(Y < X);                                                           \
  case B_GREATER_EQUAL:                                                        \
    return T(Y < X || X == Y);                                                 \
  }

// MLX_DEFINE_COMPARE(NAME, T) defines int NAME(uint op, T x, T y): the
// comparison op of floating-point values, 1 or 0, with an explicit NaN
// guard (ordered comparisons are false with a NaN).
#define MLX_DEFINE_COMPARE(NAME, T)                                            \
  int NAME(uint op, T x, T y) {                                                \
    bool nx = is_nan(x), ny = is_nan(y);                                       \
    if ((nx || ny) && op != B_NAN_EQUAL) {                                     \
      return int(op == B_NOT_EQUAL);                                           \
    }                                                                          \
    MLX_COMPARE(op, int, x, y, nx, ny)                                         \
    return 0;                                                                  \
  }

MLX_DEFINE_COMPARE(compare_float_of, float)

float remainder_float(float x, float y) {
  float r = fmod_f(x, y);
  if (r != 0.0 && ((r < 0.0) != (y < 0.0))) {
    r += y;
  }
  return r;
}

float logaddexp_f(float x, float y) {
  if (is_inf(x) && x == y) {
    return x;
  }
  if (is_nan(x) || is_nan(y)) {
    return kNaN;
  }
  float m = max(x, y);
  return m + log1p_f(fast_exp(-abs(x - y)));
}

// Arithmetic op of floats.
float binary_float(uint op, float x, float y) {
  switch (op) {
  case B_ADD:
    return x + y;
  case B_SUBTRACT:
    return x - y;
  case B_MULTIPLY:
    return x * y;
  case B_DIVIDE:
    return x / y;
  case B_REMAINDER:
    return remainder_float(x, y);
  case B_FLOOR_DIVIDE:
    return floor(x / y);
  case B_MAXIMUM:
    return (is_nan(x) || is_nan(y)) ? kNaN : (x > y ? x : y);
  case B_MINIMUM:
    return (is_nan(x) || is_nan(y)) ? kNaN : (x < y ? x : y);
  case B_POWER:
    return pow_f(x, y);
  case B_ARCTAN2:
    return atan2_f(x, y);
  case B_LOGADDEXP:
    return logaddexp_f(x, y);
  }
  return x;
}

#endif // MLX_FLOAT_OPS_GLSL
