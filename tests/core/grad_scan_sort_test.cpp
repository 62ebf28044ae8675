// Transform rules of the scan and sort families: every differentiable op of
// core/ops/scan.h and sort.h (cumsum, cumprod, cummax, cummin,
// logcumsumexp with every reverse/inclusive flag; sort, partition, topk)
// checked with vjp/jvp against central finite differences (float64) and
// vmap against a loop over the batch; plus zeros in cumprod, ties in
// cummax, second derivatives and per-example gradients.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "grad_table.h"

namespace {

using namespace mlx_test;

TEST(GradScanSort, ScansMatchFiniteDifferencesAndVmap) {
  auto zeros_input =
      with_zeros(random_input({4, 5}, 30, 0.5, 2), {2, 5, 12, 14, 19});
  std::vector<GradCase> cases = {
      {"cumsum",
       unary([](auto& x) { return mx::cumsum(x, 1); }),
       {random_input({3, 4}, 31)},
       {{{0}, {0}}, {{2}, {1}}}},
      {"cumsum reverse exclusive",
       unary([](auto& x) { return mx::cumsum(x, 0, true, false); }),
       {transposed_layout(random_input({4, 3}, 32))},
       {{{1}, {0}}, {{0}, {2}}}},
      {"cumsum flat",
       unary([](auto& x) { return mx::cumsum(x, false, false); }),
       {step2_layout(random_input({2, 3}, 33))},
       {{{0}, {1}}}},
      {"cumprod",
       unary([](auto& x) { return mx::cumprod(x, 1); }),
       {random_input({3, 4}, 34, -1.5, 1.5)},
       {{{0}, {0}}, {{1}, {2}}}},
      {"cumprod reverse",
       unary([](auto& x) { return mx::cumprod(x, 1, true); }),
       {zeros_input},
       {{{2}, {1}}}},
      {"cumprod zeros",
       unary([](auto& x) { return mx::cumprod(x, 1); }),
       {zeros_input}},
      {"cumprod exclusive zeros",
       unary([](auto& x) { return mx::cumprod(x, 1, false, false); }),
       {zeros_input},
       {{{0}, {0}}}},
      {"cumprod reverse exclusive zeros",
       unary([](auto& x) { return mx::cumprod(x, 1, true, false); }),
       {zeros_input},
       {{{1}, {0}}}},
      {"cumprod axis 0 transposed zeros",
       unary([](auto& x) { return mx::cumprod(x, 0); }),
       {mx::transpose(zeros_input)}},
      {"cummax",
       unary([](auto& x) { return mx::cummax(x, 1); }),
       {random_input({3, 5}, 35)},
       {{{0}, {0}}, {{2}, {1}}}},
      {"cummax reverse",
       unary([](auto& x) { return mx::cummax(x, 1, true); }),
       {random_input({3, 5}, 36)},
       {{{1}, {2}}}},
      {"cummax exclusive",
       unary([](auto& x) { return mx::cummax(x, 0, false, false); }),
       {transposed_layout(random_input({5, 3}, 37))},
       {{{0}, {0}}}},
      {"cummax reverse exclusive",
       unary([](auto& x) { return mx::cummax(x, 1, true, false); }),
       {step2_layout(random_input({3, 5}, 38))},
       {{{2}, {0}}}},
      {"cummin",
       unary([](auto& x) { return mx::cummin(x, 0); }),
       {random_input({5, 3}, 39)},
       {{{0}, {0}}, {{1}, {1}}}},
      {"cummin reverse exclusive flat",
       unary([](auto& x) { return mx::cummin(x, true, false); }),
       {random_input({3, 4}, 40)},
       {{{1}, {0}}}},
      {"logcumsumexp",
       unary([](auto& x) { return mx::logcumsumexp(x, 1); }),
       {random_input({3, 5}, 41, -3, 3)},
       {{{0}, {0}}, {{2}, {1}}}},
      {"logcumsumexp reverse",
       unary([](auto& x) { return mx::logcumsumexp(x, 0, true); }),
       {transposed_layout(random_input({5, 3}, 42))},
       {{{1}, {0}}}},
      // Exclusive scans start with log(0) = -inf: drop that slot.
      {"logcumsumexp exclusive",
       unary([](auto& x) {
         return mx::slice(mx::logcumsumexp(x, 1, false, false), {0, 1}, {3, 5});
       }),
       {random_input({3, 5}, 43, -3, 3)},
       {{{0}, {0}}}},
      {"logcumsumexp reverse exclusive",
       unary([](auto& x) {
         return mx::slice(mx::logcumsumexp(x, 1, true, false), {0, 0}, {3, 4});
       }),
       {step2_layout(random_input({3, 5}, 44))},
       {{{2}, {1}}}},
  };
  check_cases(cases);
}

TEST(GradScanSort, SortsMatchFiniteDifferencesAndVmap) {
  std::vector<GradCase> cases = {
      {"sort",
       unary([](auto& x) { return mx::sort(x, 1); }),
       {random_input({3, 5}, 50)},
       {{{0}, {0}}, {{2}, {1}}}},
      {"sort axis 0 transposed",
       unary([](auto& x) { return mx::sort(x, 0); }),
       {transposed_layout(random_input({5, 3}, 51))},
       {{{1}, {0}}}},
      {"sort flat",
       unary([](auto& x) { return mx::sort(x); }),
       {step2_layout(random_input({2, 3}, 52))},
       {{{0}, {1}}}},
      {"partition",
       unary([](auto& x) { return mx::partition(x, 2, 1); }),
       {random_input({3, 6}, 53)},
       {{{0}, {0}}, {{2}, {1}}}},
      {"partition negative kth",
       unary([](auto& x) { return mx::partition(x, -1, 0); }),
       {transposed_layout(random_input({6, 3}, 54))},
       {{{1}, {2}}}},
      {"partition flat",
       unary([](auto& x) { return mx::partition(x, 3); }),
       {random_input({2, 4}, 55)},
       {{{0}, {0}}}},
      {"topk",
       unary([](auto& x) { return mx::topk(x, 2, 1); }),
       {random_input({3, 6}, 56)},
       {{{0}, {0}}, {{2}, {1}}}},
      {"topk axis 0 strided",
       unary([](auto& x) { return mx::topk(x, 3, 0); }),
       {step2_layout(random_input({5, 3}, 57))},
       {{{1}, {0}}}},
      {"topk flat",
       unary([](auto& x) { return mx::topk(x, 3); }),
       {random_input({2, 4}, 58)},
       {{{0}, {1}}}},
  };
  check_cases(cases);
}

TEST(GradScanSort, CummaxTiesGoToTheLatestTiedSlot) {
  // cummax([1, 3, 3, 2, 5, 5]) = [1, 3, 3, 3, 5, 5]; each output's
  // gradient goes to the latest slot holding its value (rule convention).
  auto x = mx::array({1.0, 3.0, 3.0, 2.0, 5.0, 5.0});
  auto g =
      mx::grad([](const mx::array& a) { return mx::sum(mx::cummax(a)); })(x);
  expect_near(g, {1, 1, 2, 0, 1, 1});
}

TEST(GradScanSort, ExclusiveLogcumsumexpHasFiniteGradient) {
  // The -inf first slot depends on nothing: its cotangent is ignored.
  auto x = random_input({2, 4}, 60);
  auto full = mx::vjp(
      [](const mx::array& a) { return mx::logcumsumexp(a, 1, false, false); },
      x,
      mx::ones({2, 4}, mx::float64));
  auto dropped = mx::grad([](const mx::array& a) {
    return mx::sum(
        mx::slice(mx::logcumsumexp(a, 1, false, false), {0, 1}, {2, 4}));
  })(x);
  expect_near(full.second, values_of(dropped));
}

TEST(GradScanSort, SecondDerivatives) {
  // vjp/jvp of gradient functions against finite differences of them.
  auto grad_of = [](std::function<mx::array(const mx::array&)> f) {
    return unary(mx::grad(f));
  };
  check_grads(
      "grad logsumexp",
      grad_of([](const mx::array& a) { return mx::logsumexp(a); }),
      {random_input({2, 3}, 70)});
  check_grads(
      "grad sum(x * x)",
      grad_of([](const mx::array& a) { return mx::sum(mx::multiply(a, a)); }),
      {random_input({3}, 71)});
  check_grads(
      "grad prod with zero",
      grad_of([](const mx::array& a) { return mx::sum(mx::prod(a, 1)); }),
      {with_zeros(random_input({2, 3}, 72), {1})});
  check_grads(
      "grad cumprod",
      grad_of([](const mx::array& a) {
        return mx::sum(mx::square(mx::cumprod(a)));
      }),
      {random_input({4}, 73, 0.5, 1.5)});
  check_grads(
      "grad sort/cummax/max",
      grad_of([](const mx::array& a) {
        return mx::sum(mx::square(mx::cummax(mx::sort(a, 1), 0, true))) +
               mx::sum(mx::square(mx::max(a, 0)));
      }),
      {random_input({3, 3}, 74)});
  check_grads(
      "grad logcumsumexp",
      grad_of([](const mx::array& a) {
        return mx::sum(mx::square(mx::logcumsumexp(a)));
      }),
      {random_input({4}, 75)});

  // Per-example gradients: vmap of a gradient that goes through every
  // family's vjp (gathers, scatters, scans), against a loop.
  auto per_example = grad_of([](const mx::array& a) {
    auto w = mx::array({0.3, -1.2, 0.7, 2.0, -0.4});
    return mx::sum(mx::sort(a, 1) * w) + mx::sum(mx::cumprod(a, 1) * w) +
           mx::sum(mx::cummax(a, 0, false, false)) + mx::sum(mx::prod(a, 0)) +
           mx::sum(mx::topk(a, 2, 1)) + mx::sum(mx::logcumsumexp(a, 1, true));
  });
  auto batch = with_zeros(random_input({3, 2, 5}, 76), {4, 13});
  check_vmap("per-example gradients", per_example, {batch}, {0}, {0});
  check_vmap(
      "per-example gradients, batch in the middle",
      per_example,
      {mx::transpose(batch, {1, 0, 2})},
      {1},
      {2});
}

} // namespace
