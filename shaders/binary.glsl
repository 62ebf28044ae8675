// The Binary primitive (core/backend/vulkan/binary.cpp): out[i] =
// op(a[i], b[i]) with a and b broadcast to out's shape, the element math of
// core/backend/cpu/binary_ops.h. Half types compute in float, float64 in
// double (binary_f64.comp; pow, atan2, logaddexp are refused by the host),
// integers in 64 bits (signed or unsigned as the dtype) stored modulo
// 2^bits. Included by binary.comp and binary_f64.comp (MLX_FLOAT64).
#define MLX_META_BINDING 3
#include "elementwise.glsl"
#include "float_ops.glsl"

layout(constant_id = 0) const uint OP = 0; // mlx::core::BinaryOp
layout(constant_id = 1) const uint IN_DTYPE = DT_FLOAT32;
layout(constant_id = 2) const uint OUT_DTYPE = DT_FLOAT32;
layout(constant_id = 3) const uint MODE_0 = IN_CONTIGUOUS;
layout(constant_id = 4) const uint MODE_1 = IN_CONTIGUOUS;

layout(std430, set = 0, binding = 0) readonly buffer A { uint src_a[]; };
layout(std430, set = 0, binding = 1) readonly buffer B { uint src_b[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Out { uint dst[]; };

MLX_DEFINE_LOAD(load_a, src_a)
MLX_DEFINE_LOAD(load_b, src_b)

int64_t compare_float(float x, float y) {
  return int64_t(compare_float_of(OP, x, y));
}

float op_float(float x, float y) {
  return binary_float(OP, x, y);
}

#ifdef MLX_FLOAT64
MLX_DEFINE_COMPARE(compare_double_of, double)

int64_t compare_double(double x, double y) {
  return int64_t(compare_double_of(OP, x, y));
}

double op_double(double x, double y) {
  double nan = packDouble2x32(uvec2(0u, 0x7ff80000u));
  switch (OP) {
  case B_ADD:
    return x + y;
  case B_SUBTRACT:
    return x - y;
  case B_MULTIPLY:
    return x * y;
  case B_DIVIDE:
    return x / y;
  case B_FLOOR_DIVIDE:
    return floor(x / y);
  case B_MAXIMUM:
    return (is_nan(x) || is_nan(y)) ? nan : (x > y ? x : y);
  case B_MINIMUM:
    return (is_nan(x) || is_nan(y)) ? nan : (x < y ? x : y);
  }
  return x;
}
#endif

// Division of int64 magnitudes, so that no signed division's rounding
// convention is relied on: truncated quotient and remainder.
void div_signed(int64_t x, int64_t y, out int64_t q, out int64_t r) {
  uint64_t ax = uint64_t(x < 0l ? -x : x);
  uint64_t ay = uint64_t(y < 0l ? -y : y);
  uint64_t aq = ax / ay;
  uint64_t ar = ax - aq * ay;
  q = ((x < 0l) != (y < 0l)) ? -int64_t(aq) : int64_t(aq);
  r = x < 0l ? -int64_t(ar) : int64_t(ar);
}

// Bits of the integer dtype (shifts), 8 for bool.
int64_t type_bits() {
  return int64_t(dtype_size(IN_DTYPE) * 8u);
}

int64_t op_int(int64_t x, int64_t y) {
  bool is_bool = IN_DTYPE == DT_BOOL;
  bool uns = is_unsigned_kind(IN_DTYPE);
  uint64_t ux = uint64_t(x), uy = uint64_t(y);
  if (OP >= B_EQUAL && OP <= B_GREATER_EQUAL) {
    if (uns) {
      MLX_COMPARE(OP, int64_t, ux, uy, false, false)
    }
    MLX_COMPARE(OP, int64_t, x, y, false, false)
  }
  switch (OP) {
  case B_ADD:
    return x + y;
  case B_SUBTRACT:
    return x - y;
  case B_MULTIPLY:
    return x * y;
  case B_DIVIDE:
  case B_FLOOR_DIVIDE:
    if (is_bool) {
      return x;
    }
    if (y == 0l) {
      return 0l;
    }
    if (uns) {
      return int64_t(ux / uy);
    }
    if (y == -1l) {
      return -x; // wraps for the minimum, as the CPU
    } else {
      int64_t q, r;
      div_signed(x, y, q, r);
      return (r != 0l && ((x < 0l) != (y < 0l))) ? q - 1l : q;
    }
  case B_REMAINDER:
    if (y == 0l) {
      return 0l;
    }
    if (uns) {
      return int64_t(ux % uy);
    }
    if (y == -1l) {
      return 0l;
    } else {
      int64_t q, r;
      div_signed(x, y, q, r);
      return (r != 0l && ((r < 0l) != (y < 0l))) ? r + y : r;
    }
  case B_MAXIMUM:
    return (uns ? ux < uy : x < y) ? y : x;
  case B_MINIMUM:
    return (uns ? uy < ux : y < x) ? y : x;
  case B_POWER:
    if (is_bool) {
      return int64_t(x != 0l || y == 0l);
    }
    if (!uns && y < 0l) {
      // Only 1 and -1 have integer reciprocals.
      if (x == 1l) {
        return 1l;
      }
      if (x == -1l) {
        return (y & 1l) == 0l ? 1l : -1l;
      }
      return 0l;
    } else {
      uint64_t result = 1ul, b = ux, e = uy;
      while (e > 0ul) {
        if ((e & 1ul) != 0ul) {
          result *= b;
        }
        b *= b;
        e >>= 1;
      }
      return int64_t(result);
    }
  case B_LOGICAL_AND:
    return int64_t(x != 0l && y != 0l);
  case B_LOGICAL_OR:
    return int64_t(x != 0l || y != 0l);
  case B_BITWISE_AND:
    return x & y;
  case B_BITWISE_OR:
    return x | y;
  case B_BITWISE_XOR:
    return x ^ y;
  case B_LEFT_SHIFT:
    if (is_bool) {
      return int64_t(x != 0l && y == 0l);
    }
    if (y < 0l || y >= type_bits()) {
      return 0l;
    }
    return int64_t(ux << uint(y));
  case B_RIGHT_SHIFT:
    if (is_bool) {
      return int64_t(x != 0l && y == 0l);
    }
    if (y < 0l || y >= type_bits()) {
      return (!uns && x < 0l) ? -1l : 0l;
    }
    return uns ? int64_t(ux >> uint(y)) : x >> uint(y);
  }
  return x;
}

uint64_t compute(uint i) {
  uint64_t ba = load_a(IN_DTYPE, input_index(MODE_0, 0u, i));
  uint64_t bb = load_b(IN_DTYPE, input_index(MODE_1, 1u, i));
  bool cmp = OP >= B_EQUAL && OP <= B_GREATER_EQUAL;
  if (is_float_kind(IN_DTYPE)) {
    float x = bits_to_float(IN_DTYPE, ba), y = bits_to_float(IN_DTYPE, bb);
    if (cmp) {
      return uint64_t(compare_float(x, y));
    }
    return float_to_bits(OUT_DTYPE, op_float(x, y));
  }
#ifdef MLX_FLOAT64
  if (IN_DTYPE == DT_FLOAT64) {
    double x = bits_to_double(ba), y = bits_to_double(bb);
    if (cmp) {
      return uint64_t(compare_double(x, y));
    }
    return double_to_bits(op_double(x, y));
  }
#endif
  int64_t x = bits_to_int(IN_DTYPE, ba), y = bits_to_int(IN_DTYPE, bb);
  return int_to_bits(OUT_DTYPE, op_int(x, y));
}

MLX_ELEMENTWISE_MAIN(OUT_DTYPE, compute)
