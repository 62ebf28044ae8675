// Internals of mlx::core::random. Threefry-2x32 with 20 rounds (Salmon et
// al., "Parallel random numbers: as easy as 1, 2, 3", SC'11) is the
// counter-based hash behind it, shared by the CPU kernel of RandomBits and
// the host-side global key sequence so that both split keys identically.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

#include "mlx/array.h"
#include "mlx/stream.h"

namespace mlx::core::random::detail {

/** The three key-schedule words: the two key words and their parity with
 * the Threefish constant C240 = 0x1BD11BDA. */
struct ThreefrySchedule {
  uint32_t k[3];
  ThreefrySchedule(uint32_t k0, uint32_t k1)
      : k{k0, k1, k0 ^ k1 ^ 0x1BD11BDAu} {}
};

/** Hashes the counter pair (x0, x1) in place. Word is uint32_t, or a GCC /
 * Clang vector of uint32 lanes that hashes one counter pair per lane. */
template <typename Word>
inline void threefry2x32_hash(const ThreefrySchedule& ks, Word& x0, Word& x1) {
  // Written out (rotation constants R_32x2 of Threefry-2x32) so that every
  // shift is by an immediate and the words stay in registers.
  auto round = [&](int rot) {
    x0 += x1;
    x1 = (x1 << rot) | (x1 >> (32 - rot)); // rotate left
    x1 ^= x0;
  };
  // Four rounds, then the key injection number s.
  auto group = [&](int r0, int r1, int r2, int r3, uint32_t s) {
    round(r0);
    round(r1);
    round(r2);
    round(r3);
    x0 += ks.k[s % 3];
    x1 += ks.k[(s + 1) % 3] + s;
  };
  x0 += ks.k[0];
  x1 += ks.k[1];
  group(13, 15, 26, 6, 1);
  group(17, 29, 16, 24, 2);
  group(13, 15, 26, 6, 3);
  group(17, 29, 16, 24, 4);
  group(13, 15, 26, 6, 5);
}

/** One hash of the counter pair (c0, c1) under the key (k0, k1). */
inline std::pair<uint32_t, uint32_t>
threefry2x32(uint32_t k0, uint32_t k1, uint32_t c0, uint32_t c1) {
  threefry2x32_hash(ThreefrySchedule(k0, k1), c0, c1);
  return {c0, c1};
}

// Helpers of the sampler front-ends (core/random*.cpp).

/** The given key, or the next key of the global sequence. */
array next_key(const std::optional<array>& key);

/** Throws naming `op` unless key is uint32 of shape (..., 2). */
void check_key(const array& key, const char* op);

/** Throws naming `op` unless dtype is a real floating point type. */
void check_real_float(Dtype dtype, const char* op);

/** Throws naming `op` and `param` unless param_shape broadcasts to shape. */
void check_broadcasts_to(
    const Shape& param_shape,
    const Shape& shape,
    const char* op,
    const char* param);

/** Uniform samples in [0, 1) of a real floating dtype. */
array unit_uniform(const Shape& shape, Dtype dtype, const array& key, Stream s);

} // namespace mlx::core::random::detail
