// Tests of MaxPool1d/2d/3d and AvgPool1d/2d/3d (nn/layers/pooling.h).
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>

#include "grad_check.h"
#include "mlx/nn/layers/pooling.h"
#include "test_utils.h"

namespace nn = mlx::nn;

namespace {

// Distinct values (no ties for max pooling): ((73 i) mod 257) / 16 - 8 for
// the i-th element in row-major order (up to 257 elements).
mx::array test_input(const mx::Shape& shape, mx::Dtype dtype = mx::float64) {
  size_t n = 1;
  for (int d : shape) {
    n *= d;
  }
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i) {
    v[i] = ((i * 73) % 257) / 16.0 - 8.0;
  }
  return mx::astype(mx::array(v.begin(), shape, mx::float64), dtype);
}

struct Case {
  const char* name;
  std::function<std::shared_ptr<nn::Pool>()> make;
  mx::Shape in_shape;
  mx::Shape out_shape;
  std::vector<double> expected;
};

// Expected values: torch.nn.functional.{max,avg}_pool{1,2,3}d (PyTorch
// 1.13, float64) on the input transposed to channels-first, transposed
// back. PyTorch's average pooling counts the zero padding
// (count_include_pad=True), as MLX does.
const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {"max2d_k2",
       [] { return std::make_shared<nn::MaxPool2d>(2); },
       {2, 4, 4, 3},
       {2, 2, 2, 3},
       {5.6875, 3.125,  7.6875, 7.5,   7.875, 2.9375, 5.125,  7.3125,
        4.75,   6.9375, 4.9375, 7.125, 6.375, 6.75,   1.8125, 4.0,
        6.1875, 6.5625, 5.8125, 8.0,   6.0,   1.0625, 5.625,  7.8125}},
      {"max2d_k3s2p1",
       [] { return std::make_shared<nn::MaxPool2d>(3, 2, 1); },
       {1, 5, 5, 2},
       {1, 3, 3, 2},
       {5.5,
        5.6875,
        7.6875,
        7.875,
        3.3125,
        7.875,
        5.5,
        7.5,
        7.6875,
        7.125,
        7.3125,
        5.3125,
        6.9375,
        4.9375,
        6.9375,
        7.125,
        4.75,
        6.75}},
      {"avg2d_k3s2p1",
       [] { return std::make_shared<nn::AvgPool2d>(3, 2, 1); },
       {1, 5, 5, 2},
       {1, 3, 3, 2},
       {-0.3125,
        -0.06944444444444445,
        0.625,
        1.8819444444444444,
        -0.6388888888888888,
        1.3888888888888888,
        -0.3541666666666667,
        0.9027777777777778,
        -0.22916666666666666,
        0.7638888888888888,
        0.04861111111111111,
        -0.4791666666666667,
        -0.1597222222222222,
        0.08333333333333333,
        -0.9305555555555556,
        0.3263888888888889,
        -0.4861111111111111,
        -0.24305555555555555}},
      {"max1d_k3s1",
       [] { return std::make_shared<nn::MaxPool1d>(3, 1); },
       {2, 7, 3},
       {2, 5, 3},
       {5.6875, 7.875,  1.125, 5.6875, 7.875,   -1.25, 3.3125, 7.875,
        7.6875, 0.9375, 5.5,   7.6875, -1.4375, 3.125, 7.6875, 7.5,
        7.3125, 0.5625, 5.125, 7.3125, -1.8125, 2.75,  7.3125, 7.125,
        0.375,  4.9375, 7.125, -2.0,   2.5625,  7.125}},
      {"avg1d_k2",
       [] { return std::make_shared<nn::AvgPool1d>(2); },
       {2, 7, 3},
       {2, 3, 3},
       {-1.15625,
        -4.625,
        -0.0625,
        2.125,
        6.6875,
        -4.8125,
        -2.625,
        1.9375,
        6.5,
        6.3125,
        -5.1875,
        -0.625,
        1.5625,
        6.125,
        -5.375,
        -3.1875,
        1.375,
        5.9375}},
      {"max3d_k2",
       [] { return std::make_shared<nn::MaxPool3d>(2); },
       {1, 4, 4, 4, 2},
       {1, 2, 2, 2, 2},
       {6.9375,
        7.125,
        7.6875,
        7.875,
        6.5625,
        6.75,
        7.3125,
        7.5,
        5.4375,
        5.25,
        7.625,
        7.4375,
        8.0,
        7.0625,
        7.25,
        7.8125}},
      {"avg3d",
       [] {
         return std::make_shared<nn::AvgPool3d>(
             std::vector<int>{2, 1, 2}, std::vector<int>{1, 1, 2});
       },
       {1, 3, 2, 4, 2},
       {1, 2, 2, 2, 2},
       {-3.078125,
        1.484375,
        -0.890625,
        3.671875,
        1.296875,
        -2.171875,
        3.484375,
        0.015625,
        -2.359375,
        2.203125,
        -0.171875,
        0.375,
        2.015625,
        -1.453125,
        0.1875,
        0.734375}},
      {"max2d_tuple",
       [] {
         return std::make_shared<nn::MaxPool2d>(
             std::vector<int>{2, 3},
             std::vector<int>{1, 2},
             std::vector<int>{1, 0});
       },
       {1, 4, 5, 2},
       {1, 5, 2, 2},
       {1.125,  5.6875, 3.3125, 7.875,  7.6875, 5.6875, 7.6875,
        7.875,  7.6875, 7.5,    7.6875, 5.3125, 5.125,  7.5,
        7.3125, 7.125,  2.5625, 7.125,  4.75,   7.125}},
  };
  return all;
}

} // namespace

TEST(PoolingTest, ValuesMatchPyTorch) {
  for (auto& c : cases()) {
    SCOPED_TRACE(c.name);
    auto pool = c.make();
    auto y = (*pool)(test_input(c.in_shape));
    EXPECT_EQ(y.dtype(), mx::float64);
    expect_array_near(y, c.expected, c.out_shape, 1e-12, 1e-12);
    EXPECT_TRUE(mlx::utils::tree_flatten(pool->parameters()).empty());
  }
}

TEST(PoolingTest, GradientsMatchFiniteDifferences) {
  for (auto& c : cases()) {
    auto pool = c.make();
    mlx_test::check_grads(
        c.name,
        mlx_test::unary([&](const mx::array& x) { return (*pool)(x); }),
        {test_input(c.in_shape)});
  }
}

TEST(PoolingTest, NonContiguousAndHalfInputs) {
  for (auto& c : cases()) {
    SCOPED_TRACE(c.name);
    auto pool = c.make();
    // The same logical input as a transposed view of another layout.
    auto x = mx::swapaxes(
        mx::contiguous(mx::swapaxes(test_input(c.in_shape), 0, -1)), 0, -1);
    expect_array_near((*pool)(x), c.expected, c.out_shape, 1e-12, 1e-12);
    // float16 and bfloat16 hold these values (multiples of 1/16) exactly;
    // the averages round.
    for (auto dtype : {mx::float16, mx::bfloat16, mx::float32}) {
      auto y = (*pool)(test_input(c.in_shape, dtype));
      EXPECT_EQ(y.dtype(), dtype);
      expect_array_near(y, c.expected, c.out_shape, 1e-2, 1e-2);
    }
  }
}

TEST(PoolingTest, IntegerInputs) {
  // Max pooling keeps the dtype and pads with the lowest integer; average
  // pooling gives float32 (mean of integers).
  auto x = mx::reshape(mx::array({-5, -7, -3, -9}), {1, 4, 1});
  nn::MaxPool1d max_pool(2, 1, 1);
  auto y = max_pool(x);
  EXPECT_EQ(y.dtype(), mx::int32);
  expect_array_values(y, {1, 5, 1}, {-5, -5, -3, -3, -9});
  auto xu =
      mx::astype(mx::reshape(mx::array({3, 1, 4, 1}), {1, 4, 1}), mx::uint8);
  auto yu = max_pool(xu);
  EXPECT_EQ(yu.dtype(), mx::uint8);
  expect_array_values(yu, {1, 5, 1}, {3, 3, 4, 4, 1});
  nn::AvgPool1d avg_pool(2, 1, 1);
  auto ya = avg_pool(x);
  EXPECT_EQ(ya.dtype(), mx::float32);
  expect_array_values(ya, {1, 5, 1}, {-2.5, -6, -5, -6, -4.5});
}

TEST(PoolingTest, DefaultsSettingsAndPrint) {
  nn::MaxPool2d pool(3);
  EXPECT_EQ(pool.kernel_size(), (std::vector<int>{3, 3}));
  EXPECT_EQ(pool.stride(), (std::vector<int>{3, 3}));
  EXPECT_EQ(pool.padding(), (std::vector<int>{0, 0}));
  std::ostringstream os;
  os << pool;
  EXPECT_EQ(
      os.str(), "MaxPool2d(kernel_size=(3, 3), stride=(3, 3), padding=(0, 0))");
  nn::AvgPool1d avg({4});
  EXPECT_EQ(avg.describe(), "kernel_size=(4,), stride=(4,), padding=(0,)");
  nn::AvgPool3d avg3({1, 2, 3}, {3, 2, 1}, {0, 1, 1});
  EXPECT_EQ(avg3.name(), "AvgPool3d");
  EXPECT_EQ(avg3.stride(), (std::vector<int>{3, 2, 1}));
  nn::MaxPool3d max3({2, 2, 2}, {}, {1, 1, 1});
  EXPECT_EQ(max3.stride(), (std::vector<int>{2, 2, 2}));
  // Output sizes: (size + 2 padding - kernel) / stride + 1.
  EXPECT_EQ(
      nn::AvgPool2d(3, 2, 1)(mx::zeros({2, 7, 8, 5})).shape(),
      (mx::Shape{2, 4, 4, 5}));
  EXPECT_EQ(
      nn::MaxPool1d(2)(mx::zeros({0, 8, 3})).shape(), (mx::Shape{0, 4, 3}));
}

TEST(PoolingTest, BadSettingsAndInputs) {
  expect_throws_with_prefix(
      [] { nn::MaxPool2d(0); },
      "[MaxPool2d]",
      "'kernel_size' must be positive");
  expect_throws_with_prefix(
      [] { nn::AvgPool1d(2, 0); }, "[AvgPool1d]", "'stride'");
  expect_throws_with_prefix(
      [] { nn::MaxPool3d(2, 2, -1); }, "[MaxPool3d]", "'padding'");
  expect_throws_with_prefix(
      [] {
        nn::MaxPool2d({2, 2, 2});
      },
      "[MaxPool2d]",
      "(2, 2, 2)");
  expect_throws_with_prefix(
      [] {
        nn::AvgPool2d({2, 2}, {1, 1, 1});
      },
      "[AvgPool2d]",
      "'stride'");
  // One value in braces stands for every axis, as one int does.
  auto x = mx::reshape(mx::arange(16.0f), {1, 4, 4, 1});
  nn::MaxPool2d braced{2};
  expect_array_eq(braced(x), nn::MaxPool2d(2)(x));
  expect_array_eq(nn::AvgPool2d({2}, {1})(x), nn::AvgPool2d(2, 1)(x));
  nn::MaxPool2d pool(2);
  // (N, H, W, C) is required: no unbatched images.
  expect_throws_with_prefix(
      [&] {
        pool(mx::zeros({4, 4, 3}));
      },
      "[MaxPool2d]",
      "(4, 4, 3)");
  expect_throws_with_prefix(
      [&] {
        nn::MaxPool2d(3)(mx::zeros({1, 2, 5, 1}));
      },
      "[MaxPool2d]",
      "(1, 2, 5, 1)");
}

TEST(PoolingTest, ModelValueAndGradHasNoParameters) {
  nn::AvgPool2d pool(2);
  auto fn = nn::value_and_grad(
      pool, [&](const mx::array& x) { return mx::sum(pool(x)); });
  auto [loss, grads] = fn(mx::ones({1, 4, 4, 1}));
  EXPECT_FLOAT_EQ(loss.item<float>(), 4.0f);
  EXPECT_TRUE(mlx::utils::tree_flatten(grads).empty());
}

TEST(PoolingTest, MaxPoolGradientRoutesToTheMaximum) {
  // 2x2 windows of a (1, 2, 4, 1) input: the gradient goes to the larger
  // element of each window; ties share it equally (as MLX).
  auto x = mx::reshape(
      mx::array({1.f, 5.f, 2.f, 2.f, 3.f, 0.f, 2.f, 2.f}), {1, 2, 4, 1});
  nn::MaxPool2d pool(2);
  auto g = mx::grad([&](const mx::array& x) { return mx::sum(pool(x)); })(x);
  expect_array_near(g, {0, 1, 0.25, 0.25, 0, 0, 0.25, 0.25}, {1, 2, 4, 1});
}

TEST(PoolingTest, LargeMaxPoolForwardAndBackwardAreFast) {
  // The 2x2 pooling of a small CNN: (128, 28, 28, 32) float32.
  auto x = mx::random::normal({128, 28, 28, 32});
  mx::eval(x);
  nn::MaxPool2d pool(2);
  auto loss = [&](const mx::array& x) { return mx::sum(pool(x)); };
  auto start = std::chrono::steady_clock::now();
  auto y = pool(x);
  mx::eval(y);
  auto mid = std::chrono::steady_clock::now();
  auto g = mx::grad(loss)(x);
  mx::eval(g);
  auto end = std::chrono::steady_clock::now();
  double fwd = std::chrono::duration<double>(mid - start).count();
  double bwd = std::chrono::duration<double>(end - mid).count();
  std::cout << "[ timing ] MaxPool2d(2) on (128, 28, 28, 32): forward "
            << fwd * 1e3 << " ms, forward+backward " << bwd * 1e3 << " ms\n";
  EXPECT_EQ(y.shape(), (mx::Shape{128, 14, 14, 32}));
  EXPECT_EQ(g.shape(), x.shape());
  // Each window's gradient sums to 1 (no ties in normal samples).
  EXPECT_NEAR(mx::sum(g).item<float>(), 128 * 14 * 14 * 32, 1.0);
  // Generous bound (a shared 2-core machine); see the printed timing.
  EXPECT_LT(fwd + bwd, 5.0);

  // Overlapping windows take the strided-view path (gradient through
  // AsStrided's scatter-add).
  nn::MaxPool2d overlapping(3, 2, 1);
  start = std::chrono::steady_clock::now();
  auto g3 =
      mx::grad([&](const mx::array& x) { return mx::sum(overlapping(x)); })(x);
  mx::eval(g3);
  double both =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::cout << "[ timing ] MaxPool2d(3, 2, 1) on (128, 28, 28, 32): "
            << "forward+backward " << both * 1e3 << " ms\n";
  EXPECT_NEAR(mx::sum(g3).item<float>(), 128 * 14 * 14 * 32, 1.0);
  EXPECT_LT(both, 10.0);
}
