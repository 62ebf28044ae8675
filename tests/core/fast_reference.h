// References for the fused ops' tests (fast_test.cpp, fast_vjp_test.cpp):
// the definitions written with ops in float64, tolerances per dtype, and a
// random input maker.
#pragma once

#include <gtest/gtest.h>

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "grad_check.h"
#include "test_utils.h"

namespace mlx_test {

inline const std::vector<mx::Dtype> kFloatTypes = {
    mx::float32, mx::float16, mx::bfloat16, mx::float64};

// Tolerance of a fused result in `t` against a float64 reference computed
// from the same (rounded) inputs: the output's rounding, plus float32
// accumulation for the 32-bit and half types.
inline double tolerance(mx::Dtype t) {
  if (t == mx::float64) {
    return 1e-12;
  }
  if (t == mx::float32) {
    return 2e-5;
  }
  return t == mx::float16 ? 4e-3 : 2e-2;
}

inline void
expect_close(const mx::array& got, const mx::array& want, double tol) {
  ASSERT_EQ(got.shape(), want.shape());
  auto g = to_doubles(got);
  auto w = to_doubles(want);
  for (size_t i = 0; i < g.size(); ++i) {
    EXPECT_TRUE(close_enough(g[i], w[i], tol, tol))
        << "element " << i << ": got " << g[i] << ", expected " << w[i];
  }
}

inline mx::array f64(const mx::array& a) {
  return mx::astype(a, mx::float64);
}

// The references: the definitions, with ops, in float64.
inline mx::array
rms_norm_ref(const mx::array& x, const std::optional<mx::array>& w, float eps) {
  auto y = f64(x) * mx::rsqrt(mx::mean(mx::square(f64(x)), -1, true) + eps);
  return w ? y * f64(*w) : y;
}

inline mx::array layer_norm_ref(
    const mx::array& x,
    const std::optional<mx::array>& w,
    const std::optional<mx::array>& b,
    float eps) {
  auto c = f64(x) - mx::mean(f64(x), -1, true);
  auto y = c * mx::rsqrt(mx::mean(mx::square(c), -1, true) + eps);
  y = w ? y * f64(*w) : y;
  return b ? y + f64(*b) : y;
}

// Grouped heads by repeating keys and values; masked scores get the lowest
// float64 (a row with no visible key averages all values).
inline mx::array sdpa_ref(
    const mx::array& q,
    const mx::array& k,
    const mx::array& v,
    float scale,
    const std::string& mode,
    const std::optional<mx::array>& mask,
    const std::optional<mx::array>& sinks = std::nullopt) {
  int group = q.shape(1) / k.shape(1);
  auto kr = mx::repeat(f64(k), group, 1);
  auto vr = mx::repeat(f64(v), group, 1);
  auto s = mx::matmul(f64(q), mx::swapaxes(kr, -1, -2)) * double(scale);
  mx::array lowest(std::numeric_limits<double>::lowest(), mx::float64);
  int lq = q.shape(2), lk = k.shape(2);
  if (mode == "causal") {
    auto qi = mx::expand_dims(mx::arange(0, lq), 1) + (lk - lq);
    s = mx::where(mx::greater_equal(qi, mx::arange(0, lk)), s, lowest);
  }
  if (mask) {
    s = mask->dtype() == mx::bool_ ? mx::where(*mask, s, lowest)
                                   : s + f64(*mask);
  }
  if (sinks) {
    auto col = mx::reshape(f64(*sinks), {1, -1, 1, 1});
    mx::Shape shape = s.shape();
    shape.back() = 1;
    auto p =
        mx::softmax(mx::concatenate({mx::broadcast_to(col, shape), s}, -1), -1);
    auto w = mx::slice(p, {0, 0, 0, 1}, p.shape());
    return mx::matmul(w, vr);
  }
  return mx::matmul(mx::softmax(s, -1), vr);
}

inline mx::array input(const mx::Shape& shape, uint32_t seed, mx::Dtype t) {
  return mx::astype(random_input(shape, seed), t);
}

} // namespace mlx_test
