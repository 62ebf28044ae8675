// The Arange primitive (core/backend/vulkan/ternary.cpp): out[i] as the
// CPU's Arange::eval_cpu computes it. Integers: first + i * delta in
// wrapping 64-bit arithmetic (delta = T(start + step) - T(start), as NumPy).
// Floats: T(start + i * step) in double (arange_f64.comp), or in float where
// the device has no float64 (then within rounding of the CPU's values).
// Included by arange.comp and arange_f64.comp (MLX_FLOAT64).
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require

#include "dtype.glsl"

layout(local_size_x = 256) in;

layout(constant_id = 0) const uint OUT_DTYPE = DT_FLOAT32;

layout(std430, set = 0, binding = 0) writeonly buffer Out { uint dst[]; };

layout(push_constant) uniform Params {
  uint n;
  uint unused;
  uvec2 start; // double bits (low word first)
  uvec2 step;  // double bits
  uvec2 first; // integers: T(start) as 64 bits
  uvec2 delta; // integers: T(start + step) - T(start), 64 bits
}
p;

uint64_t u64(uvec2 w) {
  return (uint64_t(w.y) << 32) | uint64_t(w.x);
}

uint64_t compute(uint i) {
  if (!dtype_is_float(OUT_DTYPE)) {
    uint64_t v = u64(p.first) + uint64_t(i) * u64(p.delta);
    if (OUT_DTYPE == DT_BOOL) {
      return v != 0ul ? 1ul : 0ul;
    }
    return v;
  }
#ifdef MLX_FLOAT64
  // precise: no fused multiply-add, as the CPU rounds twice.
  precise double d =
      packDouble2x32(p.start) + double(i) * packDouble2x32(p.step);
  if (OUT_DTYPE == DT_FLOAT64) {
    uvec2 w = unpackDouble2x32(d);
    return (uint64_t(w.y) << 32) | uint64_t(w.x);
  }
  float f = float(d);
#else
  // The start and step rounded to float by the host, in start and step's
  // low words.
  precise float f =
      uintBitsToFloat(p.start.x) + float(i) * uintBitsToFloat(p.step.x);
#endif
  if (OUT_DTYPE == DT_FLOAT16) {
    return uint64_t(float_to_half_bits(f));
  }
  if (OUT_DTYPE == DT_BFLOAT16) {
    return uint64_t(float_to_bfloat_bits(f));
  }
  return uint64_t(floatBitsToUint(f));
}

void main() {
  uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  uint t = group * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
  uint size = dtype_size(OUT_DTYPE);
  uint per_word = size < 4u ? 4u / size : 1u;
  uint first_i = t * per_word;
  if (first_i >= p.n) {
    return;
  }
  if (size == 8u) {
    uint64_t v = compute(t);
    dst[2u * t] = uint(v);
    dst[2u * t + 1u] = uint(v >> 32);
    return;
  }
  uint word = 0u;
  uint mask = size == 4u ? 0xffffffffu : (1u << (8u * size)) - 1u;
  for (uint k = 0u; k < per_word && first_i + k < p.n; ++k) {
    word |= (uint(compute(first_i + k)) & mask) << (8u * size * k);
  }
  dst[t] = word;
}
