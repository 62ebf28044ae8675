// Dtype codes: the order of mlx::core::Dtype::Val (core/dtype.h), passed to
// shaders as specialization constants.
#ifndef MLX_DTYPE_GLSL
#define MLX_DTYPE_GLSL

const uint DT_BOOL = 0;
const uint DT_UINT8 = 1;
const uint DT_UINT16 = 2;
const uint DT_UINT32 = 3;
const uint DT_UINT64 = 4;
const uint DT_INT8 = 5;
const uint DT_INT16 = 6;
const uint DT_INT32 = 7;
const uint DT_INT64 = 8;
const uint DT_FLOAT16 = 9;
const uint DT_FLOAT32 = 10;
const uint DT_FLOAT64 = 11;
const uint DT_BFLOAT16 = 12;
const uint DT_COMPLEX64 = 13;

uint dtype_size(uint t) {
  if (t == DT_BOOL || t == DT_UINT8 || t == DT_INT8) {
    return 1;
  }
  if (t == DT_UINT16 || t == DT_INT16 || t == DT_FLOAT16 || t == DT_BFLOAT16) {
    return 2;
  }
  if (t == DT_UINT32 || t == DT_INT32 || t == DT_FLOAT32) {
    return 4;
  }
  return 8;
}

bool dtype_is_float(uint t) {
  return t == DT_FLOAT16 || t == DT_FLOAT32 || t == DT_FLOAT64 ||
      t == DT_BFLOAT16 || t == DT_COMPLEX64;
}

bool dtype_is_signed(uint t) {
  return t == DT_INT8 || t == DT_INT16 || t == DT_INT32 || t == DT_INT64;
}

// float16 / bfloat16 bits <-> float, bit for bit as the CPU backend's
// core/types/half_types.h (round to nearest even, subnormals, inf, nan), so
// both devices give the same results.
uint float_to_half_bits(float f) {
  uint x = floatBitsToUint(f);
  uint sign = (x >> 16) & 0x8000u;
  uint a = x & 0x7fffffffu;
  if (a >= 0x7f800000u) {
    return sign | 0x7c00u | (a > 0x7f800000u ? 0x200u : 0u);
  }
  if (a >= 0x477ff000u) {
    return sign | 0x7c00u;
  }
  if (a < 0x38800000u) {
    // Subnormal half: mantissa (with the implicit bit) shifted right,
    // rounded to nearest even in integers.
    uint e = a >> 23;
    if (e < 102u) {
      return sign; // below half the smallest subnormal: zero
    }
    uint m = (a & 0x7fffffu) | 0x800000u;
    uint shift = 126u - e; // 14..24
    uint q = m >> shift;
    uint r = m & ((1u << shift) - 1u);
    uint half_point = 1u << (shift - 1u);
    if (r > half_point || (r == half_point && (q & 1u) != 0u)) {
      q += 1u;
    }
    return sign | q;
  }
  uint mant_odd = (a >> 13) & 1u;
  a += 0xc8000fffu + mant_odd;
  return sign | ((a >> 13) & 0xffffu);
}

float half_bits_to_float(uint h) {
  uint sign = (h & 0x8000u) << 16;
  uint e = (h >> 10) & 0x1fu;
  uint m = h & 0x3ffu;
  if (e == 0x1fu) {
    return uintBitsToFloat(sign | 0x7f800000u | (m << 13));
  }
  if (e == 0u) {
    float v = float(m) * 5.9604644775390625e-8;
    return sign != 0u ? -v : v;
  }
  return uintBitsToFloat(sign | ((e + 112u) << 23) | (m << 13));
}

uint float_to_bfloat_bits(float f) {
  uint x = floatBitsToUint(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) {
    return ((x >> 16) | 0x40u) & 0xffffu;
  }
  x += 0x7fffu + ((x >> 16) & 1u);
  return x >> 16;
}

float bfloat_bits_to_float(uint b) {
  return uintBitsToFloat(b << 16);
}

// MLX_DEFINE_LOAD(NAME, BUF) defines uint64_t NAME(uint dt, uint e): the
// raw bits of element e of dtype dt in the word buffer BUF, zero-extended
// to 64 bits (buffers are 32-bit words: no 8/16-bit storage features).
#define MLX_DEFINE_LOAD(NAME, BUF)                                             \
  uint64_t NAME(uint dt, uint e) {                                             \
    uint size = dtype_size(dt);                                                \
    if (size == 1u) {                                                          \
      return uint64_t((BUF[e >> 2] >> ((e & 3u) * 8u)) & 0xffu);               \
    }                                                                          \
    if (size == 2u) {                                                          \
      return uint64_t((BUF[e >> 1] >> ((e & 1u) * 16u)) & 0xffffu);            \
    }                                                                          \
    if (size == 4u) {                                                          \
      return uint64_t(BUF[e]);                                                 \
    }                                                                          \
    return (uint64_t(BUF[2u * e + 1u]) << 32) | uint64_t(BUF[2u * e]);         \
  }

#endif
