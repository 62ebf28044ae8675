// Reductions (the Reduce and ArgReduce kernels), as the CPU's
// core/backend/cpu/reduce.cpp: floats accumulate in float (double for
// float64; float16 and bfloat16 are widened), integers and bool in int64
// (sums and products modulo 2^64 truncate to the same bits as the CPU's
// sums in the dtype), min and max propagate NaN.
//
// The input is viewed as [kept dims] x [reduced dims] (each collapsed on
// the host). Each of n_out * split "virtual outputs" reduces the chunk
// [c * chunk, (c + 1) * chunk) of one output's reduced elements: with
// split > 1 the partial results (in the accumulator's dtype) are reduced
// again by a second dispatch. MODE 0 gives each virtual output a
// workgroup (a shared-memory tree, correct for any subgroup size), MODE 1
// one invocation (many outputs with short or strided rows).
//
// Included by reduce.comp / reduce_f64.comp / reduce_subgroup.comp
// (REDUCE_MAIN; the last combines a workgroup's float partial results by
// subgroup shuffles, MLX_SUBGROUP_REDUCE) and arg_reduce.comp /
// arg_reduce_f64.comp (ARG_REDUCE_MAIN).
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require

#include "dtype.glsl"

#ifdef MLX_FLOAT64
#define real double
#else
#define real float
#endif

const uint kGroupSize = 256;
const uint kMaxPushDims = 4;
const uint kNone = 0xffffffffu; // arg reduce: no element seen yet

layout(local_size_x = 256) in;

layout(constant_id = 0) const uint IN_DTYPE = DT_FLOAT32;
layout(constant_id = 1) const uint OUT_DTYPE = DT_FLOAT32;
// ReduceOp (And, Or, Sum, Prod, Min, Max) or ArgReduceOp (ArgMin, ArgMax).
layout(constant_id = 2) const uint OP = 2;
layout(constant_id = 3) const uint MODE = 0;
// 1: shapes and strides in the metadata buffer (more than kMaxPushDims).
layout(constant_id = 4) const uint META = 0;
// MODE 0 over contiguous float32 rows whose chunks start at multiples of 4
// elements (the host checks): four elements per load.
layout(constant_id = 5) const bool VEC4 = false;

const uint OP_AND = 0, OP_OR = 1, OP_SUM = 2, OP_PROD = 3, OP_MIN = 4,
           OP_MAX = 5;
const uint OP_ARGMIN = 0, OP_ARGMAX = 1;

layout(std430, set = 0, binding = 0) readonly buffer In { uint src[]; };
layout(std430, set = 0, binding = 0) readonly buffer In4 { uvec4 src4[]; };
// Sub-word outputs are written with atomics: neighbours share words.
layout(std430, set = 0, binding = 1) buffer Out { uint dst[]; };
// kept shape, kept strides, reduced shape, reduced strides (int32), META 1.
layout(std430, set = 0, binding = 2) readonly buffer Meta { int meta[]; };

layout(push_constant) uniform Params {
  uint n_out; // outputs
  uint n_red; // reduced elements per output
  uint split; // chunks per output
  uint chunk; // reduced elements per chunk
  uint in_offset; // input element offset from the bound range's start
  uint kept_ndim;
  uint red_ndim;
  uint unused;
  uint kept_shape[kMaxPushDims];
  int kept_strides[kMaxPushDims];
  uint red_shape[kMaxPushDims];
  int red_strides[kMaxPushDims];
}
p;

shared real s_real[kGroupSize];
shared int64_t s_int[kGroupSize];
shared uint s_idx[kGroupSize];

const bool IS_FLOAT = IN_DTYPE == DT_FLOAT16 || IN_DTYPE == DT_FLOAT32 ||
    IN_DTYPE == DT_FLOAT64 || IN_DTYPE == DT_BFLOAT16;

uint kept_shape_at(uint d) {
  return META == 1 ? uint(meta[d]) : p.kept_shape[d];
}
int kept_stride_at(uint d) {
  return META == 1 ? meta[p.kept_ndim + d] : p.kept_strides[d];
}
uint red_shape_at(uint d) {
  return META == 1 ? uint(meta[2 * p.kept_ndim + d]) : p.red_shape[d];
}
int red_stride_at(uint d) {
  return META == 1 ? meta[2 * p.kept_ndim + p.red_ndim + d]
                   : p.red_strides[d];
}

int kept_loc(uint o) {
  int loc = 0;
  for (uint d = p.kept_ndim; d-- > 0u;) {
    uint s = kept_shape_at(d);
    loc += int(o % s) * kept_stride_at(d);
    o /= s;
  }
  return loc;
}

int red_loc(uint i) {
  if (p.red_ndim == 1u) {
    return int(i) * red_stride_at(0);
  }
  int loc = 0;
  for (uint d = p.red_ndim; d-- > 0u;) {
    uint s = red_shape_at(d);
    loc += int(i % s) * red_stride_at(d);
    i /= s;
  }
  return loc;
}

MLX_DEFINE_LOAD(load_word_bits, src)

uint64_t load_bits(uint e) {
  return load_word_bits(IN_DTYPE, e);
}

real load_real(uint e) {
  uint64_t bits = load_bits(e);
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

// Integers sign- or zero-extended; bool as 0 or 1.
int64_t load_int(uint e) {
  uint64_t bits = load_bits(e);
  if (IN_DTYPE == DT_INT8) {
    return int64_t(int(uint(bits) << 24) >> 24);
  }
  if (IN_DTYPE == DT_INT16) {
    return int64_t(int(uint(bits) << 16) >> 16);
  }
  if (IN_DTYPE == DT_INT32) {
    return int64_t(int(uint(bits)));
  }
  if (IN_DTYPE == DT_BOOL) {
    return bits != 0ul ? 1l : 0l;
  }
  return int64_t(bits);
}

// NaN tests on the bits: immune to fast-math assumptions of a compiler.
bool is_nan(real x) {
#ifdef MLX_FLOAT64
  uvec2 w = unpackDouble2x32(double(x));
  return (w.y & 0x7fffffffu) > 0x7ff00000u ||
      ((w.y & 0x7fffffffu) == 0x7ff00000u && w.x != 0u);
#else
  return (floatBitsToUint(float(x)) & 0x7fffffffu) > 0x7f800000u;
#endif
}

// a < b in the input's order (uint64 compares unsigned; the other
// unsigned types were zero-extended).
bool int_less(int64_t a, int64_t b) {
  return IN_DTYPE == DT_UINT64 ? uint64_t(a) < uint64_t(b) : a < b;
}

// Output bits (zero-extended) of a float result / an integer result.
uint64_t real_out_bits(real v) {
  if (OUT_DTYPE == DT_FLOAT16) {
    return uint64_t(float_to_half_bits(float(v)));
  }
  if (OUT_DTYPE == DT_BFLOAT16) {
    return uint64_t(float_to_bfloat_bits(float(v)));
  }
#ifdef MLX_FLOAT64
  if (OUT_DTYPE == DT_FLOAT64) {
    uvec2 w = unpackDouble2x32(double(v));
    return (uint64_t(w.y) << 32) | uint64_t(w.x);
  }
#endif
  return uint64_t(floatBitsToUint(float(v)));
}

uint64_t int_out_bits(int64_t v) {
  if (OUT_DTYPE == DT_BOOL) {
    return v != 0l ? 1ul : 0ul;
  }
  return uint64_t(v); // the low bits: modulo 2^bits of the output
}

// Writes output element g. Elements narrower than a word are merged into
// their word with two atomics (clear, then set), so outputs of other
// invocations in the same word are untouched.
void store_bits(uint g, uint64_t bits) {
  uint size = dtype_size(OUT_DTYPE);
  if (size == 8u) {
    dst[2 * g] = uint(bits);
    dst[2 * g + 1] = uint(bits >> 32);
  } else if (size == 4u) {
    dst[g] = uint(bits);
  } else {
    uint word = g * size / 4u;
    uint shift = (g * size % 4u) * 8u;
    uint mask = ((1u << (8u * size)) - 1u) << shift;
    atomicAnd(dst[word], ~mask);
    atomicOr(dst[word], (uint(bits) << shift) & mask);
  }
}

#ifdef REDUCE_MAIN

real real_init() {
  if (OP == OP_SUM) {
    return real(0);
  }
  if (OP == OP_PROD) {
    return real(1);
  }
  real inf = real(uintBitsToFloat(0x7f800000u));
  return OP == OP_MIN ? inf : -inf;
}

int64_t int_init() {
  if (OP == OP_SUM || OP == OP_OR) {
    return 0l;
  }
  if (OP == OP_PROD || OP == OP_AND) {
    return 1l;
  }
  if (IN_DTYPE == DT_UINT64) {
    return OP == OP_MIN ? -1l : 0l; // all ones: the largest uint64
  }
  return OP == OP_MIN ? 0x7fffffffffffffffl : (-0x7fffffffffffffffl - 1l);
}

real real_combine(real a, real b) {
  if (OP == OP_SUM) {
    return a + b;
  }
  if (OP == OP_PROD) {
    return a * b;
  }
  if (is_nan(a)) {
    return a;
  }
  if (is_nan(b)) {
    return b;
  }
  if (OP == OP_MIN) {
    return b < a ? b : a;
  }
  return a < b ? b : a;
}

int64_t int_combine(int64_t a, int64_t b) {
  if (OP == OP_SUM) {
    return a + b;
  }
  if (OP == OP_PROD) {
    return a * b;
  }
  // And / Or of 0-or-1 values are their min / max.
  if (OP == OP_MIN || OP == OP_AND) {
    return int_less(b, a) ? b : a;
  }
  return int_less(a, b) ? b : a;
}

// acc = the reduction of elements first, first + step, ... below end, in
// four independent partial results: four loads in flight per invocation
// instead of one, each waiting for the previous combine.
#define MLX_ACCUMULATE(T, INIT, COMBINE, LOAD)                                 \
  {                                                                            \
    T a0 = INIT(), a1 = INIT(), a2 = INIT(), a3 = INIT();                      \
    uint i = first;                                                            \
    for (; end >= 3u * step && i < end - 3u * step; i += 4u * step) {         \
      T v0 = LOAD(uint(base + red_loc(i)));                                    \
      T v1 = LOAD(uint(base + red_loc(i + step)));                             \
      T v2 = LOAD(uint(base + red_loc(i + 2u * step)));                        \
      T v3 = LOAD(uint(base + red_loc(i + 3u * step)));                        \
      a0 = COMBINE(a0, v0);                                                    \
      a1 = COMBINE(a1, v1);                                                    \
      a2 = COMBINE(a2, v2);                                                    \
      a3 = COMBINE(a3, v3);                                                    \
    }                                                                          \
    for (; i < end; i += step) {                                               \
      a0 = COMBINE(a0, LOAD(uint(base + red_loc(i))));                         \
    }                                                                          \
    acc = COMBINE(COMBINE(a0, a1), COMBINE(a2, a3));                           \
  }

vec4 real_combine4(vec4 a, vec4 b) {
  if (OP == OP_SUM) {
    return a + b;
  }
  if (OP == OP_PROD) {
    return a * b;
  }
  vec4 r;
  for (uint c = 0u; c < 4u; ++c) {
    r[c] = float(real_combine(real(a[c]), real(b[c])));
  }
  return r;
}

// VEC4: the reduction of float32 elements [begin, end) from `base` (a
// multiple of 4 with begin), vec4s strided over the workgroup, two in
// flight per invocation; the last end - begin mod 4 elements one each.
real accumulate_vec4(int base, uint begin, uint end, uint lid) {
  uint q0 = (uint(base) + begin) / 4u;
  uint n4 = (end - begin) / 4u;
  vec4 init = vec4(float(real_init()));
  vec4 a0 = init, a1 = init;
  uint j = lid;
  for (; j + kGroupSize < n4; j += 2u * kGroupSize) {
    vec4 v0 = uintBitsToFloat(src4[q0 + j]);
    vec4 v1 = uintBitsToFloat(src4[q0 + j + kGroupSize]);
    a0 = real_combine4(a0, v0);
    a1 = real_combine4(a1, v1);
  }
  if (j < n4) {
    a0 = real_combine4(a0, uintBitsToFloat(src4[q0 + j]));
  }
  a0 = real_combine4(a0, a1);
  real acc = real_combine(real_combine(real(a0.x), real(a0.y)),
                          real_combine(real(a0.z), real(a0.w)));
  uint tail = begin + 4u * n4 + lid;
  if (tail < end) {
    acc = real_combine(acc, load_real(uint(base) + tail));
  }
  return acc;
}

void main() {
  uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  uint total = p.n_out * p.split;
  uint lid = gl_LocalInvocationID.x;
  // MODE 0: chunks of one output are neighbours; MODE 1: outputs are, so
  // neighbouring invocations read neighbouring kept elements.
  uint g = MODE == 0 ? group : group * kGroupSize + lid;
  if (g >= total) {
    return; // uniform over the workgroup in MODE 0
  }
  uint o = MODE == 0 ? g / p.split : g % p.n_out;
  uint c = MODE == 0 ? g % p.split : g / p.n_out;
  int base = int(p.in_offset) + kept_loc(o);
  uint begin = c * p.chunk;
  uint end = min(begin + p.chunk, p.n_red);
  uint first = MODE == 0 ? begin + lid : begin;
  uint step = MODE == 0 ? kGroupSize : 1u;
  if (IS_FLOAT) {
    real acc;
    if (VEC4) {
      acc = accumulate_vec4(base, begin, end, lid);
    } else {
      MLX_ACCUMULATE(real, real_init, real_combine, load_real)
    }
    if (MODE == 0) {
#ifdef MLX_SUBGROUP_REDUCE
      // Within each subgroup by shuffles, then across the subgroups'
      // results: one barrier instead of eight.
      for (uint off = gl_SubgroupSize / 2u; off > 0u; off >>= 1) {
        acc = real_combine(acc, subgroupShuffleXor(acc, off));
      }
      if (subgroupElect()) {
        s_real[gl_SubgroupID] = acc;
      }
      barrier();
      acc = s_real[0];
      for (uint s = 1u; s < gl_NumSubgroups; ++s) {
        acc = real_combine(acc, s_real[s]);
      }
#else
      s_real[lid] = acc;
      barrier();
      for (uint s = kGroupSize / 2u; s > 0u; s >>= 1) {
        if (lid < s) {
          s_real[lid] = real_combine(s_real[lid], s_real[lid + s]);
        }
        barrier();
      }
      acc = s_real[0];
#endif
    }
    if (MODE == 1 || lid == 0u) {
      store_bits(g, real_out_bits(acc));
    }
  } else {
    int64_t acc;
    MLX_ACCUMULATE(int64_t, int_init, int_combine, load_int)
    if (MODE == 0) {
      s_int[lid] = acc;
      barrier();
      for (uint s = kGroupSize / 2u; s > 0u; s >>= 1) {
        if (lid < s) {
          s_int[lid] = int_combine(s_int[lid], s_int[lid + s]);
        }
        barrier();
      }
      acc = s_int[0];
    }
    if (MODE == 1 || lid == 0u) {
      store_bits(g, int_out_bits(acc));
    }
  }
}

#endif // REDUCE_MAIN

#ifdef ARG_REDUCE_MAIN

// Whether (v, i) goes before (best, best_i): a NaN beats any number (the
// first NaN wins, as on the CPU), then the extreme value, then the lower
// index on ties.
bool real_before(real v, uint i, real best, uint best_i) {
  if (best_i == kNone) {
    return true;
  }
  if (i == kNone) {
    return false;
  }
  bool nv = is_nan(v), nb = is_nan(best);
  if (nv || nb) {
    return nv && (!nb || i < best_i);
  }
  if (v == best) {
    return i < best_i;
  }
  return OP == OP_ARGMAX ? best < v : v < best;
}

bool int_before(int64_t v, uint i, int64_t best, uint best_i) {
  if (best_i == kNone) {
    return true;
  }
  if (i == kNone) {
    return false;
  }
  if (v == best) {
    return i < best_i;
  }
  return OP == OP_ARGMAX ? int_less(best, v) : int_less(v, best);
}

void main() {
  uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  uint lid = gl_LocalInvocationID.x;
  uint o = MODE == 0 ? group : group * kGroupSize + lid;
  if (o >= p.n_out) {
    return; // uniform over the workgroup in MODE 0
  }
  int base = int(p.in_offset) + kept_loc(o);
  int inc = red_stride_at(0);
  uint first = MODE == 0 ? lid : 0u;
  uint step = MODE == 0 ? kGroupSize : 1u;
  uint best_i = kNone;
  if (IS_FLOAT) {
    real best = real(0);
    for (uint i = first; i < p.n_red; i += step) {
      real v = load_real(uint(base + int(i) * inc));
      if (real_before(v, i, best, best_i)) {
        best = v;
        best_i = i;
      }
    }
    if (MODE == 0) {
      s_real[lid] = best;
      s_idx[lid] = best_i;
      barrier();
      for (uint s = kGroupSize / 2u; s > 0u; s >>= 1) {
        if (lid < s &&
            real_before(s_real[lid + s], s_idx[lid + s], s_real[lid],
                        s_idx[lid])) {
          s_real[lid] = s_real[lid + s];
          s_idx[lid] = s_idx[lid + s];
        }
        barrier();
      }
      best_i = s_idx[0];
    }
  } else {
    int64_t best = 0l;
    for (uint i = first; i < p.n_red; i += step) {
      int64_t v = load_int(uint(base + int(i) * inc));
      if (int_before(v, i, best, best_i)) {
        best = v;
        best_i = i;
      }
    }
    if (MODE == 0) {
      s_int[lid] = best;
      s_idx[lid] = best_i;
      barrier();
      for (uint s = kGroupSize / 2u; s > 0u; s >>= 1) {
        if (lid < s &&
            int_before(s_int[lid + s], s_idx[lid + s], s_int[lid],
                       s_idx[lid])) {
          s_int[lid] = s_int[lid + s];
          s_idx[lid] = s_idx[lid + s];
        }
        barrier();
      }
      best_i = s_idx[0];
    }
  }
  if (MODE == 1 || lid == 0u) {
    dst[o] = best_i == kNone ? 0u : best_i;
  }
}

#endif // ARG_REDUCE_MAIN
