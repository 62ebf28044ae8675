// Tests of take, take_along_axis, put_along_axis, slice_update, diagonal,
// diag and trace. Expected values were computed with NumPy 1.x (the
// equivalent np.take / np.take_along_axis / np.put_along_axis / slice
// assignment / np.diagonal / np.diag / np.trace call is quoted per case).
#include <gtest/gtest.h>

#include <complex>
#include <stdexcept>
#include <string>
#include <vector>

#include "mlx/mlx.h"
#include "test_utils.h"

namespace mx = mlx::core;

namespace {

mx::array
ints(std::initializer_list<int> v, const mx::Shape& shape, mx::Dtype dtype) {
  return mx::array(v.begin(), shape, dtype);
}

mx::array iota(const mx::Shape& shape, mx::Dtype dtype = mx::int32) {
  int n = 1;
  for (int d : shape) {
    n *= d;
  }
  return mx::reshape(mx::astype(mx::arange(n), dtype), shape);
}

} // namespace

TEST(IndexingTest, TakeOnAxisZeroWrapsNegativeIndices) {
  auto a = iota({3, 4});
  // np.take(a, [2, -1, 0, -3], axis=0)
  auto out = mx::take(a, mx::array({2, -1, 0, -3}), 0);
  expect_array_values(
      out, {4, 4}, {8, 9, 10, 11, 8, 9, 10, 11, 0, 1, 2, 3, 0, 1, 2, 3});
  EXPECT_EQ(out.dtype(), mx::int32);
}

TEST(IndexingTest, TakeWithMultiDimIndicesInsertsIndexShape) {
  auto b = iota({2, 3, 4}, mx::float32);
  // np.take(b, [[0, 2], [-1, 1]], axis=1) with int64 indices
  auto idx = ints({0, 2, -1, 1}, {2, 2}, mx::int64);
  auto out = mx::take(b, idx, -2);
  expect_array_values(out, {2, 2, 2, 4}, {0,  1,  2,  3,  8,  9,  10, 11,
                                          8,  9,  10, 11, 4,  5,  6,  7,
                                          12, 13, 14, 15, 20, 21, 22, 23,
                                          20, 21, 22, 23, 16, 17, 18, 19});
}

TEST(IndexingTest, TakeFlattenedAndScalarIndex) {
  auto a = iota({2, 3});
  // np.take(a, [5, -6, 3]) -> [5, 0, 3]
  expect_array_values(mx::take(a, mx::array({5, -6, 3})), {3}, {5, 0, 3});
  // np.take(a, 4) -> 4 (0-d)
  expect_array_values(mx::take(a, 4), {}, {4});
  // np.take(a, -1, axis=1) -> [2, 5]
  expect_array_values(mx::take(a, -1, 1), {2}, {2, 5});
  // A 0-d index array removes the axis.
  expect_array_values(mx::take(a, mx::array(1), 0), {3}, {3, 4, 5});
}

TEST(IndexingTest, TakeFromNonContiguousInputs) {
  auto a = iota({3, 4});
  // np.take(a.T, [3, 0], axis=0) with uint8 indices
  expect_array_values(
      mx::take(mx::transpose(a), mx::array({3, 0}, mx::uint8), 0),
      {2, 3},
      {3, 7, 11, 0, 4, 8});
  // np.take(a[:, ::2], [1, 0, 1], axis=1)
  auto strided = mx::slice(a, {0, 0}, {3, 4}, {1, 2});
  expect_array_values(
      mx::take(strided, mx::array({1, 0, 1}), 1),
      {3, 3},
      {2, 0, 2, 6, 4, 6, 10, 8, 10});
  // np.take(np.broadcast_to([1, 2, 3], (4, 3)), [2, 0], axis=1)
  auto bc = mx::broadcast_to(mx::array({1, 2, 3}), {4, 3});
  expect_array_values(
      mx::take(bc, mx::array({2, 0}, mx::int16), 1),
      {4, 2},
      {3, 1, 3, 1, 3, 1, 3, 1});
  // Non-contiguous trailing dims: np.take(b.transpose(2, 0, 1), [1, -1], 0)
  auto b = mx::transpose(iota({2, 3, 4}, mx::float32), {2, 0, 1});
  expect_array_values(
      mx::take(b, mx::array({1, -1}), 0),
      {2, 2, 3},
      {1, 5, 9, 13, 17, 21, 3, 7, 11, 15, 19, 23});
  // Transposed indices: np.take(a, [[0, 1], [2, 0]].T, axis=1)
  auto idx = mx::transpose(mx::array({0, 1, 2, 0}, {2, 2}));
  expect_array_values(
      mx::take(a, idx, 1), {3, 2, 2}, {0, 2, 1, 0, 4, 6, 5, 4, 8, 10, 9, 8});
}

TEST(IndexingTest, TakeKeepsEveryDtype) {
  auto idx = mx::array({1, 0, 1});
  for (auto dtype :
       {mx::bool_,
        mx::int8,
        mx::uint16,
        mx::uint32,
        mx::int64,
        mx::float16,
        mx::bfloat16,
        mx::float32,
        mx::float64}) {
    auto a = mx::astype(mx::array({0, 3}), dtype);
    auto out = mx::take(a, idx, 0);
    EXPECT_EQ(out.dtype(), dtype);
    double hi = dtype == mx::bool_ ? 1 : 3;
    EXPECT_EQ(mlx_test::to_doubles(out), (std::vector<double>{hi, 0, hi}))
        << dtype;
  }
  auto c = mx::array({mx::complex64_t(1, 2), mx::complex64_t(3, -4)});
  auto out = mx::take(c, mx::array({-1, 0}), 0);
  out.eval();
  EXPECT_EQ(out.dtype(), mx::complex64);
  EXPECT_EQ(out.data<mx::complex64_t>()[0], mx::complex64_t(3, -4));
  EXPECT_EQ(out.data<mx::complex64_t>()[1], mx::complex64_t(1, 2));
}

TEST(IndexingTest, TakeWithEmptyShapes) {
  auto a = iota({3, 2});
  expect_array_values(mx::take(a, mx::array({}, mx::int32), 0), {0, 2}, {});
  expect_array_values(
      mx::take(a, mx::zeros({2, 0}, mx::int32), 1), {3, 2, 0}, {});
  // np.take(np.zeros((3, 0)), [1], axis=0) has shape (1, 0).
  expect_array_values(
      mx::take(mx::zeros({3, 0}), mx::array({1}), 0), {1, 0}, {});
}

TEST(IndexingTest, TakeRejectsBadArguments) {
  auto a = iota({5});
  // Out-of-range indices are found when evaluating.
  auto out = mx::take(a, mx::array({1, 7}), 0);
  expect_throws_with_prefix(
      [&] { out.eval(); },
      "[take]",
      "index 7 is out of bounds for axis 0 with size 5");
  auto neg = mx::take(a, mx::array({-6}));
  expect_throws_with_prefix(
      [&] { neg.eval(); }, "[take]", "index -6 is out of bounds");
  auto big = mx::take(a, mx::array(4000000000u, mx::uint32), 0);
  expect_throws_with_prefix(
      [&] { big.eval(); }, "[take]", "4000000000 is out of bounds");
  auto from_empty = mx::take(mx::zeros({0, 3}), mx::array({0}), 0);
  expect_throws_with_prefix([&] { from_empty.eval(); }, "[take]", "size 0");
  expect_throws_with_prefix(
      [&] { mx::take(a, mx::array({1.0f}), 0); }, "[take]", "float32");
  expect_throws_with_prefix(
      [&] { mx::take(a, mx::array({true})); }, "[take]", "bool");
  expect_throws_with_prefix(
      [&] { mx::take(a, mx::array({0}), 1); }, "[take]", "Axis 1");
  expect_throws_with_prefix(
      [&] { mx::take(mx::array(1), mx::array({0}), 0); }, "[take]");
  expect_throws_with_prefix(
      [&] { mx::take(a, 5, 0); }, "[take]", "index 5 is out of bounds");
  expect_throws_with_prefix([&] { mx::take(a, -6); }, "[take]", "index -6");
}

TEST(IndexingTest, TakeAlongAxisGathersPerRow) {
  auto x = mx::array({10, 30, 20, 60, 40, 50}, {2, 3});
  // np.take_along_axis(x, [[0, 2, 1], [1, 2, 0]], axis=1)
  expect_array_values(
      mx::take_along_axis(x, mx::array({0, 2, 1, 1, 2, 0}, {2, 3}), 1),
      {2, 3},
      {10, 20, 30, 40, 50, 60});
  // np.take_along_axis(x, [[-1], [0]], axis=-1)
  expect_array_values(
      mx::take_along_axis(x, ints({-1, 0}, {2, 1}, mx::int64), -1),
      {2, 1},
      {20, 60});
}

TEST(IndexingTest, TakeAlongAxisBroadcastsAndHandlesViews) {
  // np.take_along_axis(arange(8).reshape(2, 4), [[1], [0], [-1]], axis=0)
  expect_array_values(
      mx::take_along_axis(iota({2, 4}), mx::array({1, 0, -1}, {3, 1}), 0),
      {3, 4},
      {4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7});
  // np.take_along_axis([[1], [2], [3]], [[0, 0], [0, -1], [0, 0]], axis=1)
  expect_array_values(
      mx::take_along_axis(
          mx::array({1, 2, 3}, {3, 1}),
          mx::array({0, 0, 0, -1, 0, 0}, {3, 2}),
          1),
      {3, 2},
      {1, 1, 2, 2, 3, 3});
  // np.take_along_axis(arange(12).reshape(3, 4).T, [[2, 1, 0]], axis=1)
  expect_array_values(
      mx::take_along_axis(
          mx::transpose(iota({3, 4})), ints({2, 1, 0}, {1, 3}, mx::uint8), 1),
      {4, 3},
      {8, 4, 0, 9, 5, 1, 10, 6, 2, 11, 7, 3});
  // Empty indices.
  expect_array_values(
      mx::take_along_axis(iota({2, 4}), mx::zeros({2, 0}, mx::int32), 1),
      {2, 0},
      {});
}

TEST(IndexingTest, TakeAlongAxisRejectsBadArguments) {
  auto x = iota({2, 3});
  auto out = mx::take_along_axis(x, mx::array({0, 3}, {2, 1}), 1);
  expect_throws_with_prefix(
      [&] { out.eval(); },
      "[take_along_axis]",
      "index 3 is out of bounds for axis 1 with size 3");
  expect_throws_with_prefix(
      [&] {
        mx::take_along_axis(x, mx::array({0, 1}), 1);
      },
      "[take_along_axis]");
  expect_throws_with_prefix(
      [&] {
        mx::take_along_axis(x, mx::array({0.5f, 1.0f}, {2, 1}), 1);
      },
      "[take_along_axis]",
      "float32");
  expect_throws_with_prefix(
      [&] {
        mx::take_along_axis(x, mx::array({0, 1}, {2, 1}), 2);
      },
      "[take_along_axis]");
  // Off the axis, (3, 1) does not broadcast against (2, .).
  expect_throws_with_prefix(
      [&] {
        mx::take_along_axis(x, mx::array({0, 1, 0}, {3, 1}), 1);
      },
      "[take_along_axis]");
}

TEST(IndexingTest, PutAlongAxisWritesValues) {
  // z = zeros((2, 3)); np.put_along_axis(z, [[1], [2]], [[5], [7]], axis=1)
  expect_array_values(
      mx::put_along_axis(
          mx::zeros({2, 3}),
          mx::array({1, 2}, {2, 1}),
          mx::array({5.0f, 7.0f}, {2, 1}),
          1),
      {2, 3},
      {0, 5, 0, 0, 0, 7});
  // A scalar value broadcast: np.put_along_axis(z, [[-1, 0]], 9.0, axis=1)
  expect_array_values(
      mx::put_along_axis(
          mx::zeros({2, 3}), mx::array({-1, 0}, {1, 2}), mx::array(9.0f), 1),
      {2, 3},
      {9, 0, 9, 9, 0, 9});
  // Duplicates: the last one wins -> [0, 4, 0, 0]
  expect_array_values(
      mx::put_along_axis(
          mx::zeros({4}, mx::int32), mx::array({1, 1}), mx::array({3, 4}), 0),
      {4},
      {0, 4, 0, 0});
  // Transposed destination: z = arange(12).reshape(3, 4).T;
  // np.put_along_axis(z, [[0], [2], [1], [0]], [[-1], [-2], [-3], [-4]], 1)
  expect_array_values(
      mx::put_along_axis(
          mx::transpose(iota({3, 4})),
          ints({0, 2, 1, 0}, {4, 1}, mx::int64),
          mx::array({-1, -2, -3, -4}, {4, 1}),
          -1),
      {4, 3},
      {-1, 4, 8, 1, 5, -2, 2, -3, 10, -4, 7, 11});
  // Float values into an int32 array are converted (truncated).
  auto conv = mx::put_along_axis(
      iota({2, 3}), mx::array({0, 2}, {1, 2}), mx::array({2.7f, -1.5f}), 1);
  EXPECT_EQ(conv.dtype(), mx::int32);
  expect_array_values(conv, {2, 3}, {2, 1, -1, 2, 4, -1});
}

TEST(IndexingTest, PutAlongAxisLeavesTheInputUnchanged) {
  auto a = iota({3});
  a.eval();
  auto out = mx::put_along_axis(a, mx::array({0}), mx::array({9}), 0);
  expect_array_values(out, {3}, {9, 1, 2});
  expect_array_values(a, {3}, {0, 1, 2});
  for (auto dtype :
       {mx::bool_, mx::uint8, mx::float16, mx::bfloat16, mx::complex64}) {
    auto z = mx::zeros({3}, dtype);
    auto r = mx::put_along_axis(z, mx::array({2}), mx::array(1), 0);
    EXPECT_EQ(r.dtype(), dtype);
    expect_array_values(r, {3}, {0, 0, 1});
  }
}

TEST(IndexingTest, PutAlongAxisRejectsBadArguments) {
  auto x = mx::zeros({2, 3});
  auto out =
      mx::put_along_axis(x, mx::array({0, -4}, {2, 1}), mx::array(1.0f), 1);
  expect_throws_with_prefix(
      [&] { out.eval(); },
      "[put_along_axis]",
      "index -4 is out of bounds for axis 1 with size 3");
  expect_throws_with_prefix(
      [&] { mx::put_along_axis(x, mx::array({0}), mx::array(1.0f), 1); },
      "[put_along_axis]");
  expect_throws_with_prefix(
      [&] {
        mx::put_along_axis(
            x, mx::array({0.0f, 1.0f}, {2, 1}), mx::array(1.0f), 1);
      },
      "[put_along_axis]");
  expect_throws_with_prefix(
      [&] {
        mx::put_along_axis(
            x, mx::array({0, 1}, {2, 1}), mx::array({1.0f, 2.0f, 3.0f}), 1);
      },
      "[put_along_axis]");
  expect_throws_with_prefix(
      [&] {
        mx::put_along_axis(x, mx::array({0, 1}, {2, 1}), mx::array(1.0f), -3);
      },
      "[put_along_axis]");
}

TEST(IndexingTest, SliceUpdateReplacesTheSlice) {
  auto a = iota({3, 4});
  // s = a.copy(); s[1:3, 1:3] = -1
  expect_array_values(
      mx::slice_update(a, mx::full({2, 2}, -1), {1, 1}, {3, 3}),
      {3, 4},
      {0, 1, 2, 3, 4, -1, -1, 7, 8, -1, -1, 11});
  // s[0:3:2, 0:4:3] = [[100, 101], [102, 103]]
  expect_array_values(
      mx::slice_update(
          a, mx::array({100, 101, 102, 103}, {2, 2}), {0, 0}, {3, 4}, {2, 3}),
      {3, 4},
      {100, 1, 2, 101, 4, 5, 6, 7, 102, 9, 10, 103});
  // s[2::-1, 3:0:-2] = [[1, 2], [3, 4], [5, 6]]
  expect_array_values(
      mx::slice_update(
          a, mx::array({1, 2, 3, 4, 5, 6}, {3, 2}), {2, 3}, {-4, 0}, {-1, -2}),
      {3, 4},
      {0, 6, 2, 5, 4, 4, 6, 3, 8, 2, 10, 1});
  // s[:, 1:2] = 7 (broadcast scalar)
  expect_array_values(
      mx::slice_update(a, mx::array(7), {0, 1}, {3, 2}),
      {3, 4},
      {0, 7, 2, 3, 4, 7, 6, 7, 8, 7, 10, 11});
  // s[0:1, :] = 2.5 converts to int32 -> 2
  auto conv = mx::slice_update(a, mx::array(2.5f), {0, 0}, {1, 4});
  EXPECT_EQ(conv.dtype(), mx::int32);
  expect_array_values(conv, {3, 4}, {2, 2, 2, 2, 4, 5, 6, 7, 8, 9, 10, 11});
  // An empty slice leaves the values as they were.
  expect_array_values(
      mx::slice_update(a, mx::array(5), {1, 0}, {1, 4}),
      {3, 4},
      {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
}

TEST(IndexingTest, SliceUpdateOfViewsKeepsTheSource) {
  auto a = iota({3, 4});
  a.eval();
  // t = a.T.copy(); t[1:3, 0:2] = [-5, -6]
  auto t = mx::transpose(a);
  expect_array_values(
      mx::slice_update(t, mx::array({-5, -6}), {1, 0}, {3, 2}),
      {4, 3},
      {0, 4, 8, -5, -6, 9, -5, -6, 10, 3, 7, 11});
  auto out = mx::slice_update(a, mx::array(0), {0, 0}, {3, 4});
  expect_array_values(out, {3, 4}, std::vector<double>(12, 0));
  expect_array_values(a, {3, 4}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  // Updating with a broadcast view of another array.
  auto row = mx::broadcast_to(mx::array({1.5, 2.5}), {3, 2});
  auto f =
      mx::slice_update(mx::zeros({3, 3}, mx::float64), row, {0, 1}, {3, 3});
  expect_array_values(f, {3, 3}, {0, 1.5, 2.5, 0, 1.5, 2.5, 0, 1.5, 2.5});
}

TEST(IndexingTest, SliceUpdateReusesADonatedSource) {
  auto src = mx::astype(mx::arange(6), mx::float32);
  src.eval();
  const float* buffer = src.data<float>();
  auto out = mx::slice_update(src, mx::array({-1.0f}), {2}, {3});
  // Now only the SliceUpdate input refers to src: its buffer is reused.
  src = mx::array(0.0f);
  out.eval();
  EXPECT_EQ(out.data<float>(), buffer);
  expect_array_values(out, {6}, {0, 1, -1, 3, 4, 5});
}

TEST(IndexingTest, SliceUpdateKeepsEveryDtype) {
  for (auto dtype :
       {mx::bool_,
        mx::int8,
        mx::uint64,
        mx::float16,
        mx::bfloat16,
        mx::float64}) {
    auto out =
        mx::slice_update(mx::zeros({4}, dtype), mx::array(1), {1}, {4}, {2});
    EXPECT_EQ(out.dtype(), dtype);
    expect_array_values(out, {4}, {0, 1, 0, 1});
  }
  auto c = mx::slice_update(
      mx::zeros({2}, mx::complex64),
      mx::array(mx::complex64_t(1, -1)),
      {1},
      {2});
  c.eval();
  EXPECT_EQ(c.data<mx::complex64_t>()[0], mx::complex64_t(0, 0));
  EXPECT_EQ(c.data<mx::complex64_t>()[1], mx::complex64_t(1, -1));
}

TEST(IndexingTest, SliceUpdateRejectsBadArguments) {
  auto a = iota({3, 4});
  expect_throws_with_prefix(
      [&] { mx::slice_update(a, mx::array(1), {0}, {1}); }, "[slice_update]");
  expect_throws_with_prefix(
      [&] {
        mx::slice_update(a, mx::array(1), {0, 0}, {1, 1}, {1, 0});
      },
      "[slice_update]",
      "zero");
  expect_throws_with_prefix(
      [&] {
        mx::slice_update(a, mx::array({1, 2, 3}), {0, 0}, {2, 2});
      },
      "[slice_update]");
  expect_throws_with_prefix(
      [&] {
        mx::slice_update(a, mx::zeros({1, 2, 2}), {0, 0}, {2, 2});
      },
      "[slice_update]");
}

TEST(IndexingTest, DiagonalIsAViewOfAnyAxes) {
  auto a = iota({3, 4});
  // np.diagonal(a, k) for k = 0, 1, -1, 5, -3
  expect_array_values(mx::diagonal(a), {3}, {0, 5, 10});
  expect_array_values(mx::diagonal(a, 1), {3}, {1, 6, 11});
  expect_array_values(mx::diagonal(a, -1), {2}, {4, 9});
  expect_array_values(mx::diagonal(a, 5), {0}, {});
  expect_array_values(mx::diagonal(a, -3), {0}, {});
  auto b = iota({2, 3, 4});
  // np.diagonal(b, 1, 0, 2), np.diagonal(b, 1, 2, 0), np.diagonal(b, -1, 1, 2)
  expect_array_values(mx::diagonal(b, 1, 0, 2), {3, 2}, {1, 14, 5, 18, 9, 22});
  expect_array_values(mx::diagonal(b, 1, -1, -3), {3, 1}, {12, 16, 20});
  expect_array_values(mx::diagonal(b, -1, 1, 2), {2, 2}, {4, 9, 16, 21});
  // np.diagonal(a.T, 1)
  expect_array_values(mx::diagonal(mx::transpose(a), 1), {2}, {4, 9});
  // The result shares the input's buffer.
  a.eval();
  auto d = mx::diagonal(a, 1);
  d.eval();
  EXPECT_EQ(d.data<int32_t>(), a.data<int32_t>() + 1);
}

TEST(IndexingTest, DiagonalRejectsBadArguments) {
  expect_throws_with_prefix([&] { mx::diagonal(iota({3})); }, "[diagonal]");
  expect_throws_with_prefix(
      [&] {
        mx::diagonal(iota({3, 3}), 0, 1, -1);
      },
      "[diagonal]");
  expect_throws_with_prefix(
      [&] {
        mx::diagonal(iota({3, 3}), 0, 0, 2);
      },
      "[diagonal]");
}

TEST(IndexingTest, DiagBuildsOrExtracts) {
  // np.diag([1, 2, 3]), np.diag([1, 2, 3], 1), np.diag([1, 2, 3], -2)
  auto v = mx::array({1, 2, 3});
  expect_array_values(mx::diag(v), {3, 3}, {1, 0, 0, 0, 2, 0, 0, 0, 3});
  expect_array_values(
      mx::diag(v, 1), {4, 4}, {0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0, 0});
  expect_array_values(mx::diag(v, -2), {5, 5}, {0, 0, 0, 0, 0, 0, 0, 0, 0,
                                                0, 1, 0, 0, 0, 0, 0, 2, 0,
                                                0, 0, 0, 0, 3, 0, 0});
  // np.diag(arange(12).reshape(3, 4), -1)
  expect_array_values(mx::diag(iota({3, 4}), -1), {2}, {4, 9});
  // np.diag([]) has shape (0, 0); np.diag([], 2) is a 2 x 2 zero matrix.
  expect_array_values(mx::diag(mx::zeros({0})), {0, 0}, {});
  expect_array_values(mx::diag(mx::zeros({0}), 2), {2, 2}, {0, 0, 0, 0});
  // Strided input and other dtypes.
  auto strided = mx::slice(mx::array({1.5, 9.0, -2.5}), {0}, {3}, {2});
  expect_array_values(mx::diag(strided), {2, 2}, {1.5, 0, 0, -2.5});
  auto b = mx::diag(mx::array({true, true}));
  EXPECT_EQ(b.dtype(), mx::bool_);
  expect_array_values(b, {2, 2}, {1, 0, 0, 1});
  auto c = mx::diag(mx::array({mx::complex64_t(0, 1)}), 1);
  c.eval();
  EXPECT_EQ(c.dtype(), mx::complex64);
  EXPECT_EQ(c.data<mx::complex64_t>()[1], mx::complex64_t(0, 1));
  EXPECT_EQ(c.data<mx::complex64_t>()[0], mx::complex64_t(0, 0));
  expect_throws_with_prefix([&] { mx::diag(iota({2, 2, 2})); }, "[diag]");
  expect_throws_with_prefix([&] { mx::diag(mx::array(1)); }, "[diag]");
}

TEST(IndexingTest, TraceSumsTheDiagonal) {
  auto c = iota({3, 3});
  // np.trace(c), np.trace(c, 1), np.trace(c, -2)
  EXPECT_EQ(mx::trace(c).item<int>(), 12);
  EXPECT_EQ(mx::trace(c, 1, 0, 1).item<int>(), 6);
  EXPECT_EQ(mx::trace(c, -2, 0, 1).item<int>(), 6);
  EXPECT_EQ(mx::trace(c).dtype(), mx::int32);
  // np.trace(b, 0, 1, 2), np.trace(b, 1, 0, 2) for b = arange(24).reshape(2, 3,
  // 4)
  auto b = iota({2, 3, 4});
  expect_array_values(mx::trace(b, 0, 1, 2), {2}, {15, 51});
  expect_array_values(mx::trace(b, 1, 0, -1), {3}, {15, 23, 31});
  // np.trace(arange(9, dtype=float32).reshape(3, 3) / 4) = 3.0
  auto f = mx::trace(c, 0, 0, 1, mx::float32) / 4.0f;
  EXPECT_EQ(f.dtype(), mx::float32);
  EXPECT_FLOAT_EQ(f.item<float>(), 3.0f);
  // A float16 trace of a transposed view.
  auto h = mx::trace(mx::transpose(mx::astype(c, mx::float16)), 1, 0, 1);
  EXPECT_EQ(h.dtype(), mx::float16);
  EXPECT_EQ(h.item<float>(), 3 + 7.0f); // np.trace(c.T, 1) = 3 + 7
  // An empty diagonal sums to zero.
  EXPECT_EQ(mx::trace(c, 3, 0, 1).item<int>(), 0);
  expect_throws_with_prefix([&] { mx::trace(iota({3})); }, "[trace]");
  expect_throws_with_prefix([&] { mx::trace(c, 0, 1, 1); }, "[trace]");
  expect_throws_with_prefix([&] { mx::trace(c, 0, 0, 2); }, "[trace]");
}

TEST(IndexingTest, LargeGathersRunInParallel) {
  // Rows i * 7 % 4096 of a (4096, 33) matrix; enough work for the pool.
  auto a = iota({4096, 33}, mx::float32);
  std::vector<int> rows(20000);
  for (size_t i = 0; i < rows.size(); ++i) {
    rows[i] = static_cast<int>((i * 7) % 4096) - (i % 2 ? 4096 : 0);
  }
  auto idx =
      mx::array(rows.begin(), {static_cast<int>(rows.size())}, mx::int32);
  auto v = mlx_test::to_doubles(mx::take(a, idx, 0));
  ASSERT_EQ(v.size(), rows.size() * 33);
  for (size_t i = 0; i < rows.size(); i += 997) {
    int r = (rows[i] + 4096) % 4096;
    EXPECT_EQ(v[i * 33 + 5], r * 33 + 5);
  }
  // Same rows along axis 1 of the transpose (strided trailing dims).
  auto t = mlx_test::to_doubles(mx::take(mx::transpose(a), idx, 1));
  EXPECT_EQ(
      t[0 * rows.size() + 3],
      ((3 * 7) % 4096) * 33.0); // rows[3] = 21 - 4096 wraps to 21
  // take_along_axis over the whole matrix, and one bad index deep inside.
  auto along = mx::take_along_axis(a, mx::full({4096, 1}, -1), 1);
  auto av = mlx_test::to_doubles(along);
  EXPECT_EQ(av[4000], 4000 * 33 + 32);
  rows[15000] = 4096;
  auto bad = mx::take(a, mx::array(rows.begin(), {20000}, mx::int32), 0);
  expect_throws_with_prefix(
      [&] { bad.eval(); },
      "[take]",
      "index 4096 is out of bounds for axis 0 with size 4096");
}
