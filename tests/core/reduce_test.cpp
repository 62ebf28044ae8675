// Reductions. Expected values: NumPy on the same inputs (noted per case).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "test_utils.h"

using namespace mlx::core;

namespace {
// np.arange(24, dtype=np.float32).reshape(2, 3, 4)
array cube() {
  return reshape(arange(0.0, 24.0, 1.0), {2, 3, 4});
}
} // namespace

TEST(ReduceTest, SumProdOverAxes) {
  auto a = cube();
  expect_array_near(sum(a, {0, 2}), {60, 92, 124}, {3});
  expect_array_near(sum(a, -1), {6, 22, 38, 54, 70, 86}, {2, 3});
  expect_array_near(sum(a, {-1, 0}), {60, 92, 124}, {3});
  EXPECT_EQ(sum(a).item<float>(), 276.0f);
  EXPECT_EQ(sum(a).shape(), Shape{});
  auto k = sum(a, {0, 2}, true);
  EXPECT_EQ(k.shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(sum(a, true).shape(), (Shape{1, 1, 1}));
  // a.prod(axis=0)[0] = [0, 13, 28, 45]
  expect_array_near(slice(prod(a, 0), {0, 0}, {1, 4}), {0, 13, 28, 45}, {1, 4});
  expect_array_near(prod(array({1, 2, 3, 4}, {2, 2}), 1), {2, 12}, {2});
  EXPECT_EQ(prod(array({2, 3})).dtype(), int32);
  // Scalar input with no axes.
  EXPECT_EQ(sum(array(3.5f)).item<float>(), 3.5f);
  // Axis errors.
  expect_throws_with_prefix([&] { sum(a, 3); }, "[sum]");
  expect_throws_with_prefix([&] { sum(a, -4); }, "[sum]");
  expect_throws_with_prefix([&] { sum(a, {0, 0}); }, "[sum]");
  expect_throws_with_prefix([&] { sum(a, {1, -2}); }, "[sum]");
  expect_throws_with_prefix([&] { prod(a, 5); }, "[prod]");
  expect_throws_with_prefix([&] { max(a, {2, -1}); }, "[max]");
  expect_throws_with_prefix([&] { mean(a, 4); }, "[mean]");
  expect_throws_with_prefix([&] { var(a, 4); }, "[var]");
  expect_throws_with_prefix([&] { all(a, 4); }, "[all]");
  expect_throws_with_prefix([&] { logsumexp(a, 4); }, "[logsumexp]");
}

TEST(ReduceTest, MaxMinNaN) {
  auto a = cube();
  expect_array_near(max(a, 1), {8, 9, 10, 11, 20, 21, 22, 23}, {2, 4});
  expect_array_near(min(a, {1, 2}), {0, 12}, {2});
  // np.max / np.min propagate NaN.
  array n({1.0f, NAN, 3.0f, 2.0f}, {2, 2});
  expect_array_near(max(n, 1), {NAN, 3}, {2});
  expect_array_near(min(n, 0), {1, NAN}, {2});
  EXPECT_TRUE(std::isnan(max(n).item<float>()));
  // Integers, unsigned, half types.
  expect_array_near(max(astype(array({-5, 200, 7}), int16)), {200}, {});
  expect_array_near(min(astype(array({5, 200, 7}), uint8)), {5}, {});
  auto h = max(astype(array({1.5f, -2.0f, 0.25f}), float16));
  EXPECT_EQ(h.dtype(), float16);
  expect_array_near(h, {1.5}, {});
  expect_array_near(min(astype(array({1.5f, -2.0f}), bfloat16)), {-2}, {});
  expect_array_near(max(array({-INFINITY, -1e30f})), {-1e30}, {}, 1e-6);
  expect_array_near(max(array({false, true})), {1}, {});
}

TEST(ReduceTest, MaxMinLongRowsInLanes) {
  // Rows of 16 and more run in eight lanes: every position of the extreme
  // value and of a NaN (first lane, middle, the tail after the lanes).
  for (int n : {16, 17, 23, 37, 128}) {
    for (int at : {0, 5, 8, n - 1}) {
      std::vector<float> v(n);
      for (int i = 0; i < n; ++i) {
        v[i] = float((i * 7) % n) - 0.5f * n; // a permutation, shifted
      }
      v[at] = 1000.0f;
      array row(v.begin(), {1, n});
      EXPECT_EQ(max(row, 1).item<float>(), 1000.0f) << n << " " << at;
      v[at] = -INFINITY;
      array low(v.begin(), {1, n});
      EXPECT_EQ(min(low, 1).item<float>(), -INFINITY) << n << " " << at;
      v[at] = NAN;
      array with_nan(v.begin(), {1, n});
      EXPECT_TRUE(std::isnan(max(with_nan, 1).item<float>())) << n << at;
      EXPECT_TRUE(std::isnan(min(with_nan, 1).item<float>())) << n << at;
      auto h = max(astype(with_nan, float16), 1);
      EXPECT_TRUE(std::isnan(astype(h, float32).item<float>())) << n << at;
    }
  }
  // Float64 and a row of all -inf.
  auto d = max(astype(reshape(arange(40), {2, 20}), float64), 1);
  expect_array_near(d, {19, 39}, {2});
  expect_array_near(max(full({1, 32}, -INFINITY), 1), {-INFINITY}, {1});
}

TEST(ReduceTest, AllAny) {
  array b({true, false, true, true}, {2, 2});
  EXPECT_FALSE(all(b).item<bool>());
  EXPECT_TRUE(any(b).item<bool>());
  expect_array_near(all(b, 1), {0, 1}, {2});
  expect_array_near(any(b, 0), {1, 1}, {2});
  auto f = array({0.0f, 2.0f, NAN});
  EXPECT_FALSE(all(f).item<bool>());
  EXPECT_TRUE(any(f).item<bool>());
  EXPECT_EQ(all(f).dtype(), bool_);
  EXPECT_TRUE(all(zeros({0})).item<bool>());
  EXPECT_FALSE(any(zeros({0})).item<bool>());
  expect_array_near(all(zeros({2, 0}), 1), {1, 1}, {2});
  expect_array_near(any(transpose(b), 1), {1, 1}, {2});
}

TEST(ReduceTest, DtypesOfResults) {
  // Bool sums to int32 (MLX); ints keep their dtype.
  auto bs = sum(array({true, true, false}));
  EXPECT_EQ(bs.dtype(), int32);
  EXPECT_EQ(bs.item<int>(), 2);
  EXPECT_EQ(sum(astype(array({1, 2}), int8)).dtype(), int8);
  EXPECT_EQ(sum(astype(array({1, 2}), uint64)).dtype(), uint64);
  // float16 sums accumulate in float: 1000 * 0.1 in float16 ~ 99.98.
  auto hs = sum(full({1000}, 0.1f, float16));
  EXPECT_EQ(hs.dtype(), float16);
  expect_array_near(hs, {99.97558594}, {}, 2e-3);
  auto bf = sum(full({256}, 1.0f, bfloat16));
  EXPECT_EQ(bf.dtype(), bfloat16);
  expect_array_near(bf, {256}, {});
  // Mean of integers is float32.
  auto m = mean(array({1, 2, 3, 4}));
  EXPECT_EQ(m.dtype(), float32);
  EXPECT_EQ(m.item<float>(), 2.5f);
  EXPECT_EQ(mean(astype(array({1, 2}), float16)).dtype(), float16);
  EXPECT_EQ(mean(astype(array({1, 2}), float64)).dtype(), float64);
  expect_complex_near(
      sum(array(std::vector<complex64_t>{{1, 2}, {3, -1}}, {2})), {{4, 1}}, {});
}

TEST(ReduceTest, MeanVarStd) {
  auto a = cube();
  expect_array_near(mean(a, 1), {4, 5, 6, 7, 16, 17, 18, 19}, {2, 4});
  expect_array_near(var(a, 2), {1.25, 1.25, 1.25, 1.25, 1.25, 1.25}, {2, 3});
  // a.std(axis=(0, 1), ddof=1)
  expect_array_near(
      mx::std(a, {0, 1}, false, 1),
      {7.4833149909973145,
       7.4833149909973145,
       7.4833149909973145,
       7.4833149909973145},
      {4},
      1e-6);
  // np.var([1, 2, 3, 4]) and ddof=1.
  EXPECT_NEAR(var(array({1, 2, 3, 4})).item<float>(), 1.25, 1e-6);
  EXPECT_NEAR(var(array({1, 2, 3, 4}), false, 1).item<float>(), 5.0 / 3, 1e-6);
  EXPECT_EQ(var(a, {0, 2}, true).shape(), (Shape{1, 3, 1}));
  EXPECT_NEAR(mx::std(array({2.0f, 4.0f})).item<float>(), 1.0, 1e-6);
  // Mean of a large constant: NumPy's pairwise sum gives 0.1000001; the
  // blocked kernel (block totals in double) is as close.
  EXPECT_NEAR(mean(full({1 << 20}, 0.1f)).item<float>(), 0.1, 1e-6);
  // The same through a strided (non-contiguous) single row.
  auto strided = slice(full({1 << 21}, 0.1f), {0}, {1 << 21}, {2});
  EXPECT_NEAR(sum(strided).item<float>(), 0.1 * (1 << 20), 0.5);
  // Mean of an empty axis is nan (as NumPy); var with ddof >= n is inf / nan.
  EXPECT_TRUE(std::isnan(mean(zeros({0})).item<float>()));
  EXPECT_TRUE(std::isinf(var(array({1.0f, 2.0f}), false, 2).item<float>()));
}

TEST(ReduceTest, LogSumExp) {
  array x({1.0f, -2.0f, 3.0f, 0.5f, 4.0f, -1.0f}, {2, 3});
  // np.log(np.exp(x).sum(axis=1)), over everything.
  expect_array_near(
      logsumexp(x, 1), {3.1328452337275756, 4.036269565124779}, {2}, 1e-6);
  expect_array_near(logsumexp(x), {4.376434839435808}, {}, 1e-6);
  EXPECT_EQ(logsumexp(x, 1, true).shape(), (Shape{2, 1}));
  // Stable for large values, and -inf rows give -inf.
  expect_array_near(
      logsumexp(array({1000.0f, 1000.0f})), {1000.6931471805599}, {}, 1e-6);
  expect_array_near(logsumexp(array({-INFINITY, -INFINITY})), {-INFINITY}, {});
  expect_array_near(logsumexp(array({INFINITY, 1.0f})), {INFINITY}, {});
  EXPECT_EQ(logsumexp(array({1, 2})).dtype(), float32);
  expect_array_near(
      logsumexp(astype(x, float16), 1), {3.1328452, 4.0362696}, {2}, 2e-3);
}

TEST(ReduceTest, ArgMaxArgMin) {
  array x({1.0f, -2.0f, 3.0f, 0.5f, 4.0f, -1.0f}, {2, 3});
  auto am = argmax(x, 1);
  EXPECT_EQ(am.dtype(), uint32);
  expect_array_near(am, {2, 1}, {2});
  expect_array_near(argmin(x, 0), {1, 0, 1}, {3});
  EXPECT_EQ(argmax(x).item<uint32_t>(), 4u);
  EXPECT_EQ(argmin(x).item<uint32_t>(), 1u);
  EXPECT_EQ(argmax(x, -1, true).shape(), (Shape{2, 1}));
  EXPECT_EQ(argmax(x, true).shape(), (Shape{1, 1}));
  // x.T.argmax(axis=1) = [0, 1, 0]; first occurrence wins on ties.
  expect_array_near(argmax(transpose(x), 1), {0, 1, 0}, {3});
  EXPECT_EQ(argmax(array({3, 7, 7, 1})).item<uint32_t>(), 1u);
  EXPECT_EQ(argmin(astype(array({3, 1, 1}), uint8)).item<uint32_t>(), 1u);
  EXPECT_EQ(argmax(astype(array({3, 9, 1}), float16)).item<uint32_t>(), 1u);
  expect_throws_with_prefix([&] { argmax(x, 2); }, "[argmax]");
  expect_throws_with_prefix([&] { argmin(x, -3); }, "[argmin]");
  expect_throws_with_prefix([] { argmax(zeros({0})); }, "[argmax]");
}

TEST(ReduceTest, NonContiguousInputs) {
  auto a = cube();
  auto t = transpose(a, {2, 0, 1}); // (4, 2, 3)
  // np.transpose(a, (2, 0, 1)).sum(axis=2) == a.sum(axis=1).T
  expect_array_near(sum(t, 2), {12, 48, 15, 51, 18, 54, 21, 57}, {4, 2});
  // Slices with steps: a[:, ::2, ::-3] = [[[3, 0], [11, 8]], [[15, 12], [23,
  // 20]]]
  auto s = slice(a, {0, 0, -1}, {2, 3, -5}, {1, 2, -3});
  EXPECT_EQ(s.shape(), (Shape{2, 2, 2}));
  expect_array_near(sum(s, {0, 1}), {52, 40}, {2});
  expect_array_near(max(s, 2), {3, 11, 15, 23}, {2, 2});
  // Broadcast (stride 0) input.
  auto b = broadcast_to(array({1, 2, 3}), {1000, 3});
  expect_array_near(sum(b, 0), {1000, 2000, 3000}, {3});
  EXPECT_EQ(sum(b).item<int>(), 6000);
}

TEST(ReduceTest, LargeArrays) {
  // 1M elements exercise the parallel path: sum of 0..2^20-1 in int64.
  auto x = astype(arange(1 << 20), int64);
  EXPECT_EQ(sum(x).item<int64_t>(), int64_t(1 << 20) * ((1 << 20) - 1) / 2);
  auto ones_f = ones({1 << 20});
  EXPECT_EQ(sum(ones_f).item<float>(), 1048576.0f);
  auto m = reshape(arange(1 << 20), {1024, 1024});
  auto col = sum(astype(m, int64), 0);
  // column j sums j + 1024 * i over i < 1024: 1024 j + 1024 * 1023 * 512
  auto c5 = slice(col, {5}, {6});
  EXPECT_EQ(c5.item<int64_t>(), 1024LL * 5 + 1024LL * 1023 * 512);
  EXPECT_EQ(max(m).item<int>(), (1 << 20) - 1);
  EXPECT_EQ(argmax(transpose(m)).item<uint32_t>(), (1u << 20) - 1);
  EXPECT_TRUE(all(greater_equal(m, array(0))).item<bool>());
}

TEST(ReduceTest, ZeroSize) {
  // np.sum of empty is 0, prod is 1; keepdims shapes.
  EXPECT_EQ(sum(zeros({0})).item<float>(), 0.0f);
  EXPECT_EQ(prod(zeros({0})).item<float>(), 1.0f);
  auto s = sum(zeros({2, 0}), 1);
  expect_array_near(s, {0, 0}, {2});
  EXPECT_EQ(sum(zeros({2, 0}), 0).shape(), Shape{0});
  sum(zeros({2, 0}), 0).eval();
  EXPECT_EQ(sum(zeros({0, 3}), 0, true).shape(), (Shape{1, 3}));
  // Max / min over an empty axis has no identity: an error.
  expect_throws_with_prefix([] { max(zeros({0})); }, "[max]");
  expect_throws_with_prefix([] { min(zeros({2, 0}), 1); }, "[min]");
  // ...but reducing a non-empty axis of an array with an empty dim is fine.
  EXPECT_EQ(max(zeros({0, 3}), 1).shape(), Shape{0});
}

TEST(ReduceTest, LeadingAxesReduceWholeRows) {
  // x[i, j] = 7 i + j, i < 300: column sums are 7 * (299*300/2) + 300 j.
  auto x = reshape(arange(2100.0f), {300, 7});
  std::vector<double> expected;
  for (int j = 0; j < 7; ++j) {
    expected.push_back(313950.0 + 300.0 * j);
  }
  expect_array_near(sum(x, 0), expected, {7}, 0, 0);
  // Max over the two leading axes of a (3, 100, 5) array: the last block.
  auto y = reshape(arange(1500.0f), {3, 100, 5});
  expect_array_near(max(y, {0, 1}), {1495, 1496, 1497, 1498, 1499}, {5}, 0, 0);
  expect_array_near(min(y, {0, 1}, true), {0, 1, 2, 3, 4}, {1, 1, 5}, 0, 0);
}

TEST(ReduceTest, Softmax) {
  array x({1.0f, 2.0f, 3.0f, -1.0f, 0.0f, 4.0f}, {2, 3});
  // e = np.exp(x - x.max(axis, keepdims=True)); e / e.sum(axis, keepdims=True)
  expect_array_near(
      softmax(x, -1),
      {0.09003057317038046,
       0.24472847105479764,
       0.6652409557748218,
       0.006573263185309083,
       0.0178679818703045,
       0.9755587549443865},
      {2, 3},
      1e-6);
  expect_array_near(
      softmax(x, 0),
      {0.8807970779778823,
       0.8807970779778823,
       0.2689414213699951,
       0.11920292202211755,
       0.11920292202211755,
       0.7310585786300049},
      {2, 3},
      1e-6);
  // All axes, and the transposed input gives the transposed result.
  expect_array_near(
      softmax(x),
      {0.03154963320110002,
       0.08576079462509835,
       0.233122009623613,
       0.00426977854528211,
       0.011606461431184656,
       0.6336913225737218},
      {2, 3},
      1e-6);
  expect_array_near(
      softmax(transpose(x), 0),
      {0.09003057317038046,
       0.006573263185309083,
       0.24472847105479764,
       0.0178679818703045,
       0.6652409557748218,
       0.9755587549443865},
      {3, 2},
      1e-6);
  // Large logits do not overflow; -inf entries get probability 0.
  expect_array_near(
      softmax(array({1000.0f, 1000.0f, -INFINITY})),
      {0.5, 0.5, 0.0},
      {3},
      1e-6);
  // float16 keeps its dtype; precise accumulates in float32.
  auto h = softmax(astype(x, float16), -1, true);
  EXPECT_EQ(h.dtype(), float16);
  expect_array_near(
      h,
      {0.09003057317038046,
       0.24472847105479764,
       0.6652409557748218,
       0.006573263185309083,
       0.0178679818703045,
       0.9755587549443865},
      {2, 3},
      2e-3,
      1e-4);
  // Integers compute in float32.
  EXPECT_EQ(softmax(array({1, 2})).dtype(), float32);
  expect_throws_with_prefix([&] { softmax(x, 2); }, "[softmax]");
  expect_throws_with_prefix(
      [&] { softmax(astype(x, complex64), 0); }, "[softmax]");
}
