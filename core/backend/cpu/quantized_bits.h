// Packing of quantized values, MLX's layout: the values of a row form one
// little-endian bit stream stored in uint32 words, value i in bits
// [i * bits, (i + 1) * bits). A group (32, 64 or 128 values) always fills
// whole words, so groups are packed and unpacked independently.
#pragma once

#include <cstdint>
#include <utility>

#include "mlx/utils.h"

namespace mlx::core::cpu {

/** The 16 values of an E2M1 (mxfp4) code: sign bit 3, then 2 exponent
 * bits and 1 mantissa bit (OCP Microscaling spec). */
inline constexpr float kFp4Values[16] = {
    +0.0f,
    +0.5f,
    +1.0f,
    +1.5f,
    +2.0f,
    +3.0f,
    +4.0f,
    +6.0f,
    -0.0f,
    -0.5f,
    -1.0f,
    -1.5f,
    -2.0f,
    -3.0f,
    -4.0f,
    -6.0f};

/** Writes `count` values of `bits` bits each to the words at dst. */
inline void
pack_values(const uint32_t* values, int count, int bits, uint32_t* dst) {
  uint64_t pending = 0;
  int pending_bits = 0;
  for (int i = 0; i < count; ++i) {
    pending |= static_cast<uint64_t>(values[i]) << pending_bits;
    pending_bits += bits;
    if (pending_bits >= 32) {
      *dst++ = static_cast<uint32_t>(pending);
      pending >>= 32;
      pending_bits -= 32;
    }
  }
}

// Codes are below 2^8: converting them as signed ints is exact and, unlike
// the unsigned conversion, one vector instruction.
inline float code_to_float(uint32_t q) {
  return static_cast<float>(static_cast<int32_t>(q));
}

/** Reads `count` values (a multiple of 32) of `bits` bits from the words
 * at src as floats: the integer codes, or for fp4 the E2M1 values they
 * stand for. */
template <int bits, bool fp4>
inline void unpack_values(const uint32_t* src, int count, float* dst) {
  constexpr uint32_t mask = (1u << bits) - 1;
  if constexpr (32 % bits == 0) {
    // Whole values per word: a fixed shift per lane, which vectorizes.
    constexpr int per_word = 32 / bits;
    for (int w = 0; w < count / per_word; ++w) {
      uint32_t word = src[w];
      for (int j = 0; j < per_word; ++j) {
        uint32_t q = (word >> (j * bits)) & mask;
        dst[w * per_word + j] = fp4 ? kFp4Values[q & 15] : code_to_float(q);
      }
    }
  } else {
    // 32 values fill exactly `bits` words; unrolled, every word index and
    // shift is a constant, including for values that straddle two words.
    for (int b = 0; b < count / 32; ++b) {
      const uint32_t* words = src + b * bits;
#pragma GCC unroll 32
      for (int i = 0; i < 32; ++i) {
        const int bit = i * bits;
        const int word = bit / 32;
        const int shift = bit % 32;
        uint32_t v = words[word] >> shift;
        if (shift + bits > 32) {
          v |= words[word + 1] << (32 - shift);
        }
        dst[b * 32 + i] = code_to_float(v & mask);
      }
    }
  }
}

/** Calls f(std::integral_constant<int, bits>{}) for a supported width. */
template <typename F> decltype(auto) dispatch_quant_bits(int bits, F&& f) {
  switch (bits) {
  case 2:
    return f(std::integral_constant<int, 2>{});
  case 3:
    return f(std::integral_constant<int, 3>{});
  case 4:
    return f(std::integral_constant<int, 4>{});
  case 5:
    return f(std::integral_constant<int, 5>{});
  case 6:
    return f(std::integral_constant<int, 6>{});
  case 8:
    return f(std::integral_constant<int, 8>{});
  default:
    throw_error("[quantize] Unsupported number of bits ", bits, ".");
  }
}

} // namespace mlx::core::cpu
