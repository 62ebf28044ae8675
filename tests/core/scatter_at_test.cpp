// Slices at array starts, take_along_axis of the flattened array and the
// `at` updates: values against NumPy 1.24 (slicing, np.add.at and the other
// ufunc .at methods, printed once and written in), gradients against finite
// differences, vmap against a loop, and the errors of bad input.
#include <gtest/gtest.h>

#include <stdexcept>

#include "grad_check.h"
#include "test_utils.h"

namespace {

using namespace mlx_test;

TEST(TakeAlongAxisTest, WithoutAxisIndexesTheFlattenedArray) {
  auto a = range({2, 3});
  expect_array_values(
      mx::take_along_axis(a, mx::array({5, 0, -1})), {3}, {5, 0, 5});
  expect_throws_with_prefix(
      [&]() {
        mx::take_along_axis(a, mx::array({0, 1}, {1, 2}));
      },
      "[take_along_axis]");
}

TEST(DynamicSliceTest, SlicesAtArrayStarts) {
  auto b = range({3, 4});
  // b[1:3, 2:4], b[:, 1:3], b[-2:, :]
  expect_array_values(
      mx::slice(b, mx::array({1, 2}), {0, 1}, {2, 2}), {2, 2}, {6, 7, 10, 11});
  expect_array_values(
      mx::slice(b, mx::array({1}), {1}, {2}), {3, 2}, {1, 2, 5, 6, 9, 10});
  expect_array_values(
      mx::slice(b, mx::array({-2}), {0}, {2}),
      {2, 4},
      {4, 5, 6, 7, 8, 9, 10, 11});
  // The start may itself be computed lazily.
  auto start = mx::add(mx::array({0, 1}), mx::array(1));
  expect_array_values(
      mx::slice(b, start, {0, 1}, {2, 2}), {2, 2}, {6, 7, 10, 11});
  // A start whose slice runs past the end raises when evaluated.
  auto past = mx::slice(b, mx::array({2}), {0}, {2});
  EXPECT_THROW(past.eval(), std::invalid_argument);
}

TEST(DynamicSliceTest, SliceUpdateAtArrayStarts) {
  auto src = mx::zeros({3, 4});
  auto up = mx::array({1.0f, 2.0f, 3.0f, 4.0f}, {2, 2});
  // s[1:3, 1:3] = up
  expect_array_values(
      mx::slice_update(src, up, mx::array({1, 1}), {0, 1}),
      {3, 4},
      {0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0});
  // s[:, 2:3] = 7: the update broadcasts over the unsliced axis.
  expect_array_values(
      mx::slice_update(src, mx::array({7.0f}, {1, 1}), mx::array({2}), {1}),
      {3, 4},
      {0, 0, 7, 0, 0, 0, 7, 0, 0, 0, 7, 0});
}

TEST(DynamicSliceTest, GradientsAndVmap) {
  auto start = mx::array({1, 0});
  check_grads(
      "slice",
      unary([&](const mx::array& x) {
        return mx::slice(x, start, {0, 2}, {2, 2});
      }),
      {random_input({3, 2, 3}, 1)});
  check_grads(
      "slice_update",
      binary([&](const mx::array& x, const mx::array& u) {
        return mx::slice_update(x, u, start, {0, 1});
      }),
      {random_input({3, 4}, 2), random_input({2, 3}, 3)});
  check_vmap(
      "slice",
      unary([&](const mx::array& x) {
        return mx::slice(x, mx::array({1}), {0}, {2});
      }),
      {random_input({3, 4, 2}, 4)},
      {2});
}

TEST(ArrayAtTest, DuplicateIndicesAccumulate) {
  auto idx = mx::array({0, 1, 1, 3});
  auto v = mx::array({1.0f, 2.0f, 3.0f, 4.0f});
  // np.add.at, np.subtract.at, np.multiply.at on the same indices.
  expect_array_values(mx::at(mx::zeros({5}), idx).add(v), {5}, {1, 5, 0, 4, 0});
  expect_array_values(
      mx::at(mx::zeros({5}), idx).subtract(v), {5}, {-1, -5, 0, -4, 0});
  expect_array_values(
      mx::at(mx::full({5}, 2.0f), idx)
          .multiply(mx::array({2.0f, 3.0f, 4.0f, 5.0f})),
      {5},
      {4, 24, 2, 10, 2});
  expect_array_values(
      mx::at(mx::full({3}, 24.0f), mx::array({1, 1}))
          .divide(mx::array({2.0f, 3.0f})),
      {3},
      {24, 4, 24});
  auto mm = mx::array({0, 0, 2});
  auto w = mx::array({3.0f, -1.0f, -5.0f});
  expect_array_values(
      mx::at(mx::zeros({5}), mm).maximum(w), {5}, {3, 0, 0, 0, 0});
  expect_array_values(
      mx::at(mx::zeros({5}), mm).minimum(w), {5}, {-1, 0, -5, 0, 0});
}

TEST(ArrayAtTest, IndexesLeadingAxesAndBroadcastsUpdates) {
  // np.add.at(a, [0, 2, 0], 1) on a (3, 2) array: whole rows.
  expect_array_values(
      mx::at(mx::zeros({3, 2}), mx::array({0, 2, 0})).add(mx::array(1.0f)),
      {3, 2},
      {2, 2, 0, 0, 1, 1});
  // np.add.at(a, ([0, 2, 0], [1, 1, 1]), 5)
  expect_array_values(
      mx::at(mx::zeros({3, 2}), {mx::array({0, 2, 0}), mx::array({1, 1, 1})})
          .add(mx::array(5.0f)),
      {3, 2},
      {0, 10, 0, 0, 0, 5});
  auto idx = mx::array({2, 0, 2});
  check_grads(
      "at.add",
      binary([&](const mx::array& a, const mx::array& u) {
        return mx::at(a, idx).add(u);
      }),
      {random_input({3, 2}, 5), random_input({3, 2}, 6)});
  check_grads(
      "at.subtract",
      binary([&](const mx::array& a, const mx::array& u) {
        return mx::at(a, idx).subtract(u);
      }),
      {random_input({3, 2}, 7), random_input({3, 2}, 8)});
}

TEST(ArrayAtTest, BadInputRaises) {
  auto a = mx::zeros({3, 2});
  expect_throws_with_prefix(
      [&]() { mx::at(a, std::vector<mx::array>{}); }, "[at]", "(3, 2)");
  expect_throws_with_prefix(
      [&]() {
        mx::at(a, mx::array({0, 1})).add(mx::ones({3, 2}));
      },
      "[at.add]",
      "(3, 2)");
  expect_throws_with_prefix(
      [&]() { mx::slice(a, mx::array({0.5f}), {0}, {1}); },
      "[slice]",
      "float32");
  expect_throws_with_prefix(
      [&]() {
        mx::slice(a, mx::array({0, 0}), {0}, {1});
      },
      "[slice]",
      "(2,)");
  expect_throws_with_prefix(
      [&]() { mx::slice(a, mx::array({0}), {0}, {4}); }, "[slice]", "4");
  expect_throws_with_prefix(
      [&]() { mx::slice(a, mx::array({0}), {2}, {1}); }, "[slice]");
  expect_throws_with_prefix(
      [&]() {
        mx::slice_update(a, mx::ones({1, 1, 1}), mx::array({0}), {0});
      },
      "[slice_update]",
      "(1, 1, 1)");
  expect_throws_with_prefix(
      [&]() {
        mx::slice_update(a, mx::ones({1, 3}), mx::array({0}), {0});
      },
      "[slice_update]",
      "(1, 3)");
}

} // namespace
