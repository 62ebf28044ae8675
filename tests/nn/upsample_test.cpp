// Tests of Upsample and upsample_nearest / upsample_linear /
// upsample_cubic (nn/layers/upsample.h).
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <sstream>

#include "grad_check.h"
#include "mlx/nn/layers/upsample.h"
#include "test_utils.h"

namespace nn = mlx::nn;

namespace {

// ((73 i) mod 257) / 16 - 8 for the i-th element in row-major order.
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
  std::function<std::shared_ptr<nn::Upsample>()> make;
  mx::Shape in_shape;
  mx::Shape out_shape;
  std::vector<double> expected;
};

// Expected values: torch.nn.functional.interpolate (PyTorch 1.13, float64;
// modes linear / bilinear / trilinear / bicubic with the same scale_factor
// and align_corners) on the input transposed to channels-first, transposed
// back. The sizes are chosen so that scale * size is an integer, where
// PyTorch's and MLX's source coordinates agree. "nearest_frac" uses MLX's
// own index rule (NumPy: round((i + 0.5) n / m - 0.5) when enlarging,
// floor(i n / m) when shrinking; rows [0, 0, 1, 2, 2, 3], columns
// [0, 2, 4]).
const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {"linear1d",
       [] { return std::make_shared<nn::Upsample>(2.0, "linear"); },
       {2, 3, 2},
       {2, 6, 2},
       {-8.0,      -3.4375,   -5.71875,  -1.15625,  -1.15625,  3.40625,
        -0.609375, 3.953125,  -4.078125, 0.484375,  -5.8125,   -1.25,
        3.3125,    7.875,     1.578125,  6.140625,  -1.890625, 2.671875,
        -1.34375,  -0.796875, 3.21875,   -4.265625, 5.5,       -6.0}},
      {"linear1d_ac",
       [] { return std::make_shared<nn::Upsample>(2.0, "linear", true); },
       {2, 3, 2},
       {2, 6, 2},
       {-8.0,    -3.4375, -4.35,   0.2125, -0.7,   3.8625, -0.2625, 4.3,
        -3.0375, 1.525,   -5.8125, -1.25,  3.3125, 7.875,  0.5375,  5.1,
        -2.2375, 2.325,   -1.8,    -0.45,  1.85,   -3.225, 5.5,     -6.0}},
      {"bilinear",
       [] {
         return std::make_shared<nn::Upsample>(
             std::vector<double>{1.5, 2.0}, "linear");
       },
       {1, 4, 2, 2},
       {1, 6, 4, 2},
       {-8.0,         -3.4375,      -5.71875,      -1.15625,     -1.15625,
        3.40625,      1.125,        5.6875,        -6.90625,     -2.34375,
        -4.625,       -0.0625,      -0.0625,       4.5,          2.21875,
        6.78125,      -5.447916667, -0.8854166667, -3.166666667, 0.7265625,
        1.395833333,  3.950520833,  3.677083333,   5.5625,       -3.989583333,
        0.5729166667, -1.708333333, -0.4921875,    2.854166667,  -2.622395833,
        5.135416667,  -3.6875,      -2.53125,      2.03125,      -0.25,
        0.296875,     4.3125,       -3.171875,     6.59375,      -4.90625,
        -1.4375,      3.125,        0.84375,       1.390625,     5.40625,
        -2.078125,    7.6875,       -3.8125}},
      {"bilinear_ac",
       [] {
         return std::make_shared<nn::Upsample>(
             std::vector<double>{1.5, 2.0}, "linear", true);
       },
       {1, 4, 2, 2},
       {1, 6, 4, 2},
       {-8.0,         -3.4375,      -4.958333333,  -0.3958333333, -1.916666667,
        2.645833333,  1.125,        5.6875,        -6.6875,       -2.125,
        -3.645833333, 0.9166666667, -0.6041666667, 3.958333333,   2.4375,
        7.0,          -5.375,       -0.8125,       -2.333333333,  1.158333333,
        0.7083333333, 3.129166667,  3.75,          5.1,           -4.0625,
        0.5,          -1.020833333, -0.7416666667, 2.020833333,   -1.983333333,
        5.0625,       -3.225,       -2.75,         1.8125,        0.2916666667,
        -0.5,         3.333333333,  -2.8125,       6.375,         -5.125,
        -1.4375,      3.125,        1.604166667,   0.8125,        4.645833333,
        -1.5,         7.6875,       -3.8125}},
      {"bilinear_down",
       [] { return std::make_shared<nn::Upsample>(0.5, "linear"); },
       {1, 4, 6, 1},
       {1, 2, 3, 1},
       {-0.0625, 1.03125, -1.890625, -1.53125, 3.578125, 0.65625}},
      {"trilinear",
       [] {
         return std::make_shared<nn::Upsample>(
             std::vector<double>{2.0, 1.0, 1.5}, "linear");
       },
       {1, 2, 3, 2, 1},
       {1, 4, 3, 3, 1},
       {-8.0,     -5.71875,   -3.4375,  1.125,     3.40625,    5.6875,
        -5.8125,  -3.53125,   -1.25,    -5.171875, -2.890625,  -0.609375,
        -0.0625,  2.21875,    4.5,      -2.984375, -2.7109375, -2.4375,
        0.484375, 2.765625,   5.046875, -2.4375,   -0.15625,   2.125,
        2.671875, -1.0703125, -4.8125,  3.3125,    5.59375,    7.875,
        -3.625,   -1.34375,   0.9375,   5.5,       -0.25,      -6.0}},
      {"bicubic",
       [] {
         return std::make_shared<nn::Upsample>(
             std::vector<double>{2.0, 1.5}, "cubic");
       },
       {1, 3, 4, 2},
       {1, 6, 6, 2},
       {-9.253526476,  -4.838083055,  -3.248535156, 2.319831848,
        0.3015950521,  6.432698568,   -5.911946615, -1.223958333,
        -2.361816406,  2.888908386,   3.643174913,  10.04682329,
        -8.003717211,  -3.076299032,  -1.61441803,  0.452041626,
        2.123291016,   2.79333044,    -4.571289062, -0.3201859086,
        -0.8335800171, 2.021102905,   5.555719164,  5.549443563,
        -6.016793993,  -0.2288224962, 1.141120911,  -2.678604126,
        5.25398763,    -3.255208333,  -2.402669271, 1.114095052,
        1.710197449,   0.5374908447,  8.868112352,  -1.912290785,
        -2.648564657,  3.13940684,    0.879776001,  -2.939949036,
        3.221064815,   -5.288131149,  0.1075484664, 3.624312789,
        2.44883728,    1.276130676,   5.977177938,  -4.803225199,
        0.1989118788,  5.126330058,   -2.250869751, -0.1844100952,
        -2.827473958,  -2.157434534,  1.541829427,  5.792932581,
        0.9652252197,  3.819908142,   -1.48455641,  -1.490832011,
        1.960695903,   6.376139323,   -4.118659973, 1.449707031,
        -6.466842086,  -0.3357385706, 2.445601852,  7.133590133,
        0.09741973877, 5.348144531,   -5.981936137, 0.4217122396}},
      {"bicubic_ac",
       [] {
         return std::make_shared<nn::Upsample>(
             std::vector<double>{2.0, 1.5}, "cubic", true);
       },
       {1, 3, 4, 2},
       {1, 6, 6, 2},
       {-8.0,      -3.4375,  -1.66625, 2.89625,  0.561,     5.1235,
        -5.2485,   -0.686,   -3.02125, 1.54125,  3.3125,    7.875,
        -6.6175,   -2.055,   0.54893,  -0.20847, 2.979724,  0.921904,
        -3.745724, 0.048346, -1.31493, 1.17872,  5.8515,    3.02525,
        -4.815,    -0.2525,  2.62899,  -3.44831, 5.127632,  -3.550508,
        -1.903132, 1.122508, 0.59551,  1.02031,  8.0395,    -2.1755,
        -2.435,    2.1275,   1.86331,  -4.21399, 3.593008,  -5.085132,
        0.022492,  3.048132, 1.75219,  2.17699,  6.0505,    -4.1645,
        -0.6325,   3.93,     -1.37653, -2.13393, -0.879404, -2.937224,
        1.096654,  4.890724, 1.59378,  4.08743,  0.84975,   -1.9765,
        0.75,      5.3125,   -4.48125, 0.08125,  -5.081,    -0.5185,
        1.831,     6.3935,   1.23125,  5.79375,  -4.0,      0.5625}},
      {"nearest_frac",
       [] {
         return std::make_shared<nn::Upsample>(std::vector<double>{1.5, 0.5});
       },
       {1, 4, 6, 1},
       {1, 6, 3, 1},
       {-8.0,
        1.125,
        -5.8125,
        -8.0,
        1.125,
        -5.8125,
        3.3125,
        -3.625,
        5.5,
        -1.4375,
        7.6875,
        0.75,
        -1.4375,
        7.6875,
        0.75,
        -6.1875,
        2.9375,
        -4.0}},
  };
  return all;
}

} // namespace

TEST(UpsampleTest, ValuesMatchReference) {
  for (auto& c : cases()) {
    SCOPED_TRACE(c.name);
    auto up = c.make();
    auto y = (*up)(test_input(c.in_shape));
    EXPECT_EQ(y.dtype(), mx::float64);
    // Interpolation weights are float32, as MLX computes them: the cubic
    // ones carry a relative error of about 1e-7 each.
    expect_array_near(y, c.expected, c.out_shape, 1e-5, 1e-5);
  }
}

TEST(UpsampleTest, GradientsMatchFiniteDifferences) {
  for (auto& c : cases()) {
    auto up = c.make();
    mlx_test::check_grads(
        c.name,
        mlx_test::unary([&](const mx::array& x) { return (*up)(x); }),
        {test_input(c.in_shape)});
  }
  nn::Upsample nearest(2.0);
  mlx_test::check_grads(
      "nearest integer scale",
      mlx_test::unary([&](const mx::array& x) { return nearest(x); }),
      {test_input({1, 2, 3, 2})});
}

TEST(UpsampleTest, ReferencePageExamples) {
  // mlx.nn.Upsample's documented outputs for arange(1, 5) as (1, 2, 2, 1).
  auto x = mx::reshape(mx::arange(1, 5), {1, 2, 2, 1});
  auto n = nn::Upsample(2.0, "nearest")(x);
  EXPECT_EQ(n.dtype(), mx::int32);
  expect_array_values(
      n, {1, 4, 4, 1}, {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
  auto b = nn::Upsample(2.0, "linear")(x);
  EXPECT_EQ(b.dtype(), mx::float32);
  expect_array_near(
      b,
      {1,
       1.25,
       1.75,
       2,
       1.5,
       1.75,
       2.25,
       2.5,
       2.5,
       2.75,
       3.25,
       3.5,
       3,
       3.25,
       3.75,
       4},
      {1, 4, 4, 1});
  auto a = nn::Upsample(2.0, "linear", true)(x);
  double t = 1.0 / 3.0;
  expect_array_near(
      a,
      {1,
       1 + t,
       2 - t,
       2,
       2 - t,
       2,
       2 + t,
       3 - t,
       2 + t,
       3 - t,
       3,
       3 + t,
       3,
       3 + t,
       4 - t,
       4},
      {1, 4, 4, 1},
      1e-6,
      1e-6);
}

TEST(UpsampleTest, NearestIntegerScalesRepeatAndKeepDtype) {
  auto x = test_input({2, 2, 3, 2}, mx::float16);
  auto y = nn::Upsample(std::vector<double>{3.0, 2.0})(x);
  EXPECT_EQ(y.dtype(), mx::float16);
  EXPECT_EQ(y.shape(), (mx::Shape{2, 6, 6, 2}));
  // y[n, i, j, c] = x[n, i / 3, j / 2, c].
  auto xv = mlx_test::to_doubles(x);
  auto yv = mlx_test::to_doubles(y);
  for (int n = 0; n < 2; ++n) {
    for (int i = 0; i < 6; ++i) {
      for (int j = 0; j < 6; ++j) {
        for (int c = 0; c < 2; ++c) {
          EXPECT_EQ(
              yv[((n * 6 + i) * 6 + j) * 2 + c],
              xv[((n * 2 + i / 3) * 3 + j / 2) * 2 + c]);
        }
      }
    }
  }
  // A transposed view and a 1-D signal.
  auto xt = mx::swapaxes(test_input({2, 1, 3}), 0, 1); // (1, 2, 3)
  expect_array_near(
      nn::Upsample(2.0)(xt),
      mlx_test::to_doubles(mx::repeat(xt, 2, 1)),
      {1, 4, 3});
}

TEST(UpsampleTest, Dtypes) {
  // Linear and cubic weights are float32: integer and float16 inputs give
  // float32 (as MLX), float64 stays float64.
  auto x = test_input({1, 2, 2, 1});
  for (auto mode : {"linear", "cubic"}) {
    nn::Upsample up(2.0, mode);
    EXPECT_EQ(up(mx::astype(x, mx::int32)).dtype(), mx::float32);
    EXPECT_EQ(up(mx::astype(x, mx::float16)).dtype(), mx::float32);
    EXPECT_EQ(up(mx::astype(x, mx::bfloat16)).dtype(), mx::float32);
    EXPECT_EQ(up(x).dtype(), mx::float64);
  }
  // A 0-size batch.
  EXPECT_EQ(
      nn::Upsample(2.0, "linear")(mx::zeros({0, 2, 2, 3})).shape(),
      (mx::Shape{0, 4, 4, 3}));
}

TEST(UpsampleTest, FunctionalFormsMatchTheLayer) {
  auto x = test_input({1, 3, 4, 2});
  expect_array_eq(
      nn::upsample_linear(x, {2.0, 1.5}, true),
      nn::Upsample(std::vector<double>{2.0, 1.5}, "linear", true)(x));
  expect_array_eq(
      nn::upsample_cubic(x, {2.0, 1.5}),
      nn::Upsample(std::vector<double>{2.0, 1.5}, "cubic")(x));
  expect_array_eq(
      nn::upsample_nearest(x, {2.0, 3.0}),
      nn::Upsample(std::vector<double>{2.0, 3.0})(x));
  expect_throws_with_prefix(
      [&] { nn::upsample_linear(x, {2.0}); },
      "[upsample_linear]",
      "(1, 3, 4, 2)");
}

TEST(UpsampleTest, SettingsAndPrint) {
  std::ostringstream os;
  os << nn::Upsample(2.0);
  EXPECT_EQ(
      os.str(),
      "Upsample(scale_factor=2, mode='nearest', align_corners=false)");
  EXPECT_EQ(
      nn::Upsample(std::vector<double>{1.5, 2.0}, "cubic", true).describe(),
      "scale_factor=(1.5, 2), mode='cubic', align_corners=true");
  EXPECT_TRUE(mlx::utils::tree_flatten(nn::Upsample(2.0).parameters()).empty());
}

TEST(UpsampleTest, BadSettingsAndInputs) {
  expect_throws_with_prefix(
      [] { nn::Upsample(2.0, "bilinear"); }, "[Upsample]", "bilinear");
  expect_throws_with_prefix([] { nn::Upsample(0.0); }, "[Upsample]");
  expect_throws_with_prefix([] { nn::Upsample(-1.0); }, "[Upsample]");
  nn::Upsample up(2.0);
  expect_throws_with_prefix(
      [&] {
        up(mx::zeros({2, 3}));
      },
      "[Upsample]",
      "(2, 3)");
  nn::Upsample two(std::vector<double>{2.0, 2.0});
  expect_throws_with_prefix(
      [&] {
        two(mx::zeros({1, 4, 3}));
      },
      "[Upsample]",
      "(1, 4, 3)");
}
