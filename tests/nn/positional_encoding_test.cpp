// Positional encodings: RoPE, SinusoidalPositionalEncoding and ALiBi
// against NumPy, gradients against finite differences and errors.
//
// Expected values: /usr/bin/python3 with numpy (float64), written from the
// formulas of the layers' references (RoFormer's rotation; Vaswani et al.'s
// sinusoids with MLX's frequency spacing; Press et al.'s slopes), inputs
// from pattern() below (same formula, rounded to float32).
#include "mlx/nn/layers/positional_encoding.h"

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

std::string printed(const nn::Module& m) {
  std::ostringstream os;
  os << m;
  return os.str();
}

} // namespace

// ----------------------------------------------------------------------- RoPE

TEST(PositionalEncodingTest, RoPERotatesHalvesFromOffset) {
  nn::RoPE rope(4);
  EXPECT_EQ(rope.parameters().num_leaves(), 0u);
  auto x = pattern({1, 2, 3, 6}, 0.7, 0.3);
  // numpy: theta = (2 + t) * 10000^(-2i/4); pairs (i, i + 2); features 4
  // and 5 unchanged.
  expect_array_near(
      rope(x, 2),
      {-1.02469808,  0.827794305,  -0.143962408,  0.692156409,  0.0415806621,
       -0.611857891, 1.02050896,   -0.892401994,  0.23218603,   0.284901501,
       0.850436628,  0.989358246,  -0.906400623,  0.063982594,  -0.0931633379,
       -0.979160832, -0.875452161, -0.35822928,   -1.03354664,  0.845985077,
       -0.112870351, 0.667339904,  0.00796318334, -0.638106704, 1.02254783,
       -0.877109854, 0.200181993,  0.317148273,   0.867644072,  0.983906686,
       -0.909297118, 0.0306218657, -0.05690568,   -0.98648006,  -0.858707011,
       -0.326635122},
      {1, 2, 3, 6},
      1e-5,
      1e-5);
}

TEST(PositionalEncodingTest, RoPETraditionalRotatesConsecutivePairs) {
  nn::RoPE rope(4, /*traditional=*/true);
  auto x = pattern({1, 2, 3, 6}, 0.7, 0.3);
  // numpy: as above with pairs (2i, 2i + 1).
  expect_array_near(
      rope(x, 2),
      {-0.888127179, -0.0814597045, 0.977958137,   0.695160086,  0.0415806621,
       -0.611857891, 1.09242062,    0.736664446,   -0.383053268, 0.300186548,
       0.850436628,  0.989358246,   -0.414595506,  -0.517931067, -0.585343655,
       -1.00514774,  -0.875452161,  -0.35822928,   -0.917511063, -0.0597657924,
       0.973569703,  0.669891937,   0.00796318334, -0.638106704, 1.09659654,
       0.719652374,  -0.352624428,  0.332887558,   0.867644072,  0.983906686,
       -0.423345923, -0.476617428,  -0.610975498,  -1.01215765,  -0.858707011,
       -0.326635122},
      {1, 2, 3, 6},
      1e-5,
      1e-5);
}

TEST(PositionalEncodingTest, RoPEBaseAndScale) {
  nn::RoPE rope(6, false, /*base=*/100.0f, /*scale=*/0.5f);
  // numpy: theta = 0.5 t * 100^(-2i/6), all six features rotated; the
  // one-argument call starts at position 0.
  expect_array_near(
      rope(pattern({1, 2, 3, 6}, 0.7, 0.3)),
      {0.295520216,  0.841470957,  0.991664827,   0.6754632,     0.0415806621,
       -0.611857891, -1.00722427,  -0.969767281,  -0.396734889,  -0.19524965,
       0.750523852,  0.98041569,   1.18363318,    0.211357405,   -0.607775855,
       0.0278672657, -0.849916675, -0.38684625,   0.327474445,   0.859161794,
       0.986771941,  0.650287867,  0.00796318334, -0.638106704,  -1.02819222,
       -0.955459001, -0.365220804, -0.170498707,  0.76937892,    0.97569417,
       1.17486169,   0.174928275,  -0.635105575,  0.00313990495, -0.840747391,
       -0.356487473},
      {1, 2, 3, 6},
      1e-5,
      1e-5);
  EXPECT_EQ(
      printed(rope), "RoPE(dims=6, traditional=false, base=100, scale=0.5)");
}

// ------------------------------------------------------------------ Sinusoidal

TEST(PositionalEncodingTest, SinusoidalDefaults) {
  nn::SinusoidalPositionalEncoding pe(8);
  EXPECT_EQ(pe.parameters().num_leaves(), 0u);
  EXPECT_FLOAT_EQ(pe.scale(), 0.5f); // sqrt(2 / 8)
  // Frequencies from max_freq = 1 down to min_freq = 1e-4.
  expect_array_near(
      pe.frequencies(), {1.0, 0.0464158883, 0.00215443469, 1e-4}, {4}, 1e-6, 0);
  auto x = array({0.0f, 1.5f, 3.0f, 7.0f, 10.0f, 100.0f}, {2, 3});
  // numpy: [sin(x f), cos(x f)] * 0.5 with f the float32 frequencies.
  expect_array_near(
      pe(x),
      {0,
       0,
       0,
       0,
       0.5,
       0.5,
       0.5,
       0.5,
       0.498747493,
       0.0347837976,
       0.00161582329,
       7.49999978e-05,
       0.0353686008,
       0.49878862,
       0.499997389,
       0.499999994,
       0.070560004,
       0.0693990497,
       0.0032316297,
       0.000149999994,
       -0.494996248,
       0.49516035,
       0.499989556,
       0.499999978,
       0.328493299,
       0.159612323,
       0.00754023596,
       0.000349999963,
       0.376951127,
       0.473839536,
       0.499943142,
       0.499999878,
       -0.272010555,
       0.223835415,
       0.0107713407,
       0.000499999904,
       -0.419535765,
       0.447099214,
       0.499883965,
       0.49999975,
       -0.253182821,
       -0.498747356,
       0.106890338,
       0.00499991654,
       0.431159436,
       -0.0353705341,
       0.488440841,
       0.499975},
      {2, 3, 8},
      1e-5,
      1e-5);
  // Integer positions give the same values (computed in float32).
  auto xi = array({0, 3, 10}, mx::int32);
  auto yi = pe(xi);
  EXPECT_EQ(yi.dtype(), mx::float32);
  EXPECT_EQ(yi.shape(), (mx::Shape{3, 8}));
  expect_array_near(
      mx::slice(yi, {1, 0}, {2, 8}),
      {0.070560004,
       0.0693990497,
       0.0032316297,
       0.000149999994,
       -0.494996248,
       0.49516035,
       0.499989556,
       0.499999978},
      {1, 8},
      1e-5,
      1e-5);
}

TEST(PositionalEncodingTest, SinusoidalCosFirstFullTurnsAndScale) {
  nn::SinusoidalPositionalEncoding pe(6, 0.01f, 2.0f, 1.0f, true, true);
  auto x = array({0.0f, 1.5f, 3.0f, 7.0f, 10.0f, 100.0f}, {2, 3});
  // numpy: f = 2 pi * exp(linspace(log 2, log 0.01, 3)); [cos, sin] * 1.
  expect_array_near(
      pe(x),
      {1,
       1,
       1,
       0,
       0,
       0,
       1,
       0.235692883,
       0.995561964,
       5.2453668e-07,
       0.97182759,
       0.0941083182,
       1,
       -0.888897729,
       0.982287249,
       1.04907336e-06,
       0.458105694,
       0.187381324,
       1,
       0.998006743,
       0.904827043,
       2.44783784e-06,
       -0.0631073738,
       0.425779312,
       1,
       -0.858216081,
       0.809016975,
       3.4969112e-06,
       0.513288573,
       0.587785278,
       0.999999999,
       0.627029361,
       1,
       3.4969112e-05,
       0.778995623,
       3.23857172e-07},
      {2, 3, 6},
      1e-5,
      3e-5);
}

// ---------------------------------------------------------------------- ALiBi

TEST(PositionalEncodingTest, ALiBiSlopesFollowPressEtAl) {
  // Python reference implementation of the paper's get_slopes (numpy run):
  // 8 heads: 2^-1 .. 2^-8; 6 heads: the 4-head slopes, then every other
  // 8-head slope; 3 heads: 2^-4, 2^-8, 2^-2.
  EXPECT_EQ(
      nn::ALiBi::alibi_slopes(8),
      (std::vector<double>{
          0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625, 0.0078125, 0.00390625}));
  EXPECT_EQ(
      nn::ALiBi::alibi_slopes(6),
      (std::vector<double>{0.25, 0.0625, 0.015625, 0.00390625, 0.5, 0.125}));
  EXPECT_EQ(
      nn::ALiBi::alibi_slopes(3),
      (std::vector<double>{0.0625, 0.00390625, 0.25}));
  auto slope = nn::ALiBi::create_alibi_slope(2, mx::float16);
  EXPECT_EQ(slope.dtype(), mx::float16);
  expect_array_values(slope, {2, 1, 1}, {0.0625, 0.00390625});
  // Queries at positions 1, 2 against keys 0..2, one head (slope 2^-8).
  expect_array_near(
      nn::ALiBi::create_alibi_matrix(3, 3, 1, 1),
      {-1.0 / 256, 0, -1.0 / 256, -2.0 / 256, -1.0 / 256, 0},
      {1, 1, 2, 3},
      0,
      0);
}

TEST(PositionalEncodingTest, ALiBiAddsBiasesAndMask) {
  nn::ALiBi alibi;
  EXPECT_EQ(alibi.parameters().num_leaves(), 0u);
  auto scores = pattern({2, 6, 3, 4}, 0.37, 0.2);
  auto mask = pattern({3, 4}, 0.9, 0.1, 0.5);
  // numpy: scores - slope_h * |(1 + q) - k| + mask.
  expect_array_near(
      alibi(scores, 1, mask),
      {-0.00141396374, 0.960367501,   1.03070816,    0.633679047,
       0.229125172,    0.140516847,   0.307811022,   0.152668063,
       -0.343187993,   -0.408349574,  -0.778216958,  -1.17574209,
       -1.00996438,    -0.535304248,  -0.374652892,  -0.465785012,
       -0.55238007,    -0.354001999,  0.192586601,   0.807333145,
       1.20563796,     1.33864272,    0.981248915,   0.383439183,
       0.372279428,    0.395516112,   0.0725119114,  -0.556453094,
       -1.20279595,    -1.51032129,   -1.3067894,    -0.738416102,
       -0.124055237,   0.283381149,   0.35593234,    0.279045582,
       0.861531757,    1.39034492,    1.46170929,    1.04067756,
       0.377557307,    -0.169185489,  -0.384801403,  -0.336925145,
       -0.28409645,    -0.446929336,  -0.842631221,  -1.22396499,
       -1.22687546,    -0.075759232,  -0.175848976,  -0.613842949,
       -0.708188087,   -0.177399367,  0.61848402,    0.549882088,
       -0.197030276,   0.115461051,   -0.0153214037, -0.310852215,
       -0.472638972,   -0.281726956,  -0.564144105,  -1.08115707,
       -1.46476349,    -1.39432809,   -0.843337953,  -0.208982389,
       0.275525942,    0.782743216,   0.857882202,   0.700843275,
       0.790620171,    1.29520148,    0.863023728,   -0.0138284713,
       -0.810568307,   -1.15064493,   -1.0600664,    -1.1067892,
       -1.32376352,    -0.977326989,  -0.858587921,  -0.756628692,
       -0.148091651,   0.652677298,   0.978649825,   0.869675651,
       0.58449021,     0.430407852,   0.518369853,   0.630396519,
       0.549929023,    0.292908564,   -0.312975228,  -0.984107733,
       -0.883499242,   -0.57853055,   -0.487970084,  -0.627511844,
       -0.77481398,    -0.641223937,  -0.114204913,  0.616244826,
       1.20933506,     1.41503274,    1.13268155,    0.595762968,
       0.675351106,    0.726464957,   0.409983031,   -0.256548747,
       -0.989595622,   -1.42122725,   -1.35227406,   -0.888885763,
       -0.345839769,   -0.0100986958, 0.0336504057,  -0.0268329978,
       0.129080735,    1.25549883,    0.950531393,   0.155209497,
       -0.400551289,   -0.372815341,  -0.0535361171, -0.507787447,
       -1.49719864,    -1.25123441,   -1.2635681,    -1.27170587,
       -1.01605252,    -0.334151924,  -0.118485093,  -0.197731875,
       -0.263139546,   -0.0371395648, 0.485725999,   0.91207448,
       1.03684589,     1.08128518,    0.653239906,   0.020714134},
      {2, 6, 3, 4},
      1e-5,
      1e-5);
  // No offset, no mask, half precision: the type of the scores is kept.
  auto half = mx::astype(mx::zeros({1, 2, 2, 2}), mx::float16);
  auto y = alibi(half);
  EXPECT_EQ(y.dtype(), mx::float16);
  // Slopes of 2 heads: 2^-4, 2^-8; distances |q - k| for q, k in {0, 1}.
  expect_array_values(
      y,
      {1, 2, 2, 2},
      {0, -0.0625, -0.0625, 0, 0, -0.00390625, -0.00390625, 0});
}

// ------------------------------------------------------------------ gradients

TEST(PositionalEncodingTest, GradientsMatchFiniteDifferences) {
  using mlx_test::check_grads;
  using mlx_test::random_input;
  nn::RoPE rope(4);
  nn::RoPE traditional(4, true, 100.0f, 0.5f);
  auto x = random_input({1, 2, 3, 6}, 1);
  check_grads(
      "RoPE", mlx_test::unary([&](const array& a) { return rope(a, 3); }), {x});
  check_grads(
      "RoPE traditional",
      mlx_test::unary([&](const array& a) { return traditional(a); }),
      {x});
  nn::SinusoidalPositionalEncoding pe(8, 0.01f, 1.0f);
  // The float32 frequencies make the function float32-precise only.
  check_grads(
      "SinusoidalPositionalEncoding",
      mlx_test::unary([&](const array& a) { return pe(a); }),
      {random_input({2, 3}, 2, 0, 5)},
      1e-4,
      1e-4);
  nn::ALiBi alibi;
  check_grads(
      "ALiBi",
      mlx_test::binary(
          [&](const array& s, const array& m) { return alibi(s, 2, m); }),
      {random_input({1, 3, 2, 4}, 3), random_input({2, 4}, 4)});
}

TEST(PositionalEncodingTest, ValueAndGradOverAParameterFreeLayer) {
  // Nothing to train: the value, and an empty gradient tree.
  nn::RoPE rope(2);
  auto x = mx::ones({1, 1, 2, 2});
  auto [loss, grads] = nn::value_and_grad(
      rope, [&](const array& in) { return mx::sum(rope(in, 0)); })(x);
  // Position 0 is unrotated (1 + 1); position 1 by 1 radian:
  // (cos 1 - sin 1) + (sin 1 + cos 1) = 2 cos 1.
  EXPECT_NEAR(loss.item<float>(), 2 + 2 * std::cos(1.0), 1e-6);
  EXPECT_EQ(grads.num_leaves(), 0u);
}

// --------------------------------------------------------------------- errors

TEST(PositionalEncodingTest, BadArgumentsThrowNamingTheLayer) {
  expect_throws_with_prefix([] { nn::RoPE(3); }, "[RoPE]", "got 3");
  expect_throws_with_prefix(
      [] {
        nn::RoPE(8)(mx::zeros({1, 2, 6}));
      },
      "[RoPE]",
      "(1, 2, 6)");
  expect_throws_with_prefix(
      [] {
        nn::RoPE(4)(mx::zeros({2, 6}));
      },
      "[RoPE]",
      "(2, 6)");
  expect_throws_with_prefix(
      [] { nn::SinusoidalPositionalEncoding(2); },
      "[SinusoidalPositionalEncoding]",
      "got 2");
  expect_throws_with_prefix(
      [] { nn::SinusoidalPositionalEncoding(7); },
      "[SinusoidalPositionalEncoding]",
      "got 7");
  expect_throws_with_prefix(
      [] { nn::SinusoidalPositionalEncoding(8, 0.0f); },
      "[SinusoidalPositionalEncoding]",
      "positive");
  expect_throws_with_prefix(
      [] {
        nn::ALiBi()(mx::zeros({2, 3, 4}));
      },
      "[ALiBi]",
      "(2, 3, 4)");
  expect_throws_with_prefix(
      [] {
        nn::ALiBi()(mx::zeros({1, 2, 3, 4}), -1);
      },
      "[ALiBi]",
      "-1");
  expect_throws_with_prefix(
      [] { nn::ALiBi::alibi_slopes(0); }, "[ALiBi]", "num_heads");
}
