// Tests of concatenate, stack, split, pad, tile, repeat and roll. Expected
// values were computed with NumPy 1.x; the NumPy call is quoted per case,
// with a = np.arange(6).reshape(2, 3) and b = np.arange(6, 12).reshape(2, 3).
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "mlx/mlx.h"
#include "test_utils.h"

namespace mx = mlx::core;

namespace {

mx::array
iota(const mx::Shape& shape, int start = 0, mx::Dtype dtype = mx::int32) {
  int n = 1;
  for (int d : shape) {
    n *= d;
  }
  return mx::reshape(mx::astype(mx::arange(start, start + n), dtype), shape);
}

const mx::array A = iota({2, 3});
const mx::array B = iota({2, 3}, 6);

} // namespace

TEST(JoinTest, ConcatenateAlongAnyAxis) {
  // np.concatenate([a, b], 0), np.concatenate([a, b[:, :2]], -1)
  expect_array_values(
      mx::concatenate({A, B}, 0),
      {4, 3},
      {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  expect_array_values(
      mx::concatenate({A, mx::slice(B, {0, 0}, {2, 2})}, -1),
      {2, 5},
      {0, 1, 2, 6, 7, 3, 4, 5, 9, 10});
  // Without an axis: np.concatenate([a.ravel(), [9, 8]])
  expect_array_values(
      mx::concatenate({A, mx::array({9, 8})}), {8}, {0, 1, 2, 3, 4, 5, 9, 8});
  // One input.
  expect_array_values(mx::concatenate({A}, 1), {2, 3}, {0, 1, 2, 3, 4, 5});
}

TEST(JoinTest, ConcatenateNonContiguousAndEmptyInputs) {
  // np.concatenate([a.T, b[:, ::-1].T, np.broadcast_to([[7, 8]], (1, 2))], 0)
  auto reversed = mx::slice(B, {0, 2}, {2, -4}, {1, -1});
  auto bc = mx::broadcast_to(mx::array({7, 8}, {1, 2}), {1, 2});
  expect_array_values(
      mx::concatenate({mx::transpose(A), mx::transpose(reversed), bc}, 0),
      {7, 2},
      {0, 3, 1, 4, 2, 5, 8, 11, 7, 10, 6, 9, 7, 8});
  expect_array_values(
      mx::concatenate({mx::zeros({0, 3}, mx::int32), A}, 0),
      {2, 3},
      {0, 1, 2, 3, 4, 5});
  expect_array_values(
      mx::concatenate({mx::zeros({2, 0}), mx::zeros({2, 0})}, 1), {2, 0}, {});
}

TEST(JoinTest, ConcatenatePromotesDtypes) {
  auto f = mx::concatenate({mx::array({1}), mx::array({2.5f})}, 0);
  EXPECT_EQ(f.dtype(), mx::float32);
  expect_array_values(f, {2}, {1, 2.5});
  // np.promote_types(uint8, int8) = int16; (bool, int8) = int8
  auto i = mx::concatenate(
      {mx::array({200}, mx::uint8), mx::array({-3}, mx::int8)}, 0);
  EXPECT_EQ(i.dtype(), mx::int16);
  expect_array_values(i, {2}, {200, -3});
  auto b =
      mx::concatenate({mx::array({true, false}), mx::array({-3}, mx::int8)}, 0);
  EXPECT_EQ(b.dtype(), mx::int8);
  expect_array_values(b, {3}, {1, 0, -3});
  // MLX promotes float16 with bfloat16 to float32.
  auto h = mx::concatenate(
      {mx::astype(mx::array({0.5f}), mx::float16),
       mx::astype(mx::array({1.5f}), mx::bfloat16)},
      0);
  EXPECT_EQ(h.dtype(), mx::float32);
  expect_array_values(h, {2}, {0.5, 1.5});
  auto c = mx::concatenate(
      {mx::array({mx::complex64_t(1, 2)}), mx::array({3.0})}, 0);
  c.eval();
  EXPECT_EQ(c.dtype(), mx::complex64);
  EXPECT_EQ(c.data<mx::complex64_t>()[0], mx::complex64_t(1, 2));
  EXPECT_EQ(c.data<mx::complex64_t>()[1], mx::complex64_t(3, 0));
}

TEST(JoinTest, ConcatenateRejectsBadArguments) {
  expect_throws_with_prefix([] { mx::concatenate({}, 0); }, "[concatenate]");
  expect_throws_with_prefix(
      [] {
        mx::concatenate({A, mx::zeros({3, 3})}, 1);
      },
      "[concatenate]",
      "(2, 3) and (3, 3)");
  expect_throws_with_prefix(
      [] {
        mx::concatenate({A, mx::zeros({6})}, 0);
      },
      "[concatenate]");
  expect_throws_with_prefix(
      [] {
        mx::concatenate({A, B}, 2);
      },
      "[concatenate]",
      "Axis 2");
  expect_throws_with_prefix(
      [] {
        mx::concatenate({mx::array(1), mx::array(2)}, 0);
      },
      "[concatenate]");
}

TEST(JoinTest, StackAddsAnAxis) {
  // np.stack([a, b]), np.stack([a, b], 1), np.stack([a, b], -1)
  expect_array_values(
      mx::stack({A, B}), {2, 2, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  expect_array_values(
      mx::stack({A, B}, 1), {2, 2, 3}, {0, 1, 2, 6, 7, 8, 3, 4, 5, 9, 10, 11});
  expect_array_values(
      mx::stack({A, mx::transpose(mx::transpose(B))}, -1),
      {2, 3, 2},
      {0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11});
  expect_array_values(
      mx::stack({mx::array(1), mx::array(2.5f)}), {2}, {1, 2.5});
  expect_throws_with_prefix([] { mx::stack({}); }, "[stack]");
  expect_throws_with_prefix(
      [] {
        mx::stack({A, mx::zeros({3, 2})});
      },
      "[stack]");
  expect_throws_with_prefix([] { mx::stack({A, B}, 3); }, "[stack]");
}

TEST(JoinTest, SplitIntoEqualParts) {
  auto x = iota({2, 6});
  // np.split(np.arange(12).reshape(2, 6), 3, axis=1)
  auto parts = mx::split(x, 3, -1);
  ASSERT_EQ(parts.size(), 3u);
  expect_array_values(parts[0], {2, 2}, {0, 1, 6, 7});
  expect_array_values(parts[1], {2, 2}, {2, 3, 8, 9});
  expect_array_values(parts[2], {2, 2}, {4, 5, 10, 11});
  // The parts are views of x's buffer.
  x.eval();
  parts[1].eval();
  EXPECT_EQ(parts[1].data<int32_t>(), x.data<int32_t>() + 2);
  auto rows = mx::split(x, 2);
  ASSERT_EQ(rows.size(), 2u);
  expect_array_values(rows[1], {1, 6}, {6, 7, 8, 9, 10, 11});
  expect_array_values(mx::split(mx::zeros({0, 2}), 4)[3], {0, 2}, {});
}

TEST(JoinTest, SplitAtIndices) {
  auto y = iota({10});
  // np.split(y, [1, 4])
  auto p = mx::split(y, mx::Shape{1, 4});
  ASSERT_EQ(p.size(), 3u);
  expect_array_values(p[0], {1}, {0});
  expect_array_values(p[1], {3}, {1, 2, 3});
  expect_array_values(p[2], {6}, {4, 5, 6, 7, 8, 9});
  // np.split(y, [-2])
  p = mx::split(y, mx::Shape{-2}, 0);
  expect_array_values(p[0], {8}, {0, 1, 2, 3, 4, 5, 6, 7});
  expect_array_values(p[1], {2}, {8, 9});
  // np.split(y, [6, 3]) and np.split(y, [12])
  p = mx::split(y, mx::Shape{6, 3});
  expect_array_values(p[0], {6}, {0, 1, 2, 3, 4, 5});
  expect_array_values(p[1], {0}, {});
  expect_array_values(p[2], {7}, {3, 4, 5, 6, 7, 8, 9});
  p = mx::split(y, mx::Shape{12});
  expect_array_values(p[0], {10}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  expect_array_values(p[1], {0}, {});
  // Along a transposed view's axis 1: columns [0:1] and [1:] of a.T
  p = mx::split(mx::transpose(A), mx::Shape{1}, 1);
  expect_array_values(p[0], {3, 1}, {0, 1, 2});
  expect_array_values(p[1], {3, 1}, {3, 4, 5});
  EXPECT_EQ(mx::split(y, mx::Shape{}).size(), 1u);
}

TEST(JoinTest, SplitRejectsBadArguments) {
  expect_throws_with_prefix(
      [] {
        mx::split(iota({2, 6}), 4, 1);
      },
      "[split]",
      "equal");
  expect_throws_with_prefix([] { mx::split(iota({6}), 0); }, "[split]");
  expect_throws_with_prefix([] { mx::split(iota({6}), 2, 1); }, "[split]");
  expect_throws_with_prefix(
      [] { mx::split(mx::array(1), mx::Shape{1}); }, "[split]");
}

TEST(JoinTest, PadWithConstants) {
  // np.pad(a, ((1, 0), (2, 1)), constant_values=9)
  expect_array_values(
      mx::pad(A, {{1, 0}, {2, 1}}, mx::array(9)),
      {3, 6},
      {9, 9, 9, 9, 9, 9, 9, 9, 0, 1, 2, 9, 9, 9, 3, 4, 5, 9});
  // np.pad(a, 1), np.pad(a, (0, 2))
  expect_array_values(mx::pad(A, 1), {4, 5}, {0, 0, 0, 0, 0, 0, 0, 1, 2, 0,
                                              0, 3, 4, 5, 0, 0, 0, 0, 0, 0});
  expect_array_values(
      mx::pad(A, std::make_pair(0, 2)), {4, 5}, {0, 1, 2, 0, 0, 3, 4, 5, 0, 0,
                                                 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  // np.pad(a, ((0, 0), (1, 2)), constant_values=-1) through the axes form
  expect_array_values(
      mx::pad(A, {-1}, {1}, {2}, mx::array(-1)),
      {2, 6},
      {-1, 0, 1, 2, -1, -1, -1, 3, 4, 5, -1, -1});
  // np.pad(a.T, ((1, 0), (0, 1)), constant_values=5)
  expect_array_values(
      mx::pad(mx::transpose(A), {{1, 0}, {0, 1}}, mx::array(5)),
      {4, 3},
      {5, 5, 5, 0, 3, 5, 1, 4, 5, 2, 5, 5});
  // A float pad value is converted to the array's dtype (2.9 -> 2).
  auto conv = mx::pad(A, {1}, {1}, {0}, mx::array(2.9f));
  EXPECT_EQ(conv.dtype(), mx::int32);
  expect_array_values(conv, {2, 4}, {2, 0, 1, 2, 2, 3, 4, 5});
  expect_array_values(
      mx::pad(mx::zeros({0, 2}), 1, mx::array(3.0f)),
      {2, 4},
      std::vector<double>(8, 3));
  expect_array_values(mx::pad(A, 0), {2, 3}, {0, 1, 2, 3, 4, 5});
  for (auto dtype :
       {mx::bool_, mx::uint16, mx::float16, mx::bfloat16, mx::complex64}) {
    auto p =
        mx::pad(mx::ones({1}, dtype), std::vector<std::pair<int, int>>{{1, 1}});
    EXPECT_EQ(p.dtype(), dtype);
    expect_array_values(p, {3}, {0, 1, 0});
  }
}

TEST(JoinTest, PadWithEdgeValues) {
  // np.pad(a, ((1, 2), (0, 1)), mode='edge')
  expect_array_values(
      mx::pad(A, {{1, 2}, {0, 1}}, mx::array(0), "edge"),
      {5, 4},
      {0, 1, 2, 2, 0, 1, 2, 2, 3, 4, 5, 5, 3, 4, 5, 5, 3, 4, 5, 5});
  // np.pad(a.T, 1, mode='edge')
  expect_array_values(
      mx::pad(mx::transpose(A), 1, mx::array(0), "edge"),
      {5, 4},
      {0, 0, 3, 3, 0, 0, 3, 3, 1, 1, 4, 4, 2, 2, 5, 5, 2, 2, 5, 5});
  auto h = mx::pad(
      mx::astype(mx::array({1.5f, 2.5f}), mx::float16),
      2,
      mx::array(0),
      "edge");
  EXPECT_EQ(h.dtype(), mx::float16);
  expect_array_values(h, {6}, {1.5, 1.5, 1.5, 2.5, 2.5, 2.5});
}

TEST(JoinTest, PadRejectsBadArguments) {
  expect_throws_with_prefix([] { mx::pad(A, -1); }, "[pad]", "-1");
  expect_throws_with_prefix(
      [] { mx::pad(A, 1, mx::array(0), "reflect"); }, "[pad]", "reflect");
  expect_throws_with_prefix(
      [] {
        mx::pad(A, 1, mx::array({1, 2}));
      },
      "[pad]",
      "scalar");
  expect_throws_with_prefix(
      [] {
        mx::pad(A, std::vector<int>{0, 1}, {1}, {1});
      },
      "[pad]");
  expect_throws_with_prefix(
      [] {
        mx::pad(A, std::vector<std::pair<int, int>>{{1, 1}});
      },
      "[pad]");
  expect_throws_with_prefix(
      [] { mx::pad(A, std::vector<int>{2}, {1}, {1}); }, "[pad]", "Axis 2");
  expect_throws_with_prefix(
      [] {
        mx::pad(A, std::vector<int>{0, -2}, {1, 1}, {1, 1});
      },
      "[pad]",
      "duplicate");
  expect_throws_with_prefix(
      [] {
        mx::pad(mx::zeros({0, 2}), 1, mx::array(0), "edge");
      },
      "[pad]",
      "empty axis");
}

TEST(JoinTest, TileRepeatsTheWholeArray) {
  // np.tile(a, 2), np.tile(a, (2, 1, 2)), np.tile(5, 3), np.tile(a, (0, 2))
  expect_array_values(
      mx::tile(A, {2}), {2, 6}, {0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5});
  expect_array_values(
      mx::tile(A, {2, 1, 2}), {2, 2, 6}, {0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5,
                                          0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5});
  expect_array_values(mx::tile(mx::array(5), {3}), {3}, {5, 5, 5});
  expect_array_values(mx::tile(A, {0, 2}), {0, 6}, {});
  expect_array_values(mx::tile(A, {1}), {2, 3}, {0, 1, 2, 3, 4, 5});
  // np.tile(a.T, (1, 2))
  expect_array_values(
      mx::tile(mx::transpose(A), {1, 2}),
      {3, 4},
      {0, 3, 0, 3, 1, 4, 1, 4, 2, 5, 2, 5});
  auto b = mx::tile(mx::array({true, false}), {2});
  EXPECT_EQ(b.dtype(), mx::bool_);
  expect_array_values(b, {4}, {1, 0, 1, 0});
  expect_throws_with_prefix([] { mx::tile(A, {2, -1}); }, "[tile]");
}

TEST(JoinTest, RepeatRepeatsEachElement) {
  // np.repeat(a, 2, axis=0), np.repeat(a, 3, axis=-1), np.repeat(a, 2)
  expect_array_values(
      mx::repeat(A, 2, 0), {4, 3}, {0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5});
  expect_array_values(
      mx::repeat(A, 3, -1),
      {2, 9},
      {0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5});
  expect_array_values(
      mx::repeat(A, 2), {12}, {0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5});
  expect_array_values(mx::repeat(A, 0, 1), {2, 0}, {});
  // np.repeat(a.T, 2, axis=1)
  expect_array_values(
      mx::repeat(mx::transpose(A), 2, 1),
      {3, 4},
      {0, 0, 3, 3, 1, 1, 4, 4, 2, 2, 5, 5});
  expect_array_values(mx::repeat(mx::array(7.5), 2), {2}, {7.5, 7.5});
  auto c = mx::repeat(mx::array({mx::complex64_t(1, -1)}), 2);
  c.eval();
  EXPECT_EQ(c.data<mx::complex64_t>()[1], mx::complex64_t(1, -1));
  expect_throws_with_prefix([] { mx::repeat(A, -1, 0); }, "[repeat]");
  expect_throws_with_prefix([] { mx::repeat(A, 2, 2); }, "[repeat]");
}

TEST(JoinTest, RollShiftsWithWrapAround) {
  // np.roll(a, 2), np.roll(a, -1), np.roll(a, 7, axis=1)
  expect_array_values(mx::roll(A, 2), {2, 3}, {4, 5, 0, 1, 2, 3});
  expect_array_values(mx::roll(A, -1), {2, 3}, {1, 2, 3, 4, 5, 0});
  expect_array_values(mx::roll(A, 7, 1), {2, 3}, {2, 0, 1, 5, 3, 4});
  // np.roll(a, 1, axis=(0, 1)), np.roll(a, (1, -2), axis=(0, 1))
  expect_array_values(
      mx::roll(A, 1, std::vector<int>{0, 1}), {2, 3}, {5, 3, 4, 2, 0, 1});
  expect_array_values(
      mx::roll(A, mx::Shape{1, -2}, std::vector<int>{0, -1}),
      {2, 3},
      {5, 3, 4, 2, 0, 1});
  // np.roll(a, (1, 2)) rolls the flat array by 3.
  expect_array_values(mx::roll(A, mx::Shape{1, 2}), {2, 3}, {3, 4, 5, 0, 1, 2});
  // np.roll(a, (1, 1), axis=(1, 1)) and np.roll(a, (1, 1), axis=1)
  expect_array_values(
      mx::roll(A, mx::Shape{1, 1}, std::vector<int>{1, 1}),
      {2, 3},
      {1, 2, 0, 4, 5, 3});
  expect_array_values(
      mx::roll(A, mx::Shape{1, 1}, 1), {2, 3}, {1, 2, 0, 4, 5, 3});
  // np.roll(a.T, 1, axis=0)
  expect_array_values(
      mx::roll(mx::transpose(A), 1, 0), {3, 2}, {2, 5, 0, 3, 1, 4});
  expect_array_values(mx::roll(mx::zeros({0, 3}), 2, 0), {0, 3}, {});
  expect_array_values(mx::roll(mx::array(4), 3), {}, {4});
  auto h = mx::roll(mx::astype(mx::array({1.0f, 2.0f, 3.0f}), mx::bfloat16), 1);
  EXPECT_EQ(h.dtype(), mx::bfloat16);
  expect_array_values(h, {3}, {3, 1, 2});
  expect_throws_with_prefix(
      [] {
        mx::roll(A, mx::Shape{1, 2, 3}, std::vector<int>{0, 1});
      },
      "[roll]");
  expect_throws_with_prefix([] { mx::roll(A, 1, 2); }, "[roll]");
}

TEST(JoinTest, LargeConcatenateAndPadRunInParallel) {
  // Big enough to split over the thread pool.
  auto x = iota({512, 300}, 0, mx::float32);
  auto y =
      mx::concatenate({x, mx::transpose(iota({300, 512}, 0, mx::float32))}, 0);
  auto v = mlx_test::to_doubles(y);
  ASSERT_EQ(y.shape(), (mx::Shape{1024, 300}));
  EXPECT_EQ(v[511 * 300 + 299], 511 * 300 + 299);
  EXPECT_EQ(v[512 * 300 + 1], 512); // y[512, 1] = x.T[0, 1] = 1 * 512
  auto p = mx::pad(x, {{1, 1}, {0, 0}}, mx::array(-1.0f));
  auto pv = mlx_test::to_doubles(p);
  EXPECT_EQ(pv[0], -1);
  EXPECT_EQ(pv[300], 0);
  EXPECT_EQ(pv[513 * 300 + 5], -1);
}

TEST(JoinTest, RollWithNoAxesLeavesTheArray) {
  // np.roll(a, 1, axis=()) and np.roll(a, (), axis=0) return a unchanged.
  auto a = mx::reshape(mx::arange(6), {2, 3});
  expect_array_values(
      mx::roll(a, mx::Shape{1}, std::vector<int>{}),
      {2, 3},
      {0, 1, 2, 3, 4, 5});
  expect_array_values(
      mx::roll(a, mx::Shape{}, std::vector<int>{0}),
      {2, 3},
      {0, 1, 2, 3, 4, 5});
  expect_throws_with_prefix(
      [&] {
        mx::roll(a, mx::Shape{1, 2}, std::vector<int>{0, 1, 0});
      },
      "[roll]");
}
