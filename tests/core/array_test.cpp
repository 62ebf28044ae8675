// The array handle: construction, element access, layout metadata, and
// printing in MLX's format.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <limits>
#include <vector>

#include "test_utils.h"

using namespace mlx::core;

TEST(ArrayTest, ScalarConstruction) {
  array a(7);
  EXPECT_EQ(a.dtype(), int32);
  EXPECT_EQ(a.ndim(), 0u);
  EXPECT_EQ(a.size(), 1u);
  EXPECT_EQ(a.shape(), Shape{});
  EXPECT_EQ(a.item<int>(), 7);

  array b(1.5f);
  EXPECT_EQ(b.dtype(), float32);
  EXPECT_EQ(b.item<float>(), 1.5f);

  // A C++ double makes a float32 array, as in MLX.
  array c(2.25);
  EXPECT_EQ(c.dtype(), float32);
  EXPECT_EQ(c.item<double>(), 2.25);

  array d(true);
  EXPECT_EQ(d.dtype(), bool_);
  EXPECT_TRUE(d.item<bool>());

  array e(3.7, int32); // explicit dtype converts (truncates)
  EXPECT_EQ(e.dtype(), int32);
  EXPECT_EQ(e.item<int>(), 3);

  array f(-1, uint8); // wraps as a C cast
  EXPECT_EQ(f.item<int>(), 255);

  array g(0.1, float64);
  EXPECT_EQ(g.dtype(), float64);
  EXPECT_EQ(g.item<double>(), 0.1);

  array h(complex64_t(1.0f, -2.0f));
  EXPECT_EQ(h.dtype(), complex64);
  EXPECT_EQ(h.item<complex64_t>(), complex64_t(1.0f, -2.0f));

  array i(int64_t(1) << 40);
  EXPECT_EQ(i.dtype(), int64);
  EXPECT_EQ(i.item<int64_t>(), int64_t(1) << 40);

  array j(float16_t(0.5f));
  EXPECT_EQ(j.dtype(), float16);
  EXPECT_EQ(j.item<float>(), 0.5f);
  EXPECT_EQ(static_cast<float>(j.item<float16_t>()), 0.5f);
  EXPECT_EQ(j.itemsize(), 2u);
}

TEST(ArrayTest, ItemConversions) {
  EXPECT_EQ(array(2.9f).item<int>(), 2);
  EXPECT_EQ(array(-2.9f).item<int>(), -2);
  EXPECT_TRUE(array(0.5f).item<bool>());
  EXPECT_FALSE(array(0).item<bool>());
  EXPECT_EQ(array(true).item<float>(), 1.0f);
  EXPECT_EQ(array(250, uint8).item<uint8_t>(), 250);
  EXPECT_EQ(array(1.5f, bfloat16).item<double>(), 1.5);
  expect_throws_with_prefix([] { array({1, 2}).item<int>(); }, "[item]");
  expect_throws_with_prefix(
      [] { array(complex64_t(1, 1)).item<float>(); }, "[item]");
}

TEST(ArrayTest, InitializerLists) {
  array a({1, 2, 3});
  EXPECT_EQ(a.dtype(), int32);
  EXPECT_EQ(a.shape(), Shape{3});
  expect_array_near(a, {1, 2, 3}, {3});

  array b({1.0f, 2.5f});
  EXPECT_EQ(b.dtype(), float32);

  array c({true, false, true});
  EXPECT_EQ(c.dtype(), bool_);
  expect_array_near(c, {1, 0, 1}, {3});

  array d({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(d.shape(), (Shape{2, 3}));
  EXPECT_EQ(d.ndim(), 2u);
  EXPECT_EQ(d.strides(), (Strides{3, 1}));
  EXPECT_EQ(d.shape(-1), 3);
  EXPECT_EQ(d.shape(0), 2);
  EXPECT_EQ(d.strides(-2), 3);

  array e({1, 2}, float32);
  EXPECT_EQ(e.dtype(), float32);
  expect_array_near(e, {1, 2}, {2});

  array f({1, 2, 3}, float16);
  EXPECT_EQ(f.dtype(), float16);
  EXPECT_EQ(f.nbytes(), 6u);

  expect_throws_with_prefix([] { array({1, 2, 3}, Shape{2, 2}); }, "[array]");
}

TEST(ArrayTest, VectorsWithShape) {
  std::vector<float> v = {1, 2, 3, 4, 5, 6};
  array a(v, {3, 2});
  EXPECT_EQ(a.dtype(), float32);
  EXPECT_EQ(a.shape(), (Shape{3, 2}));
  EXPECT_EQ(a.size(), 6u);
  EXPECT_EQ(a.nbytes(), 24u);
  EXPECT_EQ(a.itemsize(), 4u);
  a.eval();
  EXPECT_EQ(a.data<float>()[5], 6.0f);
  EXPECT_TRUE(a.flags().row_contiguous);
  EXPECT_TRUE(a.flags().contiguous);

  std::vector<double> d = {0.1, 0.2};
  array b(d, {2}, float64);
  EXPECT_EQ(b.dtype(), float64);
  b.eval();
  EXPECT_EQ(b.data<double>()[0], 0.1);

  std::vector<int> iv = {1, -2, 3};
  array c(iv, {3}, int8);
  EXPECT_EQ(c.dtype(), int8);
  EXPECT_EQ(c.data<int8_t>()[1], -2);

  std::vector<bool> bv = {true, false};
  array bb(bv.begin(), {2}, bool_);
  expect_array_near(bb, {1, 0}, {2});

  std::vector<int64_t> big = {1, 2, 3, 4, 5, 6, 7, 8};
  array e(big.begin(), {2, 2, 2});
  EXPECT_EQ(e.dtype(), int64);
  EXPECT_EQ(e.strides(), (Strides{4, 2, 1}));
  EXPECT_EQ(e.nbytes(), 64u);

  expect_throws_with_prefix([&] { array(v, {4, 2}); }, "[array]");
  expect_throws_with_prefix([&] { array(v, {-1, 6}); }, "[array]");
}

TEST(ArrayTest, ZeroSize) {
  array a(std::vector<float>{}, {0, 3});
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(a.nbytes(), 0u);
  EXPECT_EQ(a.shape(), (Shape{0, 3}));
  EXPECT_EQ(to_string(a), "array([], dtype=float32)");
}

TEST(ArrayTest, ComplexConstruction) {
  array a(std::vector<complex64_t>{{1, 2}, {3, -4}}, {2});
  EXPECT_EQ(a.dtype(), complex64);
  EXPECT_EQ(a.itemsize(), 8u);
  expect_complex_near(a, {{1, 2}, {3, -4}}, {2});
  // Real values become complex with zero imaginary part.
  array b({1.0f, 2.0f});
  array c(std::vector<float>{1.5f}, {1}, complex64);
  expect_complex_near(c, {{1.5, 0}}, {1});
}

TEST(ArrayPrintTest, OneDimensional) {
  auto x = array({1, 2, 3});
  EXPECT_EQ(to_string(x + x), "array([2, 4, 6], dtype=int32)");
  EXPECT_EQ(
      to_string(array({1.5f, 2.0f, -0.25f})),
      "array([1.5, 2, -0.25], dtype=float32)");
  EXPECT_EQ(
      to_string(array({true, false})), "array([true, false], dtype=bool)");
  EXPECT_EQ(to_string(array({1, -2}, int8)), "array([1, -2], dtype=int8)");
  EXPECT_EQ(to_string(array({200, 3}, uint8)), "array([200, 3], dtype=uint8)");
  EXPECT_EQ(to_string(array({1, 2}, int64)), "array([1, 2], dtype=int64)");
}

TEST(ArrayPrintTest, Scalars) {
  EXPECT_EQ(to_string(array(1.5f)), "array(1.5, dtype=float32)");
  EXPECT_EQ(to_string(array(1.5)), "array(1.5, dtype=float32)");
  EXPECT_EQ(to_string(array(7)), "array(7, dtype=int32)");
  EXPECT_EQ(to_string(array(true)), "array(true, dtype=bool)");
  EXPECT_EQ(to_string(array(0.25, float64)), "array(0.25, dtype=float64)");
}

TEST(ArrayPrintTest, HalfTypesPrintAsNumbers) {
  EXPECT_EQ(
      to_string(astype(array({1.5f, -2.0f}), float16)),
      "array([1.5, -2], dtype=float16)");
  EXPECT_EQ(
      to_string(astype(array({0.5f, 3.0f}), bfloat16)),
      "array([0.5, 3], dtype=bfloat16)");
  // float16(0.1) is 0.0999755859375; default stream precision is 6.
  EXPECT_EQ(to_string(array(0.1f, float16)), "array(0.0999756, dtype=float16)");
}

TEST(ArrayPrintTest, Complex) {
  EXPECT_EQ(
      to_string(array(complex64_t(1.0f, 2.0f))),
      "array(1+2j, dtype=complex64)");
  EXPECT_EQ(
      to_string(array(std::vector<complex64_t>{{1.5f, -2.0f}, {0, 0}}, {2})),
      "array([1.5-2j, 0+0j], dtype=complex64)");
  EXPECT_EQ(
      to_string(array(complex64_t(0.0f, NAN))),
      "array(0+nanj, dtype=complex64)");
}

TEST(ArrayPrintTest, TwoAndThreeDimensional) {
  EXPECT_EQ(
      to_string(array({1, 2, 3, 4}, {2, 2})),
      "array([[1, 2],\n       [3, 4]], dtype=int32)");
  // MLX puts one newline between blocks, each level indented one more.
  EXPECT_EQ(
      to_string(array({0, 1, 2, 3, 4, 5, 6, 7}, {2, 2, 2})),
      "array([[[0, 1],\n"
      "        [2, 3]],\n"
      "       [[4, 5],\n"
      "        [6, 7]]], dtype=int32)");
  // A transposed view prints in logical order.
  EXPECT_EQ(
      to_string(transpose(array({1, 2, 3, 4, 5, 6}, {2, 3}))),
      "array([[1, 4],\n       [2, 5],\n       [3, 6]], dtype=int32)");
  EXPECT_EQ(
      to_string(array(std::vector<float>{}, {2, 0})),
      "array([[],\n       []], dtype=float32)");
}

TEST(ArrayPrintTest, Summarized) {
  // MLX elides the middle of any dimension longer than 6.
  EXPECT_EQ(
      to_string(arange(10)), "array([0, 1, 2, ..., 7, 8, 9], dtype=int32)");
  EXPECT_EQ(to_string(arange(6)), "array([0, 1, 2, 3, 4, 5], dtype=int32)");
  EXPECT_EQ(
      to_string(arange(7)), "array([0, 1, 2, ..., 4, 5, 6], dtype=int32)");
  EXPECT_EQ(
      to_string(reshape(arange(16), {8, 2})),
      "array([[0, 1],\n"
      "       [2, 3],\n"
      "       [4, 5],\n"
      "       ...,\n"
      "       [10, 11],\n"
      "       [12, 13],\n"
      "       [14, 15]], dtype=int32)");
  auto big = to_string(arange(100000));
  EXPECT_EQ(big, "array([0, 1, 2, ..., 99997, 99998, 99999], dtype=int32)");
}

TEST(ArrayPrintTest, ShapesPrintAsTuples) {
  std::ostringstream os;
  os << Shape{2, 3} << " " << Shape{4} << " " << Shape{};
  EXPECT_EQ(os.str(), "(2, 3) (4,) ()");
}

TEST(ArrayTest, ByteSizeOverflowIsAnError) {
  // 2^62 float64 elements are 2^65 bytes: nbytes() used to wrap to 0, so the
  // kernel got an empty buffer and wrote 2^62 elements into it.
  EXPECT_THROW(zeros({1 << 30, 1 << 30, 4}, float64), std::overflow_error);
  EXPECT_THROW(
      as_strided(array(1.0f), {1 << 30, 1 << 30, 4}, {0, 0, 0}, 0),
      std::overflow_error);
  // The same element count of bytes still fits in int64 (a lazy node only).
  auto lazy = zeros({1 << 30, 1 << 30, 4}, uint8);
  EXPECT_EQ(lazy.nbytes(), size_t(1) << 62);
}
