// Shared pieces of the element-wise shaders (unary, binary, ternary): how an
// input element is found (contiguous, scalar or strided through the metadata
// buffer), how elements are read from and written to 32-bit words, and the
// conversions between raw bits and the compute types.
//
// Buffers are words, as in copy.glsl: 8- and 16-bit dtypes need no 8/16-bit
// storage features. Each invocation writes whole output words (4 bool/int8,
// 2 float16, 1 float32, or both words of an 8-byte element), so no two
// invocations write the same word.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#extension GL_EXT_control_flow_attributes : require

#include "dtype.glsl"

#ifdef MLX_FLOAT64
#define real double
#else
#define real float
#endif

layout(local_size_x = 256) in;

// How input k is read (the MODE_k specialization constants).
const uint IN_CONTIGUOUS = 0; // element first + i
const uint IN_SCALAR = 1;     // element first, for every i
const uint IN_STRIDED = 2;    // through the shape and strides in Meta

// shape[ndim], then the strides of input 0, 1, ... (ndim each), int32 (then
// fused.comp's program); the binding after the output's (MLX_META_BINDING,
// set by the includer).
layout(std430, set = 0, binding = MLX_META_BINDING) readonly buffer Meta {
  int meta[];
};

// Inputs an element-wise shader may read (fused.comp reads them all).
const uint MAX_INPUTS = 6;

layout(push_constant) uniform Params {
  uint n;                 // output elements
  uint ndim;              // dims of the (collapsed) output shape in Meta
  uint first[MAX_INPUTS]; // element offset of each input in its binding
  uint steps;             // fused.comp: steps of its program in Meta
  uint bools;             // fused.comp: bit k: input k is bool; 31: output
}
p;

uint input_index(uint mode, uint k, uint i) {
  if (mode == IN_CONTIGUOUS) {
    return p.first[k] + i;
  }
  if (mode == IN_SCALAR) {
    return p.first[k];
  }
  int loc = int(p.first[k]);
  uint base = p.ndim * (k + 1u);
  for (uint d = p.ndim; d-- > 0u;) {
    uint s = uint(meta[d]);
    loc += int(i % s) * meta[base + d];
    i /= s;
  }
  return uint(loc);
}

// Integers (and bool) as int64: sign-extended when signed, zero-extended
// when unsigned (uint64 keeps its bits).
int64_t bits_to_int(uint dt, uint64_t b) {
  // 64-bit shifts only (a 32-bit sign extension then a widening
  // conversion came out zero-extended on lavapipe).
  uint shift = dtype_is_signed(dt) ? 64u - 8u * dtype_size(dt) : 0u;
  return int64_t(b << shift) >> shift;
}

// float16, bfloat16 and float32 as float.
float bits_to_float(uint dt, uint64_t b) {
  if (dt == DT_FLOAT16) {
    return half_bits_to_float(uint(b));
  }
  if (dt == DT_BFLOAT16) {
    return bfloat_bits_to_float(uint(b));
  }
  return uintBitsToFloat(uint(b));
}

uint64_t float_to_bits(uint dt, float v) {
  if (dt == DT_FLOAT16) {
    return uint64_t(float_to_half_bits(v));
  }
  if (dt == DT_BFLOAT16) {
    return uint64_t(float_to_bfloat_bits(v));
  }
  return uint64_t(floatBitsToUint(v));
}

// An integer result stored as dt: the low bits (modulo 2^bits, as the
// CPU's casts), and bool as 0 or 1.
uint64_t int_to_bits(uint dt, int64_t v) {
  if (dt == DT_BOOL) {
    return v != 0l ? 1ul : 0ul;
  }
  return uint64_t(v);
}

#ifdef MLX_FLOAT64
double bits_to_double(uint64_t b) {
  return packDouble2x32(uvec2(uint(b), uint(b >> 32)));
}
uint64_t double_to_bits(double d) {
  uvec2 w = unpackDouble2x32(d);
  return (uint64_t(w.y) << 32) | uint64_t(w.x);
}
#endif

// NaN tests on the bits, which no compiler assumption about NaNs removes.
bool is_nan(float x) {
  return (floatBitsToUint(x) & 0x7fffffffu) > 0x7f800000u;
}
bool is_inf(float x) {
  return (floatBitsToUint(x) & 0x7fffffffu) == 0x7f800000u;
}
#ifdef MLX_FLOAT64
bool is_nan(double x) {
  uvec2 w = unpackDouble2x32(x);
  uint hi = w.y & 0x7fffffffu;
  return hi > 0x7ff00000u || (hi == 0x7ff00000u && w.x != 0u);
}
#endif

// The dtype classes the op code paths switch on.
bool is_float_kind(uint dt) {
  return dt == DT_FLOAT16 || dt == DT_BFLOAT16 || dt == DT_FLOAT32;
}
bool is_unsigned_kind(uint dt) {
  return dt == DT_UINT8 || dt == DT_UINT16 || dt == DT_UINT32 ||
      dt == DT_UINT64;
}

// Output words per invocation (constant_id 7 in every element-wise shader;
// the host pads the constants before it): a workgroup writes
// WORDS_PER_INVOCATION blocks of 256 consecutive words, so every load and
// store stays coalesced while each invocation keeps several in flight.
layout(constant_id = 7) const uint WORDS_PER_INVOCATION = 1;

// Output word t: compute(i) gives the bits of output element i; the
// caller's main() expands this with its own compute.
#define MLX_ELEMENTWISE_MAIN(OUT_DT, COMPUTE)                                  \
  void write_word(uint t) {                                                    \
    uint size = dtype_size(OUT_DT);                                            \
    uint per_word = size < 4u ? 4u / size : 1u;                                \
    uint first_i = t * per_word;                                               \
    if (first_i >= p.n) {                                                      \
      return;                                                                  \
    }                                                                          \
    if (size == 8u) {                                                          \
      uint64_t v = COMPUTE(t);                                                 \
      dst[2u * t] = uint(v);                                                   \
      dst[2u * t + 1u] = uint(v >> 32);                                        \
      return;                                                                  \
    }                                                                          \
    uint word = 0u;                                                            \
    uint mask = size == 4u ? 0xffffffffu : (1u << (8u * size)) - 1u;           \
    for (uint k = 0u; k < per_word && first_i + k < p.n; ++k) {                \
      uint v = uint(COMPUTE(first_i + k)) & mask;                              \
      word |= v << (8u * size * k);                                            \
    }                                                                          \
    dst[t] = word;                                                             \
  }                                                                            \
  void main() {                                                                \
    uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;     \
    uint first = group * WORDS_PER_INVOCATION * gl_WorkGroupSize.x;            \
    [[unroll]] for (uint j = 0u; j < WORDS_PER_INVOCATION; ++j) {              \
      write_word(first + j * gl_WorkGroupSize.x + gl_LocalInvocationID.x);     \
    }                                                                          \
  }
