// mlx::nn::init: shapes, dtypes, constant / identity values, fans, and the
// distributions' bounds, means and standard deviations on 100k samples.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "mlx/nn/init.h"
#include "test_utils.h"

namespace init = mlx::nn::init;

namespace {

struct Stats {
  double min;
  double max;
  double mean;
  double std;
};

Stats stats_of(const mx::array& a) {
  auto v = mlx_test::to_doubles(a);
  Stats s{};
  s.min = *std::min_element(v.begin(), v.end());
  s.max = *std::max_element(v.begin(), v.end());
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
  double sq = 0;
  for (double x : v) {
    sq += (x - s.mean) * (x - s.mean);
  }
  s.std = std::sqrt(sq / v.size());
  return s;
}

// With n = 100k samples the sample std is within 1% of the true one
// (relative standard error about 1 / sqrt(2 n) = 0.22% for a normal) and
// the mean within 0.02 std (standard error std / sqrt(n) = 0.003 std).
constexpr double kStdTolerance = 0.01;
constexpr double kMeanTolerance = 0.02;

void expect_std_near(const Stats& s, double expected_std) {
  EXPECT_NEAR(s.std, expected_std, kStdTolerance * expected_std);
  EXPECT_NEAR(s.mean, 0.0, kMeanTolerance * expected_std);
}

// Uniform on +-limit: every sample inside, the extremes near the bounds
// (the chance that none of 100k samples falls in the last 0.1% is
// e^-100), and std limit / sqrt(3).
void expect_uniform_on(const Stats& s, double limit) {
  // float32 samples: the bound itself rounds to within 1e-7 relative.
  EXPECT_GE(s.min, -limit * (1 + 1e-6));
  EXPECT_LE(s.max, limit * (1 + 1e-6));
  EXPECT_LT(s.min, -0.999 * limit);
  EXPECT_GT(s.max, 0.999 * limit);
  expect_std_near(s, limit / std::sqrt(3.0));
}

} // namespace

TEST(InitTest, ConstantFillsTheInputShape) {
  auto w = init::constant(0.5f)(mx::zeros({2, 3}));
  EXPECT_EQ(w.dtype(), mx::float32);
  expect_array_values(w, {2, 3}, {0.5, 0.5, 0.5, 0.5, 0.5, 0.5});
  auto i = init::constant(3.0f, mx::int32)(mx::zeros({4}, mx::float16));
  EXPECT_EQ(i.dtype(), mx::int32);
  expect_array_values(i, {4}, {3, 3, 3, 3});
  auto scalar = init::constant(-1.0f, mx::float16)(mx::array(7.0f));
  EXPECT_EQ(scalar.dtype(), mx::float16);
  expect_array_values(scalar, {}, {-1});
}

TEST(InitTest, NormalHasTheRequestedMeanAndStd) {
  auto w = init::normal(2.0f, 0.5f)(mx::zeros({100000}));
  EXPECT_EQ(w.dtype(), mx::float32);
  EXPECT_EQ(w.shape(), (mx::Shape{100000}));
  auto s = stats_of(w);
  EXPECT_NEAR(s.mean, 2.0, kMeanTolerance * 0.5);
  EXPECT_NEAR(s.std, 0.5, kStdTolerance * 0.5);
  // Defaults: N(0, 1).
  expect_std_near(stats_of(init::normal()(mx::zeros({200, 500}))), 1.0);
  auto h = init::normal(0.0f, 1.0f, mx::bfloat16)(mx::zeros({3, 2}));
  EXPECT_EQ(h.dtype(), mx::bfloat16);
  EXPECT_EQ(h.shape(), (mx::Shape{3, 2}));
}

TEST(InitTest, UniformStaysWithinItsBounds) {
  auto s = stats_of(init::uniform(-2.0f, 3.0f)(mx::zeros({100000})));
  EXPECT_GE(s.min, -2.0);
  EXPECT_LT(s.max, 3.0);
  EXPECT_NEAR(s.mean, 0.5, 0.02);
  EXPECT_NEAR(s.std, 5.0 / std::sqrt(12.0), kStdTolerance * 1.45);
  // Defaults: U[0, 1).
  auto d = stats_of(init::uniform()(mx::zeros({100, 1000})));
  EXPECT_GE(d.min, 0.0);
  EXPECT_LT(d.max, 1.0);
  EXPECT_NEAR(d.mean, 0.5, 0.01);
  auto f64 = init::uniform(0.0f, 1.0f, mx::float64)(mx::zeros({2}));
  EXPECT_EQ(f64.dtype(), mx::float64);
}

TEST(InitTest, IdentityOfSquareMatrices) {
  auto eye = init::identity()(mx::zeros({3, 3}));
  EXPECT_EQ(eye.dtype(), mx::float32);
  expect_array_values(eye, {3, 3}, {1, 0, 0, 0, 1, 0, 0, 0, 1});
  auto half = init::identity(mx::float16)(mx::ones({2, 2}, mx::int32));
  EXPECT_EQ(half.dtype(), mx::float16);
  expect_array_values(half, {2, 2}, {1, 0, 0, 1});
  auto empty = init::identity()(mx::zeros({0, 0}));
  EXPECT_EQ(empty.shape(), (mx::Shape{0, 0}));
  auto fn = init::identity();
  expect_throws_with_prefix(
      [&] {
        fn(mx::zeros({2, 3}));
      },
      "[init.identity]",
      "(2, 3)");
  expect_throws_with_prefix(
      [&] { fn(mx::zeros({3})); }, "[init.identity]", "(3,)");
  expect_throws_with_prefix(
      [&] {
        fn(mx::zeros({2, 2, 2}));
      },
      "[init.identity]",
      "(2, 2, 2)");
}

// MLX: fan_in = shape[-1] * receptive field, fan_out = shape[0] * receptive
// field, the receptive field being the product of shape[1:-1].
TEST(InitTest, FansOfMatricesAndConvWeights) {
  EXPECT_EQ(
      init::fan_in_and_fan_out(mx::zeros({64, 32})),
      (std::pair<int64_t, int64_t>{32, 64}));
  // Conv2d weight (C_out = 8, kH = 3, kW = 5, C_in = 4).
  EXPECT_EQ(
      init::fan_in_and_fan_out(mx::zeros({8, 3, 5, 4})),
      (std::pair<int64_t, int64_t>{60, 120}));
  // Conv1d weight (C_out = 6, k = 7, C_in = 2).
  EXPECT_EQ(
      init::fan_in_and_fan_out(mx::zeros({6, 7, 2})),
      (std::pair<int64_t, int64_t>{14, 42}));
  expect_throws_with_prefix(
      [] { init::fan_in_and_fan_out(mx::zeros({5})); },
      "[init.fan_in_and_fan_out]",
      "(5,)");
}

TEST(InitTest, GlorotUniformBound) {
  // fan_in = 500, fan_out = 200: limit sqrt(6 / 700).
  auto fn = init::glorot_uniform();
  auto x = mx::zeros({200, 500});
  auto w = fn(x);
  EXPECT_EQ(w.dtype(), mx::float32);
  EXPECT_EQ(w.shape(), (mx::Shape{200, 500}));
  double limit = std::sqrt(6.0 / 700.0);
  expect_uniform_on(stats_of(w), limit);
  expect_uniform_on(stats_of(fn(x, 4.0f)), 4 * limit);
}

TEST(InitTest, GlorotNormalStd) {
  auto fn = init::glorot_normal();
  auto x = mx::zeros({250, 400});
  double std = std::sqrt(2.0 / 650.0);
  expect_std_near(stats_of(fn(x)), std);
  expect_std_near(stats_of(fn(x, 4.0f)), 4 * std);
  // Conv weight (C_out 32, 5 x 5, C_in 128): fans 3200 and 800.
  expect_std_near(
      stats_of(fn(mx::zeros({32, 5, 5, 128}))), std::sqrt(2.0 / 4000.0));
  expect_throws_with_prefix(
      [&] { fn(mx::zeros({5})); }, "[init.glorot_normal]", "(5,)");
  expect_throws_with_prefix(
      [&] { init::glorot_uniform()(mx::array(1.0f)); },
      "[init.glorot_uniform]",
      "()");
}

TEST(InitTest, HeNormalModes) {
  auto fn = init::he_normal();
  auto x = mx::zeros({100, 1000}); // fan_in 1000, fan_out 100
  expect_std_near(stats_of(fn(x)), 1.0 / std::sqrt(1000.0));
  expect_std_near(stats_of(fn(x, "fan_in")), 1.0 / std::sqrt(1000.0));
  expect_std_near(stats_of(fn(x, "fan_out")), 1.0 / std::sqrt(100.0));
  expect_std_near(stats_of(fn(x, "fan_out", 5.0f)), 5.0 / std::sqrt(100.0));
  expect_throws_with_prefix(
      [&] { fn(x, "fan_avg"); }, "[init.he_normal]", "'fan_avg'");
  expect_throws_with_prefix(
      [&] { fn(mx::zeros({4})); }, "[init.he_normal]", "(4,)");
}

TEST(InitTest, HeUniformModesAndConvWeights) {
  auto fn = init::he_uniform();
  auto x = mx::zeros({100, 1000});
  expect_uniform_on(stats_of(fn(x)), std::sqrt(3.0 / 1000.0));
  expect_uniform_on(stats_of(fn(x, "fan_out", 5.0f)), 5 * std::sqrt(0.03));
  // Conv weight (C_out 16, 25 x 25, C_in 8), 80k samples: fan_in 5000,
  // fan_out 10000.
  auto conv = mx::zeros({16, 25, 25, 8});
  expect_uniform_on(stats_of(fn(conv)), std::sqrt(3.0 / (8 * 625)));
  expect_uniform_on(stats_of(fn(conv, "fan_out")), std::sqrt(3.0 / (16 * 625)));
  expect_throws_with_prefix(
      [&] { fn(x, "FAN_IN"); }, "[init.he_uniform]", "'FAN_IN'");
}

TEST(InitTest, DtypesOfTheFanScaledInitializers) {
  for (auto dtype : {mx::float16, mx::bfloat16, mx::float32, mx::float64}) {
    auto x = mx::zeros({4, 6});
    EXPECT_EQ(init::glorot_normal(dtype)(x).dtype(), dtype);
    EXPECT_EQ(init::glorot_uniform(dtype)(x).dtype(), dtype);
    EXPECT_EQ(init::he_normal(dtype)(x).dtype(), dtype);
    auto w = init::he_uniform(dtype)(x, "fan_out", 2.0f);
    EXPECT_EQ(w.dtype(), dtype);
    EXPECT_EQ(w.shape(), (mx::Shape{4, 6}));
    auto s = stats_of(w);
    // Rounding to half precision may reach the bound itself.
    EXPECT_LE(std::max(-s.min, s.max), 2 * std::sqrt(3.0 / 4.0) * 1.01);
  }
}

TEST(InitTest, FanScaledInitializersConvertToInitializer) {
  std::vector<init::Initializer> fns = {
      init::glorot_normal(),
      init::glorot_uniform(),
      init::he_normal(),
      init::he_uniform(),
      init::constant(1.0f),
      init::normal(),
      init::uniform(),
      init::identity()};
  for (auto& fn : fns) {
    EXPECT_EQ(fn(mx::zeros({5, 5})).shape(), (mx::Shape{5, 5}));
  }
}

TEST(InitTest, SeedingMakesSamplesReproducible) {
  auto fn = init::he_normal();
  auto x = mx::zeros({3, 4});
  mx::random::seed(42);
  auto a = fn(x);
  mx::random::seed(42);
  auto b = fn(x);
  expect_array_eq(a, b);
  auto c = fn(x);
  EXPECT_NE(mlx_test::to_doubles(a), mlx_test::to_doubles(c));
}
