// The Unary primitive (core/backend/vulkan/unary.cpp): out[i] = op(in[i]),
// the element math of core/backend/cpu/unary_ops.h. Half types compute in
// float, float64 in double (unary_f64.comp; its transcendental ops are
// refused by the host), integers in 64 bits and stored modulo 2^bits.
// Included by unary.comp and unary_f64.comp (MLX_FLOAT64).
#define MLX_META_BINDING 2
#include "elementwise.glsl"
#include "float_ops.glsl"

layout(constant_id = 0) const uint OP = 0; // mlx::core::UnaryOp
layout(constant_id = 1) const uint IN_DTYPE = DT_FLOAT32;
layout(constant_id = 2) const uint OUT_DTYPE = DT_FLOAT32;
layout(constant_id = 3) const uint MODE_0 = IN_CONTIGUOUS;

layout(std430, set = 0, binding = 0) readonly buffer In { uint src[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Out { uint dst[]; };

MLX_DEFINE_LOAD(load_in, src)

// op(x) for float compute types (float_ops.glsl).
float op_float(float x) {
  return unary_float(OP, x);
}

#ifdef MLX_FLOAT64
// The exact ops only (the host refuses the others for float64).
double op_double(double x) {
  switch (OP) {
  case U_ABS:
    return x < 0.0lf ? -x : x;
  case U_NEGATIVE:
    return -x;
  case U_SIGN:
    return is_nan(x) ? x : double(int(x > 0.0lf) - int(x < 0.0lf));
  case U_SQUARE:
    return x * x;
  case U_SQRT:
    return sqrt(x);
  case U_RSQRT:
    return 1.0lf / sqrt(x);
  case U_FLOOR:
    return floor(x);
  case U_CEIL:
    return ceil(x);
  case U_ROUND:
    return roundEven(x);
  }
  return x;
}
#endif

int64_t op_int(int64_t x) {
  bool uns = is_unsigned_kind(IN_DTYPE) || IN_DTYPE == DT_BOOL;
  switch (OP) {
  case U_ABS:
    return (uns || x >= 0l) ? x : -x;
  case U_NEGATIVE:
    return IN_DTYPE == DT_BOOL ? x : -x; // C++'s bool(-b) is b
  case U_SIGN:
    if (uns) {
      return x != 0l ? 1l : 0l;
    }
    return int64_t(x > 0l) - int64_t(x < 0l);
  case U_SQUARE:
    return x * x;
  case U_LOGICAL_NOT:
    return x == 0l ? 1l : 0l;
  case U_BITWISE_INVERT:
    return IN_DTYPE == DT_BOOL ? (x == 0l ? 1l : 0l) : ~x;
  }
  return x;
}

uint64_t compute(uint i) {
  uint64_t b = load_in(IN_DTYPE, input_index(MODE_0, 0u, i));
  if (is_float_kind(IN_DTYPE)) {
    return float_to_bits(OUT_DTYPE, op_float(bits_to_float(IN_DTYPE, b)));
  }
#ifdef MLX_FLOAT64
  if (IN_DTYPE == DT_FLOAT64) {
    return double_to_bits(op_double(bits_to_double(b)));
  }
#endif
  return int_to_bits(OUT_DTYPE, op_int(bits_to_int(IN_DTYPE, b)));
}

MLX_ELEMENTWISE_MAIN(OUT_DTYPE, compute)
