// Unary element-wise ops. Expected values: NumPy (float64 evaluation of the
// float32 inputs, e.g. np.exp(x.astype(np.float64))), math.erf for erf and a
// bisection on math.erf for erfinv.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "mlx/backend/cpu/math.h"
#include "test_utils.h"

using namespace mlx::core;

namespace {

using UnaryFn = std::function<array(const array&)>;

const std::vector<float> kX = {-2.5f, -0.5f, 0.0f, 0.3f, 1.0f, 2.7f};
const std::vector<float> kPos = {0.1f, 0.5f, 1.0f, 2.0f, 10.0f};
const std::vector<float> kUnit = {-0.9f, -0.5f, 0.0f, 0.25f, 0.75f};

// Checks f on the float32 input, on float64, float16 and bfloat16 copies
// (looser tolerances), on a strided view (every other element of a doubled
// input) and that integer inputs promote to float32.
void check_float_op(
    const UnaryFn& f,
    const std::vector<float>& in,
    const std::vector<double>& expected,
    bool int_promotes = true) {
  int n = static_cast<int>(in.size());
  array x(in, {n});
  auto y = f(x);
  EXPECT_EQ(y.dtype(), float32);
  expect_array_near(y, expected, {n}, 2e-6, 1e-6);

  auto y64 = f(astype(x, float64));
  EXPECT_EQ(y64.dtype(), float64);
  expect_array_near(y64, expected, {n}, 1e-7, 1e-7);

  auto y16 = f(astype(x, float16));
  EXPECT_EQ(y16.dtype(), float16);
  expect_array_near(y16, expected, {n}, 5e-3, 5e-3);

  auto ybf = f(astype(x, bfloat16));
  EXPECT_EQ(ybf.dtype(), bfloat16);
  expect_array_near(ybf, expected, {n}, 3e-2, 3e-2);

  // Strided input: [x0, 9, x1, 9, ...][::2] and a 2-d transposed copy.
  std::vector<float> doubled;
  for (float v : in) {
    doubled.push_back(v);
    doubled.push_back(9.0f);
  }
  array d(doubled, {2 * n});
  auto strided = slice(d, {0}, {2 * n}, {2});
  expect_array_near(f(strided), expected, {n}, 2e-6, 1e-6);
  auto two = broadcast_to(x, {2, n});
  auto t = transpose(two);
  std::vector<double> texp;
  for (int i = 0; i < n; ++i) {
    texp.push_back(expected[i]);
    texp.push_back(expected[i]);
  }
  expect_array_near(f(t), texp, {n, 2}, 2e-6, 1e-6);

  if (int_promotes) {
    auto yi = f(array({1, 2}));
    EXPECT_EQ(yi.dtype(), float32);
  }
  // 0-size input keeps its shape.
  auto empty = f(zeros({0, 3}));
  EXPECT_EQ(empty.shape(), (Shape{0, 3}));
  empty.eval();
}

} // namespace

TEST(UnaryTest, ExpFamily) {
  check_float_op(
      [](auto& a) { return exp(a); },
      kX,
      {0.0820849986, 0.60653066, 1, 1.34985882, 2.71828183, 14.8797324});
  check_float_op(
      [](auto& a) { return expm1(a); },
      kX,
      {-0.917915001, -0.39346934, 0, 0.349858824, 1.71828183, 13.8797324});
  // Float32 exp at the edges of the range:
  // np.exp(np.array([-104, -88, 80, 88.7, 89, 100], np.float32)).
  auto e = exp(array({-104.0f, -88.0f, 80.0f, 88.7f, 89.0f, 100.0f}));
  expect_array_near(
      e,
      {0, 6.05460149e-39, 5.54062248e+34, 3.32597707e+38, INFINITY, INFINITY},
      {6},
      1e-5,
      0);
  auto special = exp(array({-INFINITY, INFINITY, NAN}));
  expect_array_near(special, {0, INFINITY, NAN}, {3});
}

TEST(UnaryTest, Logs) {
  check_float_op(
      [](auto& a) { return log(a); },
      kPos,
      {-2.30258508, -0.693147181, 0, 0.693147181, 2.30258509});
  check_float_op(
      [](auto& a) { return log2(a); },
      kPos,
      {-3.32192807, -1, 0, 1, 3.32192809});
  check_float_op(
      [](auto& a) { return log10(a); },
      kPos,
      {-0.999999994, -0.301029996, 0, 0.301029996, 1});
  check_float_op(
      [](auto& a) { return log1p(a); },
      kPos,
      {0.0953101812, 0.405465108, 0.693147181, 1.09861229, 2.39789527});
  expect_array_near(log(array({0.0f, -1.0f})), {-INFINITY, NAN}, {2});
}

TEST(UnaryTest, Roots) {
  check_float_op(
      [](auto& a) { return sqrt(a); },
      kPos,
      {0.316227768, 0.707106781, 1, 1.41421356, 3.16227766});
  check_float_op(
      [](auto& a) { return rsqrt(a); },
      kPos,
      {3.16227764, 1.41421356, 1, 0.707106781, 0.316227766});
  check_float_op(
      [](auto& a) { return reciprocal(a); },
      kPos,
      {9.99999985, 2, 1, 0.5, 0.1});
  expect_array_near(sqrt(array({-1.0f})), {NAN}, {1});
  expect_array_near(reciprocal(array({0.0f})), {INFINITY}, {1});
}

TEST(UnaryTest, Trigonometric) {
  check_float_op(
      [](auto& a) { return sin(a); },
      kX,
      {-0.598472144, -0.479425539, 0, 0.295520218, 0.841470985, 0.427379837});
  check_float_op(
      [](auto& a) { return cos(a); },
      kX,
      {-0.801143616, 0.877582562, 1, 0.955336486, 0.540302306, -0.904072162});
  check_float_op(
      [](auto& a) { return tan(a); },
      kX,
      {0.747022297, -0.54630249, 0, 0.309336263, 1.55740772, -0.472727571});
  check_float_op(
      [](auto& a) { return arctan(a); },
      kX,
      {-1.19028995, -0.463647609, 0, 0.291456805, 0.785398163, 1.21609068});
  check_float_op(
      [](auto& a) { return arcsin(a); },
      kUnit,
      {-1.11976946, -0.523598776, 0, 0.252680255, 0.848062079});
  check_float_op(
      [](auto& a) { return arccos(a); },
      kUnit,
      {2.69056579, 2.0943951, 1.57079633, 1.31811607, 0.722734248});
  expect_array_near(arcsin(array({2.0f})), {NAN}, {1});
}

TEST(UnaryTest, Hyperbolic) {
  check_float_op(
      [](auto& a) { return sinh(a); },
      kX,
      {-6.05020448, -0.521095305, 0, 0.304520306, 1.17520119, 7.40626346});
  check_float_op(
      [](auto& a) { return cosh(a); },
      kX,
      {6.13228948, 1.12762597, 1, 1.04533852, 1.54308063, 7.47346897});
  check_float_op(
      [](auto& a) { return tanh(a); },
      kX,
      {-0.986614298, -0.462117157, 0, 0.291312623, 0.761594156, 0.991007455});
  check_float_op(
      [](auto& a) { return arcsinh(a); },
      kX,
      {-1.64723115, -0.481211825, 0, 0.295673059, 0.881373587, 1.71905187});
  check_float_op(
      [](auto& a) { return arccosh(a); },
      kPos,
      {NAN, NAN, 0, 1.3169579, 2.99322285});
  check_float_op(
      [](auto& a) { return arctanh(a); },
      kUnit,
      {-1.47221936, -0.549306144, 0, 0.255412812, 0.972955075});
}

TEST(UnaryTest, ErfSigmoid) {
  check_float_op(
      [](auto& a) { return erf(a); },
      kX,
      {-0.999593048, -0.520499878, 0, 0.328626772, 0.842700793, 0.999865667});
  check_float_op(
      [](auto& a) { return erfinv(a); },
      kUnit,
      {-1.16308707, -0.476936276, 0, 0.225312055, 0.813419848});
  expect_array_near(
      erfinv(array({1.0f, -1.0f, 1.5f})), {INFINITY, -INFINITY, NAN}, {3});
  check_float_op(
      [](auto& a) { return sigmoid(a); },
      kX,
      {0.07585818, 0.377540669, 0.5, 0.57444252, 0.731058579, 0.937026647});
  expect_array_near(sigmoid(array({-200.0f, 200.0f})), {0, 1}, {2}, 0, 1e-30);
  expect_throws_with_prefix([] { erf(array(complex64_t(1, 1))); }, "[erf]");
  expect_throws_with_prefix(
      [] { sigmoid(array(complex64_t(1, 1))); }, "[sigmoid]");
  expect_throws_with_prefix([] { expm1(array(complex64_t(1, 1))); }, "[expm1]");
}

TEST(UnaryTest, DegreesRadians) {
  check_float_op(
      [](auto& a) { return degrees(a); },
      kX,
      {-143.239449, -28.6478898, 0, 17.1887345, 57.2957795, 154.698607});
  check_float_op(
      [](auto& a) { return radians(a); },
      kX,
      {-0.0436332313,
       -0.00872664626,
       0,
       0.00523598796,
       0.0174532925,
       0.0471238906});
}

TEST(UnaryTest, FloorCeilRound) {
  check_float_op(
      [](auto& a) { return floor(a); }, kX, {-3, -1, 0, 0, 1, 2}, false);
  check_float_op(
      [](auto& a) { return ceil(a); }, kX, {-2, -0.0, 0, 1, 1, 3}, false);
  // Integers pass through unchanged, with their dtype.
  auto fi = floor(array({1, -2}));
  EXPECT_EQ(fi.dtype(), int32);
  expect_array_near(fi, {1, -2}, {2});
  // np.round: half to even.
  array r({0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.7f, -3.14159f});
  expect_array_near(round(r), {0, 2, 2, -0.0, -2, 3, -3}, {7});
  EXPECT_EQ(round(r).dtype(), float32);
  // np.round(r, 2) and np.round(x, -1) (float64).
  expect_array_near(
      round(r, 2), {0.5, 1.5, 2.5, -0.5, -1.5, 2.7, -3.14}, {7}, 1e-6);
  expect_array_near(
      round(astype(array({15.0f, 25.0f, -35.0f, 123.0f}), float64), -1),
      {20, 20, -40, 120},
      {4});
  // np.round(r.astype(np.float16), 1)
  expect_array_near(
      round(astype(r, float16), 1),
      {0.5, 1.5, 2.5, -0.5, -1.5, 2.69921875, -3.099609375},
      {7},
      1e-3);
  EXPECT_EQ(round(array({3, 4}), 2).dtype(), int32);
  expect_throws_with_prefix([] { floor(array(complex64_t(1, 1))); }, "[floor]");
  expect_throws_with_prefix([] { ceil(array(complex64_t(1, 1))); }, "[ceil]");
  expect_throws_with_prefix([] { round(array(complex64_t(1, 1))); }, "[round]");
}

TEST(UnaryTest, AbsNegativeSignSquare) {
  array x({-2.5f, -0.0f, 3.0f});
  expect_array_near(abs(x), {2.5, 0, 3}, {3});
  expect_array_near(negative(x), {2.5, 0, -3}, {3});
  expect_array_near(-x, {2.5, 0, -3}, {3});
  expect_array_near(sign(x), {-1, 0, 1}, {3});
  expect_array_near(square(x), {6.25, 0, 9}, {3});
  expect_array_near(sign(array({NAN})), {NAN}, {1});

  // np.abs / np.negative on int8 wrap at -128.
  array i8 = astype(array({-128, 5, -3}), int8);
  EXPECT_EQ(abs(i8).dtype(), int8);
  expect_array_near(abs(i8), {-128, 5, 3}, {3});
  expect_array_near(negative(i8), {-128, -5, 3}, {3});
  expect_array_near(sign(i8), {-1, 1, -1}, {3});
  expect_array_near(square(array({-3, 4})), {9, 16}, {2});
  EXPECT_EQ(square(array({-3, 4})).dtype(), int32);
  // Squares that overflow wrap, as NumPy's: np.square(np.int64(2**40)) == 0,
  // np.square(np.int8(-128)) == 0, np.square(np.uint16(65535)) == 1,
  // np.square(np.int32(65536 + 3)) == 393225.
  expect_array_near(
      square(array({int64_t(1) << 40, int64_t(-3)})), {0, 9}, {2});
  expect_array_near(square(i8), {0, 25, 9}, {3});
  expect_array_near(square(astype(array({65535, 3}), uint16)), {1, 9}, {2});
  expect_array_near(square(array({65539})), {393225}, {1});

  // np.negative(np.array([1, 0], np.uint8)) wraps to [255, 0].
  array u8 = astype(array({1, 0}), uint8);
  expect_array_near(negative(u8), {255, 0}, {2});
  expect_array_near(abs(u8), {1, 0}, {2});
  expect_array_near(sign(u8), {1, 0}, {2});
  EXPECT_EQ(abs(u8).dtype(), uint8);

  array h = astype(array({-1.5f, 2.0f}), float16);
  EXPECT_EQ(abs(h).dtype(), float16);
  expect_array_near(abs(h), {1.5, 2}, {2});
  expect_array_near(sign(astype(h, bfloat16)), {-1, 1}, {2});

  expect_array_near(abs(array({true, false})), {1, 0}, {2});
  expect_throws_with_prefix([] { negative(array({true})); }, "[negative]");

  // Transposed input.
  auto t = transpose(array({-1, 2, -3, 4, -5, 6}, {2, 3}));
  expect_array_near(abs(t), {1, 4, 2, 5, 3, 6}, {3, 2});
}

TEST(UnaryTest, ComplexOps) {
  array c(std::vector<complex64_t>{{1, 2}, {-3, -0.5f}}, {2});
  // np.exp, np.sqrt, np.log, np.sin, np.tanh on complex64.
  expect_complex_near(
      exp(c), {{-1.13120437, 2.47172666}, {0.043692261, -0.0238691922}}, {2});
  expect_complex_near(
      sqrt(c), {{1.27201962, 0.786151409}, {0.143842384, -1.73801339}}, {2});
  expect_complex_near(
      log(c), {{0.804718971, 1.10714877}, {1.11231184, -2.97644401}}, {2});
  expect_complex_near(
      sin(c), {{3.16577864, 1.95960093}, {-0.159130573, 0.515880406}}, {2});
  expect_complex_near(
      tanh(c),
      {{1.16673625, -0.243458211}, {-0.99731648, -0.00416042702}},
      {2});
  expect_complex_near(abs(c), {{2.23606801, 0}, {3.04138136, 0}}, {2});
  expect_complex_near(
      sign(c), {{0.44721359, 0.894427180}, {-0.986393929, -0.164398983}}, {2});
  expect_complex_near(square(c), {{-3, 4}, {8.75, 3}}, {2});
  expect_complex_near(negative(c), {{-1, -2}, {3, 0.5}}, {2});
  expect_complex_near(conjugate(c), {{1, -2}, {-3, 0.5}}, {2});
  expect_complex_near(conj(c), {{1, -2}, {-3, 0.5}}, {2});

  auto re = real(c);
  EXPECT_EQ(re.dtype(), float32);
  expect_array_near(re, {1, -3}, {2});
  auto im = imag(c);
  EXPECT_EQ(im.dtype(), float32);
  expect_array_near(im, {2, -0.5}, {2});
  // Non-complex inputs: real is the identity, imag is zeros.
  array f({1.5f, -2.0f});
  expect_array_near(real(f), {1.5, -2}, {2});
  expect_array_near(imag(f), {0, 0}, {2});
  expect_array_near(conj(f), {1.5, -2}, {2});
  // Strided complex input.
  auto rev = slice(c, {1}, {-3}, {-1});
  expect_array_near(real(rev), {-3, 1}, {2});
  expect_array_near(imag(rev), {-0.5, 2}, {2});
}

TEST(UnaryTest, FloatClassification) {
  array x({1.0f, NAN, INFINITY, -INFINITY, 0.0f});
  auto check = [](array r, std::vector<double> want) {
    EXPECT_EQ(r.dtype(), bool_);
    expect_array_near(r, want, {static_cast<int>(want.size())});
  };
  check(isnan(x), {0, 1, 0, 0, 0});
  check(isinf(x), {0, 0, 1, 1, 0});
  check(isfinite(x), {1, 0, 0, 0, 1});
  check(isposinf(x), {0, 0, 1, 0, 0});
  check(isneginf(x), {0, 0, 0, 1, 0});
  for (Dtype t : {float16, bfloat16, float64}) {
    auto y = astype(x, t);
    check(isnan(y), {0, 1, 0, 0, 0});
    check(isinf(y), {0, 0, 1, 1, 0});
    check(isposinf(y), {0, 0, 1, 0, 0});
    check(isneginf(y), {0, 0, 0, 1, 0});
    check(isfinite(y), {1, 0, 0, 0, 1});
  }
  // Integers are always finite.
  array i({1, 2});
  check(isnan(i), {0, 0});
  check(isinf(i), {0, 0});
  check(isfinite(i), {1, 1});
  check(isposinf(i), {0, 0});
  // Complex: nan or inf in either part.
  array c(std::vector<complex64_t>{{1, NAN}, {INFINITY, 0}, {1, 1}}, {3});
  check(isnan(c), {1, 0, 0});
  check(isfinite(c), {0, 0, 1});
  // Broadcast input.
  check(isnan(broadcast_to(array(NAN), {2})), {1, 1});
}

TEST(UnaryTest, NanToNum) {
  array x({NAN, INFINITY, -INFINITY, 1.0f});
  // np.nan_to_num(x): float32 max for +-inf.
  expect_array_near(
      nan_to_num(x),
      {0, 3.4028234663852886e38, -3.4028234663852886e38, 1},
      {4},
      0,
      0);
  expect_array_near(nan_to_num(x, 5.0f, 10.0f, -10.0f), {5, 10, -10, 1}, {4});
  // np.nan_to_num(x.astype(np.float16)): float16 max.
  auto h = nan_to_num(astype(x, float16));
  EXPECT_EQ(h.dtype(), float16);
  expect_array_near(h, {0, 65504, -65504, 1}, {4}, 0, 0);
  auto d = nan_to_num(astype(x, float64));
  expect_array_near(
      d,
      {0,
       std::numeric_limits<double>::max(),
       -std::numeric_limits<double>::max(),
       1},
      {4},
      0,
      0);
  // Integers are untouched.
  expect_array_near(nan_to_num(array({1, 2})), {1, 2}, {2});
}

TEST(UnaryTest, LogicalNotAndInvert) {
  expect_array_near(logical_not(array({true, false})), {0, 1}, {2});
  auto ln = logical_not(array({0.0f, 2.0f, -1.0f}));
  EXPECT_EQ(ln.dtype(), bool_);
  expect_array_near(ln, {1, 0, 0}, {3});
  expect_array_near(!array({1, 0}), {0, 1}, {2});
  // np.invert on uint8 [0, 5] -> [255, 250]; int32 [0, -6] -> [-1, 5].
  auto u = bitwise_invert(astype(array({0, 5}), uint8));
  EXPECT_EQ(u.dtype(), uint8);
  expect_array_near(u, {255, 250}, {2});
  expect_array_near(~array({0, -6}), {-1, 5}, {2});
  expect_array_near(~array({true, false}), {0, 1}, {2});
  expect_throws_with_prefix(
      [] { bitwise_invert(array({1.0f})); }, "[bitwise_invert]");
}

TEST(UnaryTest, LargeInputUsesParallelPath) {
  // 1 << 20 elements: exp(0) == 1 everywhere, via a broadcast input too.
  auto z = zeros({1 << 20});
  auto s = sum(exp(z));
  EXPECT_EQ(s.item<float>(), 1048576.0f);
  auto b = broadcast_to(array(-1.0f), {1024, 1024});
  EXPECT_EQ(sum(abs(b)).item<float>(), 1048576.0f);
  auto t = transpose(reshape(arange(1 << 20), {1024, 1024}));
  auto n = negative(t);
  n.eval();
  // n[3, 5] = -(t[3, 5]) = -(5 * 1024 + 3)
  EXPECT_EQ(slice(n, {3, 5}, {4, 6}).item<int>(), -(5 * 1024 + 3));
}

TEST(UnaryTest, FastExpMatchesDoublePrecisionExp) {
  // The float32 exp kernel's polynomial, checked against double-precision
  // std::exp over its whole range: within 2 ulp (2.4e-7 relative) where the
  // result is a normal float.
  double worst = 0;
  for (int i = 0; i <= 1000000; ++i) {
    float x = -87.0f + 175.0f * static_cast<float>(i) / 1000000.0f;
    double expected = std::exp(static_cast<double>(x));
    if (expected > 3.4e38) {
      continue;
    }
    double got = mlx::core::cpu::fast_expf(x);
    worst = std::max(worst, std::abs(got - expected) / expected);
  }
  EXPECT_LT(worst, 2.4e-7);
  // Subnormal results, overflow, and the special values.
  EXPECT_NEAR(mlx::core::cpu::fast_expf(-100.0f), 3.720075976020836e-44, 3e-45);
  EXPECT_EQ(mlx::core::cpu::fast_expf(-110.0f), 0.0f);
  EXPECT_TRUE(std::isinf(mlx::core::cpu::fast_expf(89.0f)));
  EXPECT_TRUE(std::isfinite(mlx::core::cpu::fast_expf(88.7f)));
  EXPECT_EQ(mlx::core::cpu::fast_expf(-INFINITY), 0.0f);
  EXPECT_TRUE(std::isinf(mlx::core::cpu::fast_expf(INFINITY)));
  EXPECT_TRUE(std::isnan(mlx::core::cpu::fast_expf(NAN)));
}
