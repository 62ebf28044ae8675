// Convolution layers: values against PyTorch, initialization, parameter
// names, gradients against finite differences and argument / shape errors.
//
// Expected values: /usr/bin/python3 with torch 1.13 (float64), inputs and
// weights from pattern() below (same formula, rounded to float32) in MLX's
// layout, converted for torch: inputs (N, ..., C) -> (N, C, ...), conv
// weights (O, K..., I) -> (O, I, K...), transposed-conv weights
// (O, K..., I) -> (I, O, K...); outputs converted back to channels last.
#include "mlx/nn/layers/convolution.h"

#include <cmath>
#include <sstream>

#include "grad_check.h"
#include "mlx/mlx.h"
#include "test_utils.h"

namespace nn = mlx::nn;
using mx::array;

namespace {

// x_i = s * sin(a * i + b) in row-major order, as float32.
array pattern(const mx::Shape& shape, double a, double b, double s = 1.0) {
  size_t n = 1;
  for (int d : shape) {
    n *= d;
  }
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) {
    v[i] = static_cast<float>(s * std::sin(a * i + b));
  }
  return array(v.begin(), shape, mx::float32);
}

std::vector<std::string> keys_of(const mlx::utils::Tree& tree) {
  std::vector<std::string> keys;
  for (auto& [path, leaf] : mlx::utils::tree_flatten(tree)) {
    keys.push_back(path);
  }
  return keys;
}

using Keys = std::vector<std::string>;

std::string printed(const nn::Module& m) {
  std::ostringstream os;
  os << m;
  return os.str();
}

} // namespace

// --------------------------------------------------------------------- values

TEST(ConvolutionLayersTest, Conv1dWithGroupsMatchesTorch) {
  nn::Conv1d conv(
      4,
      6,
      3,
      /*stride=*/2,
      /*padding=*/1,
      /*dilation=*/1,
      /*groups=*/2);
  EXPECT_EQ(conv.param("weight").shape(), (mx::Shape{6, 3, 2}));
  conv.set_param("weight", pattern({6, 3, 2}, 0.37, 0.1));
  conv.set_param("bias", pattern({6}, 1.1, 0.5, 0.5));
  // torch.nn.functional.conv1d(x, w, b, 2, 1, 1, 2)
  expect_array_near(
      conv(pattern({2, 7, 4}, 0.7, 0.3)),
      {0.720251127,   0.78313771,    -0.609449284, -0.248747891, 0.515352367,
       -1.41394763,   0.665796778,   -0.282725437, 0.73374502,   -0.922266667,
       -0.330852859,  0.282721711,   0.920876613,  -0.134137376, 0.299006697,
       -0.618367861,  -0.836503151,  0.590206965,  -0.911413393, 1.67256842,
       -0.0531994563, -0.758303349,  -0.647732027, 0.501898421,  0.238617307,
       1.53422113,    -1.03595384,   -0.750047197, 0.389412622,  -0.760374025,
       0.172471801,   -0.0433262501, 0.937611344,  -0.93557846,  0.133443822,
       -0.265349723,  0.627495189,   -0.278077948, 0.766427308,  -0.938500799,
       -0.2812132,    0.238936305,   -0.62044415,  0.944030416,  0.53670991,
       -0.101712455,  -1.52009709,   0.900088073},
      {2, 4, 6},
      1e-5,
      1e-5);
}

TEST(ConvolutionLayersTest, Conv1dDilatedWithoutBiasOnStridedInput) {
  nn::Conv1d conv(3, 2, 3, 1, 0, /*dilation=*/2, 1, /*bias=*/false);
  EXPECT_EQ(keys_of(conv.parameters()), (Keys{"weight"}));
  conv.set_param("weight", pattern({2, 3, 3}, 0.61, 0.4));
  // The input as a view: every other row of a (1, 16, 3) array whose even
  // rows hold pattern (1, 8, 3).
  auto x = pattern({1, 8, 3}, 0.5, 0.2);
  auto spread = mx::reshape(
      mx::stack({x, mx::zeros_like(x)}, 2), {1, 16, 3}); // rows x0, 0, x1..
  auto view = mx::slice(spread, {0, 0, 0}, {1, 16, 3}, {1, 2, 1});
  // torch conv1d(x, w, None, 1, 0, 2)
  expect_array_near(
      conv(view),
      {0.607181732,
       -1.22144418,
       -1.67211743,
       -3.32497205,
       -0.843743532,
       0.751045764,
       1.5527493,
       3.43122579},
      {1, 4, 2},
      1e-5,
      1e-5);
}

TEST(ConvolutionLayersTest, Conv2dMatchesTorch) {
  nn::Conv2d conv(4, 4, {2, 3}, {2, 1}, {1, 0}, {1, 2}, /*groups=*/2);
  EXPECT_EQ(conv.param("weight").shape(), (mx::Shape{4, 2, 3, 2}));
  conv.set_param("weight", pattern({4, 2, 3, 2}, 0.29, 0.7));
  conv.set_param("bias", pattern({4}, 0.9, 0.1, 0.5));
  // torch conv2d(x, w, b, (2, 1), (1, 0), (1, 2), 2)
  expect_array_near(
      conv(pattern({1, 5, 6, 4}, 0.43, 0.1)),
      {-0.505448262, 1.16547252,   -0.331404539, 1.21032711,   0.485763155,
       0.295833477,  1.01645538,   -0.219492677, -0.649594521, 1.39057821,
       0.118112433,  0.603007771,  0.635949018,  -0.243388998, 1.6983884,
       -1.04311423,  0.678083899,  -0.303745253, 1.70765646,   -1.05830139,
       0.526627378,  -0.294303974, 0.376834769,  0.179050285},
      {1, 3, 2, 4},
      1e-5,
      1e-5);
}

TEST(ConvolutionLayersTest, Conv3dMatchesTorch) {
  nn::Conv3d conv(2, 3, 2, 1, std::vector<int>{1, 0, 0});
  EXPECT_EQ(conv.param("weight").shape(), (mx::Shape{3, 2, 2, 2, 2}));
  conv.set_param("weight", pattern({3, 2, 2, 2, 2}, 0.31, 0.2));
  conv.set_param("bias", pattern({3}, 0.7, 0.3, 0.5));
  // torch conv3d(x, w, b, 1, (1, 0, 0))
  expect_array_near(
      conv(pattern({1, 3, 3, 3, 2}, 0.53, 0.6)),
      {3.00574207,   3.25122688,   -0.974707578, 2.31964258,   1.77395266,
       -1.01273403,  -2.7422135,   -2.40632456,  2.00004603,   -1.94345813,
       -0.83601477,  1.97102049,   -3.69855247,  -5.9917594,   1.19888706,
       -2.9664327,   -2.87152697,  1.99623363,   4.04554532,   6.83542825,
       -0.257617515, 3.15736803,   3.4991594,    -1.00480266,  4.13117573,
       6.81145098,   -0.355001024, 2.93504193,   3.05818314,   -0.998633008,
       -3.86968731,  -5.94384,     1.39351089,   -2.52210849,  -1.99022462,
       1.98390362,   -0.930108448, -3.21224113,  -0.207100862, -0.929880687,
       -1.096165,    0.829923343,  1.24907372,   4.03962555,   1.16841574,
       1.20035146,   1.80924809,   0.123858139},
      {1, 4, 2, 2, 3},
      1e-5,
      1e-5);
}

TEST(ConvolutionLayersTest, ConvTranspose1dMatchesTorch) {
  nn::ConvTranspose1d conv(
      3,
      2,
      3,
      /*stride=*/2,
      /*padding=*/1,
      /*dilation=*/1,
      /*output_padding=*/1);
  EXPECT_EQ(conv.param("weight").shape(), (mx::Shape{2, 3, 3}));
  conv.set_param("weight", pattern({2, 3, 3}, 0.47, 0.3));
  conv.set_param("bias", pattern({2}, 1.3, 0.2, 0.5));
  // torch conv_transpose1d(x, w, b, 2, 1, output_padding=1)
  expect_array_near(
      conv(pattern({2, 4, 3}, 0.66, 0.1)),
      {1.2298634,    1.10791891,  -0.694346188, 1.12301199,  1.16396464,
       0.110768752,  -1.52188499, 3.73320583,   -1.87838162, 0.198313178,
       2.18311365,   -2.6993623,  0.608487776,  1.12579919,  -0.781017976,
       1.49058447,   1.67188843,  0.3002006,    -1.95503024, 4.24556223,
       -1.66119026,  0.029691052, 1.77107507,   -1.79327168, -0.0722677305,
       1.07054972,   0.823399183, -1.42417518,  1.99641351,  0.512787921,
       -0.593171962, 2.6220688},
      {2, 8, 2},
      1e-5,
      1e-5);
}

TEST(ConvolutionLayersTest, ConvTranspose2dMatchesTorch) {
  nn::ConvTranspose2d conv(2, 3, {3, 2}, {2, 1}, {1, 0}, {1, 2}, {1, 0});
  EXPECT_EQ(conv.param("weight").shape(), (mx::Shape{3, 3, 2, 2}));
  conv.set_param("weight", pattern({3, 3, 2, 2}, 0.23, 0.4));
  conv.set_param("bias", pattern({3}, 0.8, 0.6, 0.5));
  // torch conv_transpose2d(x, w, b, (2, 1), (1, 0), (1, 0), 1, (1, 2))
  expect_array_near(
      conv(pattern({1, 3, 2, 2}, 0.58, 0.9)),
      {2.03680733,    -1.05545842,   1.52341545,   1.61813181,    -0.661700926,
       1.2112198,     1.94993135,    -1.27322004,  2.01448865,    1.58097062,
       -0.856923708,  1.61074289,    1.12539268,   -0.971977101,  2.27987671,
       0.334546672,   -0.515800526,  2.22399259,   0.224402388,   -0.204253887,
       1.75586087,    -0.815394178,  0.642589406,  1.22379316,    -0.405280909,
       1.11889244,    -0.070407724,  -1.60266279,  2.14725761,    -0.781821156,
       -0.348084799,  1.18073371,    -0.242390195, -1.51982026,   2.39187172,
       -1.31870305,   -0.519038815,  1.15193871,   -0.0179885555, -0.409933713,
       2.02775058,    -1.75272786,   -0.536482197, 1.30939727,    -0.292811056,
       0.726075477,   0.995119504,   -0.972023409, -0.535573858,  1.18799793,
       -0.0683846092, 1.51406957,    -0.60650783,  1.21283562,    -0.526605378,
       1.32152483,    -0.325198462,  1.43838998,   -0.744476799,  1.54460567,
       -0.349465068,  1.28274838,    -0.43036402,  1.12236945,    -0.625237686,
       1.63930115,    -0.0409795203, 1.07972998,   -0.36201783,   0.631707071,
       -0.273579808,  1.47723524},
      {1, 6, 4, 3},
      1e-5,
      1e-5);
}

TEST(ConvolutionLayersTest, ConvTranspose3dMatchesTorch) {
  nn::ConvTranspose3d conv(2, 2, 2, std::make_tuple(1, 2, 1));
  conv.set_param("weight", pattern({2, 2, 2, 2, 2}, 0.19, 0.8));
  conv.set_param("bias", pattern({2}, 0.6, 0.4, 0.5));
  // torch conv_transpose3d(x, w, b, (1, 2, 1))
  expect_array_near(
      conv(pattern({1, 1, 2, 2, 2}, 0.71, 0.5)),
      {1.32082727,   -0.613636512, 2.63815736,   -1.87903022,  1.54324128,
       -0.874639638, 1.59473979,   -0.988465001, 2.85624695,   -2.30278623,
       1.48603141,   -0.924658989, -0.605915187, 1.15942529,   -2.08411963,
       2.55324456,   -1.44073246,  1.99446068,   -0.778285331, 1.40275176,
       -2.37118675,  3.03507987,   -1.35266982,  2.03578061,   1.09817625,
       -0.587771041, 1.6096178,    -1.22771202,  0.718170762,  -0.234270119,
       0.1044095,    0.367932288,  -0.415675153, 0.754548968,  -0.337765427,
       0.816586648,  -0.415189344, 1.1056472,    -1.24616952,  2.0781683,
       -0.413041205, 1.18829602,   0.283550848,  0.431616541,  0.671803567,
       0.209125065,  0.861049428,  -0.0815986088},
      {1, 2, 4, 3, 2},
      1e-5,
      1e-5);
}

TEST(ConvolutionLayersTest, EmptyBatchGivesEmptyOutput) {
  nn::Conv2d conv(3, 5, 3, 1, 1);
  EXPECT_EQ(conv(mx::zeros({0, 4, 4, 3})).shape(), (mx::Shape{0, 4, 4, 5}));
}

// ------------------------------------------------------------ initialization

TEST(ConvolutionLayersTest, InitializationFollowsMLX) {
  mx::random::seed(7);
  nn::Conv2d conv(3, 4, 3, 1, 0, 1, /*groups=*/1);
  mx::random::seed(7);
  nn::Conv2d again(3, 4, 3);
  expect_array_eq(conv.param("weight"), again.param("weight"));
  EXPECT_EQ(keys_of(conv.parameters()), (Keys{"bias", "weight"}));
  EXPECT_EQ(conv.param("weight").dtype(), mx::float32);
  expect_array_values(conv.param("bias"), {4}, {0, 0, 0, 0});
  // U(-s, s) with s = sqrt(1 / (in_channels * kernel area)) = sqrt(1 / 27).
  double s = std::sqrt(1.0 / 27);
  double largest = 0;
  for (double w : mlx_test::to_doubles(conv.param("weight"))) {
    EXPECT_LT(std::abs(w), s);
    largest = std::max(largest, std::abs(w));
  }
  EXPECT_GT(largest, 0.8 * s); // 108 samples reach near the bound

  // With groups the fan-in still counts all input channels (as MLX), the
  // weight holds in_channels / groups.
  nn::Conv1d grouped(8, 4, 5, 1, 0, 1, /*groups=*/4);
  EXPECT_EQ(grouped.param("weight").shape(), (mx::Shape{4, 5, 2}));
  for (double w : mlx_test::to_doubles(grouped.param("weight"))) {
    EXPECT_LT(std::abs(w), std::sqrt(1.0 / 40));
  }
  nn::ConvTranspose3d transposed(2, 3, {1, 2, 3}, 1, 0, 1, 0, false);
  EXPECT_EQ(keys_of(transposed.parameters()), (Keys{"weight"}));
  EXPECT_EQ(transposed.param("weight").shape(), (mx::Shape{3, 1, 2, 3, 2}));
}

TEST(ConvolutionLayersTest, Description) {
  EXPECT_EQ(
      printed(nn::Conv1d(2, 3, 4)),
      "Conv1d(in_channels=2, out_channels=3, kernel_size=4, stride=1, "
      "padding=0, dilation=1, groups=1, bias=true)");
  EXPECT_EQ(
      printed(nn::Conv2d(2, 4, {3, 1}, 2, 0, 1, 2, false)),
      "Conv2d(in_channels=2, out_channels=4, kernel_size=(3, 1), "
      "stride=(2, 2), padding=(0, 0), dilation=(1, 1), groups=2, "
      "bias=false)");
  EXPECT_EQ(
      printed(nn::ConvTranspose1d(2, 3, 4, 2, 1, 1, 1)),
      "ConvTranspose1d(in_channels=2, out_channels=3, kernel_size=4, "
      "stride=2, padding=1, dilation=1, output_padding=1, bias=true)");
}

// ------------------------------------------------------------------ gradients

namespace {

// The layer as a function of (x, weight, bias), float64.
mlx_test::Fn as_function(nn::Module& layer) {
  return [&layer](const std::vector<array>& a) {
    layer.set_param("weight", a[1]);
    layer.set_param("bias", a[2]);
    return std::vector<array>{layer(a[0])};
  };
}

} // namespace

TEST(ConvolutionLayersTest, GradientsMatchFiniteDifferences) {
  using mlx_test::check_grads;
  using mlx_test::random_input;
  nn::Conv1d conv1(4, 2, 3, 2, 1, 1, 2);
  check_grads(
      "Conv1d groups",
      as_function(conv1),
      {random_input({2, 6, 4}, 1),
       random_input({2, 3, 2}, 2),
       random_input({2}, 3)});
  nn::Conv2d conv2(2, 3, {2, 3}, {2, 1}, {1, 0}, {1, 2});
  check_grads(
      "Conv2d",
      as_function(conv2),
      {random_input({1, 4, 5, 2}, 4),
       random_input({3, 2, 3, 2}, 5),
       random_input({3}, 6)});
  nn::Conv3d conv3(1, 2, 2, 1, 1);
  check_grads(
      "Conv3d",
      as_function(conv3),
      {random_input({1, 2, 2, 2, 1}, 7),
       random_input({2, 2, 2, 2, 1}, 8),
       random_input({2}, 9)});
  nn::ConvTranspose1d convt1(2, 3, 3, 2, 1, 1, 1);
  check_grads(
      "ConvTranspose1d",
      as_function(convt1),
      {random_input({2, 3, 2}, 10),
       random_input({3, 3, 2}, 11),
       random_input({3}, 12)});
  nn::ConvTranspose2d convt2(2, 2, {3, 2}, {2, 1}, {1, 0}, {1, 2}, {1, 0});
  check_grads(
      "ConvTranspose2d",
      as_function(convt2),
      {random_input({1, 2, 2, 2}, 13),
       random_input({2, 3, 2, 2}, 14),
       random_input({2}, 15)});
}

TEST(ConvolutionLayersTest, ValueAndGradOverTheLayer) {
  nn::Conv1d conv(1, 1, 2);
  conv.set_param("weight", array({1.0f, 2.0f}, {1, 2, 1}));
  // y_t = x_t + 2 x_{t+1} + b over x = [1, 2, 3]: y = [5, 8] + b;
  // loss = sum(y): d/dw = [x_0 + x_1, x_1 + x_2] = [3, 5], d/db = 2.
  auto x = array({1.0f, 2.0f, 3.0f}, {1, 3, 1});
  auto [loss, grads] = nn::value_and_grad(
      conv, [&](const array& in) { return mx::sum(conv(in)); })(x);
  EXPECT_FLOAT_EQ(loss.item<float>(), 13.0f);
  expect_array_near(grads.at("weight").as_array(), {3, 5}, {1, 2, 1});
  expect_array_near(grads.at("bias").as_array(), {2}, {1});
}

// --------------------------------------------------------------------- errors

TEST(ConvolutionLayersTest, BadArgumentsAndShapesThrowNamingTheLayer) {
  nn::Conv2d conv(3, 4, 3);
  expect_throws_with_prefix(
      [&] {
        conv(mx::zeros({1, 5, 5, 2}));
      },
      "[Conv2d]",
      "Expected an input of shape (N, H, W, 3), got (1, 5, 5, 2)");
  expect_throws_with_prefix(
      [&] {
        conv(mx::zeros({5, 5, 3}));
      },
      "[Conv2d]",
      "(5, 5, 3)");
  expect_throws_with_prefix(
      [&] {
        nn::Conv1d(4, 2, 3, 1, 0, 1, 2)(mx::zeros({1, 5, 2}));
      },
      "[Conv1d]",
      "(N, L, 4), got (1, 5, 2)");
  expect_throws_with_prefix(
      [&] {
        nn::ConvTranspose3d(2, 2, 1)(mx::zeros({1, 2, 2, 2}));
      },
      "[ConvTranspose3d]",
      "(N, D, H, W, 2)");
  expect_throws_with_prefix(
      [&] { nn::Conv1d(3, 4, 3, 1, 0, 1, 2); },
      "[Conv1d]",
      "divisible by groups (2)");
  expect_throws_with_prefix(
      [&] {
        nn::Conv2d(3, 4, {3, 3, 3});
      },
      "[Conv2d]",
      "kernel_size needs 1 or 2 values");
  expect_throws_with_prefix(
      [&] { nn::Conv3d(3, 4, 0); }, "[Conv3d]", "kernel_size must be at least");
  expect_throws_with_prefix(
      [&] { nn::ConvTranspose2d(3, 4, 3, 1, -1); },
      "[ConvTranspose2d]",
      "padding");
  expect_throws_with_prefix(
      [&] { nn::ConvTranspose1d(3, 4, 3, 0); }, "[ConvTranspose1d]", "stride");
  expect_throws_with_prefix(
      [&] { nn::Conv1d(0, 4, 3); }, "[Conv1d]", "in_channels=0");
}
