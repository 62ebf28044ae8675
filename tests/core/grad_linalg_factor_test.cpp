// Transform rules of mlx::core::linalg: vjp/jvp against central finite
// differences (float64) and vmap against a loop over the batch. Inputs are
// mapped to valid ones inside each function (shifted by n I to be well
// conditioned, symmetrized, made positive definite), so every random input
// the checks draw is valid.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "grad_table.h"

namespace {

using namespace mlx_test;
namespace la = mx::linalg;

mx::array mT(const mx::array& a) {
  return mx::swapaxes(a, -1, -2);
}

// x + n I: well conditioned for x uniform in (-1, 1).
mx::array shifted(const mx::array& x) {
  int n = x.shape(-1);
  return mx::add(x, mx::multiply(mx::eye(n, x.dtype()), mx::array(double(n))));
}

// Symmetric positive definite with spread-out eigenvalues.
mx::array spd_of(const mx::array& x) {
  int n = x.shape(-1);
  auto spread = mx::diag(mx::arange(1.0, double(n) + 1.0, mx::float64));
  return mx::add(
      mx::matmul(x, mT(x)),
      mx::multiply(mx::astype(spread, x.dtype()), mx::array(2.0 * n)));
}

TEST(GradLinalgFactor, MatchFiniteDifferencesAndVmap) {
  std::vector<GradCase> cases = {
      {"inv",
       unary([](auto& x) { return la::inv(shifted(x)); }),
       {random_input({3, 3}, 1)}},
      {"tri_inv lower",
       unary([](auto& x) { return la::tri_inv(shifted(x)); }),
       {random_input({3, 3}, 2)}},
      {"tri_inv upper",
       unary([](auto& x) { return la::tri_inv(shifted(x), true); }),
       {random_input({3, 3}, 3)}},
      {"solve",
       binary([](auto& a, auto& b) { return la::solve(shifted(a), b); }),
       {random_input({3, 3}, 4), random_input({3, 2}, 5)}},
      {"solve vector",
       binary([](auto& a, auto& b) { return la::solve(shifted(a), b); }),
       {random_input({3, 3}, 6), random_input({3}, 7)}},
      {"solve_triangular",
       binary([](auto& a, auto& b) {
         return la::solve_triangular(shifted(a), b, true);
       }),
       {random_input({3, 3}, 8), random_input({3, 2}, 9)}},
      {"cholesky",
       unary([](auto& x) { return la::cholesky(spd_of(x)); }),
       {random_input({3, 3}, 10)}},
      {"cholesky upper",
       unary([](auto& x) { return la::cholesky(spd_of(x), true); }),
       {random_input({3, 3}, 11)}},
      {"cholesky_inv",
       unary([](auto& x) { return la::cholesky_inv(la::cholesky(spd_of(x))); }),
       {random_input({3, 3}, 12)}},
      {"det",
       unary([](auto& x) { return la::det(shifted(x)); }),
       {random_input({3, 3}, 13)}},
      {"slogdet",
       unary([](auto& x) {
         return la::slogdet(mx::negative(shifted(x))).second;
       }),
       {random_input({3, 3}, 14)}},
      {"eigh",
       [](const std::vector<mx::array>& x) {
         auto [w, v] = la::eigh(spd_of(x[0]));
         // Eigenvector signs are arbitrary: v * v[0] is sign-free.
         return std::vector<mx::array>{
             w, mx::multiply(v, mx::slice(v, {0, 0}, {1, 3}))};
       },
       {random_input({3, 3}, 15)}},
      {"eigvalsh",
       unary([](auto& x) { return la::eigvalsh(spd_of(x), "U"); }),
       {random_input({3, 3}, 16)}},
      {"qr tall",
       [](const std::vector<mx::array>& x) {
         auto [q, r] = la::qr(x[0]);
         return std::vector<mx::array>{q, r};
       },
       {random_input({4, 3}, 17)}},
      {"svd values",
       unary([](auto& x) { return la::svd(x, false, {})[0]; }),
       {random_input({4, 3}, 18)}},
      {"svd",
       [](const std::vector<mx::array>& x) {
         auto usv = la::svd(spd_of(x[0]), true, {});
         // Singular vector signs are arbitrary: u * u[0] and vt * vt[:, 0].
         auto u = mx::multiply(usv[0], mx::slice(usv[0], {0, 0}, {1, 3}));
         auto vt = mx::multiply(usv[2], mx::slice(usv[2], {0, 0}, {3, 1}));
         return std::vector<mx::array>{u, usv[1], vt};
       },
       {random_input({3, 3}, 19)}},
      {"lu_factor",
       unary([](auto& x) { return la::lu_factor(x).first; }),
       {random_input({4, 4}, 27)}},
      {"lu batched",
       [](const std::vector<mx::array>& x) {
         // The permutation (out[0]) is constant; L and U carry the gradient.
         auto out = la::lu(x[0]);
         return std::vector<mx::array>{out[1], out[2]};
       },
       {random_input({2, 3, 3}, 28)}},
      {"norm 2",
       unary([](auto& x) { return la::norm(x); }),
       {random_input({2, 3}, 20)}},
      {"norm inf axis",
       unary([](auto& x) { return la::norm(x, 3.0, 1); }),
       {random_input({2, 3}, 21)}},
      {"norm matrix 1",
       unary([](auto& x) { return la::norm(x, 1.0); }),
       {random_input({3, 3}, 22)}},
      {"norm nuc",
       unary([](auto& x) { return la::norm(x, "nuc"); }),
       {random_input({3, 2}, 23)}},
      {"norm spectral",
       unary([](auto& x) { return la::norm(x, 2.0); }),
       {random_input({3, 2}, 24)}},
      {"cross",
       binary([](auto& a, auto& b) { return la::cross(a, b); }),
       {random_input({2, 3}, 25), random_input({2, 3}, 26)}},
  };
  check_cases(cases);
}

TEST(GradLinalgFactor, VmapOfLuEigvalsAndDet) {
  auto lu = [](const std::vector<mx::array>& x) {
    auto [f, p] = la::lu_factor(x[0]);
    auto out = la::lu(x[0]);
    return std::vector<mx::array>{f, p, out[0], out[1], out[2]};
  };
  check_vmap("lu", lu, {random_input({3, 3, 4}, 30)}, {0}, {0, 0, 0, 0, 0});
  check_vmap(
      "lu axis 2", lu, {random_input({3, 4, 3}, 31)}, {2}, {1, 1, 1, 1, 1});
  auto eig = [](const std::vector<mx::array>& x) {
    return std::vector<mx::array>{la::eigvals(mx::astype(x[0], mx::float32))};
  };
  check_vmap("eigvals", eig, {random_input({3, 2, 3}, 32)}, {1}, {0}, 1e-5);
  // det factors a^T (LUF with of_transpose): vmap keeps that.
  auto det = [](const std::vector<mx::array>& x) {
    auto [sign, logabs] = la::slogdet(x[0]);
    return std::vector<mx::array>{la::det(x[0]), sign, logabs};
  };
  check_vmap("det", det, {random_input({3, 4, 3}, 33)}, {1}, {0, 0, 0});
}

TEST(GradLinalgFactor, RectangularSvdVectorsQrAndLuHaveNoGradient) {
  auto f = [](const mx::array& x) { return la::svd(x, true, {})[0]; };
  expect_throws_with_prefix(
      [&] {
        mx::vjp(f, random_input({3, 2}, 1), random_input({3, 3}, 2));
      },
      "[linalg::svd]",
      "square");
  auto g = [](const mx::array& x) { return la::qr(x).second; };
  expect_throws_with_prefix(
      [&] {
        mx::vjp(g, random_input({2, 3}, 1), random_input({2, 3}, 2));
      },
      "[linalg::qr]",
      "at least as many rows");
  auto h = [](const mx::array& x) { return la::lu_factor(x).first; };
  expect_throws_with_prefix(
      [&] {
        mx::vjp(h, random_input({2, 3}, 1), random_input({2, 3}, 2));
      },
      "[linalg::lu_factor]",
      "(2, 3)");
}

} // namespace
