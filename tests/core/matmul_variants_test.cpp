// gather_mm: values against NumPy 1.24 (stacked products of the indexed
// matrices); block_masked_mm against a triple loop that applies
// the block masks element by element; segmented_mm against products of
// slices; gradients against finite differences, vmap against a loop, and
// the errors of bad input.
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

// Block masks of one matrix, row-major over (row block, column block); an
// empty vector is no mask.
using BlockMask = std::vector<double>;

double block_value(const BlockMask& mask, int i, int j, int cols, int bs) {
  int col_blocks = (cols + bs - 1) / bs;
  return mask.empty() ? 1.0 : mask[(i / bs) * col_blocks + j / bs];
}

// out[i, j] = mo(i, j) * sum_k ml(i, k) a[i, k] * mr(k, j) b[k, j], where
// m(i, j) is the value of the block holding element (i, j).
std::vector<double> masked_product(
    const double* a,
    const double* b,
    int M,
    int K,
    int N,
    int bs,
    const BlockMask& mo,
    const BlockMask& ml,
    const BlockMask& mr) {
  std::vector<double> out(size_t(M) * N, 0.0);
  for (int i = 0; i < M; ++i) {
    for (int j = 0; j < N; ++j) {
      double acc = 0;
      for (int k = 0; k < K; ++k) {
        acc += block_value(ml, i, k, K, bs) * a[i * K + k] *
               block_value(mr, k, j, N, bs) * b[k * N + j];
      }
      out[i * N + j] = block_value(mo, i, j, N, bs) * acc;
    }
  }
  return out;
}

mx::array bool_mask(const std::vector<bool>& v, const mx::Shape& shape) {
  std::vector<double> d(v.begin(), v.end());
  return mx::astype(mx::array(d.begin(), shape, mx::float64), mx::bool_);
}

TEST(BlockMaskedMMTest, BooleanMasksZeroBlocksOfBatchedProducts) {
  // M = 40, K = 70, N = 33 with 32-blocks: 2 x 3 blocks of a, 3 x 2 of b,
  // 2 x 2 of the result; a batched, b and mask_rhs broadcast.
  auto a = mx::astype(random_input({2, 40, 70}, 11), mx::float32);
  auto b = mx::astype(random_input({70, 33}, 12), mx::float32);
  std::vector<bool> lhs = {1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1};
  std::vector<bool> rhs = {1, 1, 0, 1, 1, 0};
  std::vector<bool> out = {1, 1, 0, 1, 1, 1, 1, 0};
  auto got = mx::block_masked_mm(
      a,
      b,
      32,
      bool_mask(out, {2, 2, 2}),
      bool_mask(lhs, {2, 2, 3}),
      bool_mask(rhs, {3, 2}));
  auto av = to_doubles(a), bv = to_doubles(b);
  std::vector<double> want;
  for (int n = 0; n < 2; ++n) {
    auto part = masked_product(
        av.data() + n * 40 * 70,
        bv.data(),
        40,
        70,
        33,
        32,
        BlockMask(out.begin() + 4 * n, out.begin() + 4 * n + 4),
        BlockMask(lhs.begin() + 6 * n, lhs.begin() + 6 * n + 6),
        BlockMask(rhs.begin(), rhs.end()));
    want.insert(want.end(), part.begin(), part.end());
  }
  EXPECT_EQ(got.dtype(), mx::float32);
  expect_array_near(got, want, {2, 40, 33}, 1e-5, 1e-5);
  // Only an output mask, or only an operand mask.
  auto out_only = mx::block_masked_mm(a, b, 32, bool_mask(out, {2, 2, 2}));
  auto lhs_only =
      mx::block_masked_mm(a, b, 32, std::nullopt, bool_mask(lhs, {2, 2, 3}));
  std::vector<double> want_out, want_lhs;
  for (int n = 0; n < 2; ++n) {
    auto po = masked_product(
        av.data() + n * 40 * 70,
        bv.data(),
        40,
        70,
        33,
        32,
        BlockMask(out.begin() + 4 * n, out.begin() + 4 * n + 4),
        {},
        {});
    auto pl = masked_product(
        av.data() + n * 40 * 70,
        bv.data(),
        40,
        70,
        33,
        32,
        {},
        BlockMask(lhs.begin() + 6 * n, lhs.begin() + 6 * n + 6),
        {});
    want_out.insert(want_out.end(), po.begin(), po.end());
    want_lhs.insert(want_lhs.end(), pl.begin(), pl.end());
  }
  expect_array_near(out_only, want_out, {2, 40, 33}, 1e-5, 1e-5);
  expect_array_near(lhs_only, want_lhs, {2, 40, 33}, 1e-5, 1e-5);
}

TEST(BlockMaskedMMTest, FloatMasksScaleBlocksOfTransposedInputs) {
  // 64-blocks; a and b are transposed views: M = 70, K = 65, N = 64, so
  // 2 x 2 blocks of a, 2 x 1 of b and 2 x 1 of the result.
  auto a =
      mx::swapaxes(mx::astype(random_input({65, 70}, 13), mx::float32), 0, 1);
  auto b =
      mx::swapaxes(mx::astype(random_input({64, 65}, 14), mx::float32), 0, 1);
  BlockMask lhs = {0.5, -2, 0, 1.5}, rhs = {3, 0.25}, out = {-1, 0.75};
  auto to_array = [](const BlockMask& m, const mx::Shape& shape) {
    return mx::astype(mx::array(m.begin(), shape, mx::float64), mx::float32);
  };
  auto got = mx::block_masked_mm(
      a,
      b,
      64,
      to_array(out, {2, 1}),
      to_array(lhs, {2, 2}),
      to_array(rhs, {2, 1}));
  auto av = to_doubles(a), bv = to_doubles(b);
  expect_array_near(
      got,
      masked_product(av.data(), bv.data(), 70, 65, 64, 64, out, lhs, rhs),
      {70, 64},
      1e-5,
      1e-5);
  // A boolean mask_lhs with a float mask_rhs: both act as scales.
  auto mixed = mx::block_masked_mm(
      a,
      b,
      64,
      std::nullopt,
      bool_mask({1, 0, 1, 1}, {2, 2}),
      to_array(rhs, {2, 1}));
  expect_array_near(
      mixed,
      masked_product(
          av.data(), bv.data(), 70, 65, 64, 64, {}, {1, 0, 1, 1}, rhs),
      {70, 64},
      1e-5,
      1e-5);
}

TEST(BlockMaskedMMTest, BooleanMaskDropsNaNAndVectorsAndNoMaskIsMatmul) {
  // A NaN inside a block that a boolean mask removes does not reach the
  // result (the block is zeroed, not multiplied by 0).
  auto a = mx::ones({33, 33});
  a = mx::where(mx::equal(range({33, 33}), mx::array(5.0f)), mx::array(NAN), a);
  auto got = mx::block_masked_mm(
      a, mx::ones({33, 2}), 32, std::nullopt, bool_mask({0, 1, 1, 1}, {2, 2}));
  // Row 0: columns 0..31 masked, column 32 kept -> 1; rows 1..32: 33.
  auto v = to_doubles(got);
  EXPECT_DOUBLE_EQ(v[0], 1.0);
  EXPECT_DOUBLE_EQ(v[2 * 32], 33.0);
  // 1-D operands: a vector's mask has no block axis for its added dim.
  auto x = mx::ones({40}), y = mx::ones({40});
  auto dot = mx::block_masked_mm(
      x, y, 32, std::nullopt, bool_mask({1, 0}, {2}), bool_mask({1, 1}, {2}));
  expect_array_near(dot, {32}, {});
  expect_array_near(
      mx::block_masked_mm(range({2, 3}), range({3, 2}), 16),
      {10, 13, 28, 40},
      {2, 2});
}

TEST(BlockMaskedMMTest, GradientsMatchFiniteDifferencesAndVmap) {
  // 32-blocks over M = 34, K = 3, N = 33: 2 x 1, 1 x 2 and 2 x 2 blocks.
  auto a = random_input({34, 3}, 15), b = random_input({3, 33}, 16);
  // float64 masks (mx::array of doubles is float32), differentiated too.
  auto f64 = [](std::vector<double> v, const mx::Shape& shape) {
    return mx::array(v.begin(), shape, mx::float64);
  };
  auto lhs = f64({0.5, -1.5}, {2, 1}), rhs = f64({2.0, 0.25}, {1, 2});
  auto out = f64({1.0, -0.5, 0.0, 3.0}, {2, 2});
  check_grads(
      "block_masked_mm float masks",
      [](const std::vector<mx::array>& x) {
        return std::vector<mx::array>{
            mx::block_masked_mm(x[0], x[1], 32, x[2], x[3], x[4])};
      },
      {a, b, out, lhs, rhs});
  auto keep = bool_mask({1, 0, 1, 1}, {2, 2});
  check_grads(
      "block_masked_mm boolean masks",
      binary([&](const mx::array& x, const mx::array& y) {
        return mx::block_masked_mm(x, y, 32, keep, std::nullopt, std::nullopt);
      }),
      {a, b});
  check_vmap(
      "block_masked_mm",
      binary([&](const mx::array& x, const mx::array& y) {
        return mx::block_masked_mm(x, y, 32, keep, std::nullopt, std::nullopt);
      }),
      {random_input({34, 2, 3}, 17), b},
      {1, -1});
}

TEST(BlockMaskedMMTest, BadBlockSizesShapesAndDtypesThrow) {
  auto a = mx::ones({40, 70}), b = mx::ones({70, 33});
  auto mask = bool_mask({1, 1, 1, 1}, {2, 2});
  expect_throws_with_prefix(
      [&]() { mx::block_masked_mm(a, b, 16, mask); },
      "[block_masked_mm]",
      "16");
  // The output has 2 x 2 blocks of 32; a 3 x 2 mask does not fit.
  expect_throws_with_prefix(
      [&]() {
        mx::block_masked_mm(a, b, 32, mx::ones({3, 2}, mx::bool_));
      },
      "[block_masked_mm]",
      "mask_out has shape (3, 2)");
  expect_throws_with_prefix(
      [&]() { mx::block_masked_mm(a, b, 32, std::nullopt, mask); },
      "[block_masked_mm]",
      "mask_lhs has shape (2, 2)");
  expect_throws_with_prefix(
      [&]() {
        mx::block_masked_mm(a, mx::ones({71, 33}), 32, mask);
      },
      "[block_masked_mm]",
      "(71, 33)");
  expect_throws_with_prefix(
      [&]() {
        mx::block_masked_mm(
            mx::ones({40, 70}, mx::int32),
            mx::ones({70, 33}, mx::int32),
            32,
            mask);
      },
      "[block_masked_mm]",
      "int32");
}

TEST(SegmentedMMTest, ProductsOfSegmentsOfTheContractedAxis) {
  auto a = mx::astype(random_input({3, 10}, 17), mx::float32);
  auto b = mx::astype(random_input({10, 4}, 18), mx::float32);
  // Segments include an empty one, a reversed one and one past K (clipped).
  std::vector<int> bounds = {0, 4, 4, 10, 2, 2, 7, 3, 6, 12, 0, 10};
  auto segments = mx::array(bounds.data(), {2, 3, 2}, mx::int32);
  auto got = mx::segmented_mm(a, b, segments);
  std::vector<double> want;
  for (size_t i = 0; i < bounds.size(); i += 2) {
    int start = bounds[i], end = std::min(bounds[i + 1], 10);
    auto part = end > start ? mx::matmul(
                                  mx::slice(a, {0, start}, {3, end}),
                                  mx::slice(b, {start, 0}, {end, 4}))
                            : mx::zeros({3, 4});
    auto v = to_doubles(part);
    want.insert(want.end(), v.begin(), v.end());
  }
  expect_array_near(got, want, {2, 3, 3, 4}, 1e-5, 1e-5);
  // The mask goes on b when N < M: same values.
  auto tall = mx::segmented_mm(
      mx::transpose(b), mx::transpose(a), mx::array({0, 4, 4, 10}, {2, 2}));
  auto t = to_doubles(tall);
  auto first = to_doubles(mx::transpose(mx::take(mx::take(got, 0, 0), 0, 0)));
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_NEAR(t[i], first[i], 1e-5);
  }
  check_grads(
      "segmented_mm",
      binary([](const mx::array& x, const mx::array& y) {
        return mx::segmented_mm(x, y, mx::array({0, 2, 1, 5, 3, 3}, {3, 2}));
      }),
      {random_input({2, 5}, 19), random_input({5, 3}, 20)});
}

TEST(SegmentedMMTest, BadShapesAndDtypesThrow) {
  auto seg = mx::array({0, 2}, {1, 2});
  expect_throws_with_prefix(
      [&]() {
        mx::segmented_mm(mx::ones({2, 3, 4}), mx::ones({4, 2}), seg);
      },
      "[segmented_mm]",
      "(2, 3, 4)");
  expect_throws_with_prefix(
      [&]() {
        mx::segmented_mm(mx::ones({3, 4}), mx::ones({5, 2}), seg);
      },
      "[segmented_mm]",
      "(5, 2)");
  expect_throws_with_prefix(
      [&]() {
        mx::segmented_mm(
            mx::ones({3, 4}), mx::ones({4, 2}), mx::array({0, 1, 2}));
      },
      "[segmented_mm]",
      "(3,)");
  expect_throws_with_prefix(
      [&]() {
        mx::segmented_mm(
            mx::ones({3, 4}),
            mx::ones({4, 2}),
            mx::array({0.0f, 2.0f}, {1, 2}));
      },
      "[segmented_mm]",
      "float32");
  expect_throws_with_prefix(
      [&]() {
        mx::segmented_mm(
            mx::ones({3, 4}, mx::int32), mx::ones({4, 2}, mx::int32), seg);
      },
      "[segmented_mm]",
      "int32");
}

} // namespace
