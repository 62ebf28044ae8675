#version 450
// Gathers, scatters and copies into strided destinations (the Take,
// TakeAlongAxis, ScatterAddAxis, SliceUpdate and Concatenate kernels),
// moving elements as raw bits as the CPU's core/backend/cpu/indexing.cpp.
//
// Every op walks a loop shape (row-major, collapsed on the host) with one
// stride array per operand, all in the metadata buffer:
//   GATHER:      out[i] = src[s(i) + index(x(i)) * axis_stride]  (out
//                contiguous: each invocation writes whole words)
//   SCATTER_ADD: dst[d(i) + index(x(i)) * axis_stride] += src[s(i)]
//   COPY:        dst[d(i)] = src[s(i)]
//   PUT:         dst[d(i) + index(x(i)) * axis_stride] = src[s(i)], the
//                last of duplicates winning as on the CPU: the loop's last
//                dim is the indices' axis (put_count long), and an update
//                is skipped when a later one on that axis has its index;
//                with `serial` one invocation does every update in order
//                (`a` broadcast off the axis: updates of different rows
//                collide).
// Indices are wrapped as the CPU does (negative ones count from the end)
// and then clamped into [0, axis_size): the GPU never reads or writes out
// of bounds. (Host-made indices are checked on the host first, with the
// CPU's error.) Scatters and copies write elements narrower than a word
// with atomics, since neighbours may belong to other invocations; additions
// are compare-and-swap loops on the containing word (atomicAdd for 32-bit
// integers), so duplicate indices accumulate.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require

#include "dtype.glsl"

layout(local_size_x = 256) in;

// The moved elements' dtype (any; SCATTER_ADD takes those of 1, 2 or 4
// bytes) and the indices' (an integer dtype).
layout(constant_id = 0) const uint DTYPE = DT_FLOAT32;
layout(constant_id = 1) const uint IDX_DTYPE = DT_INT32;
layout(constant_id = 2) const uint OP = 0;

const uint OP_GATHER = 0, OP_SCATTER_ADD = 1, OP_COPY = 2, OP_PUT = 3;

layout(std430, set = 0, binding = 0) readonly buffer Src {
  uint src[];
};
layout(std430, set = 0, binding = 1) readonly buffer Idx {
  uint idx[];
};
layout(std430, set = 0, binding = 2) buffer Dst {
  uint dst[];
};
// shape[ndim], then strides (int32) of src, of the indices, of dst.
layout(std430, set = 0, binding = 3) readonly buffer Meta {
  int meta[];
};

layout(push_constant) uniform Params {
  uint n; // elements of the loop shape
  uint ndim;
  uint src_offset; // element offsets from the bound ranges' starts
  uint idx_offset;
  uint dst_offset;
  uint axis_size;
  int axis_stride;    // in the gathered / scattered array
  uint put_count;     // PUT: the indices' axis length (the loop's last dim)
  int put_idx_stride; // PUT: its stride in the indices
  uint serial;        // PUT: 1 when invocation 0 does every update in order
}
p;

// Offsets of loop element i in src (.x), the indices (.y) and dst (.z).
ivec3 locations(uint i) {
  ivec3 loc = ivec3(0);
  for (uint d = p.ndim; d-- > 0u;) {
    uint s = uint(meta[d]);
    int c = int(i % s);
    i /= s;
    loc +=
        c * ivec3(meta[p.ndim + d], meta[2 * p.ndim + d], meta[3 * p.ndim + d]);
  }
  return loc;
}

MLX_DEFINE_LOAD(load_word_bits, src)

uint64_t load_src(uint e) {
  return load_word_bits(DTYPE, e);
}

// The index at element e of the indices, wrapped and clamped, in 32-bit
// arithmetic (axis sizes are below 2^31; 8-byte indices outside the int32
// range are out of range anyway).
int load_index(uint e) {
  int n = int(p.axis_size);
  uint size = dtype_size(IDX_DTYPE);
  int v;
  if (size == 1) {
    uint b = (idx[e >> 2] >> ((e & 3u) * 8u)) & 0xffu;
    v = IDX_DTYPE == DT_INT8 ? int(b << 24) >> 24 : int(b);
  } else if (size == 2) {
    uint b = (idx[e >> 1] >> ((e & 1u) * 16u)) & 0xffffu;
    v = IDX_DTYPE == DT_INT16 ? int(b << 16) >> 16 : int(b);
  } else if (size == 4) {
    uint w = idx[e];
    if (IDX_DTYPE == DT_UINT32 && w >= 0x80000000u) {
      return n - 1;
    }
    v = int(w);
  } else {
    uint lo = idx[2 * e], hi = idx[2 * e + 1];
    bool small = hi == 0u && lo < 0x80000000u;
    bool small_negative =
        IDX_DTYPE == DT_INT64 && hi == 0xffffffffu && lo >= 0x80000000u;
    if (!small && !small_negative) {
      bool negative = IDX_DTYPE == DT_INT64 && hi >= 0x80000000u;
      return negative ? 0 : n - 1;
    }
    v = int(lo);
  }
  if (v < 0) {
    v += n;
  }
  return v < 0 ? 0 : (v >= n ? n - 1 : v);
}

// SCATTER_ADD's combination (Scatter::ReduceType: 1 sum, 2 prod, 3 max,
// 4 min): old (+ * max min) v for 1-, 2- or 4-byte elements (bits,
// zero-extended), as the CPU's scatter.cpp combine(): halves in float,
// rounded once; bool sums are or; max / min keep the target unless the
// update compares greater / less (a NaN update is ignored).
layout(constant_id = 3) const uint REDUCE = 1;
const uint R_SUM = 1, R_PROD = 2, R_MAX = 3, R_MIN = 4;

float as_float(uint bits) {
  if (DTYPE == DT_FLOAT16) {
    return half_bits_to_float(bits);
  }
  if (DTYPE == DT_BFLOAT16) {
    return bfloat_bits_to_float(bits);
  }
  return uintBitsToFloat(bits);
}

uint float_bits(float f) {
  if (DTYPE == DT_FLOAT16) {
    return float_to_half_bits(f);
  }
  if (DTYPE == DT_BFLOAT16) {
    return float_to_bfloat_bits(f);
  }
  return floatBitsToUint(f);
}

// Integers widened to int (signed types sign-extended): the order of max
// and min (uint32 compares as uint).
int as_int(uint bits) {
  if (DTYPE == DT_INT8) {
    return int(bits << 24) >> 24;
  }
  if (DTYPE == DT_INT16) {
    return int(bits << 16) >> 16;
  }
  return int(bits);
}

bool int_greater(uint a, uint b) {
  if (DTYPE == DT_UINT32) {
    return a > b;
  }
  return as_int(a) > as_int(b);
}

uint add_bits(uint old, uint v) {
  bool is_float = DTYPE == DT_FLOAT16 || DTYPE == DT_BFLOAT16 ||
      DTYPE == DT_FLOAT32;
  if (DTYPE == DT_BOOL) {
    bool t = old != 0u, u = v != 0u;
    bool r = (REDUCE == R_SUM || REDUCE == R_MAX) ? (t || u) : (t && u);
    return r ? 1u : 0u;
  }
  if (is_float) {
    float t = as_float(old), u = as_float(v);
    if (REDUCE == R_SUM) {
      return float_bits(t + u);
    }
    if (REDUCE == R_PROD) {
      return float_bits(t * u);
    }
    if (REDUCE == R_MAX) {
      return u > t ? v : old;
    }
    return u < t ? v : old;
  }
  if (REDUCE == R_SUM) {
    return old + v; // modulo 2^bits once masked
  }
  if (REDUCE == R_PROD) {
    return old * v;
  }
  if (REDUCE == R_MAX) {
    return int_greater(v, old) ? v : old;
  }
  return int_greater(old, v) ? v : old;
}

void add_element(uint e, uint v) {
  uint size = dtype_size(DTYPE);
  if (size == 4u && DTYPE != DT_FLOAT32 && REDUCE == R_SUM) {
    atomicAdd(dst[e], v);
    return;
  }
  uint word = size == 4u ? e : e * size / 4u;
  uint shift = size == 4u ? 0u : (e * size % 4u) * 8u;
  uint mask = size == 4u ? 0xffffffffu : (1u << (8u * size)) - 1u;
  uint old = dst[word];
  while (true) {
    uint r = add_bits((old >> shift) & mask, v) & mask;
    uint updated = (old & ~(mask << shift)) | (r << shift);
    uint seen = atomicCompSwap(dst[word], old, updated);
    if (seen == old) {
      break;
    }
    old = seen;
  }
}

void store_element(uint e, uint64_t bits) {
  uint size = dtype_size(DTYPE);
  if (size == 8u) {
    dst[2 * e] = uint(bits);
    dst[2 * e + 1] = uint(bits >> 32);
  } else if (size == 4u) {
    dst[e] = uint(bits);
  } else {
    uint word = e * size / 4u;
    uint shift = (e * size % 4u) * 8u;
    uint mask = ((1u << (8u * size)) - 1u) << shift;
    atomicAnd(dst[word], ~mask);
    atomicOr(dst[word], (uint(bits) << shift) & mask);
  }
}

// PUT of update i; `check_later`: skipped when a later update along the
// indices' axis has the same index (it will write last).
void put(uint i, bool check_later) {
  ivec3 loc = locations(i);
  int ie = int(p.idx_offset) + loc.y;
  int pos = load_index(uint(ie));
  if (check_later) {
    for (uint k = i % p.put_count + 1u; k < p.put_count; ++k) {
      ie += p.put_idx_stride;
      if (load_index(uint(ie)) == pos) {
        return;
      }
    }
  }
  uint64_t v = load_src(uint(int(p.src_offset) + loc.x));
  store_element(uint(int(p.dst_offset) + loc.z + pos * p.axis_stride), v);
}

uint64_t gathered(uint i) {
  ivec3 loc = locations(i);
  int pos = load_index(uint(int(p.idx_offset) + loc.y));
  return load_src(uint(int(p.src_offset) + loc.x + pos * p.axis_stride));
}

void main() {
  uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  uint t = group * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
  uint size = dtype_size(DTYPE);
  if (OP == OP_GATHER) {
    // Invocation t writes output word t (or the two words of element t).
    uint per_word = size < 4u ? 4u / size : 1u;
    uint first = t * per_word;
    if (first >= p.n) {
      return;
    }
    uint o = p.dst_offset; // 0: a fresh output
    if (size == 8u) {
      uint64_t v = gathered(t);
      dst[o + 2 * t] = uint(v);
      dst[o + 2 * t + 1] = uint(v >> 32);
      return;
    }
    uint word = 0u;
    uint mask = size == 4u ? 0xffffffffu : (1u << (8u * size)) - 1u;
    for (uint k = 0u; k < per_word && first + k < p.n; ++k) {
      word |= (uint(gathered(first + k)) & mask) << (8u * size * k);
    }
    dst[o + t] = word;
    return;
  }
  if (OP == OP_PUT && p.serial == 1u) {
    if (t == 0u) {
      for (uint i = 0u; i < p.n; ++i) {
        put(i, false);
      }
    }
    return;
  }
  if (t >= p.n) {
    return;
  }
  if (OP == OP_PUT) {
    put(t, true);
    return;
  }
  ivec3 loc = locations(t);
  uint64_t v = load_src(uint(int(p.src_offset) + loc.x));
  int target = int(p.dst_offset) + loc.z;
  if (OP == OP_SCATTER_ADD) {
    int pos = load_index(uint(int(p.idx_offset) + loc.y));
    add_element(uint(target + pos * p.axis_stride), uint(v));
  } else {
    store_element(uint(target), v);
  }
}
