// Tiled GEMM (Matmul, AddMM, and the convolution's im2col product), included
// by the matmul*.comp files with the register block (MLX_MATMUL_TM x
// MLX_MATMUL_TN) defined:
//   out[b] = alpha * A[b] @ B[b] + beta * C[b]   (C only when HAS_C)
// A is M x K, B is K x N, each read in place as row- or column-major with a
// leading dimension; out is float32 words with row stride ldo. Per batch
// element b the metadata buffer holds the element offsets of A, B, C and out.
//
// A workgroup computes a BM x BN tile of out, walking K in steps of BK: the
// A and B tiles go through shared memory (double-buffered: the next tile is
// fetched into registers while the current one is multiplied, so one
// barrier per step suffices), and each invocation accumulates a TM x TN
// register block. Its rows are TM / 4 groups of 4 spread WM = BM / TM apart
// (its columns likewise), so neighbouring invocations read neighbouring
// vec4s of shared memory (no bank conflicts) and a vec4 covers 4 rows.
// Global loads are vec4 when the host says the layout is aligned (VEC_*),
// scalar and guarded at the edges. No subgroup operations: any subgroup
// size works.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "dtype.glsl"

layout(local_size_x_id = 0) in;
// constant_id 0 is the workgroup size: (BM / TM) * (BN / TN).
layout(constant_id = 1) const uint BM = 128;
layout(constant_id = 2) const uint BN = 128;
layout(constant_id = 3) const uint BK = 8;
// TM and TN are compile-time constants, one SPIR-V module per register
// block (matmul.comp: 4 x 4, matmul_8x4.comp, matmul_8x8.comp,
// matmul_8x16.comp), so that the loops over the accumulators have literal
// trip counts. constant_id 4 and 5
// are the host's, unused here.
const uint TM = MLX_MATMUL_TM;
const uint TN = MLX_MATMUL_TN;
// The dtype of A, B and C: float32, float16 or bfloat16 (computed in float32).
layout(constant_id = 6) const uint DTYPE = DT_FLOAT32;
// A row-major (K contiguous) or column-major (M contiguous); B row-major (N
// contiguous) or column-major (K contiguous).
layout(constant_id = 7) const bool A_ROW_MAJOR = true;
layout(constant_id = 8) const bool B_ROW_MAJOR = true;
// Every vec4 along the contiguous dim starts at a multiple of 4 elements
// (offsets and leading dims are multiples of 4; float32 only).
layout(constant_id = 9) const bool VEC_A = false;
layout(constant_id = 10) const bool VEC_B = false;
layout(constant_id = 11) const bool VEC_OUT = false;
layout(constant_id = 12) const bool HAS_C = false;
// C is float32 whatever DTYPE (a depth slice accumulating into out).
layout(constant_id = 13) const bool C_F32 = false;
// Layout bits (tuning, MLX_VULKAN_MATMUL_TILE's sixth field):
//   LANES_4X8: each 32 invocations cover 4 x 8 register blocks instead of
//     a run along N, so a shared-memory read of a 32-wide subgroup touches
//     4 A and 8 B vec4s (one wavefront each) instead of 2 and 16.
//   LOAD_ALONG_MN: where a tile's contiguous dim is K, neighbouring
//     invocations load neighbouring rows (M or N), so their transposing
//     stores into shared memory hit distinct banks.
const uint LANES_4X8 = 1u;
const uint LOAD_ALONG_MN = 2u;
layout(constant_id = 14) const uint LAYOUT = 0;

const uint THREADS = (BM / TM) * (BN / TN);
const uint WM = BM / TM; // invocations along M
const uint WN = BN / TN; // invocations along N
const uint A_LOADS = BM * BK / 4 / THREADS; // vec4 loads per invocation
const uint B_LOADS = BN * BK / 4 / THREADS;

layout(std430, set = 0, binding = 0) readonly buffer A1 { uint a1[]; };
layout(std430, set = 0, binding = 0) readonly buffer A4 { uvec4 a4[]; };
layout(std430, set = 0, binding = 1) readonly buffer B1 { uint b1[]; };
layout(std430, set = 0, binding = 1) readonly buffer B4 { uvec4 b4[]; };
layout(std430, set = 0, binding = 2) readonly buffer C1 { uint c1[]; };
layout(std430, set = 0, binding = 3) writeonly buffer O1 { uint o1[]; };
layout(std430, set = 0, binding = 3) writeonly buffer O4 { uvec4 o4[]; };
// Per batch element: offsets of A, B, C and out (elements).
layout(std430, set = 0, binding = 4) readonly buffer Meta { uint meta[]; };

layout(push_constant) uniform Params {
  uint M, N, K, batch;
  int lda, ldb, ldo;
  int c_row, c_col; // C's element strides
  float alpha, beta;
}
p;

// Tiles, k-major: As[k][m] and Bs[k][n] as vec4s, two buffers each.
shared vec4 As[2 * BK * BM / 4];
shared vec4 Bs[2 * BK * BN / 4];

// Element e of a buffer of DTYPE words, as float.
float to_float(uint word, uint e) {
  if (DTYPE == DT_FLOAT32) {
    return uintBitsToFloat(word);
  }
  uint bits = (word >> ((e & 1u) * 16u)) & 0xffffu;
  return DTYPE == DT_FLOAT16 ? half_bits_to_float(bits)
                             : bfloat_bits_to_float(bits);
}
uint word_index(uint e) {
  return DTYPE == DT_FLOAT32 ? e : e >> 1;
}
float load_a(uint e) {
  return to_float(a1[word_index(e)], e);
}
float load_b(uint e) {
  return to_float(b1[word_index(e)], e);
}
float load_c(uint e) {
  if (C_F32) {
    return uintBitsToFloat(c1[e]);
  }
  return to_float(c1[word_index(e)], e);
}

// Four A elements along its contiguous dim from element e; `valid` of them
// (0..4) lie inside the matrix, the others read as zero.
vec4 fetch_a(uint e, uint valid) {
  if (VEC_A && valid == 4u) {
    return uintBitsToFloat(a4[e >> 2]);
  }
  vec4 v = vec4(0.0);
  for (uint j = 0u; j < valid; ++j) {
    v[j] = load_a(e + j);
  }
  return v;
}
vec4 fetch_b(uint e, uint valid) {
  if (VEC_B && valid == 4u) {
    return uintBitsToFloat(b4[e >> 2]);
  }
  vec4 v = vec4(0.0);
  for (uint j = 0u; j < valid; ++j) {
    v[j] = load_b(e + j);
  }
  return v;
}

// How many of 4 indices from `first` fall below `end`.
uint valid4(uint first, uint end) {
  return first >= end ? 0u : min(end - first, 4u);
}

// Load u of a K-contiguous tile (A row-major, B column-major): its row
// (M or N) in the tile and its first K. By default four neighbouring
// invocations read one row's 16 K (coalesced); with LOAD_ALONG_MN
// neighbouring invocations read neighbouring rows.
uint a_row(uint u) {
  return (LAYOUT & LOAD_ALONG_MN) != 0u ? u % BM : u / (BK / 4u);
}
uint a_col(uint u) {
  return ((LAYOUT & LOAD_ALONG_MN) != 0u ? u / BM : u % (BK / 4u)) * 4u;
}
uint b_row(uint u) {
  return (LAYOUT & LOAD_ALONG_MN) != 0u ? u % BN : u / (BK / 4u);
}
uint b_col(uint u) {
  return ((LAYOUT & LOAD_ALONG_MN) != 0u ? u / BN : u % (BK / 4u)) * 4u;
}

// The invocation's register block: column tx (of WN) and row ty (of WM).
uvec2 block_of_invocation() {
  uint id = gl_LocalInvocationID.x;
  if ((LAYOUT & LANES_4X8) != 0u) {
    // Groups of 32 as 4 rows x 8 columns, the groups row-major over the
    // (WM / 4) x (WN / 8) grid (the host checks that these divide).
    uint lane = id % 32u, group = id / 32u;
    uint gx = group % (WN / 8u), gy = group / (WN / 8u);
    return uvec2(gx * 8u + lane % 8u, gy * 4u + lane / 8u);
  }
  return uvec2(id % WN, id / WN);
}

// Global -> registers: the A tile at (m0, k0), as A_LOADS vec4s.
void load_tile_a(out vec4 r[A_LOADS], uint base, uint m0, uint k0) {
  [[unroll]] for (uint i = 0u; i < A_LOADS; ++i) {
    uint u = gl_LocalInvocationID.x + i * THREADS;
    if (A_ROW_MAJOR) {
      uint m = m0 + a_row(u), k = k0 + a_col(u);
      uint valid = m < p.M ? valid4(k, p.K) : 0u;
      r[i] = fetch_a(uint(int(base) + int(m) * p.lda) + k, valid);
    } else {
      uint k = k0 + u / (BM / 4u), m = m0 + (u % (BM / 4u)) * 4u;
      uint valid = k < p.K ? valid4(m, p.M) : 0u;
      r[i] = fetch_a(uint(int(base) + int(k) * p.lda) + m, valid);
    }
  }
}

void load_tile_b(out vec4 r[B_LOADS], uint base, uint n0, uint k0) {
  [[unroll]] for (uint i = 0u; i < B_LOADS; ++i) {
    uint u = gl_LocalInvocationID.x + i * THREADS;
    if (B_ROW_MAJOR) {
      uint k = k0 + u / (BN / 4u), n = n0 + (u % (BN / 4u)) * 4u;
      uint valid = k < p.K ? valid4(n, p.N) : 0u;
      r[i] = fetch_b(uint(int(base) + int(k) * p.ldb) + n, valid);
    } else {
      uint n = n0 + b_row(u), k = k0 + b_col(u);
      uint valid = n < p.N ? valid4(k, p.K) : 0u;
      r[i] = fetch_b(uint(int(base) + int(n) * p.ldb) + k, valid);
    }
  }
}

// Registers -> shared buffer `buf`, transposing where the contiguous dim
// is K.
void store_tile_a(vec4 r[A_LOADS], uint buf) {
  uint first = buf * BK * BM / 4u;
  [[unroll]] for (uint i = 0u; i < A_LOADS; ++i) {
    uint u = gl_LocalInvocationID.x + i * THREADS;
    if (A_ROW_MAJOR) {
      uint m = a_row(u), k = a_col(u);
      [[unroll]] for (uint j = 0u; j < 4u; ++j) {
        As[first + (k + j) * (BM / 4u) + m / 4u][m & 3u] = r[i][j];
      }
    } else {
      uint k = u / (BM / 4u), m = (u % (BM / 4u)) * 4u;
      As[first + k * (BM / 4u) + m / 4u] = r[i];
    }
  }
}

void store_tile_b(vec4 r[B_LOADS], uint buf) {
  uint first = buf * BK * BN / 4u;
  [[unroll]] for (uint i = 0u; i < B_LOADS; ++i) {
    uint u = gl_LocalInvocationID.x + i * THREADS;
    if (B_ROW_MAJOR) {
      uint k = u / (BN / 4u), n = (u % (BN / 4u)) * 4u;
      Bs[first + k * (BN / 4u) + n / 4u] = r[i];
    } else {
      uint n = b_row(u), k = b_col(u);
      [[unroll]] for (uint j = 0u; j < 4u; ++j) {
        Bs[first + (k + j) * (BN / 4u) + n / 4u][n & 3u] = r[i][j];
      }
    }
  }
}

// Stores row `row` (0..TM-1) of the invocation's block, vec4 column group
// j, of the tile at (m0, n0): alpha * v (+ beta * C).
void store_out(uint row, uint j, vec4 acc_v, uint m0, uint n0, uint c_base,
               uint o_base) {
  uvec2 block = block_of_invocation();
  uint tx = block.x, ty = block.y;
  uint m = m0 + ((row / 4u) * WM + ty) * 4u + row % 4u;
  if (m >= p.M) {
    return;
  }
  uint n = n0 + (j * WN + tx) * 4u;
  uint valid = valid4(n, p.N);
  vec4 v = p.alpha * acc_v;
  if (HAS_C) {
    int crow = int(c_base) + int(m) * p.c_row;
    for (uint c = 0u; c < valid; ++c) {
      v[c] += p.beta * load_c(uint(crow + int(n + c) * p.c_col));
    }
  }
  uint e = uint(int(o_base) + int(m) * p.ldo) + n;
  if (VEC_OUT && valid == 4u) {
    o4[e >> 2] = floatBitsToUint(v);
  } else {
    for (uint c = 0u; c < valid; ++c) {
      o1[e + c] = floatBitsToUint(v[c]);
    }
  }
}

#if MLX_MATMUL_TM == 8 && MLX_MATMUL_TN == 8
// The 8 x 8 block in 16 named vec4s rather than an array: as a vec4[16]
// array it ran at 2 TFLOP/s on an H100 (kept out of the registers).
#define MLX_MATMUL_NAMED_ACC 1
#define ACC_DECL                                                               \
  vec4 c00 = vec4(0.0), c01 = vec4(0.0), c10 = vec4(0.0), c11 = vec4(0.0),     \
       c20 = vec4(0.0), c21 = vec4(0.0), c30 = vec4(0.0), c31 = vec4(0.0),     \
       c40 = vec4(0.0), c41 = vec4(0.0), c50 = vec4(0.0), c51 = vec4(0.0),     \
       c60 = vec4(0.0), c61 = vec4(0.0), c70 = vec4(0.0), c71 = vec4(0.0);
#define ACC_ROW(R, s)                                                          \
  c##R##0 += (s) * b0;                                                         \
  c##R##1 += (s) * b1;
#define ACC_STEP(abase, bbase)                                                 \
  {                                                                            \
    vec4 a0 = As[(abase) + ty], a1 = As[(abase) + WM + ty];                    \
    vec4 b0 = Bs[(bbase) + tx], b1 = Bs[(bbase) + WN + tx];                    \
    ACC_ROW(0, a0.x) ACC_ROW(1, a0.y) ACC_ROW(2, a0.z) ACC_ROW(3, a0.w)        \
    ACC_ROW(4, a1.x) ACC_ROW(5, a1.y) ACC_ROW(6, a1.z) ACC_ROW(7, a1.w)        \
  }
#define STORE_ROW(R)                                                           \
  store_out(R, 0u, c##R##0, m0, n0, c_base, o_base);                           \
  store_out(R, 1u, c##R##1, m0, n0, c_base, o_base);
#define STORE_NAMED                                                            \
  STORE_ROW(0) STORE_ROW(1) STORE_ROW(2) STORE_ROW(3)                          \
  STORE_ROW(4) STORE_ROW(5) STORE_ROW(6) STORE_ROW(7)
#elif MLX_MATMUL_TM == 8 && MLX_MATMUL_TN == 16
// 8 x 16 in 32 named vec4s, for the reason above.
#define MLX_MATMUL_NAMED_ACC 1
#define ACC_ROW_DECL(R)                                                        \
  vec4 c##R##0 = vec4(0.0), c##R##1 = vec4(0.0), c##R##2 = vec4(0.0),          \
       c##R##3 = vec4(0.0);
#define ACC_DECL                                                               \
  ACC_ROW_DECL(0) ACC_ROW_DECL(1) ACC_ROW_DECL(2) ACC_ROW_DECL(3)              \
  ACC_ROW_DECL(4) ACC_ROW_DECL(5) ACC_ROW_DECL(6) ACC_ROW_DECL(7)
#define ACC_ROW(R, s)                                                          \
  c##R##0 += (s) * b0;                                                         \
  c##R##1 += (s) * b1;                                                         \
  c##R##2 += (s) * b2;                                                         \
  c##R##3 += (s) * b3;
#define ACC_STEP(abase, bbase)                                                 \
  {                                                                            \
    vec4 a0 = As[(abase) + ty], a1 = As[(abase) + WM + ty];                    \
    vec4 b0 = Bs[(bbase) + tx], b1 = Bs[(bbase) + WN + tx];                    \
    vec4 b2 = Bs[(bbase) + 2u * WN + tx], b3 = Bs[(bbase) + 3u * WN + tx];     \
    ACC_ROW(0, a0.x) ACC_ROW(1, a0.y) ACC_ROW(2, a0.z) ACC_ROW(3, a0.w)        \
    ACC_ROW(4, a1.x) ACC_ROW(5, a1.y) ACC_ROW(6, a1.z) ACC_ROW(7, a1.w)        \
  }
#define STORE_ROW(R)                                                           \
  store_out(R, 0u, c##R##0, m0, n0, c_base, o_base);                           \
  store_out(R, 1u, c##R##1, m0, n0, c_base, o_base);                           \
  store_out(R, 2u, c##R##2, m0, n0, c_base, o_base);                           \
  store_out(R, 3u, c##R##3, m0, n0, c_base, o_base);
#define STORE_NAMED                                                            \
  STORE_ROW(0) STORE_ROW(1) STORE_ROW(2) STORE_ROW(3)                          \
  STORE_ROW(4) STORE_ROW(5) STORE_ROW(6) STORE_ROW(7)
#endif

void main() {
  uvec2 block = block_of_invocation();
  uint tx = block.x, ty = block.y;
  uint m0 = gl_WorkGroupID.y * BM;
  uint n0 = gl_WorkGroupID.x * BN;
  uint tiles = (p.K + BK - 1u) / BK;
  // Batches beyond the dispatch's z count loop (uniform per workgroup).
  for (uint b = gl_WorkGroupID.z; b < p.batch; b += gl_NumWorkGroups.z) {
    uint a_base = meta[4u * b], b_base = meta[4u * b + 1u];
    uint c_base = meta[4u * b + 2u], o_base = meta[4u * b + 3u];
#ifdef MLX_MATMUL_NAMED_ACC
    ACC_DECL
#else
    vec4 acc[TM * TN / 4];
    [[unroll]] for (uint i = 0u; i < TM * TN / 4u; ++i) {
      acc[i] = vec4(0.0);
    }
#endif
    vec4 ra[A_LOADS];
    vec4 rb[B_LOADS];
    if (tiles > 0u) {
      load_tile_a(ra, a_base, m0, 0u);
      load_tile_b(rb, b_base, n0, 0u);
      store_tile_a(ra, 0u);
      store_tile_b(rb, 0u);
    }
    barrier();
    for (uint t = 0u; t < tiles; ++t) {
      uint cur = t & 1u;
      bool more = t + 1u < tiles;
      if (more) {
        load_tile_a(ra, a_base, m0, (t + 1u) * BK);
        load_tile_b(rb, b_base, n0, (t + 1u) * BK);
      }
      uint abuf = cur * BK * BM / 4u, bbuf = cur * BK * BN / 4u;
#ifdef MLX_MATMUL_NAMED_ACC
      [[unroll]] for (uint k = 0u; k < BK; ++k) {
        ACC_STEP(abuf + k * (BM / 4u), bbuf + k * (BN / 4u))
      }
#else
      [[unroll]] for (uint k = 0u; k < BK; ++k) {
        vec4 av[TM / 4], bv[TN / 4];
        [[unroll]] for (uint i = 0u; i < TM / 4u; ++i) {
          av[i] = As[abuf + k * (BM / 4u) + i * WM + ty];
        }
        [[unroll]] for (uint j = 0u; j < TN / 4u; ++j) {
          bv[j] = Bs[bbuf + k * (BN / 4u) + j * WN + tx];
        }
        [[unroll]] for (uint i = 0u; i < TM / 4u; ++i) {
          [[unroll]] for (uint r = 0u; r < 4u; ++r) {
            [[unroll]] for (uint j = 0u; j < TN / 4u; ++j) {
              acc[(i * 4u + r) * (TN / 4u) + j] += av[i][r] * bv[j];
            }
          }
        }
      }
#endif
      if (more) {
        store_tile_a(ra, cur ^ 1u);
        store_tile_b(rb, cur ^ 1u);
      }
      barrier();
    }

#ifdef MLX_MATMUL_NAMED_ACC
    STORE_NAMED
#else
    [[unroll]] for (uint i = 0u; i < TM / 4u; ++i) {
      [[unroll]] for (uint r = 0u; r < 4u; ++r) {
        [[unroll]] for (uint j = 0u; j < TN / 4u; ++j) {
          store_out(i * 4u + r, j, acc[(i * 4u + r) * (TN / 4u) + j], m0, n0,
                    c_base, o_base);
        }
      }
    }
#endif
  }
}
