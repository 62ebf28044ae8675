// Values and errors of the fused ops (mlx/fast.h): against numbers computed
// with NumPy (written in below) and against the same computation written
// with ordinary ops in float64, for each float dtype, non-contiguous
// inputs, and the options of each op (gradients: fast_grad_test.cpp).
#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "fast_reference.h"
#include "grad_check.h"
#include "mlx/fast.h"
#include "test_utils.h"

namespace {

namespace fast = mx::fast;
using namespace mlx_test;

// x (B, ..., T, D); offset: int32 scalar or (B,); inv_freq (dims / 2,).
mx::array rope_ref(
    const mx::array& x,
    int dims,
    bool traditional,
    const mx::array& inv_freq,
    float scale,
    const mx::array& offset) {
  int t = x.shape(-2);
  int half = dims / 2;
  auto off = f64(offset);
  if (off.ndim() == 1) {
    mx::Shape s(x.ndim() - 1, 1);
    s[0] = off.shape(0);
    off = mx::reshape(off, s);
  }
  auto pos = (mx::arange(0.0, double(t), mx::float64) + off) * scale;
  auto theta = mx::expand_dims(pos, -1) * f64(inv_freq);
  // Even/odd features (traditional) or the two halves.
  auto idx1 = traditional ? mx::arange(0, dims, 2) : mx::arange(0, half);
  auto idx2 = traditional ? mx::arange(1, dims, 2) : mx::arange(half, dims);
  auto x1 = mx::take(f64(x), idx1, -1);
  auto x2 = mx::take(f64(x), idx2, -1);
  auto y1 = x1 * mx::cos(theta) - x2 * mx::sin(theta);
  auto y2 = x1 * mx::sin(theta) + x2 * mx::cos(theta);
  auto order = mx::argsort(mx::concatenate({idx1, idx2}));
  auto y = mx::take(mx::concatenate({y1, y2}, -1), order, -1);
  if (dims < x.shape(-1)) {
    auto rest = mx::arange(dims, x.shape(-1));
    y = mx::concatenate({y, mx::take(f64(x), rest, -1)}, -1);
  }
  return y;
}

mx::array default_inv_freq(int dims, double base) {
  auto i = mx::arange(0.0, double(dims / 2), mx::float64);
  return mx::power(mx::array(base, mx::float64), -i / double(dims / 2));
}

// ---------------------------------------------------------------- RMSNorm

TEST(FastRmsNorm, MatchesNumpyValues) {
  mx::array x({0.5, -1.0, 2.0, 0.25, 3.0, 1.5, -0.5, -2.0}, {2, 4});
  mx::array w({1.0, 0.5, -2.0, 1.5});
  // NumPy float64: x / sqrt(mean(x**2, -1) + 1e-5) * w
  expect_array_near(
      fast::rms_norm(x, w, 1e-5f),
      {0.433859282,
       -0.433859282,
       -3.47087426,
       0.325394462,
       1.52399956,
       0.380999889,
       0.507999853,
       -1.52399956},
      {2, 4},
      1e-6,
      1e-6);
  expect_array_near(
      fast::rms_norm(x, std::nullopt, 1e-5f),
      {0.433859282,
       -0.867718565,
       1.73543713,
       0.216929641,
       1.52399956,
       0.761999779,
       -0.253999926,
       -1.01599971},
      {2, 4},
      1e-6,
      1e-6);
}

TEST(FastRmsNorm, MatchesComposedOpsForEachFloatType) {
  for (auto t : kFloatTypes) {
    SCOPED_TRACE(mx::dtype_to_string(t));
    auto x = input({3, 5, 16}, 1, t);
    auto w = input({16}, 2, t);
    auto y = fast::rms_norm(x, w, 1e-6f);
    EXPECT_EQ(y.dtype(), t);
    expect_close(y, rms_norm_ref(x, w, 1e-6f), tolerance(t));
    expect_close(
        fast::rms_norm(x, std::nullopt, 1e-6f),
        rms_norm_ref(x, std::nullopt, 1e-6f),
        tolerance(t));
  }
  // The output type promotes x with the weight.
  auto x16 = input({4, 8}, 3, mx::float16);
  auto w32 = input({8}, 4, mx::float32);
  auto y = fast::rms_norm(x16, w32, 1e-5f);
  EXPECT_EQ(y.dtype(), mx::float32);
  expect_close(y, rms_norm_ref(x16, w32, 1e-5f), 2e-5);
}

TEST(FastRmsNorm, NonContiguousAndEmptyInputs) {
  auto base = input({6, 4, 10}, 5, mx::float32);
  auto w = mx::slice(input({20}, 6, mx::float32), {0}, {20}, {2});
  for (auto& x :
       {mx::swapaxes(base, 0, 1),
        mx::slice(base, {0, 0, 0}, {6, 4, 10}, {2, 1, 1}),
        mx::broadcast_to(mx::slice(base, {0, 0, 0}, {1, 1, 10}), {3, 5, 10})}) {
    expect_close(fast::rms_norm(x, w, 1e-5f), rms_norm_ref(x, w, 1e-5f), 2e-5);
  }
  // The normalized axis itself strided (transpose of the last two axes).
  auto xt = mx::swapaxes(input({10, 7}, 7, mx::float32), 0, 1);
  expect_close(
      fast::rms_norm(xt, std::nullopt, 1e-5f),
      rms_norm_ref(xt, std::nullopt, 1e-5f),
      2e-5);
  EXPECT_EQ(
      fast::rms_norm(mx::zeros({0, 4}), std::nullopt, 1e-5f).shape(),
      mx::Shape({0, 4}));
  expect_close(
      fast::rms_norm(mx::array({3.0f, 4.0f}), std::nullopt, 0.0f),
      mx::array({0.848528137, 1.13137085}),
      1e-6); // x / sqrt(12.5)
}

// -------------------------------------------------------------- LayerNorm

TEST(FastLayerNorm, MatchesNumpyValues) {
  mx::array x({0.5, -1.0, 2.0, 0.25, 3.0, 1.5, -0.5, -2.0}, {2, 4});
  mx::array w({1.0, 0.5, -2.0, 1.5});
  mx::array b({0.1, -0.2, 0.3, 0.0});
  // NumPy float64: (x - mu) / sqrt(var + 1e-5) * w + b
  expect_array_near(
      fast::layer_norm(x, w, b, 1e-5f),
      {0.15862078,
       -0.874138974,
       -2.63103902,
       -0.263793511,
       1.41306252,
       0.0626125035,
       1.35045001,
       -1.96959378},
      {2, 4},
      1e-6,
      1e-6);
  expect_array_near(
      fast::layer_norm(x, std::nullopt, std::nullopt, 1e-5f),
      {0.0586207803,
       -1.34827795,
       1.46551951,
       -0.175862341,
       1.31306252,
       0.525225007,
       -0.525225007,
       -1.31306252},
      {2, 4},
      1e-6,
      1e-6);
}

TEST(FastLayerNorm, MatchesComposedOpsForEachFloatTypeAndLayout) {
  for (auto t : kFloatTypes) {
    SCOPED_TRACE(mx::dtype_to_string(t));
    auto x = input({4, 3, 24}, 8, t) + mx::array(2.0, t); // off-center rows
    auto w = input({24}, 9, t);
    auto b = input({24}, 10, t);
    expect_close(
        fast::layer_norm(x, w, b, 1e-5f),
        layer_norm_ref(x, w, b, 1e-5f),
        tolerance(t));
    expect_close(
        fast::layer_norm(x, std::nullopt, b, 1e-5f),
        layer_norm_ref(x, std::nullopt, b, 1e-5f),
        tolerance(t));
    expect_close(
        fast::layer_norm(x, w, std::nullopt, 1e-5f),
        layer_norm_ref(x, w, std::nullopt, 1e-5f),
        tolerance(t));
  }
  auto xt = mx::transpose(input({24, 3, 4}, 11, mx::float32));
  auto w = mx::slice(input({48}, 12, mx::float32), {1}, {48}, {2});
  expect_close(
      fast::layer_norm(xt, w, std::nullopt, 1e-5f),
      layer_norm_ref(xt, w, std::nullopt, 1e-5f),
      2e-5);
  auto y = fast::layer_norm(
      input({2, 4}, 13, mx::bfloat16),
      input({4}, 14, mx::float16),
      std::nullopt,
      1e-5f);
  EXPECT_EQ(
      y.dtype(), mx::float32); // bfloat16 with float16 promotes to float32
}

// ------------------------------------------------------------------- RoPE

TEST(FastRope, MatchesNumpyValues) {
  mx::array x(
      {0.5, -1.0, 2.0, 0.25, 3.0, 1.5, -0.5, -2.0, 1.0, 0.75, -1.25, 0.5},
      {1, 1, 3, 4});
  // NumPy float64: positions (t + offset) * scale, inv_freq = base^(-i/half)
  // or 1 / freqs; pairs (i, i + half), or (2i, 2i + 1) when traditional.
  expect_array_near(
      fast::rope(x, 4, false, 10000.0f, 1.0f, 2),
      {-2.02666827,
       -1.00479967,
       -0.37764496,
       0.229951335,
       -2.89941749,
       1.55931605,
       0.918356272,
       -1.95410682,
       -1.59964674,
       0.729405413,
       0.0602520308,
       0.529592054},
      {1, 1, 3, 4},
      1e-6,
      1e-6);
  expect_array_near(
      fast::rope(x, 4, true, 10000.0f, 1.0f, 2),
      {0.701224009,
       0.87079555,
       1.99460035,
       0.289947335,
       -3.1816575,
       -1.06162872,
       -0.439784016,
       -2.01409782,
       -0.0860417494,
       -1.24703521,
       -1.2689948,
       0.449613386},
      {1, 1, 3, 4},
      1e-6,
      1e-6);
  // dims 2 of 4, freqs {2}, scale 0.5, offset 1: the last two features pass.
  expect_array_near(
      fast::rope(x, 2, false, std::nullopt, 0.5f, 1, mx::array({2.0f})),
      {0.73186017,
       -0.845210442,
       2,
       0.25,
       1.91360938,
       2.75465046,
       -0.5,
       -2,
       0.220459799,
       1.23040541,
       -1.25,
       0.5},
      {1, 1, 3, 4},
      1e-6,
      1e-6);
}

TEST(FastRope, MatchesComposedOpsForEachOption) {
  for (auto t : kFloatTypes) {
    SCOPED_TRACE(mx::dtype_to_string(t));
    auto x = input({2, 3, 5, 8}, 15, t);
    for (bool trad : {false, true}) {
      for (int dims : {8, 6}) {
        auto inv = default_inv_freq(dims, 500.0);
        expect_close(
            fast::rope(x, dims, trad, 500.0f, 0.5f, 3),
            rope_ref(x, dims, trad, inv, 0.5f, mx::array(3)),
            tolerance(t));
      }
    }
  }
  auto x = input({2, 3, 5, 8}, 16, mx::float32);
  // One offset per batch element, as an int64 array.
  auto offsets = mx::array({4, 1}, mx::int64);
  expect_close(
      fast::rope(x, 8, false, 10000.0f, 1.0f, offsets),
      rope_ref(x, 8, false, default_inv_freq(8, 10000.0), 1.0f, offsets),
      2e-5);
  // Custom frequencies.
  mx::array freqs({1.0f, 3.0f, 10.0f});
  expect_close(
      fast::rope(x, 6, true, std::nullopt, 1.0f, 2, freqs),
      rope_ref(x, 6, true, mx::reciprocal(freqs), 1.0f, mx::array(2)),
      2e-5);
  // 3-D (B, T, D) and 5-D (B, H1, H2, T, D) inputs.
  auto x3 = input({2, 5, 4}, 17, mx::float32);
  expect_close(
      fast::rope(x3, 4, false, 100.0f, 1.0f, 1),
      rope_ref(x3, 4, false, default_inv_freq(4, 100.0), 1.0f, mx::array(1)),
      2e-5);
  auto x5 = input({2, 2, 3, 4, 6}, 18, mx::float32);
  expect_close(
      fast::rope(x5, 6, true, 100.0f, 2.0f, offsets),
      rope_ref(x5, 6, true, default_inv_freq(6, 100.0), 2.0f, offsets),
      2e-5);
  // Non-contiguous: (B, T, H, D) viewed as (B, H, T, D), and a step slice.
  auto xs = mx::swapaxes(input({2, 5, 3, 8}, 19, mx::float32), 1, 2);
  expect_close(
      fast::rope(xs, 8, false, 10000.0f, 1.0f, 0),
      rope_ref(xs, 8, false, default_inv_freq(8, 10000.0), 1.0f, mx::array(0)),
      2e-5);
  auto xstep = mx::slice(
      input({2, 3, 5, 16}, 20, mx::float32),
      {0, 0, 0, 0},
      {2, 3, 5, 16},
      {1, 1, 1, 2});
  expect_close(
      fast::rope(xstep, 8, true, 10000.0f, 1.0f, 7),
      rope_ref(
          xstep, 8, true, default_inv_freq(8, 10000.0), 1.0f, mx::array(7)),
      2e-5);
}

// ---------------------------------------------------
// scaled_dot_product_attention

struct SdpaNumpyCase {
  mx::array q = mx::array(
      {0.1, 0.2, -0.3, 0.4, -0.5, 0.6, -0.7, 0.8, 0.9, 1.0, -0.2, 0.3},
      {1, 2, 2, 3});
  mx::array k =
      mx::array({0.3, -0.1, 0.2, -0.4, 0.5, 0.6, 0.7, 0.2, -0.8}, {1, 1, 3, 3});
  mx::array v = mx::array({1.0, -1.0, 0.5, 2.0, -1.5, 0.25}, {1, 1, 3, 2});
};

TEST(FastSdpa, MatchesNumpyValues) {
  // NumPy float64 (2 query heads sharing 1 key/value head, 2 queries, 3
  // keys, scale 0.7): softmax(scale q k^T [masked]) v; causal keeps key j
  // for query i when j <= i + 1; masked scores are finfo(float64).min.
  SdpaNumpyCase c;
  auto run = [&](const std::string& mode, std::optional<mx::array> mask) {
    return fast::scaled_dot_product_attention(c.q, c.k, c.v, 0.7f, mode, mask);
  };
  mx::Shape shape = {1, 2, 2, 2};
  expect_array_near(
      run("", std::nullopt),
      {-0.155284235,
       0.37710762,
       0.163930635,
       0.302800751,
       0.367871453,
       1.03665424,
       -0.0894654882,
       0.182638272},
      shape,
      1e-6,
      1e-6);
  expect_array_near(
      run("causal", std::nullopt),
      {0.756123775,
       0.463257351,
       0.163930635,
       0.302800751,
       0.64136094,
       1.15183436,
       -0.0894654882,
       0.182638272},
      shape,
      1e-6,
      1e-6);
  mx::array keep({true, false, true, false, true, true}, {2, 3});
  expect_array_near(
      run("array", keep),
      {-0.42386556,
       -0.28806722,
       -0.412722626,
       1.2013677,
       0.147027433,
       -0.573513716,
       -0.753359961,
       0.903310034},
      shape,
      1e-6,
      1e-6);
  mx::array add({0.0, -1.0, 0.5, 0.25, 0.0, -2.0}, {2, 3});
  expect_array_near(
      run("", add),
      {-0.593773187,
       0.0696377391,
       0.714139002,
       0.145605635,
       0.0666942584,
       0.38753047,
       0.678628009,
       -0.0117780329},
      shape,
      1e-6,
      1e-6);
  // Sinks {0.5, -1.0}: one extra logit per head in the softmax.
  expect_array_near(
      fast::scaled_dot_product_attention(
          c.q, c.k, c.v, 0.7f, "", std::nullopt, mx::array({0.5f, -1.0f})),
      {-0.102072794,
       0.247883686,
       0.105806573,
       0.195438209,
       0.335042115,
       0.944141833,
       -0.0808354447,
       0.165020571},
      shape,
      1e-6,
      1e-6);
}

TEST(FastSdpa, MatchesComposedOpsForEachTypeAndMask) {
  // Grouped queries (4 heads over 2), 5 queries over 7 keys, D 8, D_v 6.
  for (auto t : kFloatTypes) {
    SCOPED_TRACE(mx::dtype_to_string(t));
    auto q = input({2, 4, 5, 8}, 21, t);
    auto k = input({2, 2, 7, 8}, 22, t);
    auto v = input({2, 2, 7, 6}, 23, t);
    auto keep = mx::greater(random_input({2, 1, 5, 7}, 24), mx::array(-0.5));
    auto add = input({5, 7}, 25, t);
    auto sinks = input({4}, 26, t);
    float scale = 0.35f;
    auto sdpa = [&](const std::string& mode,
                    std::optional<mx::array> mask,
                    std::optional<mx::array> s = std::nullopt) {
      return fast::scaled_dot_product_attention(q, k, v, scale, mode, mask, s);
    };
    double tol = tolerance(t);
    expect_close(
        sdpa("", std::nullopt),
        sdpa_ref(q, k, v, scale, "", std::nullopt),
        tol);
    expect_close(
        sdpa("causal", std::nullopt),
        sdpa_ref(q, k, v, scale, "causal", std::nullopt),
        tol);
    expect_close(sdpa("array", keep), sdpa_ref(q, k, v, scale, "", keep), tol);
    expect_close(sdpa("array", add), sdpa_ref(q, k, v, scale, "", add), tol);
    expect_close(
        sdpa("causal", std::nullopt, sinks),
        sdpa_ref(q, k, v, scale, "causal", std::nullopt, sinks),
        tol);
    EXPECT_EQ(sdpa("", std::nullopt).dtype(), t);
    EXPECT_EQ(sdpa("", std::nullopt).shape(), mx::Shape({2, 4, 5, 6}));
  }
}

TEST(FastSdpa, NonContiguousInputsAndMoreQueriesThanKeys) {
  // (B, T, H, D) layouts viewed as (B, H, T, D); a broadcast mask.
  auto q = mx::swapaxes(input({2, 6, 3, 4}, 27, mx::float32), 1, 2);
  auto k = mx::swapaxes(input({2, 4, 3, 4}, 28, mx::float32), 1, 2);
  auto v = mx::slice(
      input({2, 3, 4, 10}, 29, mx::float32),
      {0, 0, 0, 0},
      {2, 3, 4, 10},
      {1, 1, 1, 2});
  auto add =
      mx::broadcast_to(input({1, 3, 1, 4}, 30, mx::float32), {2, 3, 6, 4});
  expect_close(
      fast::scaled_dot_product_attention(q, k, v, 0.5f, "", add),
      sdpa_ref(q, k, v, 0.5f, "", add),
      2e-5);
  // 6 queries over 4 keys, causal: the first two queries see no key and
  // average all values (as the lowest-score fill gives).
  auto out = fast::scaled_dot_product_attention(q, k, v, 0.5f, "causal");
  expect_close(out, sdpa_ref(q, k, v, 0.5f, "causal", std::nullopt), 2e-5);
  expect_close(
      mx::slice(out, {0, 0, 0, 0}, {2, 3, 1, 5}),
      mx::mean(f64(v), 2, true),
      2e-6);
  // A boolean mask with a row of all false does the same.
  auto keep =
      mx::array({false, false, false, false, true, false, true, true}, {2, 4});
  auto qs = mx::slice(q, {0, 0, 0, 0}, {2, 3, 2, 4});
  auto masked =
      fast::scaled_dot_product_attention(qs, k, v, 0.5f, "array", keep);
  expect_close(masked, sdpa_ref(qs, k, v, 0.5f, "", keep), 2e-5);
}

TEST(FastSdpa, GroupedHeadsInAnyLayoutAndDecoding) {
  // q in (B, T, H, D) layout: the heads of a group are not one matrix.
  auto q = mx::swapaxes(input({2, 5, 4, 8}, 34, mx::float32), 1, 2);
  auto k = input({2, 2, 6, 8}, 35, mx::float32);
  auto v = input({2, 2, 6, 3}, 36, mx::float32);
  expect_close(
      fast::scaled_dot_product_attention(q, k, v, 0.4f, "causal"),
      sdpa_ref(q, k, v, 0.4f, "causal", std::nullopt),
      2e-5);
  // One query per head (decoding), a boolean mask per head, sinks.
  auto q1 = input({2, 4, 1, 8}, 37, mx::float32);
  auto keep = mx::greater(random_input({2, 4, 1, 6}, 38), mx::array(-0.3));
  auto sinks = input({4}, 39, mx::float32);
  expect_close(
      fast::scaled_dot_product_attention(q1, k, v, 0.4f, "array", keep, sinks),
      sdpa_ref(q1, k, v, 0.4f, "", keep, sinks),
      2e-5);
}

TEST(FastSdpa, LongKeysAndSingleQuery) {
  // 2100 keys of dim 128: each block's gemms run over chunks of keys.
  auto q = input({1, 2, 20, 128}, 31, mx::float32);
  auto k = input({1, 1, 2100, 128}, 32, mx::float32);
  auto v = input({1, 1, 2100, 16}, 33, mx::float32);
  expect_close(
      fast::scaled_dot_product_attention(q, k, v, 0.1f, "causal"),
      sdpa_ref(q, k, v, 0.1f, "causal", std::nullopt),
      2e-5);
  // Decoding: one query against all keys.
  auto q1 = mx::slice(q, {0, 0, 0, 0}, {1, 2, 1, 128});
  expect_close(
      fast::scaled_dot_product_attention(q1, k, v, 0.1f),
      sdpa_ref(q1, k, v, 0.1f, "", std::nullopt),
      2e-5);
}

TEST(FastSdpa, EmptyShapes) {
  auto q = mx::zeros({2, 2, 0, 4});
  auto k = mx::zeros({2, 1, 3, 4});
  EXPECT_EQ(
      fast::scaled_dot_product_attention(q, k, k, 1.0f).shape(),
      mx::Shape({2, 2, 0, 4}));
  // No keys: zero weights, zero output.
  auto q1 = mx::ones({1, 1, 2, 4});
  auto k0 = mx::zeros({1, 1, 0, 4});
  expect_array_values(
      fast::scaled_dot_product_attention(q1, k0, k0, 1.0f),
      {1, 1, 2, 4},
      std::vector<double>(8, 0.0));
}

// ------------------------------------------------------------------ errors

// `f` throws std::invalid_argument starting with `op` and containing `part`.
void expect_error(
    const std::string& op,
    const std::string& part,
    const std::function<void()>& f) {
  expect_throws_with_prefix(f, op, part);
}

TEST(FastErrors, NormsNameTheBadValues) {
  auto x = mx::ones({2, 4});
  auto none = std::nullopt;
  auto ints = mx::ones({2, 4}, mx::int32);
  const std::string rms = "[rms_norm]", ln = "[layer_norm]";
  expect_error(
      rms, "scalar", [&] { fast::rms_norm(mx::array(1.0f), none, 0); });
  expect_error(rms, "(4)", [&] { fast::rms_norm(x, mx::ones({3}), 0); });
  expect_error(rms, "(1, 4)", [&] { fast::rms_norm(x, mx::ones({1, 4}), 0); });
  expect_error(rms, "int32", [&] { fast::rms_norm(ints, none, 0); });
  expect_error(
      ln, "bias", [&] { fast::layer_norm(x, none, mx::ones({5}), 0); });
  expect_error(ln, "int32", [&] { fast::layer_norm(ints, none, none, 0); });
}

TEST(FastErrors, RopeNamesTheBadValues) {
  auto x = mx::ones({1, 2, 3, 8});
  auto none = std::nullopt;
  auto ints = mx::ones({1, 2, 3, 8}, mx::int32);
  const std::string op = "[rope]";
  expect_error(op, "(3, 8)", [&] {
    fast::rope(mx::ones({3, 8}), 8, 0, 1e4f, 1, 0);
  });
  expect_error(op, "got 5", [&] { fast::rope(x, 5, false, 1e4f, 1, 0); });
  expect_error(op, "got 10", [&] { fast::rope(x, 10, false, 1e4f, 1, 0); });
  expect_error(op, "neither", [&] { fast::rope(x, 8, false, none, 1, 0); });
  expect_error(
      op, "both", [&] { fast::rope(x, 8, false, 1e4f, 1, 0, mx::ones({4})); });
  expect_error(op, "4 entries", [&] {
    fast::rope(x, 8, false, none, 1, 0, mx::ones({3}));
  });
  expect_error(op, "(2,)", [&] {
    fast::rope(x, 8, false, 1e4f, 1, mx::array({1, 2}));
  });
  expect_error(op, "float32", [&] {
    fast::rope(x, 8, false, 1e4f, 1, mx::array(1.5f));
  });
  expect_error(op, "int32", [&] { fast::rope(ints, 8, false, 1e4f, 1, 0); });
}

TEST(FastErrors, AttentionNamesTheBadValues) {
  const std::string op = "[scaled_dot_product_attention]";
  auto q = mx::ones({1, 4, 3, 8});
  auto k = mx::ones({1, 2, 5, 8});
  auto none = std::nullopt;
  auto sdpa = [](auto&&... args) {
    return fast::scaled_dot_product_attention(args...);
  };
  expect_error(op, "(4, 3, 8)", [&] { sdpa(mx::ones({4, 3, 8}), k, k, 1); });
  expect_error(op, "sliding", [&] { sdpa(q, k, k, 1, "sliding"); });
  expect_error(op, "causal", [&] {
    sdpa(q, k, k, 1, "causal", mx::ones({3, 5}));
  });
  expect_error(op, "array", [&] { sdpa(q, k, k, 1, "array"); });
  auto k3 = mx::ones({1, 3, 5, 8});
  expect_error(op, "(3)", [&] { sdpa(q, k3, k3, 1); });
  expect_error(op, "last dimension", [&] {
    sdpa(q, mx::ones({1, 2, 5, 6}), k, 1);
  });
  expect_error(op, "length", [&] { sdpa(q, k, mx::ones({1, 2, 4, 8}), 1); });
  expect_error(op, "batch", [&] { sdpa(q, mx::ones({2, 2, 5, 8}), k, 1); });
  expect_error(op, "(3, 4)", [&] {
    sdpa(q, k, k, 1, "array", mx::ones({3, 4}));
  });
  auto mask64 = mx::ones({3, 5}, mx::float64);
  expect_error(op, "float64", [&] { sdpa(q, k, k, 1, "array", mask64); });
  expect_error(op, "sinks", [&] { sdpa(q, k, k, 1, "", none, mx::ones({2})); });
  // Integer inputs alone promote to no floating type.
  auto qi = mx::ones({1, 4, 3, 8}, mx::int32);
  auto ki = mx::ones({1, 2, 5, 8}, mx::int32);
  expect_error(op, "int32", [&] { sdpa(qi, ki, ki, 1); });
}

} // namespace
