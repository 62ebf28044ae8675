// Batch-1 kernel of quantized_matmul (transposed w) for 2-, 4- and 8-bit
// affine codes, which fill whole uint32 words. Memory bound at 4 bits only
// if each code costs ~3 vector operations per 8 lanes, so:
// - x is spread once per product so that value j of word w meets
//   xs[j * words + w] (one pass over a row's words per j, no shuffles);
// - value j is masked in place, not shifted down: (word & mask << j*bits)
//   converts exactly to code * 2^(j*bits) (at most 30 bits, 8 significant),
//   and the spread x carries the 2^-(j*bits); the top value is a plain
//   shift. Powers of two scale exactly, so each product is code * x
//   (barring |x| < 2^-98, which would turn subnormal);
// - a block of 8 words of kWordRows rows is dotted with the same x vectors
//   (x read once per block from L1 for all of them), and each block's
//   sum is scaled by its group's scale (lane-wise when a group is fewer
//   than 8 words) into one vector per row, summed across lanes at the end.
// The loops over rows carry unroll pragmas: without them -O2 keeps the
// per-row vectors in memory and the kernel runs 3x slower.
#pragma once

#include <cmath>
#include <cstdint>

namespace mlx::core::cpu {

// One vector of 8 lanes: an AVX2 register, two SSE registers in the
// baseline clone.
constexpr int kWordLanes = 8;
using WordsF = float __attribute__((vector_size(4 * kWordLanes)));
using WordsU = uint32_t __attribute__((vector_size(4 * kWordLanes)));
using WordsI = int32_t __attribute__((vector_size(4 * kWordLanes)));
// Unaligned views of 8 consecutive values, for loads from plain arrays.
using WordsFLoad =
    float __attribute__((vector_size(4 * kWordLanes), aligned(4), may_alias));
using WordsULoad = uint32_t
    __attribute__((vector_size(4 * kWordLanes), aligned(4), may_alias));

// Rows of w dotted together, sharing the loads of x (4 keeps the AVX2
// working set, 4 sums + 4 partials + 4 word vectors + x, in 16 registers).
constexpr int kWordRows = 4;

/** The word kernel applies: codes fill words and rows are whole blocks. */
inline bool word_kernel_fits(int bits, int K) {
  return 32 % bits == 0 && (static_cast<int64_t>(K) * bits) % (32 * 8) == 0;
}

/** xs[j * words + w] = x[w * per_word + j] * 2^-(j * bits), except the
 * top value j = per_word - 1, which is unscaled (see above). */
template <int bits> void spread_x(const float* x, int K, float* xs) {
  constexpr int per_word = 32 / bits;
  const int words = K / per_word;
  for (int j = 0; j < per_word; ++j) {
    float f = j + 1 < per_word ? std::ldexp(1.0f, -j * bits) : 1.0f;
    float* dst = xs + static_cast<size_t>(j) * words;
    for (int w = 0; w < words; ++w) {
      dst[w] = x[w * per_word + j] * f;
    }
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
#define MLX_WORD_CLONES                                                        \
  __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define MLX_WORD_CLONES
#endif

/** dots[r] = sum over groups g of scales[r * groups + g] * (codes of row r
 * in g) . (x in g), for R rows of `words` words each, consecutive at
 * `packed`; xs is x spread by spread_x; a group is gw words (a power of
 * 2), group_lanes = min(gw, 8) words of a block. */
template <int bits, int R, int group_lanes>
MLX_WORD_CLONES void scaled_word_dots(
    const uint32_t* packed,
    int words,
    const float* xs,
    const float* scales,
    int groups,
    int gw,
    float* dots) {
  static_assert(group_lanes == 2 || group_lanes == 4 || group_lanes == 8);
  // Lane l of a block is in group w0 / gw + l / group_lanes.
  const int gw_log2 = __builtin_ctz(static_cast<unsigned>(gw));
  constexpr WordsI lane_group = {
      0 / group_lanes,
      1 / group_lanes,
      2 / group_lanes,
      3 / group_lanes,
      4 / group_lanes,
      5 / group_lanes,
      6 / group_lanes,
      7 / group_lanes};
  constexpr int per_word = 32 / bits;
  constexpr uint32_t mask = (1u << bits) - 1;
  WordsF total[R] = {};
  for (int w0 = 0; w0 < words; w0 += kWordLanes) {
    WordsU code_words[R];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      code_words[r] = *reinterpret_cast<const WordsULoad*>(
          packed + static_cast<size_t>(r) * words + w0);
    }
    WordsF acc[R] = {};
#pragma GCC unroll 16
    for (int j = 0; j < per_word; ++j) {
      WordsF xv = *reinterpret_cast<const WordsFLoad*>(
          xs + static_cast<size_t>(j) * words + w0);
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) {
        WordsU c = j + 1 < per_word ? code_words[r] & (mask << (j * bits))
                                    : code_words[r] >> (32 - bits);
        acc[r] +=
            __builtin_convertvector(reinterpret_cast<WordsI&>(c), WordsF) * xv;
      }
    }
    const int g0 = w0 >> gw_log2;
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      const float* s = scales + static_cast<size_t>(r) * groups + g0;
      WordsF lane_scales;
      if constexpr (group_lanes == kWordLanes) {
        lane_scales = WordsF{} + *s;
      } else {
        // Reads up to 8 scales from g0: the caller pads the buffer.
        WordsF next = *reinterpret_cast<const WordsFLoad*>(s);
        lane_scales = __builtin_shuffle(next, lane_group);
      }
      total[r] += acc[r] * lane_scales;
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
    float sum = 0.0f;
#pragma GCC unroll 8
    for (int l = 0; l < kWordLanes; ++l) {
      sum += total[r][l];
    }
    dots[r] = sum;
  }
}

} // namespace mlx::core::cpu
