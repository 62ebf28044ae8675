// Tests of matmul, addmm, inner, outer, tensordot and kron. Expected values
// were computed with NumPy 1.24 (np.matmul, np.inner, np.outer,
// np.tensordot, np.kron on the same inputs) unless a comment says otherwise.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>

#include "test_utils.h"

using namespace mlx::core;

namespace {

array arange_f32(int n, const Shape& shape) {
  return reshape(arange(0, n, 1, float32), shape);
}

// Naive triple loop in double over row-major data: an independent reference
// for shapes too large to write out.
std::vector<double> naive_matmul(
    const std::vector<double>& a,
    const std::vector<double>& b,
    int batch,
    int m,
    int k,
    int n) {
  std::vector<double> out(static_cast<size_t>(batch) * m * n, 0.0);
  for (int p = 0; p < batch; ++p) {
    for (int i = 0; i < m; ++i) {
      for (int j = 0; j < n; ++j) {
        double acc = 0;
        for (int l = 0; l < k; ++l) {
          acc += a[(static_cast<size_t>(p) * m + i) * k + l] *
                 b[(static_cast<size_t>(p) * k + l) * n + j];
        }
        out[(static_cast<size_t>(p) * m + i) * n + j] = acc;
      }
    }
  }
  return out;
}

} // namespace

TEST(MatmulTest, TwoDimensional) {
  // np.arange(6).reshape(2,3) @ np.arange(12).reshape(3,4)
  auto out = matmul(arange_f32(6, {2, 3}), arange_f32(12, {3, 4}));
  EXPECT_EQ(out.dtype(), float32);
  expect_array_near(out, {20, 23, 26, 29, 56, 68, 80, 92}, {2, 4});
}

TEST(MatmulTest, OneDimensionalOperandsDropTheAddedDim) {
  array v({1.0f, 2.0f, 3.0f});
  expect_array_near(matmul(v, arange_f32(12, {3, 4})), {32, 38, 44, 50}, {4});
  expect_array_near(matmul(arange_f32(6, {2, 3}), v), {8, 26}, {2});
  expect_array_near(matmul(v, v), {14}, {});
  // np.arange(12).reshape(2,2,3) @ [1,2,3]
  expect_array_near(
      matmul(arange_f32(12, {2, 2, 3}), v), {8, 26, 44, 62}, {2, 2});
}

TEST(MatmulTest, Batched) {
  auto out = matmul(arange_f32(12, {2, 2, 3}), arange_f32(12, {2, 3, 2}));
  expect_array_near(out, {10, 13, 28, 40, 172, 193, 244, 274}, {2, 2, 2});
}

TEST(MatmulTest, BroadcastBatchDims) {
  // np.arange(12).reshape(2,1,2,3) @ (np.arange(18).reshape(3,3,2) - 5)
  auto b = subtract(arange_f32(18, {3, 3, 2}), array(5.0f));
  auto out = matmul(arange_f32(12, {2, 1, 2, 3}), b);
  expect_array_near(
      out,
      {-5,  -2,  -32, -20, 13, 16, 40, 52,  31,  34,  112, 124,
       -59, -38, -86, -56, 67, 88, 94, 124, 193, 214, 274, 304},
      {2, 3, 2, 2});
  // An explicitly broadcast (stride 0) batch operand gives the same result.
  auto a = broadcast_to(arange_f32(12, {2, 1, 2, 3}), {2, 3, 2, 3});
  expect_array_near(matmul(a, b), mlx_test::to_doubles(out), {2, 3, 2, 2});
}

TEST(MatmulTest, TransposedInputs) {
  // np.arange(6).reshape(3,2).T @ np.arange(12).reshape(4,3).T
  auto a = transpose(arange_f32(6, {3, 2}));
  auto b = transpose(arange_f32(12, {4, 3}));
  expect_array_near(matmul(a, b), {10, 28, 46, 64, 13, 40, 67, 94}, {2, 4});
  // Batched, with the transposed matrix dims of a batched array.
  auto a3 = swapaxes(arange_f32(12, {2, 3, 2}), 1, 2);
  auto b3 = arange_f32(12, {2, 3, 2});
  // np.swapaxes(np.arange(12).reshape(2,3,2),1,2) @
  // np.arange(12).reshape(2,3,2)
  expect_array_near(
      matmul(a3, b3), {20, 26, 26, 35, 200, 224, 224, 251}, {2, 2, 2});
}

TEST(MatmulTest, SlicedInputs) {
  // np.arange(24).reshape(4,6)[::2, ::2] @ np.arange(20).reshape(5,4)[1:4,1:3]
  auto a = slice(arange_f32(24, {4, 6}), {0, 0}, {4, 6}, {2, 2});
  auto b = slice(arange_f32(20, {5, 4}), {1, 1}, {4, 3});
  expect_array_near(matmul(a, b), {70, 76, 394, 436}, {2, 2});
  // Reversed rows (negative strides) must be copied, not passed to BLAS.
  auto rev = slice(arange_f32(6, {2, 3}), {1, 0}, {-3, 3}, {-1, 1});
  // np.arange(6).reshape(2,3)[::-1] @ np.arange(12).reshape(3,4)
  expect_array_near(
      matmul(rev, arange_f32(12, {3, 4})),
      {56, 68, 80, 92, 20, 23, 26, 29},
      {2, 4});
}

TEST(MatmulTest, ZeroSizeDims) {
  // k = 0: the sum over an empty axis is 0.
  expect_array_near(
      matmul(zeros({2, 0}), zeros({0, 3})), {0, 0, 0, 0, 0, 0}, {2, 3});
  expect_array_near(matmul(zeros({0, 3}), ones({3, 2})), {}, {0, 2});
  expect_array_near(matmul(zeros({4, 0, 3}), ones({3, 2})), {}, {4, 0, 2});
  expect_array_near(matmul(zeros({2, 3}), ones({3, 0})), {}, {2, 0});
}

TEST(MatmulTest, Float64) {
  array a(std::vector<double>{0.1, 0.2, 0.3, 0.4, 0.5, 0.6}, {3, 2}, float64);
  array b(
      std::vector<double>{1.5, -2.25, 3.0, 0.125, 4.0, -1.0}, {2, 3}, float64);
  auto out = matmul(a, b);
  EXPECT_EQ(out.dtype(), float64);
  expect_array_near(
      out,
      {0.17500000000000002,
       0.5750000000000001,
       0.10000000000000003,
       0.49999999999999994,
       0.9250000000000002,
       0.4999999999999999,
       0.825,
       1.275,
       0.9},
      {3, 3},
      1e-14,
      1e-15);
}

TEST(MatmulTest, HalfTypesComputeInFloat) {
  // np.arange(6).reshape(2,3)/4 @ (np.arange(6).reshape(3,2)-2)/2: all
  // values are exact in float16 and bfloat16.
  for (Dtype t : {float16, bfloat16}) {
    auto a = astype(divide(arange_f32(6, {2, 3}), array(4.0f)), t);
    auto b = astype(
        divide(subtract(arange_f32(6, {3, 2}), array(2.0f)), array(2.0f)), t);
    auto out = matmul(a, b);
    EXPECT_EQ(out.dtype(), t);
    expect_array_near(out, {0.5, 0.875, 0.5, 2.0}, {2, 2});
    // Transposed half operand (copied and converted).
    expect_array_near(
        matmul(transpose(b), transpose(a)), {0.5, 0.5, 0.875, 2.0}, {2, 2});
  }
  // float16 with float32 promotes to float32.
  EXPECT_EQ(matmul(ones({2, 2}, float16), ones({2, 2})).dtype(), float32);
}

TEST(MatmulTest, Complex64) {
  using c = complex64_t;
  array a({c(1, 2), c(3, -1), c(0, 1), c(2, 0)}, {2, 2});
  array b({c(2, -1), c(0.5, 0), c(1, 0), c(0, -1)}, {2, 2});
  expect_complex_near(
      matmul(a, b), {{7, 2}, {-0.5, -2}, {3, 2}, {0, -1.5}}, {2, 2});
}

TEST(MatmulTest, IntegerInputsPromotingToFloatAreAccepted) {
  // int32 with float32 promotes to float32 (as in MLX).
  auto out = matmul(reshape(arange(0, 6, 1), {2, 3}), arange_f32(12, {3, 4}));
  EXPECT_EQ(out.dtype(), float32);
  expect_array_near(out, {20, 23, 26, 29, 56, 68, 80, 92}, {2, 4});
}

TEST(MatmulTest, LargeAndBatchedSmallAgreeWithNaiveLoop) {
  // Reference: naive_matmul above. Sizes exercise OpenBLAS's threaded path
  // (one large gemm) and our parallel loop over a batch of small gemms.
  struct Case {
    int batch, m, k, n;
  };
  for (Case cs : {Case{1, 130, 70, 90}, Case{64, 5, 7, 3}}) {
    int na = cs.batch * cs.m * cs.k, nb = cs.batch * cs.k * cs.n;
    // Values i % 7 - 3 and i % 5 - 2 keep every sum exact in float32.
    auto a = subtract(remainder(arange(0, na, 1), array(7)), array(3));
    auto b = subtract(remainder(arange(0, nb, 1), array(5)), array(2));
    a = astype(reshape(a, {cs.batch, cs.m, cs.k}), float32);
    b = astype(reshape(b, {cs.batch, cs.k, cs.n}), float32);
    auto want = naive_matmul(
        mlx_test::to_doubles(a),
        mlx_test::to_doubles(b),
        cs.batch,
        cs.m,
        cs.k,
        cs.n);
    expect_array_near(matmul(a, b), want, {cs.batch, cs.m, cs.n}, 0, 0);
    // Same product through transposed views of column-major copies.
    auto at = swapaxes(contiguous(swapaxes(a, 1, 2)), 1, 2);
    auto bt = swapaxes(contiguous(swapaxes(b, 1, 2)), 1, 2);
    expect_array_near(matmul(at, bt), want, {cs.batch, cs.m, cs.n}, 0, 0);
  }
}

TEST(MatmulTest, Errors) {
  try {
    matmul(zeros({2, 3}), zeros({4, 5}));
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(
        e.what(),
        "[matmul] Last dimension of first input with shape (2, 3) must match "
        "second to last dimension of second input with shape (4, 5).");
  }
  expect_throws_with_prefix(
      [] {
        matmul(array(1.0f), zeros({2, 2}));
      },
      "[matmul] Got 0 dimension");
  expect_throws_with_prefix(
      [] { matmul(zeros({3}), zeros({4})); }, "[matmul] Last dimension");
  expect_throws_with_prefix(
      [] {
        matmul(zeros({2, 2, 3}), zeros({3, 3, 4}));
      },
      "[matmul]");
  for (Dtype t : {int32, uint8, bool_, int64}) {
    expect_throws_with_prefix(
        [t] {
          matmul(zeros({2, 2}, t), zeros({2, 2}, t));
        },
        "[matmul] Only floating point and complex types are supported, but " +
            dtype_to_string(t));
  }
}

TEST(AddmmTest, AlphaBetaAndBroadcastC) {
  // 2.0 * (np.arange(6).reshape(2,3) @ np.arange(12).reshape(3,4))
  //   + 0.5 * np.array([1,2,3,4])
  array c({1.0f, 2.0f, 3.0f, 4.0f});
  auto a = arange_f32(6, {2, 3});
  auto b = arange_f32(12, {3, 4});
  expect_array_near(
      addmm(c, a, b, 2.0f, 0.5f),
      {40.5, 47, 53.5, 60, 112.5, 137, 161.5, 186},
      {2, 4});
  // Defaults alpha = beta = 1; a full-shape, transposed c.
  auto ct = transpose(
      reshape(array({1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f, 7.0f, 8.0f}), {4, 2}));
  // np.arange(6).reshape(2,3) @ np.arange(12).reshape(3,4) +
  // [[1,3,5,7],[2,4,6,8]]
  expect_array_near(addmm(ct, a, b), {21, 26, 31, 36, 58, 72, 86, 100}, {2, 4});
  // 1.5 * ([1,2,3] @ np.arange(12).reshape(3,4)) - 1.0 * [1,2,3,4]
  expect_array_near(
      addmm(c, array({1.0f, 2.0f, 3.0f}), b, 1.5f, -1.0f),
      {47, 55, 63, 71},
      {4});
}

TEST(AddmmTest, ZeroKAndHalfTypes) {
  // k = 0: alpha * 0 + beta * c.
  expect_array_near(
      addmm(array({1.0f, -2.0f}), zeros({3, 0}), zeros({0, 2}), 1.0f, 3.0f),
      {3, -6, 3, -6, 3, -6},
      {3, 2});
  // bfloat16 operands with a float32 c promote to float32.
  auto out = addmm(
      array({1.0f, 2.0f, 3.0f, 4.0f}),
      astype(arange_f32(6, {2, 3}), bfloat16),
      astype(arange_f32(12, {3, 4}), bfloat16),
      2.0f,
      0.5f);
  EXPECT_EQ(out.dtype(), float32);
  expect_array_near(out, {40.5, 47, 53.5, 60, 112.5, 137, 161.5, 186}, {2, 4});
  // All float16: the same values (exact in float16), computed in float32.
  out = addmm(
      astype(array({1.0f, 2.0f, 3.0f, 4.0f}), float16),
      astype(arange_f32(6, {2, 3}), float16),
      astype(arange_f32(12, {3, 4}), float16),
      2.0f,
      0.5f);
  EXPECT_EQ(out.dtype(), float16);
  expect_array_near(out, {40.5, 47, 53.5, 60, 112.5, 137, 161.5, 186}, {2, 4});
}

TEST(AddmmTest, Errors) {
  expect_throws_with_prefix(
      [] {
        addmm(zeros({3}), zeros({2, 3}), zeros({3, 4}));
      },
      "[addmm]");
  expect_throws_with_prefix(
      [] {
        addmm(zeros({3, 2, 4}), zeros({2, 3}), zeros({3, 4}));
      },
      "[addmm]");
  expect_throws_with_prefix(
      [] {
        addmm(zeros({4}), zeros({2, 3}), zeros({2, 4}));
      },
      "[addmm] Last dimension");
  expect_throws_with_prefix(
      [] {
        addmm(zeros({2}, int32), zeros({2, 2}, int32), zeros({2, 2}, int32));
      },
      "[addmm] Only floating point");
}

TEST(InnerOuterTest, Inner) {
  expect_array_near(
      inner(array({1.0f, 2.0f, 3.0f}), array({4.0f, 5.0f, 6.0f})), {32}, {});
  // np.inner(np.arange(6).reshape(2,3), np.arange(12).reshape(4,3))
  expect_array_near(
      inner(arange_f32(6, {2, 3}), arange_f32(12, {4, 3})),
      {5, 14, 23, 32, 14, 50, 86, 122},
      {2, 4});
  // A scalar operand multiplies.
  expect_array_near(inner(array(2.0f), array({1.0f, 3.0f})), {2, 6}, {2});
  expect_throws_with_prefix(
      [] {
        inner(zeros({2, 3}), zeros({3, 2}));
      },
      "[inner]");
}

TEST(InnerOuterTest, Outer) {
  // np.outer([1,2,3], [4,5]); integers stay integers (outer multiplies).
  auto out = outer(array({1, 2, 3}), array({4, 5}));
  EXPECT_EQ(out.dtype(), int32);
  expect_array_near(out, {4, 5, 8, 10, 12, 15}, {3, 2});
  // np.outer(np.arange(4.).reshape(2,2), [1,-1]): inputs are flattened.
  expect_array_near(
      outer(arange_f32(4, {2, 2}), array({1.0f, -1.0f})),
      {0, -0.0, 1, -1, 2, -2, 3, -3},
      {4, 2});
}

TEST(TensordotTest, IntegerAxes) {
  // np.tensordot(np.arange(24).reshape(2,3,4), np.arange(24).reshape(3,4,2), 2)
  expect_array_near(
      tensordot(arange_f32(24, {2, 3, 4}), arange_f32(24, {3, 4, 2})),
      {1012, 1078, 2596, 2806},
      {2, 2});
  // axes = 0 is the outer product: np.tensordot([1,2], [3,4,5], 0)
  expect_array_near(
      tensordot(array({1.0f, 2.0f}), array({3.0f, 4.0f, 5.0f}), 0),
      {3, 4, 5, 6, 8, 10},
      {2, 3});
}

TEST(TensordotTest, AxisLists) {
  // np.tensordot(np.arange(60).reshape(3,4,5), np.arange(24).reshape(4,3,2),
  //              ([1,0],[0,1]))
  std::vector<double> want = {
      4400, 4730, 4532, 4874, 4664, 5018, 4796, 5162, 4928, 5306};
  auto a = arange_f32(60, {3, 4, 5});
  auto b = arange_f32(24, {4, 3, 2});
  expect_array_near(tensordot(a, b, {1, 0}, {0, 1}), want, {5, 2});
  expect_array_near(tensordot(a, b, {-2, -3}, {0, -2}), want, {5, 2});
}

TEST(TensordotTest, Errors) {
  auto a = zeros({2, 3});
  auto b = zeros({3, 4});
  expect_throws_with_prefix([&] { tensordot(a, b, 3); }, "[tensordot]");
  expect_throws_with_prefix([&] { tensordot(a, b, -1); }, "[tensordot]");
  expect_throws_with_prefix([&] { tensordot(a, b, 2); }, "[tensordot]");
  expect_throws_with_prefix(
      [&] {
        tensordot(a, b, {1}, {0, 1});
      },
      "[tensordot]");
  expect_throws_with_prefix([&] { tensordot(a, b, {2}, {0}); }, "[tensordot]");
  expect_throws_with_prefix([&] { tensordot(a, b, {0}, {0}); }, "[tensordot]");
  expect_throws_with_prefix(
      [&] {
        tensordot(zeros({3, 3}), zeros({3, 3}), {0, 0}, {0, 1});
      },
      "[tensordot]");
  expect_throws_with_prefix(
      [] { tensordot(zeros({3}, int32), zeros({3}, int32), 1); },
      "[tensordot]");
}

TEST(KronTest, Values) {
  // The example of MLX's kron page (= np.kron on the same inputs).
  auto out = kron(array({1, 2, 3, 4}, {2, 2}), array({0, 5, 6, 7}, {2, 2}));
  EXPECT_EQ(out.dtype(), int32);
  expect_array_near(
      out, {0, 5, 0, 10, 6, 7, 12, 14, 0, 15, 0, 20, 18, 21, 24, 28}, {4, 4});
  // Different ranks: np.kron([1,2], [[1,2],[3,4]])
  expect_array_near(
      kron(array({1.0f, 2.0f}), array({1.0f, 2.0f, 3.0f, 4.0f}, {2, 2})),
      {1, 2, 2, 4, 3, 4, 6, 8},
      {2, 4});
  // Transposed input: np.kron(np.arange(6.).reshape(2,3).T, [1,10])
  expect_array_near(
      kron(transpose(arange_f32(6, {2, 3})), array({1.0f, 10.0f})),
      {0, 0, 3, 30, 1, 10, 4, 40, 2, 20, 5, 50},
      {3, 4});
  // Scalars multiply.
  expect_array_near(kron(array(3.0f), array({1.0f, 2.0f})), {3, 6}, {2});
}
