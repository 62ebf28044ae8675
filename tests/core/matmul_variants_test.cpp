// gather_mm: values against NumPy 1.24 (stacked products of the indexed
// matrices) and a triple loop over the indexed matrices; block_masked_mm
// against a triple loop that applies the block masks element by element;
// segmented_mm against products of slices; gradients against finite
// differences, vmap against a loop, and the errors of bad input.
#include <gtest/gtest.h>

#include <cmath>

#include "grad_check.h"
#include "mlx/primitives/primitive.h"
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

// out[i] = a[wrap(lhs[i])] @ b[wrap(rhs[i])] by a triple loop over the
// logical (row-major) values of a [..., M, K] and b [..., K, N]; lhs and rhs
// are the index arrays already broadcast to the output's batch, flattened.
std::vector<double> loop_gather_mm(
    const mx::array& a,
    const mx::array& b,
    const std::vector<int>& lhs,
    const std::vector<int>& rhs) {
  auto av = to_doubles(a), bv = to_doubles(b);
  int M = a.shape(-2), K = a.shape(-1), N = b.shape(-1);
  int na = static_cast<int>(av.size() / (M * K));
  int nb = static_cast<int>(bv.size() / (K * N));
  std::vector<double> out;
  for (size_t i = 0; i < lhs.size(); ++i) {
    const double* x = av.data() + ((lhs[i] + na) % na) * M * K;
    const double* y = bv.data() + ((rhs[i] + nb) % nb) * K * N;
    for (int r = 0; r < M; ++r) {
      for (int c = 0; c < N; ++c) {
        double acc = 0;
        for (int k = 0; k < K; ++k) {
          acc += x[r * K + k] * y[k * N + c];
        }
        out.push_back(acc);
      }
    }
  }
  return out;
}

// The composition the primitive replaces: gathered copies, then matmul.
mx::array take_then_matmul(
    const mx::array& a,
    const mx::array& b,
    const mx::array& lhs,
    const mx::array& rhs) {
  auto flat = [](const mx::array& x) {
    return mx::reshape(x, {-1, x.shape(-2), x.shape(-1)});
  };
  return mx::matmul(mx::take(flat(a), lhs, 0), mx::take(flat(b), rhs, 0));
}

TEST(GatherMMTest, NegativeIndicesCountFromTheEnd) {
  auto a = range({3, 2, 2}), b = range({2, 2, 2});
  // a[2] @ b[1] = [[8, 9], [10, 11]] @ [[4, 5], [6, 7]], as in NumPy.
  expect_array_near(
      mx::gather_mm(a, b, mx::array({-1}), mx::array({-1})),
      {86, 103, 106, 127},
      {1, 2, 2});
}

TEST(GatherMMTest, BroadcastIndicesAndBatchDimsMatchALoop) {
  // a has 6 matrices in batch dims (2, 3), b has 4: lhs (2, 1) and rhs (3,)
  // broadcast to the output's batch (2, 3).
  auto a = random_input({2, 3, 2, 3}, 21), b = random_input({4, 3, 5}, 22);
  auto lhs = mx::array({5, -6}, {2, 1});
  auto rhs = mx::array({3, 0, -1});
  auto out = mx::gather_mm(a, b, lhs, rhs);
  EXPECT_STREQ(out.primitive().name(), "GatherMM");
  std::vector<double> want =
      loop_gather_mm(a, b, {5, 5, 5, -6, -6, -6}, {3, 0, -1, 3, 0, -1});
  expect_array_near(out, want, {2, 3, 2, 5}, 1e-12, 1e-12);
  expect_array_near(
      take_then_matmul(a, b, lhs, rhs), want, {2, 3, 2, 5}, 1e-12, 1e-12);
  // Compiled (two equal products, merged by compile's common
  // subexpressions), the same values twice over.
  auto twice = mx::compile([](const std::vector<mx::array>& x) {
    return std::vector<mx::array>{mx::add(
        mx::gather_mm(x[0], x[1], x[2], x[3]),
        mx::gather_mm(x[0], x[1], x[2], x[3]))};
  });
  std::vector<double> doubled;
  for (double v : want) {
    doubled.push_back(2 * v);
  }
  expect_array_near(
      twice({a, b, lhs, rhs})[0], doubled, {2, 3, 2, 5}, 1e-12, 1e-12);
  // Absent lhs: every matrix of a in a's batch shape (3,), broadcast
  // against rhs (2, 1): out[i, j] = a[j] @ b[rhs[i]].
  auto a3 = random_input({3, 2, 3}, 23);
  expect_array_near(
      mx::gather_mm(a3, b, std::nullopt, mx::array({2, 1}, {2, 1})),
      loop_gather_mm(a3, b, {0, 1, 2, 0, 1, 2}, {2, 2, 2, 1, 1, 1}),
      {2, 3, 2, 5},
      1e-12,
      1e-12);
}

TEST(GatherMMTest, ReadsTransposedStridedAndBroadcastViews) {
  auto lhs = mx::array({1, 0, 1, 1}), rhs = mx::array({2, 2, 0, 1});
  std::vector<int> l = {1, 0, 1, 1}, r = {2, 2, 0, 1};
  // Column-major matrices (swapaxes views), read as transposed by BLAS.
  auto a = mx::swapaxes(random_input({2, 4, 3}, 24), 1, 2); // (2, 3, 4)
  auto b = mx::swapaxes(random_input({3, 5, 4}, 25), 1, 2); // (3, 4, 5)
  expect_array_near(
      mx::gather_mm(a, b, lhs, rhs),
      loop_gather_mm(a, b, l, r),
      {4, 3, 5},
      1e-12,
      1e-12);
  // Every other column: not a BLAS layout, so it is copied once.
  auto wide = random_input({3, 4, 10}, 26);
  auto strided = mx::slice(wide, {0, 0, 0}, {3, 4, 10}, {1, 1, 2});
  expect_array_near(
      mx::gather_mm(a, strided, lhs, rhs),
      loop_gather_mm(a, strided, l, r),
      {4, 3, 5},
      1e-12,
      1e-12);
  // One matrix broadcast over b's batch (stride 0).
  auto one = mx::broadcast_to(random_input({1, 4, 5}, 27), {3, 4, 5});
  expect_array_near(
      mx::gather_mm(a, one, lhs, rhs),
      loop_gather_mm(a, one, l, r),
      {4, 3, 5},
      1e-12,
      1e-12);
}

TEST(GatherMMTest, TokensSortedByExpertStackIntoOneProduct) {
  // Runs of products with the same b and consecutive matrices of a run as
  // one gemm: tokens sorted by expert, and a run broken by a gap in a.
  auto x = random_input({8, 2, 3}, 42), w = random_input({3, 3, 4}, 43);
  std::vector<int> all = {0, 1, 2, 3, 4, 5, 6, 7};
  std::vector<int> sorted = {0, 0, 0, 1, 1, 2, 2, 2};
  expect_array_near(
      mx::gather_mm(x, w, std::nullopt, mx::array(sorted.data(), {8}), true),
      loop_gather_mm(x, w, all, sorted),
      {8, 2, 4},
      1e-12,
      1e-12);
  std::vector<int> gaps = {0, 1, 3, 4, 5, 7};
  std::vector<int> same = {1, 1, 1, 1, 2, 2};
  expect_array_near(
      mx::gather_mm(
          x, w, mx::array(gaps.data(), {6}), mx::array(same.data(), {6})),
      loop_gather_mm(x, w, gaps, same),
      {6, 2, 4},
      1e-12,
      1e-12);
}

TEST(GatherMMTest, PromotesDtypesAndComputesHalfInFloat) {
  auto a = random_input({2, 3, 4}, 28), b = random_input({3, 4, 2}, 29);
  auto lhs = mx::array({1, 0, 1}), rhs = mx::array({2, 2, 0});
  auto want = loop_gather_mm(a, b, {1, 0, 1}, {2, 2, 0});
  auto half = mx::gather_mm(
      mx::astype(a, mx::float16), mx::astype(b, mx::float16), lhs, rhs);
  EXPECT_EQ(half.dtype(), mx::float16);
  expect_array_near(half, want, {3, 3, 2}, 1e-2, 1e-2);
  auto mixed = mx::gather_mm(mx::astype(a, mx::float32), b, lhs, rhs);
  EXPECT_EQ(mixed.dtype(), mx::float64);
  expect_array_near(mixed, want, {3, 3, 2}, 1e-6, 1e-6);
  expect_throws_with_prefix(
      [&] {
        mx::gather_mm(
            range({2, 2, 2}, mx::int32), range({2, 2, 2}, mx::int32), lhs);
      },
      "[gather_mm] Only floating point",
      "int32");
}

TEST(GatherMMTest, DoesNotCopyTheGatheredMatrices) {
  // Mixture-of-experts shapes: 64 tokens, each through one of 4 experts of
  // 256 x 256 float32 (256 KiB each). Gathered copies of the weights would
  // take 64 x 256 KiB = 16 MiB; the result is 64 KiB.
  auto x = mx::astype(random_input({64, 1, 256}, 30), mx::float32);
  auto w = mx::astype(random_input({4, 256, 256}, 31), mx::float32);
  auto experts = mx::remainder(mx::arange(64), mx::array(4));
  mx::eval({x, w, experts});
  auto out = mx::gather_mm(x, w, std::nullopt, experts);
  EXPECT_EQ(out.inputs()[1].id(), w.id()); // the weights themselves
  size_t before = mx::get_active_memory();
  mx::reset_peak_memory();
  out.eval();
  EXPECT_LT(mx::get_peak_memory() - before, size_t(1) << 20);
  // Token 5 went through expert 1.
  auto row = mx::matmul(mx::take(x, 5, 0), mx::take(w, 1, 0));
  expect_array_near(mx::take(out, 5, 0), to_doubles(row), {1, 256}, 1e-5, 1e-5);
}

TEST(GatherMMTest, BadIndicesAndShapesRaise) {
  auto a = range({3, 2, 2}), b = range({2, 2, 2});
  // Out-of-range indices are found when evaluating.
  auto past_end = mx::gather_mm(a, b, mx::array({0, 3}), mx::array({0, 1}));
  expect_throws_with_prefix(
      [&] { past_end.eval(); },
      "[gather_mm]",
      "index 3 is out of bounds for axis 0 with size 3");
  auto before_start = mx::gather_mm(a, b, mx::array({0}), mx::array({-3}));
  expect_throws_with_prefix(
      [&] { before_start.eval(); },
      "[gather_mm]",
      "index -3 is out of bounds for axis 0 with size 2");
  expect_throws_with_prefix(
      [&] {
        mx::gather_mm(a, range({2, 3, 2}), mx::array({0}));
      },
      "[gather_mm] Last dimension",
      "(2, 3, 2)");
  expect_throws_with_prefix(
      [&] {
        mx::gather_mm(a, b, mx::array({0, 1}), mx::array({0, 1, 1}));
      },
      "[gather_mm]");
  expect_throws_with_prefix(
      [&] { mx::gather_mm(a, b, std::nullopt, mx::array({1.0f})); },
      "[gather_mm] rhs_indices",
      "float32");
}

TEST(GatherMMTest, GradientsAccumulateOverRepeatedIndices) {
  // a[1] and b[2] are used three times, a[0] once, b[0] not at all.
  auto fun = [](const std::vector<mx::array>& x) {
    return std::vector<mx::array>{mx::gather_mm(x[0], x[1], x[2], x[3])};
  };
  check_grads(
      "gather_mm repeated indices",
      fun,
      {random_input({2, 2, 3}, 32),
       random_input({3, 3, 2}, 33),
       mx::array({1, 1, 0, 1}),
       mx::array({2, 2, 1, -1})});
  // Broadcast indices, batch dims on a and a transposed view of b.
  check_grads(
      "gather_mm broadcast indices",
      binary([](const mx::array& a, const mx::array& bt) {
        return mx::gather_mm(
            a,
            mx::swapaxes(bt, -1, -2),
            mx::array({1, 0}, {2, 1}),
            mx::array({0, 2, 2}));
      }),
      {random_input({2, 1, 2, 3}, 34), random_input({3, 4, 3}, 35)});
  // With a cotangent of ones, b[0] (never picked) gets no gradient and
  // a[0] (picked once, with b[1]) gets the row sums of b[1].
  auto a = random_input({2, 2, 3}, 36), b = random_input({3, 3, 2}, 37);
  auto grads = mx::grad(
      [](const std::vector<mx::array>& x) {
        return mx::sum(mx::gather_mm(
            x[0], x[1], mx::array({1, 1, 0, 1}), mx::array({2, 2, 1, 2})));
      },
      std::vector<int>{0, 1})({a, b});
  expect_array_near(
      mx::take(grads[1], 0, 0), std::vector<double>(6, 0), {3, 2});
  auto row_sums = mx::sum(mx::take(b, 1, 0), 1); // (3,)
  expect_array_near(
      mx::take(grads[0], 0, 0),
      to_doubles(mx::broadcast_to(row_sums, {2, 3})),
      {2, 3});
  // Only the indices vary: the tangent is zero.
  auto l = mx::array({1, 0}), r = mx::array({2, 2});
  auto tangent =
      mx::jvp(
          [&](const std::vector<mx::array>& x) {
            return std::vector<mx::array>{mx::gather_mm(a, b, x[0], x[1])};
          },
          {l, r},
          {mx::zeros_like(l), mx::zeros_like(r)})
          .second;
  expect_array_near(tangent[0], std::vector<double>(8, 0), {2, 2, 2});
}

TEST(GatherMMTest, GradientsOfTheGradientsAndVmapOfTheGradients) {
  // The gradients sum the products that share a matrix in one primitive:
  // its own vjp and jvp (second derivatives) and vmap are checked too.
  auto lhs = mx::array({1, 1, 0, 1}), rhs = mx::array({2, 0, 2, 2});
  auto gathered = [=](const mx::array& a, const mx::array& b) {
    return mx::gather_mm(a, b, lhs, rhs);
  };
  check_grads(
      "gather_mm vjp",
      [&](const std::vector<mx::array>& x) {
        auto product = [&](const std::vector<mx::array>& ab) {
          return std::vector<mx::array>{gathered(ab[0], ab[1])};
        };
        return mx::vjp(product, {x[0], x[1]}, {x[2]}).second;
      },
      {random_input({2, 2, 3}, 44),
       random_input({3, 3, 2}, 45),
       random_input({4, 2, 2}, 46)});
  auto grads = [&](const mx::array& a, const mx::array& b) {
    return mx::grad(
        [&](const std::vector<mx::array>& x) {
          return mx::sum(mx::square(gathered(x[0], x[1])));
        },
        std::vector<int>{0, 1})({a, b});
  };
  check_vmap(
      "gather_mm gradients",
      [&](const std::vector<mx::array>& x) { return grads(x[0], x[1]); },
      {random_input({2, 2, 5, 3}, 47), random_input({3, 3, 2}, 48)},
      {2, -1});
}

TEST(GatherMMTest, VmapOverOperandsAndIndices) {
  auto fun = [](const std::vector<mx::array>& x) {
    return std::vector<mx::array>{mx::gather_mm(x[0], x[1], x[2], x[3])};
  };
  auto a = random_input({3, 2, 3}, 38), b = random_input({2, 3, 4}, 39);
  // Batched b and rhs (one expert choice per instance), with negatives.
  check_vmap(
      "gather_mm b and rhs",
      fun,
      {a,
       random_input({5, 2, 3, 4}, 40),
       mx::array({0, 2}),
       mx::array({0, 1, -1, -2, 1, 1, 0, -1, 1, 0}, {5, 2})},
      {-1, 0, -1, 0});
  // Batched a (at axis 1) and lhs (at axis 1); b and rhs shared.
  check_vmap(
      "gather_mm a and lhs",
      fun,
      {random_input({3, 4, 2, 3}, 41),
       b,
       mx::array({0, 1, 2, -1, -2, 0, 1, 2}, {2, 4}),
       mx::array({1, 0})},
      {1, -1, 1, -1});
  // Only the indices batched.
  check_vmap(
      "gather_mm indices",
      fun,
      {a, b, mx::array({0, 1, 2, 2}, {4, 1}), mx::array({1, 0, 1, 1}, {4, 1})},
      {-1, -1, 0, 0});
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
