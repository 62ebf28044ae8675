// Strided -> contiguous copy with dtype conversion (the Contiguous and AsType
// kernels), as static_cast on the CPU (core/backend/cpu/copy.cpp). Included
// by copy.comp and copy_f64.comp (MLX_FLOAT64: float64 needs shaderFloat64).
//
// Buffers are read and written as 32-bit words, so 8- and 16-bit dtypes need
// no 8/16-bit storage features; each invocation writes whole output words
// (4 uint8, 2 float16 or 1 float32 element, or the two words of an 8-byte
// element), so no two invocations write the same word.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require

#include "dtype.glsl"

#ifdef MLX_FLOAT64
#define real double
#else
#define real float
#endif

const uint kMaxPushDims = 8;

layout(local_size_x = 256) in;

layout(constant_id = 0) const uint IN_DTYPE = DT_FLOAT32;
layout(constant_id = 1) const uint OUT_DTYPE = DT_FLOAT32;
// 0: strided (shape and strides in push constants), 1: contiguous input,
// 2: strided with shape and strides in the metadata buffer (ndim > 8).
layout(constant_id = 2) const uint MODE = 0;

layout(std430, set = 0, binding = 0) readonly buffer In { uint src[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Out { uint dst[]; };
// shape[ndim] then strides[ndim] (int32), when MODE == 2.
layout(std430, set = 0, binding = 2) readonly buffer Meta { int meta[]; };

layout(push_constant) uniform Params {
  uint n; // output elements
  uint in_offset; // input element offset from the bound range's start
  uint ndim; // input dims after collapsing
  uint unused;
  uint shape[kMaxPushDims];
  int strides[kMaxPushDims];
}
p;

uint shape_at(uint d) {
  return MODE == 2 ? uint(meta[d]) : p.shape[d];
}
int stride_at(uint d) {
  return MODE == 2 ? meta[p.ndim + d] : p.strides[d];
}

// Input element index of the i-th element in row-major order.
uint input_index(uint i) {
  if (MODE == 1) {
    return p.in_offset + i;
  }
  int loc = int(p.in_offset);
  for (uint d = p.ndim; d-- > 0u;) {
    uint s = shape_at(d);
    loc += int(i % s) * stride_at(d);
    i /= s;
  }
  return uint(loc);
}

// The raw bits of input element e, zero-extended to 64 bits.
MLX_DEFINE_LOAD(load_word_bits, src)

uint64_t load_bits(uint e) {
  return load_word_bits(IN_DTYPE, e);
}

// Integer sources as int64 (sign-extended when signed, two's complement).
int64_t load_int(uint64_t bits) {
  if (IN_DTYPE == DT_INT8) {
    return int64_t(int(uint(bits) << 24) >> 24);
  }
  if (IN_DTYPE == DT_INT16) {
    return int64_t(int(uint(bits) << 16) >> 16);
  }
  if (IN_DTYPE == DT_INT32) {
    return int64_t(int(uint(bits)));
  }
  return int64_t(bits);
}

// Float sources (complex: the real part).
real load_real(uint64_t bits) {
  if (IN_DTYPE == DT_FLOAT16) {
    return real(half_bits_to_float(uint(bits)));
  }
  if (IN_DTYPE == DT_BFLOAT16) {
    return real(bfloat_bits_to_float(uint(bits)));
  }
#ifdef MLX_FLOAT64
  if (IN_DTYPE == DT_FLOAT64) {
    return packDouble2x32(uvec2(uint(bits), uint(bits >> 32)));
  }
#endif
  return real(uintBitsToFloat(uint(bits)));
}

#ifdef MLX_FLOAT64
uint64_t bits_of(double d) {
  uvec2 w = unpackDouble2x32(d);
  return (uint64_t(w.y) << 32) | uint64_t(w.x);
}
#endif

// Output bits (zero-extended) of input element e converted to OUT_DTYPE.
uint64_t convert(uint e) {
  uint64_t bits = load_bits(e);
  if (IN_DTYPE == OUT_DTYPE) {
    return bits;
  }
  if (OUT_DTYPE == DT_COMPLEX64 && IN_DTYPE != DT_COMPLEX64) {
    // (x, 0): the real part's bits in the low word.
    float re = dtype_is_float(IN_DTYPE)
        ? float(load_real(bits))
        : (IN_DTYPE == DT_UINT64 ? float(uint64_t(bits))
                                 : float(load_int(bits)));
    if (IN_DTYPE == DT_BOOL) {
      re = bits != 0ul ? 1.0 : 0.0;
    }
    return uint64_t(floatBitsToUint(re));
  }
  if (dtype_is_float(IN_DTYPE)) {
    real v = load_real(bits);
    if (OUT_DTYPE == DT_BOOL) {
      return v != real(0) ? 1ul : 0ul;
    }
    if (OUT_DTYPE == DT_FLOAT16) {
      return uint64_t(float_to_half_bits(float(v)));
    }
    if (OUT_DTYPE == DT_BFLOAT16) {
      return uint64_t(float_to_bfloat_bits(float(v)));
    }
    if (OUT_DTYPE == DT_FLOAT32) {
      return uint64_t(floatBitsToUint(float(v)));
    }
#ifdef MLX_FLOAT64
    if (OUT_DTYPE == DT_FLOAT64) {
      return bits_of(double(v));
    }
#endif
    if (OUT_DTYPE == DT_UINT64) {
      return uint64_t(v);
    }
    return uint64_t(int64_t(v)); // truncated toward zero, low bits kept
  }
  // Integer (or bool) source.
  int64_t iv = load_int(bits);
  if (OUT_DTYPE == DT_BOOL) {
    return bits != 0ul ? 1ul : 0ul;
  }
  if (dtype_is_float(OUT_DTYPE)) {
    float f = IN_DTYPE == DT_UINT64 ? float(bits) : float(iv);
    if (OUT_DTYPE == DT_FLOAT16) {
      return uint64_t(float_to_half_bits(f));
    }
    if (OUT_DTYPE == DT_BFLOAT16) {
      return uint64_t(float_to_bfloat_bits(f));
    }
#ifdef MLX_FLOAT64
    if (OUT_DTYPE == DT_FLOAT64) {
      double d = IN_DTYPE == DT_UINT64 ? double(bits) : double(iv);
      return bits_of(d);
    }
#endif
    return uint64_t(floatBitsToUint(f));
  }
  return uint64_t(iv); // modulo 2^bits of the output
}

void main() {
  uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  uint t = group * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
  uint size = dtype_size(OUT_DTYPE);
  uint per_word = size < 4u ? 4u / size : 1u;
  uint first = t * per_word;
  if (first >= p.n) {
    return;
  }
  if (size == 8u) {
    uint64_t v = convert(input_index(t));
    dst[2 * t] = uint(v);
    dst[2 * t + 1] = uint(v >> 32);
    return;
  }
  uint word = 0u;
  uint mask = size == 4u ? 0xffffffffu : (1u << (8u * size)) - 1u;
  for (uint k = 0u; k < per_word && first + k < p.n; ++k) {
    uint v = uint(convert(input_index(first + k))) & mask;
    word |= v << (8u * size * k);
  }
  dst[t] = word;
}
