// Loop shapes that GCC vectorizes under -O2's very cheap cost model, for the
// fused kernels (fast.cpp, fast_attention.cpp): fixed-length pieces, and
// reductions split over independent partial results.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>

// Forced inlining, so that a kernel built for AVX2 (a target_clones
// clone) also compiles these loops for AVX2.
#define MLX_FAST_INLINE inline __attribute__((always_inline))

namespace mlx::core::fast::detail {

/** Calls body(i) for i in [0, n), in pieces of fixed length then the rest.
 * The bodies of these kernels read and write element i only, so ivdep
 * (no runtime alias checks) is safe. */
template <typename Body>
MLX_FAST_INLINE void for_each_index(int64_t n, Body body) {
  constexpr int64_t kPiece = 16; // a multiple of every vector width
  int64_t i = 0;
#pragma GCC ivdep
  for (; i + kPiece <= n; i += kPiece) {
#pragma GCC ivdep
    for (int64_t j = 0; j < kPiece; ++j) {
      body(i + j);
    }
  }
  for (; i < n; ++i) {
    body(i);
  }
}

// Reductions keep this many partial results: a single running sum stays
// strictly sequential without -ffast-math.
inline constexpr int kLanes = 8;

/** Sum of f(i) over [0, n). */
template <typename A, typename F> MLX_FAST_INLINE A lane_sum(int64_t n, F f) {
  A lanes[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) {
      lanes[l] += f(i + l);
    }
  }
  A total = 0;
  for (; i < n; ++i) {
    total += f(i);
  }
  for (int l = 0; l < kLanes; ++l) {
    total += lanes[l];
  }
  return total;
}

/** Max of v[0, n) and `init` (NaNs are skipped). */
template <typename A>
MLX_FAST_INLINE A lane_max(const A* v, int64_t n, A init) {
  A lanes[kLanes];
  std::fill_n(lanes, kLanes, init);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) {
      // This form (not std::max) is what becomes maxps.
      A x = v[i + l];
      lanes[l] = x > lanes[l] ? x : lanes[l];
    }
  }
  A m = init;
  for (; i < n; ++i) {
    m = std::max(m, v[i]);
  }
  for (int l = 0; l < kLanes; ++l) {
    m = std::max(m, lanes[l]);
  }
  return m;
}

} // namespace mlx::core::fast::detail
