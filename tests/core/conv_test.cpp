// Tests of the convolution ops. Inputs follow two exact patterns, X(shape):
// ((i * 7) % 11 - 5) / 4 and W(shape): ((i * 5) % 7 - 3) / 2 over the flat
// row-major index i, so every expected value is exact. Literal expectations
// were computed with PyTorch 1.13 (torch.nn.functional.conv{1,2,3}d and
// conv_transpose{1,2,3}d on the channels-first transposes), with a
// direct-loop NumPy conv_general (for input dilation, asymmetric padding and
// flip, which PyTorch lacks; checked against PyTorch where both apply) and
// with np.convolve. Larger cases compare with the direct-loop reference
// below, an implementation independent of the im2col kernel.
#include <gtest/gtest.h>

#include <random>

#include "mlx/ops/conv.h"
#include "test_utils.h"

using namespace mlx::core;

namespace {

array pattern(
    const Shape& shape,
    int mul,
    int mod,
    int shift,
    double scale,
    Dtype dtype) {
  size_t n = 1;
  for (int d : shape) {
    n *= d;
  }
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i) {
    v[i] = (static_cast<double>((i * mul) % mod) - shift) * scale;
  }
  return array(v, shape, dtype);
}

array X(const Shape& shape, Dtype dtype = float32) {
  return pattern(shape, 7, 11, 5, 0.25, dtype);
}

array W(const Shape& shape, Dtype dtype = float32) {
  return pattern(shape, 5, 7, 3, 0.5, dtype);
}

array random_array(const Shape& shape, uint32_t seed, Dtype dtype) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(-1, 1);
  size_t n = 1;
  for (int d : shape) {
    n *= d;
  }
  std::vector<double> v(n);
  for (auto& x : v) {
    x = dist(gen);
  }
  return array(v, shape, dtype);
}

struct ConvSpec {
  Shape x_shape;
  Shape w_shape;
  std::vector<int> stride;
  std::vector<int> lo;
  std::vector<int> hi;
  std::vector<int> kdil;
  std::vector<int> idil;
  int groups = 1;
  bool flip = false;
};

// Direct loops over the definition: out[n, o, co] = sum over taps k and the
// group's channels ci of x at dilated position o * stride + k * kdil - lo
// (zero off the grid or outside) times w[co, k or K - 1 - k, ci].
std::pair<std::vector<double>, Shape>
reference_conv(const array& x_arr, const array& w_arr, const ConvSpec& p) {
  auto x = mlx_test::to_doubles(x_arr);
  auto w = mlx_test::to_doubles(w_arr);
  const Shape& xs = p.x_shape;
  const Shape& ws = p.w_shape;
  int d = static_cast<int>(xs.size()) - 2;
  int n_batch = xs[0];
  int c_in = xs.back();
  int c_out = ws[0];
  int cig = c_in / p.groups;
  int cog = c_out / p.groups;
  Shape out_shape = {n_batch};
  int64_t outs = 1;
  int64_t taps = 1;
  for (int i = 0; i < d; ++i) {
    int extent = (xs[i + 1] - 1) * p.idil[i] + 1 + p.lo[i] + p.hi[i];
    int window = (ws[i + 1] - 1) * p.kdil[i] + 1;
    out_shape.push_back((extent - window) / p.stride[i] + 1);
    outs *= out_shape.back();
    taps *= ws[i + 1];
  }
  out_shape.push_back(c_out);
  std::vector<double> out(n_batch * outs * c_out, 0.0);
  std::vector<int> o(d);
  std::vector<int> k(d);
  for (int n = 0; n < n_batch; ++n) {
    for (int64_t oi = 0; oi < outs; ++oi) {
      int64_t rem = oi;
      for (int i = d - 1; i >= 0; --i) {
        o[i] = rem % out_shape[i + 1];
        rem /= out_shape[i + 1];
      }
      for (int co = 0; co < c_out; ++co) {
        int g = co / cog;
        double acc = 0;
        for (int64_t ki = 0; ki < taps; ++ki) {
          int64_t krem = ki;
          for (int i = d - 1; i >= 0; --i) {
            k[i] = krem % ws[i + 1];
            krem /= ws[i + 1];
          }
          int64_t x_off = n;
          int64_t w_off = co;
          bool inside = true;
          for (int i = 0; i < d; ++i) {
            int q = o[i] * p.stride[i] + k[i] * p.kdil[i] - p.lo[i];
            if (q < 0 || q % p.idil[i] != 0 || q / p.idil[i] >= xs[i + 1]) {
              inside = false;
              break;
            }
            x_off = x_off * xs[i + 1] + q / p.idil[i];
            w_off = w_off * ws[i + 1] + (p.flip ? ws[i + 1] - 1 - k[i] : k[i]);
          }
          if (!inside) {
            continue;
          }
          for (int ci = 0; ci < cig; ++ci) {
            acc += x[x_off * c_in + g * cig + ci] * w[w_off * cig + ci];
          }
        }
        out[(n * outs + oi) * c_out + co] = acc;
      }
    }
  }
  return {out, out_shape};
}

array run_spec(const array& x, const array& w, const ConvSpec& p) {
  return detail::conv_general_with_crop(
      x, w, p.stride, p.lo, p.hi, p.kdil, p.idil, p.groups, p.flip, "test");
}

void expect_matches_reference(
    const ConvSpec& p, Dtype dtype, double tol, uint32_t seed) {
  auto x = random_array(p.x_shape, seed, dtype);
  auto w = random_array(p.w_shape, seed + 1, dtype);
  auto [expected, shape] = reference_conv(x, w, p);
  auto out = run_spec(x, w, p);
  EXPECT_EQ(out.dtype(), dtype);
  expect_array_near(out, expected, shape, tol, tol);
}

} // namespace

TEST(ConvTest, Conv1dMatchesTorch) {
  // torch conv1d(X(2,5,3), W(4,3,3)).
  expect_array_near(
      conv1d(X({2, 5, 3}), W({4, 3, 3})),
      {-0.375, 2.375, -4.5, 0,    -4.375, 2.625, -0.875, -0.875,
       -1.5,   0.125, 0,    -4.5, 0.25,   0.875, -2.875, 3.875,
       -3.75,  1.125, 0.75, 3,    0.5,    0,     3,      0.75},
      {2, 3, 4});
}

TEST(ConvTest, Conv1dStridePaddingDilation) {
  // torch conv1d(X(1,9,2), W(2,3,2), stride=2, padding=2, dilation=2).
  expect_array_near(
      conv1d(X({1, 9, 2}), W({2, 3, 2}), 2, 2, 2),
      {-0.5, -2.625, 2, 2.25, -1.375, -1.25, 2.125, 2.125, -2.25, -0.25},
      {1, 5, 2});
}

TEST(ConvTest, Conv2dMatchesTorch) {
  // torch conv2d(X(1,4,4,2), W(3,2,2,2)).
  expect_array_near(
      conv2d(X({1, 4, 4, 2}), W({3, 2, 2, 2})),
      {2,     -0.625, -1.5,   2.25,   -2.625, 1.25, -1.625, -1.875, 4,
       4.375, -4.5,   -2.875, -0.875, -2.375, 4,    -0.625, 2.5,    1.25,
       4,     -4.25,  -2.875, -1.25,  -2.125, 4,    -1,     5.5,    -2.875},
      {1, 3, 3, 3});
}

TEST(ConvTest, Conv2dStridePaddingDilationGroups) {
  // torch conv2d(X(1,5,6,4), W(4,2,2,2), stride=(2,1), padding=(1,0),
  // dilation=(1,2), groups=2).
  expect_array_near(
      conv2d(X({1, 5, 6, 4}), W({4, 2, 2, 2}), {2, 1}, {1, 0}, {1, 2}, 2),
      {-2.25,  1.375,  -1.875, 3.25,   0.5,    -0.75,  0.75,  -1.75,
       -2.25,  1.25,   2,      0.125,  0.5,    -0.875, -2.25, -2.125,
       3.75,   -2.875, 2,      -2.625, -4,     1.375,  0.625, 1.375,
       0.625,  -2.625, -0.75,  -2.875, -4.375, 4.375,  0.625, 1.125,
       -4,     1.375,  0.625,  1.375,  0.625,  -2.625, -0.75, -2.875,
       -4.375, 4.375,  0.625,  1.125,  0.25,   -2.375, 0.625, 1},
      {1, 3, 4, 4});
}

TEST(ConvTest, Conv2dDepthwise) {
  // torch conv2d(X(1,4,4,3), W(3,3,3,1), padding=1, groups=3).
  expect_array_near(
      conv2d(X({1, 4, 4, 3}), W({3, 3, 3, 1}), {1, 1}, {1, 1}, {1, 1}, 3),
      {-1.75, 0.125,  1.875,  3,     0.625,  0.625, 0.25,   1,
       0.5,   0.5,    -0.875, 0.25,  -0.375, 0.25,  1.75,   3.375,
       1.875, -1.875, -0.625, 2.125, -2.375, 1.25,  1.125,  -3.25,
       -1.5,  -2.75,  -1.25,  -3,    -1.25,  0.25,  -2.875, -1,
       1.125, -2.25,  1.125,  4.375, 1.875,  0.125, -0.625, 0.625,
       0.625, 0.625,  0.5,    0.875, 0.375,  0.25,  -0.375, 2.5},
      {1, 4, 4, 3});
}

TEST(ConvTest, Conv3dStridePadding) {
  // torch conv3d(X(1,3,4,3,2), W(2,2,2,2,2), stride=(1,2,1),
  // padding=(0,1,0)).
  expect_array_near(
      conv3d(X({1, 3, 4, 3, 2}), W({2, 2, 2, 2, 2}), {1, 2, 1}, {0, 1, 0}),
      {-5.25, 2.125, -0.125, -2.5,   -2.75,  0.625, 1,     -1.5,
       2,     0,     -0.75,  -0.25,  -0.125, -2.5,  2.25,  -0.25,
       1,     -1.5,  -0.75,  -0.875, -0.75,  -0.25, -0.75, 2.25},
      {1, 2, 3, 2, 2});
}

TEST(ConvTest, ConvGeneralInputDilationAsymmetricPaddingFlip) {
  // Direct-loop NumPy conv_general(X(1,4,2), W(2,3,2), padding_lo=2,
  // padding_hi=0, input_dilation=2, flip=True).
  expect_array_near(
      conv_general(
          X({1, 4, 2}), W({2, 3, 2}), {1}, {2}, {0}, {1}, {2}, 1, true),
      {2.375,
       -0.125,
       -0.5,
       -1.25,
       0.375,
       0.375,
       -1.25,
       -0.5,
       -1.25,
       3.375,
       0.75,
       0.25,
       -1.5,
       -1.875},
      {1, 7, 2});
  // conv_general(X(1,3,4,2), W(2,2,2,2), stride=(2,1), padding_lo=(1,0),
  // padding_hi=(0,2), kernel_dilation=(1,2), input_dilation=(2,1)).
  expect_array_near(
      conv_general(
          X({1, 3, 4, 2}),
          W({2, 2, 2, 2}),
          {2, 1},
          {1, 0},
          {0, 2},
          {1, 2},
          {2, 1}),
      {-0.625, -2,     -0.625, -2.375, 0,   0.5, 1.5,    0.5,
       -0.625, -2.125, -2,     -1.125, 0.5, 0.5, 2,      0.5,
       -0.625, -2.25,  -0.625, 2.875,  1,   0.5, -1.625, -0.875},
      {1, 3, 4, 2});
}

TEST(ConvTest, ConvGeneralScalarParametersApplyToEveryDim) {
  auto x = X({1, 5, 6, 4});
  auto w = W({4, 2, 2, 2});
  expect_array_eq(
      conv_general(x, w, {2}, {1}, {1}, {2}, {1}, 2, false),
      conv2d(x, w, {2, 2}, {1, 1}, {2, 2}, 2));
}

TEST(ConvTest, ConvTranspose1dOutputPadding) {
  // torch conv_transpose1d(X(1,4,2), weight, stride=2, padding=1,
  // output_padding=1) with the torch weight (C_in, C_out, K) from W(3,3,2).
  expect_array_near(
      conv_transpose1d(X({1, 4, 2}), W({3, 3, 2}), 2, 1, 1, 1),
      {-0.5,   -1.25, 2.375, 0.375, 0.375, -1.375, -1.25,  -0.5,
       2,      -1.25, 3.375, -0.75, 0.75,  0.25,   -1.125, -1.5,
       -1.875, 1.25,  0,     1,     -1.5,  1.5,    -1,     0},
      {1, 8, 3});
}

TEST(ConvTest, ConvTransposePaddingWiderThanKernelCrops) {
  // torch conv_transpose1d(X(1,5,2), stride=2, padding=2) with the weight
  // from W(2,2,2): the equivalent convolution has padding -1.
  expect_array_near(
      conv_transpose1d(X({1, 5, 2}), W({2, 2, 2}), 2, 2),
      {2, -0.125, -1.25, -1.625, -1.125, 0, 0.75, 1, -1.5, 1.5, 0, -0.5},
      {1, 6, 2});
}

TEST(ConvTest, ConvTranspose2dGroupsDilation) {
  // torch conv_transpose2d(X(1,2,2,4), stride=(2,1), padding=(1,0),
  // dilation=(1,2), output_padding=(1,0), groups=2), weight from W(4,2,2,2).
  expect_array_near(
      conv_transpose2d(
          X({1, 2, 2, 4}), W({4, 2, 2, 2}), {2, 1}, {1, 0}, {1, 2}, {1, 0}, 2),
      {-1.625, -0.875, -1.625, 2,      0,     0.5,    -0.5,  -1.5,
       -0.125, 2.375,  -0.5,   -1.25,  1,     -1.125, 1,     0,
       2.25,   -1,     1.25,   -1.625, -1.25, 0.5,    -0.25, -0.875,
       -0.75,  2.125,  -1,     0.5,    0.5,   -1.25,  2,     0.5,
       -1.125, -0.875, 2,      -0.875, 0.5,   0.5,    -1,    -1.625,
       -0.625, 2.25,   -0.25,  1.25,   0.5,   -1.25,  1.25,  -0.25},
      {1, 3, 4, 4});
}

TEST(ConvTest, ConvTranspose3d) {
  // torch conv_transpose3d(X(1,2,1,2,1), W(1,2,2,2,1), stride=(2,1,1),
  // padding=(1,0,0), output_padding=(1,0,0)).
  expect_array_near(
      conv_transpose3d(
          X({1, 2, 1, 2, 1}),
          W({1, 2, 2, 2, 1}),
          {2, 1, 1},
          {1, 0, 0},
          {1, 1, 1},
          {1, 0, 0}),
      {-1.875,
       0.125,
       0.25,
       0.625,
       1.625,
       -0.75,
       0.75,
       -2.375,
       1.25,
       0,
       0.5,
       -1.25,
       -0.75,
       1.625,
       0.625,
       0.25,
       0.125,
       -1.875},
      {1, 3, 2, 3, 1});
}

TEST(ConvTest, ConvTransposeIsTheAdjointOfConv) {
  // <conv(x, w), y> == <x, conv_transpose(y, w^T)> with the weight's channel
  // axes swapped: a check independent of any reference.
  auto x = random_array({2, 9, 3}, 1, float64);
  auto w = random_array({4, 3, 3}, 2, float64);
  auto y = random_array({2, 5, 4}, 3, float64);
  auto lhs = sum(multiply(conv1d(x, w, 2, 1, 1), y));
  auto rhs =
      sum(multiply(x, conv_transpose1d(y, swapaxes(w, 0, 2), 2, 1, 1, 0)));
  EXPECT_NEAR(lhs.item<double>(), rhs.item<double>(), 1e-12);
}

TEST(ConvTest, ConvolveModes) {
  // np.convolve(X(5), [0.5, -1, 2], mode) with X(5) = [-1.25, 0.5, -0.5,
  // 1.25, 0.25].
  auto a = X({5});
  array v({0.5f, -1.0f, 2.0f});
  expect_array_near(
      convolve(a, v), {-0.625, 1.5, -3.25, 2.125, -2.125, 2.25, 0.5}, {7});
  expect_array_near(
      convolve(a, v, "same"), {1.5, -3.25, 2.125, -2.125, 2.25}, {5});
  expect_array_near(convolve(a, v, "valid"), {-3.25, 2.125, -2.125}, {3});
  // An even filter given first: np.convolve swaps the two.
  array v4({0.5f, -1.0f, 2.0f, 1.5f});
  expect_array_near(
      convolve(v4, a, "same"), {1.5, -3.25, 0.25, -1.375, 1.5}, {5});
  expect_array_near(convolve(v4, a, "valid"), {0.25, -1.375}, {2});
}

TEST(ConvTest, MatchesDirectLoopsAcrossParameters) {
  // Each shape with few outputs per group (the direct loop) and with many
  // (im2col + gemm). Fields: input, weight, stride, padding lo, padding hi,
  // kernel dilation, input dilation, groups, flip.
  // clang-format off
  std::vector<ConvSpec> specs = {
      // 1-D: groups, stride, kernel dilation, asymmetric padding.
      {{2, 9, 4}, {6, 3, 2}, {2}, {1}, {2}, {2}, {1}, 2, false},
      {{2, 9, 4}, {12, 3, 2}, {2}, {1}, {2}, {2}, {1}, 2, false},
      // 1-D: input dilation, flip.
      {{1, 6, 3}, {2, 4, 3}, {1}, {3}, {0}, {1}, {3}, 1, true},
      {{1, 6, 3}, {7, 4, 3}, {1}, {3}, {0}, {1}, {3}, 1, true},
      // 2-D with everything.
      {{2, 7, 6, 6}, {4, 3, 2, 3}, {2, 1}, {0, 2}, {1, 0}, {1, 2}, {1, 1}, 2, true},
      {{2, 7, 6, 6}, {10, 3, 2, 3}, {2, 1}, {0, 2}, {1, 0}, {1, 2}, {2, 1}, 2, true},
      // Depthwise with stride and input dilation.
      {{1, 5, 5, 3}, {3, 3, 3, 1}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, {2, 2}, 3, false},
      // Depthwise with channel multipliers 2 and 5.
      {{1, 5, 5, 2}, {4, 3, 3, 1}, {1, 1}, {1, 0}, {0, 1}, {1, 1}, {1, 1}, 2, false},
      {{1, 5, 5, 2}, {10, 3, 3, 1}, {1, 1}, {1, 0}, {0, 1}, {1, 1}, {1, 1}, 2, false},
      // Pointwise (1x1): the input is its own im2col matrix.
      {{2, 4, 4, 6}, {6, 1, 1, 6}, {1, 1}, {0, 0}, {0, 0}, {1, 1}, {1, 1}, 1, false},
      {{2, 4, 4, 6}, {15, 1, 1, 2}, {1, 1}, {0, 0}, {0, 0}, {1, 1}, {1, 1}, 3, false},
      {{2, 4, 4, 6}, {6, 1, 1, 2}, {1, 1}, {0, 0}, {0, 0}, {1, 1}, {1, 1}, 3, false},
      // 3-D.
      {{1, 4, 5, 4, 2}, {3, 2, 3, 2, 2}, {1, 2, 1}, {1, 0, 1}, {0, 1, 1}, {2, 1, 1}, {1, 1, 2}, 1, true},
      {{1, 4, 5, 4, 2}, {6, 2, 3, 2, 2}, {1, 2, 1}, {1, 0, 1}, {0, 1, 1}, {2, 1, 1}, {1, 1, 2}, 1, true},
      // Four spatial dims (the generic tap loop).
      {{1, 3, 3, 3, 3, 2}, {2, 2, 2, 2, 2, 2}, {1, 1, 1, 1}, {0, 1, 0, 0}, {0, 0, 0, 1}, {1, 1, 1, 1}, {1, 1, 1, 1}, 1, false},
      {{1, 3, 3, 3, 3, 2}, {5, 2, 2, 2, 2, 2}, {1, 1, 1, 1}, {0, 1, 0, 0}, {0, 0, 0, 1}, {1, 1, 1, 1}, {1, 1, 1, 1}, 1, false},
      // Negative padding crops (used by the transposed convs and gradients).
      {{1, 8, 2}, {2, 3, 2}, {1}, {-2}, {-1}, {1}, {1}, 1, false},
      {{1, 6, 6, 2}, {2, 2, 2, 2}, {2, 1}, {-1, 1}, {2, -2}, {1, 2}, {2, 1}, 1, true},
      {{1, 6, 6, 2}, {8, 2, 2, 2}, {2, 1}, {-1, 1}, {2, -2}, {1, 2}, {2, 1}, 1, true},
  };
  // clang-format on
  uint32_t seed = 10;
  for (const auto& p : specs) {
    SCOPED_TRACE(
        "spec with input " + mlx_test::shape_str(p.x_shape) + " weight " +
        mlx_test::shape_str(p.w_shape));
    expect_matches_reference(p, float64, 1e-12, seed += 2);
    expect_matches_reference(p, float32, 1e-5, seed += 2);
  }
}

TEST(ConvTest, CnnSizedProblems) {
  // The two convolutions of the MNIST CNN example, in float32.
  // clang-format off
  ConvSpec first = {{32, 28, 28, 1}, {32, 3, 3, 1}, {1, 1}, {0, 0}, {0, 0}, {1, 1}, {1, 1}, 1, false};
  ConvSpec second = {{32, 14, 14, 32}, {64, 3, 3, 32}, {1, 1}, {0, 0}, {0, 0}, {1, 1}, {1, 1}, 1, false};
  // clang-format on
  expect_matches_reference(first, float32, 1e-5, 100);
  expect_matches_reference(second, float32, 1e-4, 200);
}

TEST(ConvTest, LargeProblemIsComputedInChunks) {
  // 4 * 98 * 98 rows of 3 * 3 * 16 floats: 22 MB of im2col, three 8 MB
  // chunks.
  // clang-format off
  ConvSpec spec = {{4, 100, 100, 16}, {8, 3, 3, 16}, {1, 1}, {0, 0}, {0, 0}, {1, 1}, {1, 1}, 1, false};
  // clang-format on
  expect_matches_reference(spec, float32, 1e-4, 300);
  // Grouped: 4 * 78 * 78 rows of 4 groups of 3 * 3 * 4 floats, two chunks.
  // clang-format off
  ConvSpec grouped = {{4, 80, 80, 16}, {20, 3, 3, 4}, {1, 1}, {0, 0}, {0, 0}, {1, 1}, {1, 1}, 4, false};
  // clang-format on
  expect_matches_reference(grouped, float32, 1e-4, 400);
}

TEST(ConvTest, HalfTypesComputeInFloat) {
  // Same values as Conv2dMatchesTorch (inputs and results exact in both).
  std::vector<double> expected = {
      2,     -0.625, -1.5,   2.25,   -2.625, 1.25, -1.625, -1.875, 4,
      4.375, -4.5,   -2.875, -0.875, -2.375, 4,    -0.625, 2.5,    1.25,
      4,     -4.25,  -2.875, -1.25,  -2.125, 4,    -1,     5.5,    -2.875};
  for (Dtype t : {float16, bfloat16}) {
    auto out = conv2d(X({1, 4, 4, 2}, t), W({3, 2, 2, 2}, t));
    EXPECT_EQ(out.dtype(), t);
    expect_array_near(out, expected, {1, 3, 3, 3}, 1e-2, 1e-2);
  }
  // Random half inputs against the float64 reference of the same values
  // (few and many outputs per group).
  // clang-format off
  std::vector<ConvSpec> specs = {
      {{2, 6, 6, 4}, {4, 3, 3, 2}, {1, 2}, {1, 0}, {0, 1}, {1, 1}, {1, 1}, 2, false},
      {{2, 6, 6, 4}, {10, 3, 3, 2}, {1, 2}, {1, 0}, {0, 1}, {1, 1}, {1, 1}, 2, false}};
  // clang-format on
  for (Dtype t : {float16, bfloat16}) {
    auto x = random_array(specs[0].x_shape, 7, t);
    for (const auto& spec : specs) {
      auto w = random_array(spec.w_shape, 8, t);
      auto [ref, shape] = reference_conv(x, w, spec);
      expect_array_near(run_spec(x, w, spec), ref, shape, 2e-2, 2e-2);
    }
    // Depthwise path too.
    auto dw = random_array({4, 3, 3, 1}, 9, t);
    auto out = conv2d(x, dw, {1, 1}, {1, 1}, {1, 1}, 4);
    auto expected_dw = conv2d(
        astype(x, float32), astype(dw, float32), {1, 1}, {1, 1}, {1, 1}, 4);
    expect_array_near(
        out, mlx_test::to_doubles(expected_dw), {2, 6, 6, 4}, 2e-2, 2e-2);
  }
}

TEST(ConvTest, Float64AndPromotion) {
  // Same values as Conv2dStridePaddingDilationGroups, in float64.
  auto out = conv2d(
      X({1, 5, 6, 4}, float64),
      W({4, 2, 2, 2}, float64),
      {2, 1},
      {1, 0},
      {1, 2},
      2);
  EXPECT_EQ(out.dtype(), float64);
  auto f32 =
      conv2d(X({1, 5, 6, 4}), W({4, 2, 2, 2}), {2, 1}, {1, 0}, {1, 2}, 2);
  expect_array_near(out, mlx_test::to_doubles(f32), {1, 3, 4, 4}, 0, 0);
  // float16 input with a float32 weight computes in float32.
  EXPECT_EQ(conv1d(X({1, 5, 2}, float16), W({1, 3, 2})).dtype(), float32);
  EXPECT_EQ(
      conv1d(X({1, 5, 2}, bfloat16), W({1, 3, 2}, float64)).dtype(), float64);
}

TEST(ConvTest, NonContiguousInputs) {
  auto x = X({1, 4, 4, 2});
  auto w = W({3, 2, 2, 2});
  auto expected = conv2d(x, w);
  // Transposed layout with the same logical values.
  auto x_t = transpose(contiguous(transpose(x, {0, 3, 1, 2})), {0, 2, 3, 1});
  EXPECT_FALSE(x_t.flags().row_contiguous);
  expect_array_eq(conv2d(x_t, w), expected);
  // Every other column of a wider array.
  auto wide = reshape(stack({x, zeros_like(x)}, 3), {1, 4, 8, 2});
  auto x_s = slice(wide, {0, 0, 0, 0}, {1, 4, 8, 2}, {1, 1, 2, 1});
  expect_array_eq(conv2d(x_s, w), expected);
  // A transposed weight and a broadcast (stride-0) weight.
  auto w_t = transpose(contiguous(transpose(w, {3, 1, 2, 0})), {3, 1, 2, 0});
  expect_array_eq(conv2d(x, w_t), expected);
  auto w_b =
      broadcast_to(reshape(array({1.0f, -2.0f}), {1, 1, 1, 2}), {3, 2, 2, 2});
  expect_array_eq(conv2d(x_t, w_b), conv2d(x, contiguous(w_b)));
  // A transposed input on the depthwise and pointwise paths.
  auto dw = W({2, 3, 3, 1});
  expect_array_eq(
      conv2d(x_t, dw, {1, 1}, {1, 1}, {1, 1}, 2),
      conv2d(x, dw, {1, 1}, {1, 1}, {1, 1}, 2));
  auto pw = W({5, 1, 1, 2});
  expect_array_eq(conv2d(x_s, pw), conv2d(x, pw));
}

TEST(ConvTest, EmptyShapes) {
  auto out = conv2d(zeros({0, 5, 5, 3}), ones({4, 3, 3, 3}));
  EXPECT_EQ(out.shape(), Shape({0, 3, 3, 4}));
  out.eval();
  // No input channels: every output is an empty sum.
  expect_array_near(
      conv1d(zeros({1, 4, 0}), zeros({2, 3, 0})),
      std::vector<double>(4, 0.0),
      {1, 2, 2});
}

TEST(ConvTest, BadArgumentsThrow) {
  auto x1 = X({1, 8, 4});
  auto w1 = W({2, 3, 4});
  expect_throws_with_prefix(
      [&] {
        conv1d(reshape(x1, {1, 8, 2, 2}), w1);
      },
      "[conv1d]",
      "(1, 8, 2, 2)");
  expect_throws_with_prefix([&] { conv2d(x1, w1); }, "[conv2d]");
  expect_throws_with_prefix(
      [&] {
        conv1d(x1, W({2, 3, 3}));
      },
      "[conv1d]",
      "(2, 3, 3)");
  expect_throws_with_prefix(
      [&] {
        conv1d(x1, W({3, 3, 2}), 1, 0, 1, 2);
      },
      "[conv1d]",
      "groups (2)");
  expect_throws_with_prefix(
      [&] {
        conv1d(x1, W({2, 3, 1}), 1, 0, 1, 3);
      },
      "[conv1d]",
      "groups (3)");
  expect_throws_with_prefix([&] { conv1d(x1, w1, 0); }, "[conv1d]", "stride");
  expect_throws_with_prefix(
      [&] { conv1d(x1, w1, 1, -1); }, "[conv1d]", "padding");
  expect_throws_with_prefix(
      [&] {
        conv3d(
            X({1, 4, 4, 4, 1}),
            W({1, 2, 2, 2, 1}),
            {1, 1, 1},
            {0, 0, 0},
            {1, 0, 1});
      },
      "[conv3d]",
      "dilation");
  expect_throws_with_prefix(
      [&] {
        conv1d(x1, W({2, 9, 4}));
      },
      "[conv1d]",
      "smaller than");
  expect_throws_with_prefix(
      [&] { conv1d(astype(x1, int32), astype(w1, int32)); },
      "[conv1d]",
      "int32");
  expect_throws_with_prefix(
      [&] { conv1d(astype(x1, complex64), w1); }, "[conv1d]", "complex64");
  expect_throws_with_prefix(
      [&] {
        conv_general(x1, w1, {1, 1}, {0}, {0}, {1}, {1}, 1, false);
      },
      "[conv_general]",
      "stride");
  expect_throws_with_prefix(
      [&] { conv_general(x1, w1, {1}, {-1}, {0}, {1}, {1}, 1, false); },
      "[conv_general]",
      "padding");
  expect_throws_with_prefix(
      [&] { conv_general(x1, w1, {1}, {0}, {0}, {1}, {0}, 1, false); },
      "[conv_general]",
      "input dilation");
  expect_throws_with_prefix(
      [&] {
        conv_general(
            reshape(x1, {8, 4}), w1, {1}, {0}, {0}, {1}, {1}, 1, false);
      },
      "[conv_general]",
      "(8, 4)");
  expect_throws_with_prefix(
      [&] { conv_transpose1d(x1, w1, 1, 0, 1, -1); },
      "[conv_transpose1d]",
      "output_padding");
  expect_throws_with_prefix(
      [&] { conv_transpose2d(x1, w1); }, "[conv_transpose2d]");
  expect_throws_with_prefix(
      [&] { conv_transpose1d(x1, w1, 1, 5); },
      "[conv_transpose1d]",
      "smaller than");
  expect_throws_with_prefix(
      [&] {
        convolve(X({2, 3}), X({3}));
      },
      "[convolve]",
      "(2, 3)");
  expect_throws_with_prefix(
      [&] { convolve(X({0}), X({3})); }, "[convolve]", "empty");
  expect_throws_with_prefix(
      [&] { convolve(X({4}), X({3}), "middle"); }, "[convolve]", "middle");
  expect_throws_with_prefix(
      [&] { convolve(arange(4), arange(3)); }, "[convolve]", "int32");
}
