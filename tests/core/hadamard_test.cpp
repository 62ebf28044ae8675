// hadamard_transform: power-of-2 sizes against NumPy 1.24 (x @ H.T with H
// built by np.kron from [[1, 1], [1, -1]]); n = m * 2^k for m = 12, 20, 28
// against x @ kron(H_m, H_{2^k})^T * scale computed here in double, with
// H_m MLX's own tables; gradients against finite differences, vmap against
// a loop, and the errors of bad sizes.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "grad_check.h"
#include "test_utils.h"

namespace {

using namespace mlx_test;

// The order-12, 20 and 28 matrices MLX uses (mlx/backend/common/hadamard.h,
// taken there from N. J. A. Sloane's library), one string per row.
const std::vector<std::string> kMlxH12 = {
    "+-++++++++++",
    "--+-+-+-+-+-",
    "+++-++----++",
    "+---+--+-++-",
    "+++++-++----",
    "+-+---+--+-+",
    "++--+++-++--",
    "+--++---+--+",
    "++----+++-++",
    "+--+-++---+-",
    "++++----+++-",
    "+-+--+-++---"};
const std::vector<std::string> kMlxH20 = {
    "+----+----++--++-++-", "-+----+---+++---+-++", "--+----+---+++-+-+-+",
    "---+----+---+++++-+-", "----+----++--++-++-+", "-+++++-----+--+++--+",
    "+-+++-+---+-+--+++--", "++-++--+---+-+--+++-", "+++-+---+---+-+--+++",
    "++++-----++--+-+--++", "--++-+-++-+-----++++", "---++-+-++-+---+-+++",
    "+---++-+-+--+--++-++", "++---++-+----+-+++-+", "-++---++-+----+++++-",
    "-+--+--++-+----+----", "+-+-----++-+----+---", "-+-+-+---+--+----+--",
    "--+-+++------+----+-", "+--+--++------+----+"};
const std::vector<std::string> kMlxH28 = {
    "+------++----++-+--+-+--++--", "-+-----+++-----+-+--+-+--++-",
    "--+-----+++---+-+-+----+--++", "---+-----+++---+-+-+-+--+--+",
    "----+-----+++---+-+-+++--+--", "-----+-----++++--+-+--++--+-",
    "------++----++-+--+-+--++--+", "--++++-+-------++--+++-+--+-",
    "---++++-+-----+-++--+-+-+--+", "+---+++--+----++-++--+-+-+--",
    "++---++---+----++-++--+-+-+-", "+++---+----+----++-++--+-+-+",
    "++++--------+-+--++-++--+-+-", "-++++--------+++--++--+--+-+",
    "-+-++-++--++--+--------++++-", "+-+-++--+--++--+--------++++",
    "-+-+-++--+--++--+----+---+++", "+-+-+-++--+--+---+---++---++",
    "++-+-+-++--+------+--+++---+", "-++-+-+-++--+------+-++++---",
    "+-++-+---++--+------+-++++--", "-++--++-+-++-+++----++------",
    "+-++--++-+-++-+++-----+-----", "++-++---+-+-++-+++-----+----",
    "-++-++-+-+-+-+--+++-----+---", "--++-++++-+-+----+++-----+--",
    "+--++-+-++-+-+----+++-----+-", "++--++-+-++-+-+----++------+"};

const std::vector<std::string>& mlx_matrix(int m) {
  return m == 12 ? kMlxH12 : m == 20 ? kMlxH20 : kMlxH28;
}

double sign_at(const std::vector<std::string>& h, int i, int j) {
  return h[i][j] == '+' ? 1.0 : -1.0;
}

// Entry (i, j) of kron(H_m, H_p), H_p Sylvester's (-1)^popcount(i & j).
double kron_entry(const std::vector<std::string>& hm, int p, int i, int j) {
  int sylvester = __builtin_popcount((i % p) & (j % p)) % 2 ? -1 : 1;
  return sign_at(hm, i / p, j / p) * sylvester;
}

// rows x n values of x @ kron(H_m, H_p)^T * scale, in double.
std::vector<double>
kron_transform(const std::vector<double>& x, int m, int p, double scale) {
  const int n = m * p;
  const auto& hm = mlx_matrix(m);
  std::vector<double> y(x.size(), 0.0);
  for (size_t r = 0; r < x.size() / n; ++r) {
    for (int i = 0; i < n; ++i) {
      double acc = 0;
      for (int j = 0; j < n; ++j) {
        acc += x[r * n + j] * kron_entry(hm, p, i, j);
      }
      y[r * n + i] = acc * scale;
    }
  }
  return y;
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
}

TEST(HadamardTransformTest, OrderMMatricesAreMlxsAndOrthogonal) {
  for (int m : {12, 20, 28}) {
    SCOPED_TRACE("m=" + std::to_string(m));
    // The rows of the identity map to the columns of H: I @ H^T = H^T.
    auto ht =
        to_doubles(mx::hadamard_transform(mx::eye(m, m, 0, mx::float64), 1.0f));
    const auto& want = mlx_matrix(m);
    for (int i = 0; i < m; ++i) {
      for (int j = 0; j < m; ++j) {
        ASSERT_EQ(ht[j * m + i], sign_at(want, i, j))
            << "H[" << i << ", " << j << "]";
      }
    }
    // H H^T = m I.
    for (int i = 0; i < m; ++i) {
      for (int j = 0; j < m; ++j) {
        double dot = 0;
        for (int k = 0; k < m; ++k) {
          dot += ht[k * m + i] * ht[k * m + j];
        }
        EXPECT_EQ(dot, i == j ? m : 0) << "rows " << i << ", " << j;
      }
    }
  }
}

TEST(HadamardTransformTest, MixedSizesMatchKroneckerProduct) {
  for (int m : {12, 20, 28}) {
    for (int p : {1, 2, 8}) {
      const int n = m * p;
      SCOPED_TRACE("n=" + std::to_string(m) + "*" + std::to_string(p));
      // Batch dims (2, 3) go through the broadcast product with H_m.
      auto x = random_input({2, 3, n}, 10 + n);
      auto xs = values_of(x);
      expect_array_near(
          mx::hadamard_transform(x),
          kron_transform(xs, m, p, 1.0 / std::sqrt(double(n))),
          {2, 3, n},
          1e-6,
          1e-6);
      expect_array_near(
          mx::hadamard_transform(mx::astype(x, mx::float32), 0.25f),
          kron_transform(xs, m, p, 0.25),
          {2, 3, n},
          1e-5,
          1e-5);
    }
  }
  // Integer input is transformed in float32, like the power-of-2 sizes.
  auto out = mx::hadamard_transform(range({1, 12}, mx::int32), 1.0f);
  EXPECT_EQ(out.dtype(), mx::float32);
  std::vector<double> r(12);
  for (int i = 0; i < 12; ++i) {
    r[i] = i;
  }
  expect_array_near(out, kron_transform(r, 12, 1, 1.0), {1, 12});
}

TEST(HadamardTransformTest, MixedSizeGradientsAndVmap) {
  auto f = unary([](const mx::array& x) { return mx::hadamard_transform(x); });
  // 24 = 12 * 2 and 28 = 28 * 1: the vjp is scale * H^T g.
  check_grads("hadamard_transform n=24", f, {random_input({2, 24}, 7)});
  check_grads("hadamard_transform n=28", f, {random_input({1, 28}, 8)});
  check_vmap("hadamard_transform n=40", f, {random_input({40, 3}, 9)}, {1});
}

TEST(HadamardTransformTest, SizesWithoutAHadamardMatrixRaise) {
  // 36 = 12 * 3, 44 = 4 * 11, 6 = 2 * 3: no m in {1, 12, 20, 28} leaves a
  // power of 2.
  for (int n : {6, 36, 44}) {
    expect_throws_with_prefix(
        [&]() {
          mx::hadamard_transform(mx::ones({2, n}));
        },
        "[hadamard_transform]",
        "n = " + std::to_string(n));
  }
  expect_throws_with_prefix(
      [&]() { mx::hadamard_transform(mx::array(1.0f)); },
      "[hadamard_transform]",
      "n = 0");
}

} // namespace
