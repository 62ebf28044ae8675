// Tests of the scans: cumsum, cumprod, cummax, cummin, logcumsumexp.
// Expected values were computed with NumPy 1.x (np.cumsum, np.cumprod,
// np.maximum.accumulate, np.minimum.accumulate, np.logaddexp.accumulate;
// reverse scans as f(x[::-1])[::-1], exclusive scans by shifting the inclusive
// result one step and filling with the identity), unless a comment gives a
// closed form.
#include <limits>

#include "test_utils.h"

namespace {

const double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::numeric_limits<double>::quiet_NaN();

// [[-5, 4, -6, 4], [-1, -0, 2, -4], [3, -4, 10, -12]]
mx::array mixed_3x4() {
  return mx::array(
      std::vector<float>{-5, 4, -6, 4, -1, -0.0f, 2, -4, 3, -4, 10, -12},
      {3, 4});
}

} // namespace

TEST(ScanTest, CumsumAlongEachAxisAndFlattened) {
  auto a = mixed_3x4();
  auto out = mx::cumsum(a, 0);
  EXPECT_EQ(out.dtype(), mx::float32);
  expect_array_near(out, {-5, 4, -6, 4, -6, 4, -4, 0, -3, 0, 6, -12}, {3, 4});
  expect_array_near(
      mx::cumsum(a, 1), {-5, -1, -7, -3, -1, -1, 1, -3, 3, -1, 9, -3}, {3, 4});
  expect_array_near(
      mx::cumsum(a, -1), {-5, -1, -7, -3, -1, -1, 1, -3, 3, -1, 9, -3}, {3, 4});
  // No axis: the flattened array.
  expect_array_near(
      mx::cumsum(a), {-5, -1, -7, -3, -4, -4, -2, -6, -3, -7, 3, -9}, {12});
  expect_array_near(
      mx::cumprod(a, 0),
      {-5, 4, -6, 4, 5, -0.0, -12, -16, 15, 0, -120, 192},
      {3, 4});
}

TEST(ScanTest, ReverseAndInclusiveCombinations) {
  auto x = mx::array({1, 2, 3, 4});
  expect_array_near(mx::cumsum(x, 0, false, true), {1, 3, 6, 10}, {4});
  expect_array_near(mx::cumsum(x, 0, false, false), {0, 1, 3, 6}, {4});
  expect_array_near(mx::cumsum(x, 0, true, true), {10, 9, 7, 4}, {4});
  expect_array_near(mx::cumsum(x, 0, true, false), {9, 7, 4, 0}, {4});
  expect_array_near(mx::cumprod(x, 0, false, true), {1, 2, 6, 24}, {4});
  expect_array_near(mx::cumprod(x, 0, false, false), {1, 1, 2, 6}, {4});
  expect_array_near(mx::cumprod(x, 0, true, true), {24, 24, 12, 4}, {4});
  expect_array_near(mx::cumprod(x, 0, true, false), {24, 12, 4, 1}, {4});
  // The flattened form takes reverse/inclusive too.
  expect_array_near(mx::cumsum(x, true, false), {9, 7, 4, 0}, {4});

  auto y = mx::array({3, 1, 4, 1, 5, 9, 2, 6});
  double lo = std::numeric_limits<int32_t>::min();
  double hi = std::numeric_limits<int32_t>::max();
  expect_array_near(mx::cummax(y, 0), {3, 3, 4, 4, 5, 9, 9, 9}, {8});
  expect_array_near(
      mx::cummax(y, 0, false, false), {lo, 3, 3, 4, 4, 5, 9, 9}, {8});
  expect_array_near(
      mx::cummax(y, 0, true, true), {9, 9, 9, 9, 9, 9, 6, 6}, {8});
  expect_array_near(
      mx::cummax(y, 0, true, false), {9, 9, 9, 9, 9, 6, 6, lo}, {8});
  expect_array_near(mx::cummin(y, 0), {3, 1, 1, 1, 1, 1, 1, 1}, {8});
  expect_array_near(
      mx::cummin(y, 0, false, false), {hi, 3, 1, 1, 1, 1, 1, 1}, {8});
  expect_array_near(
      mx::cummin(y, 0, true, true), {1, 1, 1, 1, 2, 2, 2, 6}, {8});
  expect_array_near(
      mx::cummin(y, 0, true, false), {1, 1, 1, 2, 2, 2, 6, hi}, {8});
}

TEST(ScanTest, MiddleAxisOfThreeDims) {
  // d = arange(24).reshape(2, 3, 4) * 0.5 - 3
  auto d = mx::subtract(
      mx::multiply(
          mx::reshape(mx::arange(24.0, mx::float64), {2, 3, 4}),
          mx::array(0.5, mx::float64)),
      mx::array(3.0, mx::float64));
  EXPECT_EQ(mx::cumsum(d, 1).dtype(), mx::float64);
  expect_array_near(
      mx::cumsum(d, 1),
      {-3, -2.5, -2, -1.5, -4, -3, -2, -1, -3, -1.5, 0,  1.5,
       3,  3.5,  4,  4.5,  8,  9,  10, 11, 15, 16.5, 18, 19.5},
      {2, 3, 4});
  expect_array_near(
      mx::cumprod(d, 0, false, false),
      {1,  1,    1,  1,    1,  1,    1, 1,   1, 1,   1, 1,
       -3, -2.5, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5},
      {2, 3, 4});
  // d2 = ((arange(24) * 7) % 11 - 5).reshape(2, 3, 4)
  auto d2 = mx::array(
      std::vector<double>{-5, 2,  -2, 5, 1,  -3, 4, 0,  -4, 3,  -1, -5,
                          2,  -2, 5,  1, -3, 4,  0, -4, 3,  -1, -5, 2},
      {2, 3, 4},
      mx::float64);
  expect_array_near(
      mx::cummin(d2, -2, true),
      {-5, -3, -2, -5, -4, -3, -1, -5, -4, 3,  -1, -5,
       -3, -2, -5, -4, -3, -1, -5, -4, 3,  -1, -5, 2},
      {2, 3, 4});
  expect_array_near(
      mx::cummax(d2, 2),
      {-5, 2, 2, 5, 1,  1, 4, 4, -4, 3, 3, 3,
       2,  2, 5, 5, -3, 4, 4, 4, 3,  3, 3, 3},
      {2, 3, 4});
}

TEST(ScanTest, NonContiguousInputs) {
  // Transposed view.
  auto t = mx::transpose(mixed_3x4());
  expect_array_near(
      mx::cumsum(t, 1), {-5, -6, -3, 4, 4, 0, -6, -4, 6, 4, 0, -12}, {4, 3});
  expect_array_near(
      mx::cummax(t, 0), {-5, -1, 3, 4, 0, 3, 4, 2, 10, 4, 2, 10}, {4, 3});
  // b[::2, ::-1] with b = arange(20).reshape(4, 5).
  auto b = mx::reshape(mx::arange(20), {4, 5});
  auto sl = mx::slice(b, {0, 4}, {4, -6}, {2, -1});
  expect_array_near(
      mx::cumsum(sl, 1), {4, 7, 9, 10, 10, 14, 27, 39, 50, 60}, {2, 5});
  expect_array_near(
      mx::cumprod(sl, 0, true),
      {56, 39, 24, 11, 0, 14, 13, 12, 11, 10},
      {2, 5});
  // A transposed 3-d view scanned along each axis (dense, permuted layout):
  // np.cumsum(np.arange(24).reshape(2, 3, 4).transpose(2, 0, 1), axis).
  auto p3 = mx::transpose(mx::reshape(mx::arange(24), {2, 3, 4}), {2, 0, 1});
  expect_array_near(
      mx::cumsum(p3, 0),
      {0, 4,  8,  12, 16, 20, 1, 9,  17, 25, 33, 41,
       3, 15, 27, 39, 51, 63, 6, 22, 38, 54, 70, 86},
      {4, 2, 3});
  expect_array_near(
      mx::cumsum(p3, 1),
      {0, 4, 8,  12, 20, 28, 1, 5, 9,  14, 22, 30,
       2, 6, 10, 16, 24, 32, 3, 7, 11, 18, 26, 34},
      {4, 2, 3});
  expect_array_near(
      mx::cumsum(p3, 2, true),
      {12, 12, 8,  48, 36, 20, 15, 14, 9,  51, 38, 21,
       18, 16, 10, 54, 40, 22, 21, 18, 11, 57, 42, 23},
      {4, 2, 3});
  // Broadcast (zero strides).
  auto c = mx::broadcast_to(mx::array({1, 2, 3}), {4, 3});
  expect_array_near(
      mx::cumsum(c, 0), {1, 2, 3, 2, 4, 6, 3, 6, 9, 4, 8, 12}, {4, 3});
}

TEST(ScanTest, LargeArraysUseEveryPath) {
  // Closed forms: the inclusive cumsum of ones along an axis at position j
  // is j + 1; reverse exclusive is n - 1 - j.
  auto rows = mx::cumsum(mx::ones({64, 3000}), 1);
  auto rv = mlx_test::to_doubles(rows);
  bool ok = true;
  for (size_t i = 0; i < rv.size(); ++i) {
    ok = ok && rv[i] == static_cast<double>(i % 3000 + 1);
  }
  EXPECT_TRUE(ok);
  // Axis not innermost, with more lanes than one block holds.
  auto lanes = mx::cumsum(mx::ones({2, 7, 1100}), 1, true, false);
  auto lv = mlx_test::to_doubles(lanes);
  ok = true;
  for (size_t i = 0; i < lv.size(); ++i) {
    size_t j = (i / 1100) % 7;
    ok = ok && lv[i] == static_cast<double>(6 - j);
  }
  EXPECT_TRUE(ok);
  // Same through a transposed view: cumsum of ones along axis 0 of (3000, 50).
  auto tr = mx::cumsum(mx::transpose(mx::ones({50, 3000})), 0);
  auto tv = mlx_test::to_doubles(tr);
  ok = true;
  for (size_t i = 0; i < tv.size(); ++i) {
    ok = ok && tv[i] == static_cast<double>(i / 50 + 1);
  }
  EXPECT_TRUE(ok);
}

TEST(ScanTest, BoolInputs) {
  auto x = mx::array({true, false, true, true});
  auto s = mx::cumsum(x);
  EXPECT_EQ(s.dtype(), mx::int32);
  expect_array_near(s, {1, 1, 2, 3}, {4});
  auto p = mx::cumprod(x, 0);
  EXPECT_EQ(p.dtype(), mx::int32);
  expect_array_near(p, {1, 0, 0, 0}, {4});
  auto mx_ = mx::cummax(x, 0);
  EXPECT_EQ(mx_.dtype(), mx::bool_);
  expect_array_near(mx_, {1, 1, 1, 1}, {4});
  expect_array_near(mx::cummin(x, 0), {1, 0, 0, 0}, {4});
  auto l = mx::logcumsumexp(x, 0);
  EXPECT_EQ(l.dtype(), mx::float32);
  // np.logaddexp.accumulate([1., 0., 1., 1.])
  expect_array_near(
      l, {1.0, 1.3132616875182228, 1.861994804058251, 2.2142833003627604}, {4});
}

TEST(ScanTest, IntegerDtypes) {
  // int8 keeps its dtype and wraps, as np.cumsum(x, dtype=np.int8).
  auto i8 = mx::array({100, 100, -50, -128}, mx::int8);
  auto s = mx::cumsum(i8, 0);
  EXPECT_EQ(s.dtype(), mx::int8);
  expect_array_near(s, {100, -56, -106, 22}, {4});
  auto u32 =
      mx::array(std::vector<uint32_t>{5, 4000000000u, 7, 4100000000u, 3}, {5});
  auto m = mx::cummax(u32, 0);
  EXPECT_EQ(m.dtype(), mx::uint32);
  expect_array_near(m, {5, 4e9, 4e9, 4.1e9, 4.1e9}, {5}, 0, 0);
  expect_array_near(mx::cummin(u32, 0), {5, 5, 5, 5, 3}, {5}, 0, 0);
  auto i64 =
      mx::array(std::vector<int64_t>{1LL << 40, 1LL << 41, -3, 1LL << 42}, {4});
  auto c = mx::cumsum(i64, 0);
  EXPECT_EQ(c.dtype(), mx::int64);
  expect_array_near(
      c,
      {1099511627776.0, 3298534883328.0, 3298534883325.0, 7696581394429.0},
      {4},
      0,
      0);
}

TEST(ScanTest, FloatDtypes) {
  // Half types accumulate in float: np.cumsum(h, dtype=np.float32) rounded to
  // float16 is [2048, 2048, 2050, 2052, 2052]; a float16 accumulator would
  // stay at 2048.
  auto h = mx::array({2048.0f, 1.0f, 1.0f, 1.0f, 1.0f});
  auto f16 = mx::cumsum(mx::astype(h, mx::float16), 0);
  EXPECT_EQ(f16.dtype(), mx::float16);
  expect_array_near(f16, {2048, 2048, 2050, 2052, 2052}, {5}, 0, 0);
  // bfloat16 spacing at 256 is 2: the same pattern, scaled by 1/8.
  auto bh = mx::array({256.0f, 1.0f, 1.0f, 1.0f, 1.0f});
  auto bf = mx::cumsum(mx::astype(bh, mx::bfloat16), 0);
  EXPECT_EQ(bf.dtype(), mx::bfloat16);
  expect_array_near(bf, {256, 256, 258, 260, 260}, {5}, 0, 0);
  auto f64 =
      mx::array(std::vector<double>{1.5, -2.0, 0.25, 3.0}, {4}, mx::float64);
  auto p = mx::cumprod(f64, 0);
  EXPECT_EQ(p.dtype(), mx::float64);
  expect_array_near(p, {1.5, -3.0, -0.75, -2.25}, {4}, 0, 0);
}

TEST(ScanTest, Complex) {
  using c64 = mx::complex64_t;
  auto z =
      mx::array(std::vector<c64>{c64(1, 2), c64(3, -1), c64(-2, 0.5f)}, {3});
  expect_complex_near(mx::cumsum(z, 0), {{1, 2}, {4, 1}, {2, 1.5}}, {3});
  expect_complex_near(mx::cumprod(z, 0), {{1, 2}, {5, 5}, {-12.5, -7.5}}, {3});
  // Lexicographic order: (3 - 1j) > (1 + 2j) > (-2 + 0.5j).
  expect_complex_near(mx::cummax(z, 0), {{1, 2}, {3, -1}, {3, -1}}, {3});
  expect_complex_near(mx::cummin(z, 0), {{1, 2}, {1, 2}, {-2, 0.5}}, {3});
}

TEST(ScanTest, LogCumSumExp) {
  auto l = mx::array({0.0f, 1.0f, 2.0f, 3.0f});
  auto f = mx::logcumsumexp(l, 0);
  EXPECT_EQ(f.dtype(), mx::float32);
  expect_array_near(
      f, {0.0, 1.3132617473602295, 2.4076061248779297, 3.440189838409424}, {4});
  expect_array_near(
      mx::logcumsumexp(l, 0, true),
      {3.440189838409424, 3.4076061248779297, 3.3132617473602295, 3.0},
      {4});
  expect_array_near(
      mx::logcumsumexp(l, 0, false, false),
      {-kInf, 0.0, 1.3132617473602295, 2.4076061248779297},
      {4});
  // Infinities.
  auto li = mx::array(
      std::vector<float>{-INFINITY, -INFINITY, 0.0f, INFINITY, 1.0f}, {5});
  expect_array_near(mx::logcumsumexp(li), {-kInf, -kInf, 0.0, kInf, kInf}, {5});
  // Integers give float32.
  auto li32 = mx::logcumsumexp(mx::array({1, 2, 3}), 0);
  EXPECT_EQ(li32.dtype(), mx::float32);
  expect_array_near(li32, {1.0, 2.3132617473602295, 3.4076061248779297}, {3});
  // Stable for large magnitudes.
  auto big =
      mx::array(std::vector<double>{1000.0, 1000.0, -1000.0}, {3}, mx::float64);
  expect_array_near(
      mx::logcumsumexp(big, 0),
      {1000.0, 1000.6931471805599, 1000.6931471805599},
      {3},
      1e-12,
      1e-12);
  auto lb = mx::array(
      std::vector<float>{0.5f, -1.0f, 2.0f, 3.0f, 0.0f, -2.5f}, {2, 3});
  expect_array_near(
      mx::logcumsumexp(lb, 0),
      {0.5,
       -1.0,
       2.0,
       3.078889846801758,
       0.3132616877555847,
       2.011047840118408},
      {2, 3});
  // float16 input keeps its dtype.
  auto h = mx::logcumsumexp(mx::astype(l, mx::float16), 0);
  EXPECT_EQ(h.dtype(), mx::float16);
  expect_array_near(
      h,
      {0.0, 1.3132617473602295, 2.4076061248779297, 3.440189838409424},
      {4},
      1e-3,
      1e-3);
}

TEST(ScanTest, NaNPropagates) {
  auto x = mx::array(std::vector<float>{1.0f, NAN, 3.0f, 0.0f}, {4});
  expect_array_near(mx::cummax(x, 0), {1, kNaN, kNaN, kNaN}, {4});
  expect_array_near(mx::cummin(x, 0), {1, kNaN, kNaN, kNaN}, {4});
  expect_array_near(mx::cumsum(x, 0), {1, kNaN, kNaN, kNaN}, {4});
  expect_array_near(mx::logcumsumexp(x, 0), {1, kNaN, kNaN, kNaN}, {4});
  // Reverse: the NaN reaches the front only.
  expect_array_near(mx::cummax(x, 0, true), {kNaN, kNaN, 3, 0}, {4});
}

TEST(ScanTest, EmptyAndScalarInputs) {
  auto e = mx::zeros({0, 3});
  expect_array_near(mx::cumsum(e, 0), {}, {0, 3});
  expect_array_near(mx::cumprod(e, 1, true, false), {}, {0, 3});
  expect_array_near(mx::cumsum(e), {}, {0});
  auto e2 = mx::cummax(mx::zeros({2, 0}, mx::int32), 1);
  EXPECT_EQ(e2.dtype(), mx::int32);
  expect_array_near(e2, {}, {2, 0});
  // A scalar scans as the flattened 1-element array, as np.cumsum.
  expect_array_near(mx::cumsum(mx::array(5.0f)), {5}, {1});
  expect_array_near(mx::logcumsumexp(mx::array(2.0f)), {2}, {1});
  expect_array_near(mx::cumsum(mx::array(5.0f), false, false), {0}, {1});
}

TEST(ScanTest, InvalidArgumentsThrow) {
  auto a = mx::zeros({2, 3});
  expect_throws_with_prefix([&] { mx::cumsum(a, 2); }, "[cumsum]");
  expect_throws_with_prefix([&] { mx::cumprod(a, -3); }, "[cumprod]");
  expect_throws_with_prefix([&] { mx::cummax(a, 5); }, "[cummax]");
  expect_throws_with_prefix([&] { mx::cummin(a, -4); }, "[cummin]");
  expect_throws_with_prefix([&] { mx::logcumsumexp(a, 2); }, "[logcumsumexp]");
  // A scalar has no axis 0.
  expect_throws_with_prefix(
      [&] { mx::cumsum(mx::array(1.0f), 0); }, "[cumsum]");
  auto z = mx::astype(a, mx::complex64);
  expect_throws_with_prefix([&] { mx::logcumsumexp(z, 0); }, "[logcumsumexp]");
}
