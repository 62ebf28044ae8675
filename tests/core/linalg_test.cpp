// mlx::core::linalg forward values: against NumPy 1.24 values written in
// (np.linalg.inv/det/cholesky/eigvalsh/svd/norm/eigvals/solve/pinv/slogdet,
// np.cross on the matrices below), against identities (A inv(A) = I,
// Q R = A, U S Vt = A, eigh residuals, L[rows] U = A) in float32 and
// float64 and over batches, and the errors of bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "test_utils.h"

namespace {

using namespace mlx_test;
namespace la = mx::linalg;

const double kInf = std::numeric_limits<double>::infinity();

// Symmetric positive definite, and a general (non-symmetric) matrix.
mx::array spd(mx::Dtype t = mx::float64) {
  return mx::array({4., 1., 2., 1., 3., 0., 2., 0., 5.}, {3, 3}, t);
}
mx::array general(mx::Dtype t = mx::float64) {
  return mx::array({0., 2., 1., 1., 1., 0., 3., 0., 1.}, {3, 3}, t);
}

// Random well-conditioned batches: I * n + uniform(-1, 1) entries.
mx::array random_batch(const mx::Shape& shape, mx::Dtype t, uint64_t seed) {
  int n = shape.back();
  auto x =
      mx::random::uniform(-1.0, 1.0, shape, mx::float64, mx::random::key(seed));
  return mx::astype(
      mx::add(x, mx::multiply(mx::eye(n, mx::float64), mx::array(double(n)))),
      t);
}

mx::array f64(std::vector<double> v, mx::Shape shape = {}) {
  if (shape.empty()) {
    shape = {static_cast<int>(v.size())};
  }
  return mx::array(v.begin(), shape, mx::float64);
}

double tol_of(mx::Dtype t) {
  return t == mx::float32 ? 1e-4 : 1e-10;
}

void expect_close(mx::array got, mx::array want, double tol) {
  EXPECT_EQ(got.shape(), want.shape());
  auto g = to_doubles(got), w = to_doubles(want);
  ASSERT_EQ(g.size(), w.size());
  for (size_t i = 0; i < g.size(); ++i) {
    EXPECT_NEAR(g[i], w[i], tol * (1 + std::abs(w[i]))) << "element " << i;
  }
}

mx::array eye_like(const mx::array& a) {
  return mx::broadcast_to(mx::eye(a.shape(-1), a.dtype()), a.shape());
}

mx::array mT(const mx::array& a) {
  return mx::swapaxes(a, -1, -2);
}

TEST(Linalg, InvDetCholeskyMatchNumPy) {
  expect_array_near(
      la::inv(spd()),
      {0.3488372093023256,
       -0.11627906976744187,
       -0.13953488372093023,
       -0.11627906976744187,
       0.372093023255814,
       0.04651162790697675,
       -0.13953488372093023,
       0.04651162790697675,
       0.2558139534883721},
      {3, 3},
      1e-12,
      1e-12);
  expect_array_near(la::det(spd()), {43.0}, {}, 1e-12, 1e-12);
  expect_array_near(la::det(general()), {-5.0}, {}, 1e-12, 1e-12);
  auto [sign, logabs] = la::slogdet(general());
  expect_array_near(sign, {-1.0}, {});
  expect_array_near(logabs, {1.6094379124341003}, {}, 1e-12, 1e-12);
  expect_array_near(
      la::cholesky(spd()),
      {2.0,
       0.0,
       0.0,
       0.5,
       1.6583123951777,
       0.0,
       1.0,
       -0.30151134457776363,
       1.9771421064483223},
      {3, 3},
      1e-12,
      1e-12);
  expect_close(la::cholesky(spd(), true), mT(la::cholesky(spd())), 1e-12);
  expect_close(la::cholesky_inv(la::cholesky(spd())), la::inv(spd()), 1e-12);
  expect_close(
      la::cholesky_inv(la::cholesky(spd(), true), true), la::inv(spd()), 1e-12);
  expect_array_near(
      la::solve(general(), f64({1., 2., 3.})),
      {1.2, 0.8, -0.6},
      {3},
      1e-12,
      1e-12);
}

TEST(Linalg, SpectralMatchNumPy) {
  expect_array_near(
      la::eigvalsh(spd()),
      {1.8548973087995775, 3.476023602918134, 6.669079088282287},
      {3},
      1e-12,
      1e-12);
  expect_array_near(
      la::svd(general(), false, {})[0],
      {3.377202853972958, 2.273890554964218, 0.6510934089371752},
      {3},
      1e-12,
      1e-12);
  // geev's order is not specified: compare sorted real parts (all real).
  auto w = to_complex(la::eigvals(general(mx::float32)));
  std::vector<double> re;
  for (auto z : w) {
    EXPECT_NEAR(z.imag(), 0.0, 1e-6);
    re.push_back(z.real());
  }
  std::sort(re.begin(), re.end());
  EXPECT_NEAR(re[0], -1.79128784747792, 1e-5);
  EXPECT_NEAR(re[1], 1.0, 1e-5);
  EXPECT_NEAR(re[2], 2.79128784747792, 1e-5);
  // A rotation: eigenvalues +-i, eigenvectors satisfy A v = w v.
  auto rot = mx::array({0.f, -1.f, 1.f, 0.f}, {2, 2});
  auto [vals, vecs] = la::eig(rot);
  auto av = mx::matmul(mx::astype(rot, mx::complex64), vecs);
  auto wv = mx::multiply(vecs, mx::expand_dims(vals, 0));
  auto diff = to_complex(mx::subtract(av, wv));
  for (auto z : diff) {
    EXPECT_LT(std::abs(z), 1e-6);
  }
  auto got = to_complex(vals);
  EXPECT_NEAR(std::abs(got[0].imag()), 1.0, 1e-6);
  EXPECT_NEAR(got[0].imag(), -got[1].imag(), 1e-6);
  expect_array_near(
      la::pinv(f64({1., 2., 3., 4., 5., 6.}, {3, 2})),
      {-1.3333333333333337,
       -0.33333333333333287,
       0.6666666666666665,
       1.0833333333333335,
       0.3333333333333329,
       -0.4166666666666665},
      {2, 3},
      1e-10,
      1e-10);
}

TEST(Linalg, NormsMatchNumPy) {
  auto b = general();
  expect_array_near(la::norm(b), {4.123105625617661}, {}, 1e-12, 1e-12);
  expect_array_near(la::norm(b, "fro"), {4.123105625617661}, {}, 1e-12, 1e-12);
  expect_array_near(la::norm(b, "nuc"), {6.302186817874351}, {}, 1e-12, 1e-12);
  expect_array_near(la::norm(b, kInf), {4.0}, {});
  expect_array_near(la::norm(b, -kInf), {2.0}, {});
  expect_array_near(la::norm(b, 1.0), {4.0}, {});
  expect_array_near(la::norm(b, -1.0), {2.0}, {});
  expect_array_near(la::norm(b, 2.0), {3.377202853972958}, {}, 1e-12, 1e-12);
  expect_array_near(la::norm(b, -2.0), {0.6510934089371752}, {}, 1e-12, 1e-12);
  auto v = f64({3., -4., 0., 1.});
  expect_array_near(la::norm(v), {5.0990195135927845}, {}, 1e-12, 1e-12);
  expect_array_near(la::norm(v, kInf), {4.0}, {});
  expect_array_near(la::norm(v, -kInf), {0.0}, {});
  expect_array_near(la::norm(v, 0.0), {3.0}, {});
  expect_array_near(la::norm(v, 1.0), {8.0}, {});
  expect_array_near(la::norm(v, 3.0), {4.514357435474001}, {}, 1e-12, 1e-12);
  expect_array_near(la::norm(v, 0.5), {22.392304845413257}, {}, 1e-12, 1e-12);
  // Axes and keepdims: row norms of b, and the transposed matrix norms.
  expect_array_near(la::norm(b, 1.0, 1, true), {3.0, 2.0, 4.0}, {3, 1});
  expect_array_near(
      la::norm(mx::stack({b, mT(b)}), kInf, std::vector<int>{2, 1}),
      {4.0, 4.0},
      {2});
  expect_array_near(
      la::norm(mx::expand_dims(b, 0), 2.0, std::vector<int>{1, 2}, true),
      {3.377202853972958},
      {1, 1, 1},
      1e-12,
      1e-12);
  expect_array_near(la::norm(mx::array({1, 2, 2}, {3})), {3.0}, {});
}

TEST(Linalg, CrossMatchesNumPy) {
  expect_array_near(
      la::cross(f64({1., 2., 3.}), f64({4., 5., 6.})), {-3.0, 6.0, -3.0}, {3});
  expect_array_near(
      la::cross(f64({1., 2.}), f64({3., 4., 5.})), {10.0, -5.0, -2.0}, {3});
  auto a = f64({1., 4., 2., 5., 3., 6.}, {3, 2});
  expect_array_near(
      la::cross(a, mx::ones({3, 2}, mx::float64), 0),
      {-1.0, -1.0, 2.0, 2.0, -1.0, -1.0},
      {3, 2});
}

class LinalgDtype : public ::testing::TestWithParam<mx::Dtype> {};

TEST_P(LinalgDtype, BatchedFactorizationsReconstruct) {
  mx::Dtype t = GetParam();
  double tol = tol_of(t);
  auto a = random_batch({2, 3, 4, 4}, t, 1);
  EXPECT_EQ(la::inv(a).dtype(), t);
  expect_close(mx::matmul(a, la::inv(a)), eye_like(a), tol);
  auto low = mx::tril(a);
  expect_close(mx::matmul(low, la::tri_inv(a)), eye_like(a), tol);
  expect_close(mx::matmul(mx::triu(a), la::tri_inv(a, true)), eye_like(a), tol);
  auto s_pd = mx::add(mx::matmul(a, mT(a)), eye_like(a));
  auto l = la::cholesky(s_pd);
  expect_close(mx::matmul(l, mT(l)), s_pd, tol);
  expect_close(mx::triu(l, 1), mx::zeros_like(l), 0);
  auto [w, v] = la::eigh(s_pd);
  expect_close(
      mx::matmul(s_pd, v), mx::multiply(v, mx::expand_dims(w, -2)), tol * 10);
  expect_close(la::eigvalsh(s_pd, "U"), w, tol * 10);
  auto b = mx::astype(
      mx::random::normal(
          {2, 3, 4, 2}, mx::float64, 0.0, 1.0, mx::random::key(2)),
      t);
  expect_close(mx::matmul(a, la::solve(a, b)), b, tol);
  expect_close(mx::matmul(low, la::solve_triangular(a, b)), b, tol);
  // det against the product of eigenvalues of the SPD batch.
  expect_close(la::det(s_pd), mx::prod(w, -1), tol * 10);
  // Rectangular: tall and wide.
  for (mx::Shape shape : {mx::Shape{3, 5, 3}, mx::Shape{3, 3, 5}}) {
    auto r = mx::astype(
        mx::random::normal(shape, mx::float64, 0.0, 1.0, mx::random::key(3)),
        t);
    auto [q, rr] = la::qr(r);
    int k = std::min(shape[1], shape[2]);
    EXPECT_EQ(q.shape(), (mx::Shape{3, shape[1], k}));
    EXPECT_EQ(rr.shape(), (mx::Shape{3, k, shape[2]}));
    expect_close(mx::matmul(q, rr), r, tol);
    expect_close(
        mx::matmul(mT(q), q), mx::broadcast_to(mx::eye(k, t), {3, k, k}), tol);
    expect_close(mx::tril(rr, -1), mx::zeros_like(rr), 0);
    auto usv = la::svd(r);
    EXPECT_EQ(usv[0].shape(), (mx::Shape{3, shape[1], shape[1]}));
    EXPECT_EQ(usv[2].shape(), (mx::Shape{3, shape[2], shape[2]}));
    auto u_k = mx::slice(usv[0], {0, 0, 0}, {3, shape[1], k});
    auto vt_k = mx::slice(usv[2], {0, 0, 0}, {3, k, shape[2]});
    expect_close(
        mx::matmul(mx::multiply(u_k, mx::expand_dims(usv[1], -2)), vt_k),
        r,
        tol);
    auto lu = la::lu(r);
    EXPECT_EQ(lu[0].dtype(), mx::uint32);
    auto permuted = mx::take_along_axis(lu[1], mx::expand_dims(lu[0], -1), -2);
    expect_close(mx::matmul(permuted, lu[2]), r, tol);
    auto pinv = la::pinv(r);
    expect_close(mx::matmul(mx::matmul(r, pinv), r), r, tol * 10);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Float, LinalgDtype, ::testing::Values(mx::float32, mx::float64));

TEST(Linalg, SingularMatricesGiveZeroDeterminant) {
  auto s = f64({1., 2., 2., 4.}, {2, 2});
  expect_array_near(la::det(s), {0.0}, {});
  auto [sign, logabs] = la::slogdet(s);
  expect_array_near(sign, {0.0}, {});
  expect_array_near(logabs, {-kInf}, {});
  auto [lu, pivots] = la::lu_factor(s);
  expect_array_near(lu, {2.0, 4.0, 0.5, 0.0}, {2, 2});
  expect_array_values(pivots, {2}, {1.0, 1.0});
}

// cholesky, det/slogdet and qr call LAPACK column-major on the row-major
// data (factoring a^T): each triangle, layout and sign must still come out
// as NumPy's.
TEST(Linalg, CholeskyReadsOnlyItsTriangle) {
  // spd() with garbage in the triangle that must not be read.
  auto lower_only =
      mx::add(mx::tril(spd()), mx::triu(mx::full({3, 3}, 99.0), 1));
  auto upper_only =
      mx::add(mx::triu(spd()), mx::tril(mx::full({3, 3}, 99.0), -1));
  auto l = la::cholesky(spd());
  expect_close(la::cholesky(lower_only), l, 1e-12);
  expect_close(la::cholesky(upper_only, true), mT(l), 1e-12);
  expect_close(mx::tril(la::cholesky(spd(), true), -1), mx::zeros({3, 3}), 0);
}

TEST(Linalg, ColumnMajorKernelsTakeViewsAndTemporaries) {
  for (mx::Dtype t : {mx::float32, mx::float64}) {
    double tol = tol_of(t);
    // A transposed view, a broadcast (strided, not donatable) and a
    // temporary the kernel may factor in place.
    auto g_t = mT(general(t));
    auto twice = mx::broadcast_to(general(t), {2, 3, 3});
    auto temp = mx::add(general(t), mx::zeros({3, 3}, t));
    expect_array_near(la::det(g_t), {-5.0}, {}, tol, tol);
    expect_array_near(la::det(twice), {-5.0, -5.0}, {2}, tol, tol);
    expect_array_near(la::det(temp), {-5.0}, {}, tol, tol);
    auto s_t = mx::add(spd(t), mx::zeros({3, 3}, t));
    expect_close(la::cholesky(s_t), la::cholesky(mT(spd(t))), tol);
    expect_close(
        la::cholesky(mx::broadcast_to(spd(t), {2, 3, 3}), true),
        mx::broadcast_to(mT(la::cholesky(spd(t))), {2, 3, 3}),
        tol);
    // np.linalg.qr(general().T): same signs as NumPy's ?geqrf.
    auto [q, r] = la::qr(g_t);
    expect_array_near(
        q,
        {0.0,
         0.9128709291752769,
         0.40824829046386313,
         -0.8944271909999159,
         0.18257418583505536,
         -0.408248290463863,
         -0.4472135954999579,
         -0.3651483716701108,
         0.816496580927726},
        {3, 3},
        tol,
        tol);
    expect_array_near(
        r,
        {-2.23606797749979,
         -0.8944271909999157,
         -0.44721359549995787,
         0.0,
         1.0954451150103321,
         2.37346441585572,
         0.0,
         0.0,
         2.041241452319315},
        {3, 3},
        tol,
        tol);
  }
}

TEST(Linalg, EmptyBatchesGiveEmptyFactors) {
  auto none = mx::zeros({0, 3, 3}, mx::float64);
  auto l = la::cholesky(none);
  auto d = la::det(none);
  auto [q, r] = la::qr(none);
  mx::eval({l, d, q, r});
  EXPECT_EQ(l.shape(), (mx::Shape{0, 3, 3}));
  EXPECT_EQ(d.shape(), (mx::Shape{0}));
  EXPECT_EQ(q.shape(), (mx::Shape{0, 3, 3}));
}

TEST(Linalg, RectangularQrMatchesNumPy) {
  auto tall = f64({1., 2., 3., 4., 5., 6.}, {3, 2});
  auto [q, r] = la::qr(tall);
  expect_array_near(
      q,
      {-0.16903085094570325,
       0.8970852271450607,
       -0.50709255283711,
       0.27602622373694136,
       -0.8451542547285166,
       -0.34503277967117696},
      {3, 2},
      1e-12,
      1e-12);
  expect_array_near(
      r,
      {-5.916079783099616, -7.437357441610946, 0.0, 0.828078671210825},
      {2, 2},
      1e-12,
      1e-12);
  auto [qw, rw] = la::qr(mT(tall));
  expect_array_near(
      qw,
      {-0.44721359549995787,
       -0.8944271909999157,
       -0.8944271909999157,
       0.4472135954999581},
      {2, 2},
      1e-12,
      1e-12);
  expect_array_near(
      rw,
      {-2.23606797749979,
       -4.919349550499537,
       -7.602631123499284,
       0.0,
       -0.8944271909999149,
       -1.7888543819998306},
      {2, 3},
      1e-12,
      1e-12);
}

// From 128 columns and rows qr goes through the LQ of a^T.
TEST(Linalg, LargeQrReconstructs) {
  for (mx::Shape shape : {mx::Shape{130, 128}, mx::Shape{128, 130}}) {
    auto a =
        mx::random::normal(shape, mx::float64, 0.0, 1.0, mx::random::key(5));
    auto [q, r] = la::qr(a);
    EXPECT_EQ(q.shape(), (mx::Shape{shape[0], 128}));
    EXPECT_EQ(r.shape(), (mx::Shape{128, shape[1]}));
    expect_close(mx::matmul(q, r), a, 1e-10);
    expect_close(mx::matmul(mT(q), q), mx::eye(128, mx::float64), 1e-10);
    expect_close(mx::tril(r, -1), mx::zeros_like(r), 0);
  }
}

TEST(Linalg, BatchedDetAndSlogdetSignsMatchNumPy) {
  // A swap, a negative pivot, a singular matrix, -I.
  auto m =
      f64({0., 1., 1., 0., 2., 0., 0., -3., 1., 2., 2., 4., -1., 0., 0., -1.},
          {2, 2, 2, 2});
  expect_array_near(la::det(m), {-1.0, -6.0, 0.0, 1.0}, {2, 2}, 1e-12, 1e-12);
  auto [sign, logabs] = la::slogdet(m);
  expect_array_values(sign, {2, 2}, {-1.0, -1.0, 0.0, 1.0});
  expect_array_near(
      logabs, {0.0, 1.791759469228055, -kInf, 0.0}, {2, 2}, 1e-12, 1e-12);
  auto [sign32, logabs32] = la::slogdet(mx::astype(m, mx::float32));
  expect_array_values(sign32, {2, 2}, {-1.0, -1.0, 0.0, 1.0});
}

// The error a kernel raises during eval: its message names the op and the
// failing matrix of the batch.
void expect_eval_error(
    std::function<mx::array()> f,
    const std::string& op,
    const std::string& part) {
  try {
    f().eval();
    ADD_FAILURE() << "expected an error from " << op;
  } catch (const std::exception& e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.rfind("[" + op + "]", 0), 0u) << msg;
    EXPECT_NE(msg.find(part), std::string::npos) << msg;
  }
}

TEST(Linalg, FailuresNameTheOpAndBatchIndex) {
  // Matrix [1, 0] of the batch is singular / not positive definite.
  auto batch = mx::stack(
      {mx::stack({spd(), spd()}),
       mx::stack({mx::zeros({3, 3}, mx::float64), spd()})});
  expect_eval_error(
      [&] { return la::inv(batch); }, "linalg::inv", "matrix 2 (index (1, 0))");
  expect_eval_error(
      [&] { return la::solve(batch, mx::ones({3})); },
      "linalg::solve",
      "index (1, 0)");
  expect_eval_error(
      [&] { return la::tri_inv(batch); }, "linalg::tri_inv", "is singular");
  expect_eval_error(
      [&] { return la::solve_triangular(batch, mx::ones({3}), true); },
      "linalg::solve_triangular",
      "index (1, 0)");
  expect_eval_error(
      [&] { return la::cholesky(batch); },
      "linalg::cholesky",
      "matrix 2 (index (1, 0)) of the batch of shape (2, 2) is not positive "
      "definite");
  auto indefinite = f64({1., 2., 2., 1.}, {2, 2});
  expect_eval_error(
      [&] { return la::cholesky(indefinite); },
      "linalg::cholesky",
      "matrix 0 is not positive definite");
}

TEST(Linalg, BadInputsRaise) {
  auto ints = mx::array({1, 2, 3, 4}, {2, 2});
  expect_throws_with_prefix(
      [&] { la::inv(ints); }, "[linalg::inv]", "float32 or float64");
  expect_throws_with_prefix(
      [&] { la::cholesky(ints); }, "[linalg::cholesky]", "int32");
  expect_throws_with_prefix(
      [&] {
        la::inv(mx::ones({2, 3}));
      },
      "[linalg::inv]",
      "square");
  expect_throws_with_prefix(
      [&] {
        la::det(mx::ones({2, 3}));
      },
      "[linalg::det]",
      "(2, 3)");
  expect_throws_with_prefix(
      [&] { la::eigh(mx::ones({3})); }, "[linalg::eigh]", ">= 2 dimensions");
  expect_throws_with_prefix(
      [&] { la::eigh(spd(), "X"); }, "[linalg::eigh]", "'X'");
  expect_throws_with_prefix([&] { la::qr(ints); }, "[linalg::qr]", "int32");
  expect_throws_with_prefix(
      [&] { la::svd(mx::ones({4})); }, "[linalg::svd]", "(4,)");
  expect_throws_with_prefix(
      [&] { la::solve(spd(), mx::ones({2})); }, "[linalg::solve]", "(..., n)");
  expect_throws_with_prefix(
      [&] {
        la::solve(ints, mx::array({1, 2}));
      },
      "[linalg::solve]",
      "int32");
  expect_throws_with_prefix(
      [&] {
        la::norm(mx::ones({2, 2, 2}), 2.0);
      },
      "[linalg::norm]",
      "1-D or 2-D");
  expect_throws_with_prefix(
      [&] { la::norm(spd(), 3.0); }, "[linalg::norm]", "got 3");
  expect_throws_with_prefix(
      [&] { la::norm(spd(), "fro", 0); }, "[linalg::norm]", "'fro'");
  expect_throws_with_prefix(
      [&] {
        la::norm(spd(), std::vector<int>{0, 1, 0});
      },
      "[linalg::norm]",
      "3 axes");
  expect_throws_with_prefix(
      [&] { la::cross(mx::ones({4}), mx::ones({3})); },
      "[linalg::cross]",
      "size 2 or 3");
  expect_throws_with_prefix(
      [&] {
        la::cross(mx::ones({3}), mx::ones({2, 3}));
      },
      "[linalg::cross]",
      "same number");
  if (mx::device_count(mx::Device::gpu) > 0) {
    expect_throws_with_prefix(
        [&] { la::inv(spd(mx::float32), mx::Device::gpu); },
        "[linalg::inv]",
        "CPU stream");
  }
}

} // namespace
