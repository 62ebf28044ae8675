// vjp, jvp and vmap of the collectives. As in MLX, gradients follow the
// local path: all_sum's vjp passes the cotangent through, all_gather's
// keeps this rank's slice; sum_scatter's vjp is all_gather (its adjoint).
#include "dist_test_utils.h"

using namespace dist_test;

TEST(DistTransformsTest, AllSumVjpIsIdentityAndJvpSumsTangents) {
  int n = world().size();
  int r = world().rank();
  auto x = rank_input(r, {4}, mx::float32);
  auto cot = mx::array({1.0f, 2.0f, 3.0f, 4.0f});
  auto [outs, grads] = mx::vjp(
      [](const std::vector<mx::array>& in) {
        return std::vector<mx::array>{dist::all_sum(in[0])};
      },
      {x},
      {cot});
  expect_array_eq(grads[0], cot);
  // Tangent r + 1 on rank r: the sum is n (n + 1) / 2.
  auto tangent = mx::full({4}, float(r + 1), mx::float32);
  auto [out, jvp_out] =
      mx::jvp([](const mx::array& a) { return dist::all_sum(a); }, x, tangent);
  expect_array_values(jvp_out, {4}, std::vector<double>(4, n * (n + 1) / 2.0));
}

TEST(DistTransformsTest, AllMaxVjpGoesToTheRanksHoldingTheMax) {
  int n = world().size();
  int r = world().rank();
  // Element 0: the last rank holds the max; element 1: every rank ties.
  auto x = mx::array({float(r), 7.0f});
  auto [outs, grads] = mx::vjp(
      [](const std::vector<mx::array>& in) {
        return std::vector<mx::array>{dist::all_max(in[0])};
      },
      {x},
      {mx::array({1.0f, 1.0f})});
  expect_array_values(grads[0], {2}, {r == n - 1 ? 1.0 : 0.0, 1.0});
}

TEST(DistTransformsTest, AllGatherVjpTakesThisRanksSlice) {
  int n = world().size();
  int r = world().rank();
  auto x = rank_input(r, {2, 3}, mx::float32);
  // Cotangent element k of the gathered [2n, 3] array is k.
  auto cot =
      mx::reshape(mx::astype(mx::arange(6 * n), mx::float32), {2 * n, 3});
  auto [outs, grads] = mx::vjp(
      [](const std::vector<mx::array>& in) {
        return std::vector<mx::array>{dist::all_gather(in[0])};
      },
      {x},
      {cot});
  std::vector<double> expected;
  for (int k = 6 * r; k < 6 * r + 6; ++k) {
    expected.push_back(k);
  }
  expect_array_values(grads[0], {2, 3}, expected);
  // jvp: the tangents gathered in rank order.
  auto tangent = mx::full({2, 3}, float(r), mx::float32);
  auto [out, jvp_out] = mx::jvp(
      [](const mx::array& a) { return dist::all_gather(a); }, x, tangent);
  std::vector<double> gathered;
  for (int q = 0; q < n; ++q) {
    gathered.insert(gathered.end(), 6, double(q));
  }
  expect_array_values(jvp_out, {2 * n, 3}, gathered);
}

TEST(DistTransformsTest, SumScatterVjpGathersTheCotangents) {
  int n = world().size();
  int r = world().rank();
  auto x = mx::zeros({2 * n}, mx::float32);
  // Rank q's cotangent is [q, q].
  auto cot = mx::full({2}, float(r), mx::float32);
  auto [outs, grads] = mx::vjp(
      [](const std::vector<mx::array>& in) {
        return std::vector<mx::array>{dist::sum_scatter(in[0])};
      },
      {x},
      {cot});
  std::vector<double> expected;
  for (int q = 0; q < n; ++q) {
    expected.insert(expected.end(), 2, double(q));
  }
  expect_array_values(grads[0], {2 * n}, expected);
}

TEST(DistTransformsTest, VmapOverAllSumAndAllGather) {
  int n = world().size();
  int r = world().rank();
  // A batch of 3 examples of shape [2], batch axis 1: x[i, b] = 10 b + i + r.
  std::vector<float> v;
  for (int i = 0; i < 2; ++i) {
    for (int b = 0; b < 3; ++b) {
      v.push_back(10.0f * b + i + r);
    }
  }
  auto x = mx::array(v.begin(), {2, 3}, mx::float32);
  auto summed =
      mx::vmap([](const mx::array& a) { return dist::all_sum(a); }, 1, 0)(x);
  std::vector<double> sum_expected;
  for (int b = 0; b < 3; ++b) {
    for (int i = 0; i < 2; ++i) {
      sum_expected.push_back(n * (10.0 * b + i) + n * (n - 1) / 2.0);
    }
  }
  expect_array_values(summed, {3, 2}, sum_expected);
  // Each example gathers its own [2] rows: [n * 2] per example.
  auto gathered =
      mx::vmap([](const mx::array& a) { return dist::all_gather(a); }, 1, 0)(x);
  std::vector<double> gather_expected;
  for (int b = 0; b < 3; ++b) {
    for (int q = 0; q < n; ++q) {
      for (int i = 0; i < 2; ++i) {
        gather_expected.push_back(10.0 * b + i + q);
      }
    }
  }
  expect_array_values(gathered, {3, 2 * n}, gather_expected);
  // A batch of scalars gathers to [batch, n].
  auto scalars = mx::array({float(r), float(r + 10)});
  auto gathered_scalars = mx::vmap(
      [](const mx::array& a) { return dist::all_gather(a); }, 0, 0)(scalars);
  std::vector<double> scalars_expected;
  for (int b = 0; b < 2; ++b) {
    for (int q = 0; q < n; ++q) {
      scalars_expected.push_back(q + 10.0 * b);
    }
  }
  if (n > 1) {
    expect_array_values(gathered_scalars, {2, n}, scalars_expected);
  }
}
