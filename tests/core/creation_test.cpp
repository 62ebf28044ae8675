// Creation ops and astype/copy. Expected values: NumPy (noted per case).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "test_utils.h"

using namespace mlx::core;

TEST(CreationTest, Arange) {
  // np.arange(5), np.arange(2, 6), np.arange(5, 0, -2)
  auto a = arange(5);
  EXPECT_EQ(a.dtype(), int32);
  expect_array_near(a, {0, 1, 2, 3, 4}, {5});
  expect_array_near(arange(2, 6), {2, 3, 4, 5}, {4});
  expect_array_near(arange(5, 0, -2), {5, 3, 1}, {3});
  EXPECT_EQ(arange(5, 0, -2).dtype(), int32);
  // Double overloads are float32: np.arange(0, 1, 0.3, np.float32)
  auto f = arange(0.0, 1.0, 0.3);
  EXPECT_EQ(f.dtype(), float32);
  expect_array_near(f, {0.0, 0.3, 0.6, 0.9}, {4}, 1e-6);
  expect_array_near(arange(-1.5, 1.0, 0.5), {-1.5, -1, -0.5, 0, 0.5}, {5});
  expect_array_near(arange(10.0, 2.0, -3.5), {10, 6.5, 3}, {3});
  expect_array_near(arange(3.0), {0, 1, 2}, {3});
  expect_array_near(arange(1.0, 4.0), {1, 2, 3}, {3});
  // Explicit dtypes.
  auto i = arange(0.0, 6.0, 2.0, int32);
  EXPECT_EQ(i.dtype(), int32);
  expect_array_near(i, {0, 2, 4}, {3});
  EXPECT_EQ(arange(4.0, float16).dtype(), float16);
  expect_array_near(arange(4.0, float16), {0, 1, 2, 3}, {4});
  expect_array_near(arange(1.0, 3.0, float64), {1, 2}, {2});
  auto i64 = arange(0.0, 3.0, 1.0, int64);
  EXPECT_EQ(i64.dtype(), int64);
  expect_array_near(arange(0.0, 3.0, uint8), {0, 1, 2}, {3});
  // Empty ranges.
  EXPECT_EQ(arange(5, 5).shape(), Shape{0});
  EXPECT_EQ(arange(5, 0).shape(), Shape{0});
  EXPECT_EQ(arange(0, 5, -1).shape(), Shape{0});
  arange(5, 0).eval();
  // Errors.
  expect_throws_with_prefix([] { arange(0, 5, 0); }, "[arange]");
  expect_throws_with_prefix([] { arange(0.0, 5.0, 0.0); }, "[arange]");
  expect_throws_with_prefix([] { arange(0.0, NAN, 1.0); }, "[arange]");
  expect_throws_with_prefix([] { arange(NAN, 1.0, 1.0); }, "[arange]");
  expect_throws_with_prefix([] { arange(0.0, 1.0, NAN); }, "[arange]");
  expect_throws_with_prefix([] { arange(0.0, 3.0, bool_); }, "[arange]");
  expect_throws_with_prefix([] { arange(0.0, 1e12, 1.0); }, "[arange]");
}

TEST(CreationTest, Linspace) {
  // np.linspace(0, 1, 5), np.linspace(-1, 1, 4, dtype=np.float32)
  auto l = linspace(0.0, 1.0, 5);
  EXPECT_EQ(l.dtype(), float32);
  expect_array_near(l, {0, 0.25, 0.5, 0.75, 1}, {5});
  expect_array_near(
      linspace(-1.0, 1.0, 4),
      {-1, -0.3333333432674408, 0.3333333432674408, 1},
      {4});
  EXPECT_EQ(linspace(0.0, 1.0).shape(), Shape{50});
  expect_array_near(linspace(3.0, 7.0, 1), {3}, {1});
  EXPECT_EQ(linspace(0.0, 1.0, 0).shape(), Shape{0});
  // np.linspace(0, 10, 4).astype(np.int32)
  auto li = linspace(0.0, 10.0, 4, int32);
  EXPECT_EQ(li.dtype(), int32);
  expect_array_near(li, {0, 3, 6, 10}, {4});
  // float64 keeps full precision: np.linspace(0, 0.1, 3)
  auto ld = linspace(0.0, 0.1, 3, float64);
  EXPECT_EQ(ld.dtype(), float64);
  expect_array_near(ld, {0.0, 0.05, 0.1}, {3}, 1e-15, 0);
  expect_throws_with_prefix([] { linspace(0.0, 1.0, -1); }, "[linspace]");
}

TEST(CreationTest, FullZerosOnes) {
  auto f = full({2, 3}, 7);
  EXPECT_EQ(f.dtype(), int32);
  expect_array_near(f, {7, 7, 7, 7, 7, 7}, {2, 3});
  auto g = full({2}, 1.5f, float16);
  EXPECT_EQ(g.dtype(), float16);
  expect_array_near(g, {1.5, 1.5}, {2});
  // Broadcasting vals: np.full((2, 3), [1, 2, 3])
  auto b = full({2, 3}, array({1, 2, 3}));
  expect_array_near(b, {1, 2, 3, 1, 2, 3}, {2, 3});
  auto bt = full({2, 2}, transpose(array({1, 2, 3, 4}, {2, 2})), float32);
  EXPECT_EQ(bt.dtype(), float32);
  expect_array_near(bt, {1, 3, 2, 4}, {2, 2});
  EXPECT_EQ(full({0, 4}, 1.0f).shape(), (Shape{0, 4}));
  full({0, 4}, 1.0f).eval();
  EXPECT_EQ(full({}, 3).shape(), Shape{});
  expect_throws_with_prefix(
      [] {
        full({2, 2}, array({1, 2, 3}));
      },
      "[broadcast_to]");
  expect_throws_with_prefix([] { full({-1}, 1); }, "[");

  auto z = zeros({2, 2});
  EXPECT_EQ(z.dtype(), float32);
  expect_array_near(z, {0, 0, 0, 0}, {2, 2});
  auto o = ones({3}, int8);
  EXPECT_EQ(o.dtype(), int8);
  expect_array_near(o, {1, 1, 1}, {3});
  expect_array_near(ones({2}, bool_), {1, 1}, {2});
  expect_complex_near(ones({1}, complex64), {{1, 0}}, {1});
  auto src = astype(array({1, 2, 3}, {3, 1}), bfloat16);
  auto zl = zeros_like(src);
  EXPECT_EQ(zl.dtype(), bfloat16);
  expect_array_near(zl, {0, 0, 0}, {3, 1});
  auto ol = ones_like(transpose(src));
  EXPECT_EQ(ol.shape(), (Shape{1, 3}));
  expect_array_near(ol, {1, 1, 1}, {1, 3});
  // full_like keeps a's dtype and broadcasts vals: np.full_like(int array, 2.7)
  auto fl = full_like(array({1, 2, 3, 4}, {2, 2}), array(2.7f));
  EXPECT_EQ(fl.dtype(), int32);
  expect_array_near(fl, {2, 2, 2, 2}, {2, 2});
  auto fl2 = full_like(zeros({2, 2}), array({5.0f, 6.0f}));
  expect_array_near(fl2, {5, 6, 5, 6}, {2, 2});
}

TEST(CreationTest, EyeIdentityTri) {
  // np.eye(3, 4, 1), np.eye(3, 2, -1)
  auto e = eye(3, 4, 1);
  EXPECT_EQ(e.dtype(), float32);
  expect_array_near(e, {0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}, {3, 4});
  expect_array_near(eye(3, 2, -1), {0, 0, 1, 0, 0, 1}, {3, 2});
  expect_array_near(eye(2), {1, 0, 0, 1}, {2, 2});
  auto ei = eye(2, int32);
  EXPECT_EQ(ei.dtype(), int32);
  expect_array_near(eye(2, 3), {1, 0, 0, 0, 1, 0}, {2, 3});
  expect_array_near(eye(2, 2, 5), {0, 0, 0, 0}, {2, 2});
  EXPECT_EQ(eye(0).shape(), (Shape{0, 0}));
  auto id = identity(3, bool_);
  EXPECT_EQ(id.dtype(), bool_);
  expect_array_near(id, {1, 0, 0, 0, 1, 0, 0, 0, 1}, {3, 3});
  expect_array_near(identity(2), {1, 0, 0, 1}, {2, 2});
  expect_throws_with_prefix([] { eye(-1); }, "[eye]");
  expect_throws_with_prefix([] { eye(2, -3); }, "[eye]");

  // np.tri(3, 4, 1), np.tri(3, 3, -1)
  expect_array_near(
      tri(3, 4, 1, float32), {1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1}, {3, 4});
  expect_array_near(tri(3, float32), {1, 0, 0, 1, 1, 0, 1, 1, 1}, {3, 3});
  expect_array_near(tri(3, 3, -1, int32), {0, 0, 0, 1, 0, 0, 1, 1, 0}, {3, 3});
  expect_throws_with_prefix([] { tri(-1, float32); }, "[tri]");
}

TEST(CreationTest, TrilTriu) {
  auto m = reshape(arange(1, 13), {3, 4});
  // np.tril(m, -1), np.triu(m, 1), np.triu(m, -1), np.tril(m)
  expect_array_near(tril(m, -1), {0, 0, 0, 0, 5, 0, 0, 0, 9, 10, 0, 0}, {3, 4});
  expect_array_near(triu(m, 1), {0, 2, 3, 4, 0, 0, 7, 8, 0, 0, 0, 12}, {3, 4});
  expect_array_near(
      triu(m, -1), {1, 2, 3, 4, 5, 6, 7, 8, 0, 10, 11, 12}, {3, 4});
  expect_array_near(tril(m), {1, 0, 0, 0, 5, 6, 0, 0, 9, 10, 11, 0}, {3, 4});
  EXPECT_EQ(tril(m).dtype(), int32);
  // Batched and transposed: np.tril(m.T) on a (4, 3) view.
  expect_array_near(
      tril(transpose(m)), {1, 0, 0, 2, 6, 0, 3, 7, 11, 4, 8, 12}, {4, 3});
  auto batch = tril(broadcast_to(astype(m, float16), {2, 3, 4}));
  EXPECT_EQ(batch.shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(batch.dtype(), float16);
  expect_throws_with_prefix([] { tril(array({1, 2})); }, "[tril]");
  expect_throws_with_prefix([] { triu(array(1)); }, "[triu]");
}

TEST(CreationTest, Meshgrid) {
  array x({1, 2, 3});
  array y({4, 5});
  // np.meshgrid([1, 2, 3], [4, 5])
  auto xy = meshgrid({x, y});
  ASSERT_EQ(xy.size(), 2u);
  expect_array_near(xy[0], {1, 2, 3, 1, 2, 3}, {2, 3});
  expect_array_near(xy[1], {4, 4, 4, 5, 5, 5}, {2, 3});
  // indexing='ij'
  auto ij = meshgrid({x, y}, false, "ij");
  expect_array_near(ij[0], {1, 1, 2, 2, 3, 3}, {3, 2});
  expect_array_near(ij[1], {4, 5, 4, 5, 4, 5}, {3, 2});
  // sparse=True keeps broadcastable shapes.
  auto sp = meshgrid({x, y}, true);
  EXPECT_EQ(sp[0].shape(), (Shape{1, 3}));
  EXPECT_EQ(sp[1].shape(), (Shape{2, 1}));
  auto sp3 = meshgrid({x, y, array({7.0f})}, true, "ij");
  EXPECT_EQ(sp3[0].shape(), (Shape{3, 1, 1}));
  EXPECT_EQ(sp3[2].shape(), (Shape{1, 1, 1}));
  auto one = meshgrid({x});
  expect_array_near(one[0], {1, 2, 3}, {3});
  expect_throws_with_prefix(
      [&] {
        meshgrid({x, y}, false, "xx");
      },
      "[meshgrid]");
  expect_throws_with_prefix([&] { meshgrid({zeros({2, 2})}); }, "[meshgrid]");
}

TEST(CreationTest, Astype) {
  // np.array([-2.7, -0.5, 0.5, 2.9, 300.7]).astype(np.int32): truncation.
  array f({-2.7f, -0.5f, 0.5f, 2.9f, 300.7f});
  auto i = astype(f, int32);
  EXPECT_EQ(i.dtype(), int32);
  expect_array_near(i, {-2, 0, 0, 2, 300}, {5});
  expect_array_near(
      astype(array({0.5f, 2.9f, 200.7f}), uint8), {0, 2, 200}, {3});
  // Bool conversions: nonzero (and nan) is true.
  expect_array_near(
      astype(array({0.0f, -0.0f, 0.1f, NAN}), bool_), {0, 0, 1, 1}, {4});
  expect_array_near(astype(array({true, false}), float32), {1, 0}, {2});
  expect_array_near(astype(array({true, false}), int64), {1, 0}, {2});
  // Integer narrowing wraps: np.array([300, -1]).astype(np.uint8)
  expect_array_near(astype(array({300, -1}), uint8), {44, 255}, {2});
  expect_array_near(astype(array({200}), int8), {-56}, {1});
  // int -> float16 rounding: 2049 -> 2048 (np.float16(2049)).
  expect_array_near(
      astype(array({2049, 70000}), float16), {2048, INFINITY}, {2});
  expect_array_near(astype(array({257}), bfloat16), {256}, {1});
  // Half <-> half and float64.
  auto h = astype(astype(array({0.1f}), float16), bfloat16);
  expect_array_near(h, {0.10009765625}, {1}, 0, 0);
  expect_array_near(
      astype(array(0.1f), float64), {0.10000000149011612}, {}, 0, 0);
  // Complex -> real keeps the real part; real -> complex has zero imag.
  array c(std::vector<complex64_t>{{1.5f, 2.0f}, {-3.0f, 1.0f}}, {2});
  expect_array_near(astype(c, float32), {1.5, -3}, {2});
  expect_array_near(astype(c, int32), {1, -3}, {2});
  expect_array_near(astype(c, bool_), {1, 1}, {2});
  expect_complex_near(
      astype(array({2, -1}), complex64), {{2, 0}, {-1, 0}}, {2});
  // Same dtype: no-op; transposed input converts in logical order.
  auto t = transpose(array({1, 2, 3, 4}, {2, 2}));
  auto tf = astype(t, float64);
  EXPECT_EQ(tf.dtype(), float64);
  expect_array_near(tf, {1, 3, 2, 4}, {2, 2});
  expect_array_near(
      astype(slice(arange(6), {5}, {-7}, {-2}), int16), {5, 3, 1}, {3});
  // Sample of all dtype pairs: 3 survives every conversion.
  const auto& all = mlx_test::kAllDtypes;
  for (auto from : all) {
    for (auto to : all) {
      if (from == bool_ || to == bool_) {
        continue;
      }
      auto r = astype(astype(array({3, 0}), from), to);
      EXPECT_EQ(r.dtype(), to);
      expect_array_near(r, {3, 0}, {2});
    }
  }
}

TEST(CreationTest, Copy) {
  auto a = array({1, 2, 3});
  auto c = copy(a);
  expect_array_eq(c, a);
  auto t = copy(transpose(array({1, 2, 3, 4}, {2, 2})));
  expect_array_near(t, {1, 3, 2, 4}, {2, 2});
  auto b = copy(broadcast_to(array(2.5f), {2, 2}));
  expect_array_near(b, {2.5, 2.5, 2.5, 2.5}, {2, 2});
}

TEST(CreationTest, ArangeIntegerDtypeStepsLikeNumPy) {
  // Integer ranges start at T(start) and step by T(start + step) - T(start),
  // as in NumPy and MLX; values used to be T(start + i * step).
  // np.arange(0, 5, 1.5, dtype=np.int32)
  expect_array_near(arange(0.0, 5.0, 1.5, int32), {0, 1, 2, 3}, {4});
  // np.arange(-2.5, 3, 1.5, dtype=np.int32)
  expect_array_near(arange(-2.5, 3.0, 1.5, int32), {-2, -1, 0, 1}, {4});
  // np.arange(0, 5, 0.5, dtype=np.int32): ten zeros
  expect_array_near(
      arange(0.0, 5.0, 0.5, int32), std::vector<double>(10, 0.0), {10});
  // np.arange(5, 0, -1.5, dtype=np.uint8) (the last value wraps)
  expect_array_near(arange(5.0, 0.0, -1.5, uint8), {5, 3, 1, 255}, {4});
  // np.arange(0, 3, 0.7, dtype=np.int64)
  expect_array_near(arange(0.0, 3.0, 0.7, int64), {0, 0, 0, 0, 0}, {5});
  // Float dtypes are unchanged: np.arange(0, 5, 1.5, dtype=np.float32)
  expect_array_near(arange(0.0, 5.0, 1.5, float32), {0, 1.5, 3, 4.5}, {4});
}

TEST(CreationTest, LinspaceSingleSampleKeepsFloat64) {
  // np.linspace(0.1, 1, 1)[0] == 0.1 exactly (it used to go through float32).
  auto l = linspace(0.1, 1.0, 1, float64);
  EXPECT_EQ(l.dtype(), float64);
  EXPECT_EQ(l.shape(), Shape{1});
  EXPECT_EQ(l.item<double>(), 0.1);
}

TEST(CreationTest, TriExtremeDiagonals) {
  // rows + k used to overflow int32. np.tri(2, 3, 2**31 - 1): all ones;
  // np.tri(2, 3, -2**31): all zeros.
  constexpr int kMax = std::numeric_limits<int>::max();
  constexpr int kMin = std::numeric_limits<int>::min();
  expect_array_near(tri(2, 3, kMax, float32), {1, 1, 1, 1, 1, 1}, {2, 3});
  expect_array_near(tri(2, 3, kMin, float32), {0, 0, 0, 0, 0, 0}, {2, 3});
  // np.triu(m, -2**31) and np.tril(m, 2**31 - 1) keep every element.
  auto m = reshape(arange(1, 5), {2, 2});
  expect_array_near(triu(m, kMin), {1, 2, 3, 4}, {2, 2});
  expect_array_near(tril(m, kMax), {1, 2, 3, 4}, {2, 2});
  // np.triu(m, 2**31 - 1) and np.tril(m, -2**31) keep nothing.
  expect_array_near(triu(m, kMax), {0, 0, 0, 0}, {2, 2});
  expect_array_near(tril(m, kMin), {0, 0, 0, 0}, {2, 2});
}
