// Tests of scatter_add_axis. Expected values were computed with NumPy 1.x:
// out = a.copy(); np.add.at(out, index_tuple, values), where index_tuple
// holds the indices on `axis` and np.indices(...) of the update shape on the
// other axes (quoted per case).
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "mlx/mlx.h"
#include "test_utils.h"

namespace mx = mlx::core;

TEST(ScatterTest, DuplicateAndNegativeIndicesAccumulate) {
  auto a = mx::reshape(mx::arange(12, mx::float32), {3, 4});
  auto idx = mx::array({0, 0, 3, 1, -1, 1, 2, 2, 2}, {3, 3});
  auto v = mx::reshape(mx::astype(mx::arange(0, 90, 10), mx::float32), {3, 3});
  // np.add.at(out, (arange(3)[:, None], idx), v)
  auto out = mx::scatter_add_axis(a, idx, v, 1);
  EXPECT_EQ(out.dtype(), mx::float32);
  expect_array_values(out, {3, 4}, {10, 1, 2, 23, 4, 85, 6, 47, 8, 9, 220, 11});
}

TEST(ScatterTest, IndicesAndValuesBroadcast) {
  auto a = mx::reshape(mx::arange(12, mx::float32), {3, 4});
  // Indices (1, 3) broadcast to (3, 3), a scalar value 0.5 to all:
  // np.add.at(out, (arange(3)[:, None], [[3, 3, 0]] * 3), 0.5)
  auto out = mx::scatter_add_axis(
      a, mx::array({3, 3, 0}, {1, 3}), mx::array(0.5f), -1);
  expect_array_values(
      out, {3, 4}, {0.5, 1, 2, 4, 4.5, 5, 6, 8, 8.5, 9, 10, 12});
}

TEST(ScatterTest, SizeOneAxesOfTheArrayCollectEveryUpdate) {
  // a (1, 4), updates (3, 2): np.add.at(out, (zeros((3, 1)), idx), v)
  auto a = mx::array({1.0, 2.0, 3.0, 4.0}, {1, 4});
  auto idx = mx::array({0, 1, 1, 1, 3, -4}, {3, 2});
  auto v = mx::array({1.0, 2.0, 3.0, 4.0, 5.0, 6.0}, {3, 2});
  expect_array_values(
      mx::scatter_add_axis(a, idx, v, 1), {1, 4}, {8, 11, 3, 9});
}

TEST(ScatterTest, AxisZeroWithStridedValuesAndInt64Indices) {
  auto b = mx::reshape(mx::arange(24), {2, 3, 4});
  auto idx = mx::astype(
      mx::array(
          {1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0,
           0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1},
          {3, 3, 4}),
      mx::int64);
  // Values: arange(36).reshape(4, 3, 3).transpose(2, 1, 0), a strided view.
  auto v = mx::transpose(mx::reshape(mx::arange(36), {4, 3, 3}), {2, 1, 0});
  // I, J, K = np.indices(idx.shape); np.add.at(out, (idx, J, K), v)
  auto out = mx::scatter_add_axis(b, idx, v, 0);
  EXPECT_EQ(out.dtype(), mx::int32);
  expect_array_values(out, {2, 3, 4}, {2,  20, 41, 3,  11, 30, 51, 100,
                                       16, 42, 36, 45, 13, 24, 32, 99,
                                       21, 31, 39, 19, 33, 36, 71, 91});
}

TEST(ScatterTest, OtherDtypes) {
  // Half types accumulate through float: 0.5 * 3 is exact.
  for (auto dt : {mx::float16, mx::bfloat16, mx::uint8, mx::int16}) {
    auto out = mx::scatter_add_axis(
        mx::zeros({4}, dt),
        mx::astype(mx::array({1, 1, 1, 3}), mx::uint8),
        mx::astype(mx::array({0.5f, 0.5f, 0.5f, 2.0f}), dt),
        0);
    EXPECT_EQ(out.dtype(), dt);
    if (dt == mx::uint8 || dt == mx::int16) {
      expect_array_values(out, {4}, {0, 0, 0, 2}); // 0.5 -> 0
    } else {
      expect_array_values(out, {4}, {0, 1.5, 0, 2});
    }
  }
  // complex64: np.add.at(zeros(3, complex64), [0, 0], 1+2j)
  auto c = mx::scatter_add_axis(
      mx::zeros({3}, mx::complex64),
      mx::array({0, 0}),
      mx::array(mx::complex64_t(1.0f, 2.0f)),
      0);
  expect_complex_near(c, {{2, 4}, {0, 0}, {0, 0}}, {3});
  // bool: adding is or-ing.
  auto b = mx::scatter_add_axis(
      mx::array({false, false, true}), mx::array({0, 0}), mx::array(true), 0);
  EXPECT_EQ(b.dtype(), mx::bool_);
  expect_array_values(b, {3}, {1, 0, 1});
}

TEST(ScatterTest, LargeParallelScatterMatchesALoop) {
  // (200, 1000) updates into (50, 1000) along axis 0: rows of the update
  // run in parallel. The expectation is a plain loop (np.add.at semantics).
  const int n = 50, m = 1000, k = 200;
  std::vector<int> idx(k * m);
  std::vector<float> vals(k * m);
  std::vector<double> expected(n * m, 0.0);
  for (int i = 0; i < k; ++i) {
    for (int j = 0; j < m; ++j) {
      int raw = (i * 7 + j * 13) % 100 - 50; // in [-50, 50): wraps
      idx[i * m + j] = raw;
      vals[i * m + j] = static_cast<float>((i + j) % 5);
      expected[(raw < 0 ? raw + n : raw) * m + j] += (i + j) % 5;
    }
  }
  auto out = mx::scatter_add_axis(
      mx::zeros({n, m}, mx::float32),
      mx::array(idx.begin(), {k, m}, mx::int32),
      mx::array(vals.begin(), {k, m}, mx::float32),
      0);
  EXPECT_EQ(mlx_test::to_doubles(out), expected);
}

TEST(ScatterTest, EmptyIndicesAndNonContiguousArray) {
  auto a = mx::transpose(mx::reshape(mx::arange(6, mx::float32), {2, 3}));
  auto out =
      mx::scatter_add_axis(a, mx::zeros({3, 0}, mx::int32), mx::array(1.0f), 1);
  // np: a.T unchanged
  expect_array_values(out, {3, 2}, {0, 3, 1, 4, 2, 5});
  // Transposed a with updates: np.add.at(out, (arange(3)[:, None], [[1], [0],
  // [1]]), 1)
  auto out2 =
      mx::scatter_add_axis(a, mx::array({1, 0, 1}, {3, 1}), mx::array(1.0f), 1);
  expect_array_values(out2, {3, 2}, {0, 4, 2, 4, 2, 6});
}

TEST(ScatterTest, BadArgumentsThrow) {
  auto a = mx::zeros({3, 4});
  expect_throws_with_prefix(
      [&] {
        mx::scatter_add_axis(a, mx::array({1.0f}, {1, 1}), a, 1);
      },
      "[scatter_add_axis]");
  expect_throws_with_prefix(
      [&] { mx::scatter_add_axis(a, mx::array({1}), mx::array(1.0f), 1); },
      "[scatter_add_axis]");
  expect_throws_with_prefix(
      [&] {
        mx::scatter_add_axis(a, mx::array({1}, {1, 1}), mx::array(1.0f), 2);
      },
      "[scatter_add_axis]");
  expect_throws_with_prefix(
      [&] {
        mx::scatter_add_axis(
            a, mx::array({1, 2}, {1, 2}), mx::zeros({3, 3}), 1);
      },
      "[scatter_add_axis]");
  // Out-of-range indices are found by the kernel, at evaluation.
  for (int bad : {4, -5}) {
    auto out = mx::scatter_add_axis(
        a, mx::array({0, bad}, {1, 2}), mx::array(1.0f), 1);
    expect_throws_with_prefix([&] { out.eval(); }, "[scatter_add_axis]");
  }
  auto u = mx::scatter_add_axis(
      a, mx::astype(mx::array({7}, {1, 1}), mx::uint32), mx::array(1.0f), 0);
  expect_throws_with_prefix([&] { u.eval(); }, "[scatter_add_axis]");
}
