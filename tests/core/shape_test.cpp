// Shape and view ops. Expected values: NumPy (noted per case).
#include <gtest/gtest.h>

#include <vector>

#include "test_utils.h"

using namespace mlx::core;

TEST(ShapeTest, Reshape) {
  auto a = arange(12);
  auto r = reshape(a, {3, -1});
  EXPECT_EQ(r.shape(), (Shape{3, 4}));
  expect_array_near(r, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {3, 4});
  EXPECT_EQ(reshape(a, {-1}).shape(), Shape{12});
  EXPECT_EQ(reshape(array(5), {1, 1}).shape(), (Shape{1, 1}));
  EXPECT_EQ(reshape(zeros({0, 4}), {-1, 2}).shape(), (Shape{0, 2}));
  // Reshape of a transposed (non-contiguous) input copies in logical order:
  // np.arange(6).reshape(2, 3).T.reshape(6) = [0, 3, 1, 4, 2, 5]
  auto t = transpose(reshape(arange(6), {2, 3}));
  expect_array_near(reshape(t, {6}), {0, 3, 1, 4, 2, 5}, {6});
  expect_array_near(
      reshape(slice(arange(10), {1}, {9}, {2}), {2, 2}), {1, 3, 5, 7}, {2, 2});
  expect_throws_with_prefix([&] { reshape(a, {5, -1}); }, "[reshape]");
  expect_throws_with_prefix([&] { reshape(a, {-1, -1}); }, "[reshape]");
  expect_throws_with_prefix([&] { reshape(a, {5, 2}); }, "[reshape]");
  expect_throws_with_prefix([&] { reshape(a, {-2, -6}); }, "[reshape]");
  expect_throws_with_prefix(
      [&] {
        reshape(zeros({0, 4}), {0, -1});
      },
      "[reshape]");
}

TEST(ShapeTest, FlattenUnflatten) {
  auto a = zeros({2, 3, 4});
  EXPECT_EQ(flatten(a).shape(), Shape{24});
  EXPECT_EQ(flatten(a, 1).shape(), (Shape{2, 12}));
  EXPECT_EQ(flatten(a, 0, 1).shape(), (Shape{6, 4}));
  EXPECT_EQ(flatten(a, -2, -1).shape(), (Shape{2, 12}));
  EXPECT_EQ(flatten(array(3)).shape(), Shape{1});
  auto t = transpose(reshape(arange(6), {2, 3}));
  expect_array_near(flatten(t), {0, 3, 1, 4, 2, 5}, {6});
  expect_throws_with_prefix([&] { flatten(a, 2, 1); }, "[flatten]");
  expect_throws_with_prefix([&] { flatten(a, 0, 3); }, "[flatten]");

  EXPECT_EQ(unflatten(a, 1, {3, 1}).shape(), (Shape{2, 3, 1, 4}));
  EXPECT_EQ(unflatten(a, -1, {2, -1}).shape(), (Shape{2, 3, 2, 2}));
  expect_array_near(
      unflatten(arange(6), 0, {2, 3}), {0, 1, 2, 3, 4, 5}, {2, 3});
  expect_throws_with_prefix([&] { unflatten(a, 1, {2, 2}); }, "[unflatten]");
  expect_throws_with_prefix([&] { unflatten(a, 1, {-1, -1}); }, "[unflatten]");
  expect_throws_with_prefix([&] { unflatten(a, 3, {1}); }, "[unflatten]");
  expect_throws_with_prefix([&] { unflatten(a, 1, {}); }, "[unflatten]");
}

TEST(ShapeTest, SqueezeExpandDims) {
  auto a = zeros({1, 3, 1, 2});
  EXPECT_EQ(squeeze(a).shape(), (Shape{3, 2}));
  EXPECT_EQ(squeeze(a, 0).shape(), (Shape{3, 1, 2}));
  EXPECT_EQ(squeeze(a, {-2, 0}).shape(), (Shape{3, 2}));
  EXPECT_EQ(squeeze(array({1}, {1, 1})).shape(), Shape{});
  expect_throws_with_prefix([&] { squeeze(a, 1); }, "[squeeze]");
  expect_throws_with_prefix([&] { squeeze(a, 4); }, "[squeeze]");
  expect_throws_with_prefix([&] { squeeze(a, {0, 0}); }, "[squeeze]");

  auto b = zeros({3, 2});
  EXPECT_EQ(expand_dims(b, 0).shape(), (Shape{1, 3, 2}));
  EXPECT_EQ(expand_dims(b, -1).shape(), (Shape{3, 2, 1}));
  EXPECT_EQ(expand_dims(b, {0, 2}).shape(), (Shape{1, 3, 1, 2}));
  EXPECT_EQ(expand_dims(b, {0, -1}).shape(), (Shape{1, 3, 2, 1}));
  EXPECT_EQ(expand_dims(array(1), 0).shape(), Shape{1});
  expect_array_near(expand_dims(array({1, 2}), 1), {1, 2}, {2, 1});
  expect_throws_with_prefix([&] { expand_dims(b, 3); }, "[expand_dims]");
  expect_throws_with_prefix([&] { expand_dims(b, -4); }, "[expand_dims]");
  expect_throws_with_prefix([&] { expand_dims(b, {1, 1}); }, "[expand_dims]");
}

TEST(ShapeTest, TransposeSwapMove) {
  auto a = reshape(arange(24), {2, 3, 4});
  auto t = transpose(a);
  EXPECT_EQ(t.shape(), (Shape{4, 3, 2}));
  // np.arange(24).reshape(2,3,4).T[1, 2] = [9, 21]
  expect_array_near(slice(t, {1, 2, 0}, {2, 3, 2}), {9, 21}, {1, 1, 2});
  auto p = transpose(a, {1, 0, 2});
  EXPECT_EQ(p.shape(), (Shape{3, 2, 4}));
  // p[2, 1] = a[1, 2] = [20, 21, 22, 23]
  expect_array_near(
      slice(p, {2, 1, 0}, {3, 2, 4}), {20, 21, 22, 23}, {1, 1, 4});
  EXPECT_EQ(transpose(a, {-1, 0, 1}).shape(), (Shape{4, 2, 3}));
  EXPECT_EQ(swapaxes(a, 0, -1).shape(), (Shape{4, 3, 2}));
  EXPECT_EQ(moveaxis(a, 0, -1).shape(), (Shape{3, 4, 2}));
  EXPECT_EQ(moveaxis(a, -1, 0).shape(), (Shape{4, 2, 3}));
  // np.moveaxis(a, 2, 0)[3] = a[..., 3] = [[3, 7, 11], [15, 19, 23]]
  expect_array_near(
      slice(moveaxis(a, 2, 0), {3, 0, 0}, {4, 2, 3}),
      {3, 7, 11, 15, 19, 23},
      {1, 2, 3});
  // Transpose of a transpose is the original.
  expect_array_eq(transpose(transpose(a)), a);
  expect_throws_with_prefix([&] { transpose(a, {0, 1}); }, "[transpose]");
  expect_throws_with_prefix([&] { transpose(a, {0, 1, 1}); }, "[transpose]");
  expect_throws_with_prefix([&] { transpose(a, {0, 1, 3}); }, "[transpose]");
  expect_throws_with_prefix([&] { swapaxes(a, 0, 3); }, "[swapaxes]");
  expect_throws_with_prefix([&] { moveaxis(a, 3, 0); }, "[moveaxis]");
}

TEST(ShapeTest, Broadcast) {
  auto b = broadcast_to(array({1, 2, 3}), {2, 3});
  expect_array_near(b, {1, 2, 3, 1, 2, 3}, {2, 3});
  EXPECT_EQ(b.strides()[0], 0);
  expect_array_near(broadcast_to(array(7), {2, 2}), {7, 7, 7, 7}, {2, 2});
  expect_array_near(
      broadcast_to(array({1, 2}, {2, 1}), {2, 3}), {1, 1, 1, 2, 2, 2}, {2, 3});
  EXPECT_EQ(broadcast_to(zeros({1, 3}), {0, 3}).shape(), (Shape{0, 3}));
  // Broadcast of a transposed view.
  auto t = transpose(array({1, 2, 3, 4}, {2, 2}));
  expect_array_near(
      broadcast_to(t, {2, 2, 2}), {1, 3, 2, 4, 1, 3, 2, 4}, {2, 2, 2});
  expect_throws_with_prefix(
      [] {
        broadcast_to(array({1, 2, 3}), {2, 2});
      },
      "[broadcast_to]");
  expect_throws_with_prefix(
      [] {
        broadcast_to(zeros({2, 3}), {3});
      },
      "[broadcast_to]");

  auto arrs =
      broadcast_arrays({array({1, 2, 3}), array({1, 2}, {2, 1}), array(0)});
  ASSERT_EQ(arrs.size(), 3u);
  for (auto& x : arrs) {
    EXPECT_EQ(x.shape(), (Shape{2, 3}));
  }
  expect_array_near(arrs[1], {1, 1, 1, 2, 2, 2}, {2, 3});
  expect_throws_with_prefix(
      [] {
        broadcast_arrays({zeros({2}), zeros({3})});
      },
      "[broadcast");
}

TEST(ShapeTest, AsStridedContiguous) {
  auto a = arange(10);
  // np.lib.stride_tricks.as_strided sliding windows of 3 with step 2.
  auto w = as_strided(a, {4, 3}, {2, 1}, 0);
  expect_array_near(w, {0, 1, 2, 2, 3, 4, 4, 5, 6, 6, 7, 8}, {4, 3});
  auto o = as_strided(a, {2, 2}, {3, 1}, 4);
  expect_array_near(o, {4, 5, 7, 8}, {2, 2});
  // Input that is not row-contiguous is made so first.
  auto t = transpose(reshape(arange(6), {2, 3})); // [[0,3],[1,4],[2,5]]
  expect_array_near(as_strided(t, {3}, {2}, 0), {0, 1, 2}, {3});
  expect_throws_with_prefix(
      [&] {
        as_strided(a, {2, 2}, {1}, 0);
      },
      "[as_strided]");

  auto c = contiguous(t);
  c.eval();
  EXPECT_TRUE(c.flags().row_contiguous);
  expect_array_near(c, {0, 3, 1, 4, 2, 5}, {3, 2});
  auto cc = contiguous(t, true);
  cc.eval();
  EXPECT_TRUE(cc.flags().col_contiguous || cc.flags().row_contiguous);
  expect_array_near(cc, {0, 3, 1, 4, 2, 5}, {3, 2});
  auto cp = copy(slice(arange(8), {7}, {-9}, {-3}));
  expect_array_near(cp, {7, 4, 1}, {3});
}

TEST(ShapeTest, View) {
  // np.float32(1.0).view(np.int32) == 1065353216
  auto v = view(array({1.0f, -2.0f}), int32);
  EXPECT_EQ(v.dtype(), int32);
  expect_array_near(v, {1065353216, -1073741824}, {2});
  EXPECT_EQ(view(array(1.0f), int32).item<int>(), 1065353216);
  // Size-changing: np.array([1, 256], np.int32).view(np.uint8)
  auto u = view(array({1, 256}), uint8);
  expect_array_near(u, {1, 0, 0, 0, 0, 1, 0, 0}, {8});
  // np.array([1, 0, 0, 0, 0, 1, 0, 0], np.uint8).reshape(2, 4).view(np.int32)
  auto back = view(reshape(astype(u, uint8), {2, 4}), int32);
  expect_array_near(back, {1, 256}, {2, 1});
  // float16 1.0 is 0x3c00; view int16 -> 15360.
  expect_array_near(view(astype(array({1.0f}), float16), int16), {15360}, {1});
  // A transposed input is viewed in logical order:
  // np.arange(4, dtype=np.int32).reshape(2, 2).T.copy().view(np.int16)
  auto t = transpose(reshape(arange(4), {2, 2}));
  expect_array_near(view(t, int16), {0, 0, 2, 0, 1, 0, 3, 0}, {2, 4});
  expect_throws_with_prefix([] { view(array(1.0f), float16); }, "[view]");
  expect_throws_with_prefix(
      [] {
        view(astype(array({1, 2, 3}), int8), int32);
      },
      "[view]");
}

TEST(ShapeTest, AtLeast) {
  EXPECT_EQ(atleast_1d(array(1)).shape(), Shape{1});
  EXPECT_EQ(atleast_1d(zeros({2, 3})).shape(), (Shape{2, 3}));
  EXPECT_EQ(atleast_2d(array(1)).shape(), (Shape{1, 1}));
  EXPECT_EQ(atleast_2d(zeros({3})).shape(), (Shape{1, 3}));
  EXPECT_EQ(atleast_3d(array(1)).shape(), (Shape{1, 1, 1}));
  EXPECT_EQ(atleast_3d(zeros({3})).shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(atleast_3d(zeros({2, 3})).shape(), (Shape{2, 3, 1}));
  EXPECT_EQ(atleast_3d(zeros({2, 3, 4, 5})).shape(), (Shape{2, 3, 4, 5}));
  auto v = atleast_2d(std::vector<array>{array(1), zeros({4})});
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[1].shape(), (Shape{1, 4}));
  EXPECT_EQ(atleast_1d(std::vector<array>{array(2)})[0].shape(), Shape{1});
  EXPECT_EQ(
      atleast_3d(std::vector<array>{zeros({2})})[0].shape(), (Shape{1, 2, 1}));
}

TEST(ShapeTest, Slice) {
  auto a = arange(10);
  // a[2:8:3], a[::-1], a[8:2:-2], a[-3:], a[5:100], a[-100:3], a[7:3]
  expect_array_near(slice(a, {2}, {8}, {3}), {2, 5}, {2});
  expect_array_near(
      slice(a, {-1}, {-11}, {-1}), {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}, {10});
  expect_array_near(slice(a, {8}, {2}, {-2}), {8, 6, 4}, {3});
  expect_array_near(slice(a, {-3}, {10}), {7, 8, 9}, {3});
  expect_array_near(slice(a, {5}, {100}), {5, 6, 7, 8, 9}, {5});
  expect_array_near(slice(a, {-100}, {3}), {0, 1, 2}, {3});
  expect_array_near(slice(a, {100}, {-100}, {-4}), {9, 5, 1}, {3});
  auto e = slice(a, {7}, {3});
  EXPECT_EQ(e.shape(), Shape{0});
  e.eval();
  EXPECT_EQ(slice(a, {3}, {7}, {-1}).shape(), Shape{0});
  // 2-d with mixed steps; then a slice of a slice.
  auto m = reshape(arange(12), {3, 4});
  // m[::2, ::-2] = [[3, 1], [11, 9]]
  auto s = slice(m, {0, -1}, {3, -5}, {2, -2});
  expect_array_near(s, {3, 1, 11, 9}, {2, 2});
  // s[::-1, 1:] = [[9], [1]]
  expect_array_near(slice(s, {-1, 1}, {-3, 2}, {-1, 1}), {9, 1}, {2, 1});
  // Slice of a transposed view: m.T[1:3, ::2] = [[1, 9], [2, 10]]
  expect_array_near(
      slice(transpose(m), {1, 0}, {3, 3}, {1, 2}), {1, 9, 2, 10}, {2, 2});
  expect_throws_with_prefix([&] { slice(a, {0}, {5}, {0}); }, "[slice]");
  expect_throws_with_prefix([&] { slice(m, {0}, {5}); }, "[slice]");
}

TEST(ShapeTest, StopGradient) {
  auto a = array({1.5f, -2.0f});
  auto s = stop_gradient(a);
  expect_array_eq(s, a);
  expect_array_near(
      stop_gradient(transpose(array({1, 2, 3, 4}, {2, 2}))),
      {1, 3, 2, 4},
      {2, 2});
}
