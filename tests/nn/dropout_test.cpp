// Tests of Dropout, Dropout2d and Dropout3d (nn/layers/dropout.h).
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "mlx/nn/layers/dropout.h"
#include "mlx/random.h"
#include "test_utils.h"

namespace nn = mlx::nn;

namespace {

// Fraction of zeros in `a`; every non-zero must equal x * scale (x = 1).
double zero_fraction_checking_scale(const mx::array& a, double scale) {
  auto v = mlx_test::to_doubles(a);
  size_t zeros = 0;
  for (double e : v) {
    if (e == 0) {
      ++zeros;
    } else {
      EXPECT_NEAR(e, scale, 1e-6 * scale);
    }
  }
  return static_cast<double>(zeros) / v.size();
}

} // namespace

TEST(DropoutTest, ProbabilityOutsideRangeThrows) {
  for (float p : {1.0f, -0.1f, 1.5f, std::nanf("")}) {
    expect_throws_with_prefix([&] { nn::Dropout d(p); }, "[Dropout]");
    expect_throws_with_prefix([&] { nn::Dropout2d d(p); }, "[Dropout2d]");
    expect_throws_with_prefix([&] { nn::Dropout3d d(p); }, "[Dropout3d]");
  }
  expect_throws_with_prefix(
      [] { nn::Dropout d(1.0f); }, "[Dropout]", "not in [0, 1)");
  EXPECT_NO_THROW(nn::Dropout(0.0f));
  EXPECT_NO_THROW(nn::Dropout(0.999f));
}

TEST(DropoutTest, DefaultsParametersAndPrint) {
  nn::Dropout d;
  EXPECT_FLOAT_EQ(d.p(), 0.5f);
  EXPECT_EQ(nn::Dropout2d().p(), 0.5f);
  EXPECT_TRUE(mlx::utils::tree_flatten(d.parameters()).empty());
  std::ostringstream os;
  os << nn::Dropout(0.25f);
  EXPECT_EQ(os.str(), "Dropout(p=0.25)");
}

TEST(DropoutTest, EvalModeAndZeroProbabilityAreIdentity) {
  auto x = mx::random::normal({4, 5});
  nn::Dropout d(0.5f);
  d.eval();
  EXPECT_FALSE(d.training());
  expect_array_eq(d(x), x);
  nn::Dropout none(0.0f);
  expect_array_eq(none(x), x);
  nn::Dropout2d d2(0.5f);
  d2.eval();
  auto x4 = mx::random::normal({2, 3, 3, 4});
  expect_array_eq(d2(x4), x4);
  nn::Dropout3d d3(0.5f);
  d3.eval();
  auto x5 = mx::random::normal({2, 2, 3, 3, 4});
  expect_array_eq(d3(x5), x5);
}

TEST(DropoutTest, TrainingZeroesAboutPAndScalesTheRest) {
  mx::random::seed(1);
  nn::Dropout d(0.3f);
  auto y = d(mx::ones({100000}));
  EXPECT_EQ(y.dtype(), mx::float32);
  // Binomial(1e5, 0.3) / 1e5 has standard deviation 0.00145.
  double frac = zero_fraction_checking_scale(y, 1.0 / 0.7);
  EXPECT_NEAR(frac, 0.3, 0.01);
  // The expectation is kept.
  EXPECT_NEAR(mx::mean(y).item<float>(), 1.0, 0.02);
}

TEST(DropoutTest, SeedReproducesTheMask) {
  nn::Dropout d(0.5f);
  auto x = mx::ones({64});
  mx::random::seed(42);
  auto a = d(x);
  mx::random::seed(42);
  auto b = d(x);
  expect_array_eq(a, b);
  auto c = d(x); // the key has moved on
  EXPECT_FALSE(mx::array_equal(a, c).item<bool>());
}

TEST(DropoutTest, DtypesAreKept) {
  nn::Dropout d(0.5f);
  for (auto dtype : {mx::float16, mx::bfloat16, mx::float64}) {
    auto y = d(mx::ones({1000}, dtype));
    EXPECT_EQ(y.dtype(), dtype);
    double frac = zero_fraction_checking_scale(y, 2.0);
    EXPECT_NEAR(frac, 0.5, 0.08);
  }
  // Integers compute in float32 (MLX's Python scalar promotes them).
  auto yi = d(mx::ones({1000}, mx::int32));
  EXPECT_EQ(yi.dtype(), mx::float32);
  zero_fraction_checking_scale(yi, 2.0);
  // Views and 0-size inputs.
  auto view = mx::transpose(mx::ones({30, 40}));
  EXPECT_EQ(d(view).shape(), (mx::Shape{40, 30}));
  EXPECT_EQ(d(mx::ones({0, 3})).shape(), (mx::Shape{0, 3}));
}

TEST(DropoutTest, GradientIsTheScaledMask) {
  // With the same key, the gradient of sum(dropout(x)) is mask / (1 - p),
  // which is dropout(ones).
  nn::Dropout d(0.25f);
  auto x = mx::random::normal({8, 8});
  mx::random::seed(9);
  auto mask = d(mx::ones({8, 8}));
  mx::random::seed(9);
  auto g = mx::grad([&](const mx::array& x) { return mx::sum(d(x)); })(x);
  expect_array_near(g, mlx_test::to_doubles(mask), {8, 8}, 1e-6, 1e-6);
  mx::random::seed(9);
  auto y = d(x);
  expect_array_near(
      y, mlx_test::to_doubles(mx::multiply(x, mask)), {8, 8}, 1e-6, 1e-6);
}

// Checks that each (batch, channel) slice of y is all zero or all `scale`.
void expect_channelwise(
    const mx::array& y, int batch, int spatial, int channels, double scale) {
  auto v = mlx_test::to_doubles(y);
  int zero_channels = 0;
  for (int b = 0; b < batch; ++b) {
    for (int c = 0; c < channels; ++c) {
      double first = v[b * spatial * channels + c];
      EXPECT_TRUE(first == 0 || std::abs(first - scale) < 1e-6);
      zero_channels += first == 0;
      for (int s = 0; s < spatial; ++s) {
        EXPECT_EQ(v[(b * spatial + s) * channels + c], first)
            << "batch " << b << " channel " << c;
      }
    }
  }
  // About half of batch * channels (= 256 here) are dropped; 5 sigma.
  EXPECT_NEAR(zero_channels, batch * channels / 2.0, 5 * 8.0);
}

TEST(Dropout2dTest, ZeroesWholeChannels) {
  mx::random::seed(3);
  nn::Dropout2d d(0.5f);
  // (N, H, W, C): masks are (N, 1, 1, C).
  expect_channelwise(d(mx::ones({8, 3, 4, 32})), 8, 12, 32, 2.0);
  // (H, W, C): one mask (1, 1, C).
  expect_channelwise(d(mx::ones({5, 2, 256})), 1, 10, 256, 2.0);
  auto y = d(mx::ones({2, 3, 3, 4}, mx::float16));
  EXPECT_EQ(y.dtype(), mx::float16);
}

TEST(Dropout2dTest, WrongRankThrows) {
  nn::Dropout2d d;
  expect_throws_with_prefix(
      [&] {
        d(mx::ones({2, 3}));
      },
      "[Dropout2d]",
      "(2, 3)");
  expect_throws_with_prefix(
      [&] {
        d(mx::ones({1, 2, 3, 4, 5}));
      },
      "[Dropout2d]");
  // The rank is checked in eval mode too (as MLX).
  d.eval();
  expect_throws_with_prefix([&] { d(mx::ones({2, 3})); }, "[Dropout2d]");
}

TEST(Dropout3dTest, ZeroesWholeChannels) {
  mx::random::seed(4);
  nn::Dropout3d d(0.5f);
  // (N, D, H, W, C): masks are (N, 1, 1, 1, C).
  expect_channelwise(d(mx::ones({8, 2, 3, 2, 32})), 8, 12, 32, 2.0);
  // (D, H, W, C).
  expect_channelwise(d(mx::ones({2, 2, 2, 256})), 1, 8, 256, 2.0);
  expect_throws_with_prefix(
      [&] {
        d(mx::ones({2, 3, 4}));
      },
      "[Dropout3d]",
      "(2, 3, 4)");
}
