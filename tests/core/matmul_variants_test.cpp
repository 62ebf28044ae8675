// gather_mm and hadamard_transform: values against NumPy 1.24 (stacked
// products of the indexed matrices; x @ H.T with H built by np.kron from
// [[1, 1], [1, -1]]), gradients against finite differences, vmap against a
// loop, and the errors of bad input.
#include <gtest/gtest.h>

#include <cmath>

#include "grad_check.h"
#include "test_utils.h"

namespace {

using namespace mlx_test;

TEST(GatherMMTest, ProductsOfIndexedMatrices) {
  auto a = range({3, 2, 2}), b = range({2, 2, 2});
  // np.stack([a[2] @ b[1], a[0] @ b[1]])
  expect_array_near(
      mx::gather_mm(a, b, mx::array({2, 0}), mx::array({1, 1})),
      {86, 103, 106, 127, 6, 7, 26, 31},
      {2, 2, 2});
  // Absent indices take every batch: np.stack([a[2] @ b[0], a[0] @ b[1]]).
  expect_array_near(
      mx::gather_mm(a, b, mx::array({2, 0})),
      {18, 35, 22, 43, 6, 7, 26, 31},
      {2, 2, 2});
  // A transposed (non-contiguous) b and a 2-D index array.
  auto bt = mx::swapaxes(b, 1, 2);
  auto idx = mx::array({0, 1, 1, 0}, {2, 2});
  auto out = mx::gather_mm(a, bt, mx::array({1}), idx);
  auto want = mx::matmul(
      mx::take(a, 1, 0), mx::take(bt, mx::array({0, 1, 1, 0}, {2, 2}), 0));
  EXPECT_EQ(out.shape(), (mx::Shape{2, 2, 2, 2}));
  expect_array_near(out, to_doubles(want), {2, 2, 2, 2});
}

TEST(GatherMMTest, GradientsVmapAndErrors) {
  auto lhs = mx::array({2, 0, 2}), rhs = mx::array({1, 0, 1});
  check_grads(
      "gather_mm",
      binary([&](const mx::array& a, const mx::array& b) {
        return mx::gather_mm(a, b, lhs, rhs);
      }),
      {random_input({3, 2, 3}, 1), random_input({2, 3, 2}, 2)});
  check_vmap(
      "gather_mm",
      binary([&](const mx::array& a, const mx::array& b) {
        return mx::gather_mm(a, b, lhs, rhs);
      }),
      {random_input({3, 2, 4, 3}, 3), random_input({2, 3, 2}, 4)},
      {2, -1});
  expect_throws_with_prefix(
      [&]() {
        mx::gather_mm(mx::ones({3}), mx::ones({3, 2}));
      },
      "[gather_mm]",
      "(3,)");
  expect_throws_with_prefix(
      [&]() {
        mx::gather_mm(
            mx::ones({2, 2, 2}), mx::ones({2, 2, 2}), mx::array({0.5f}));
      },
      "[gather_mm]",
      "float32");
}

TEST(HadamardTransformTest, MatchesSylvesterMatrix) {
  // np.arange(16).reshape(2, 8) @ H8.T / sqrt(8)
  expect_array_near(
      mx::hadamard_transform(range({2, 8})),
      {9.899494936611665,
       -1.414213562373095,
       -2.82842712474619,
       0,
       -5.65685424949238,
       0,
       0,
       0,
       32.526911934581186,
       -1.414213562373095,
       -2.82842712474619,
       0,
       -5.65685424949238,
       0,
       0,
       0},
      {2, 8},
      1e-5,
      1e-5);
  // arange(4) @ H4.T * 0.5 on a strided view.
  auto strided = mx::slice(range({8}), {0}, {8}, {2});
  expect_array_near(
      mx::hadamard_transform(mx::divide(strided, mx::array(2.0f)), 0.5f),
      {3, -1, -2, 0},
      {4});
  check_grads(
      "hadamard_transform",
      unary([](const mx::array& x) { return mx::hadamard_transform(x); }),
      {random_input({2, 4}, 5)});
  check_vmap(
      "hadamard_transform",
      unary([](const mx::array& x) { return mx::hadamard_transform(x); }),
      {random_input({4, 3}, 6)},
      {1});
  expect_throws_with_prefix(
      [&]() {
        mx::hadamard_transform(mx::ones({2, 6}));
      },
      "[hadamard_transform]",
      "(2, 6)");
}

} // namespace
