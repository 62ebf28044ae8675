// Tests of the distributions of mlx::core::random: moments and
// Kolmogorov-Smirnov statistics against closed-form CDFs (at the 1% level),
// frequencies of the discrete samplers, shapes, dtypes and broadcasting.
// Reference numbers computed with NumPy where noted.
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "test_utils.h"

namespace mx = mlx::core;
namespace rnd = mlx::core::random;

namespace {

double mean_of(const std::vector<double>& x) {
  double s = 0;
  for (double v : x) {
    s += v;
  }
  return s / x.size();
}

double variance_of(const std::vector<double>& x) {
  double m = mean_of(x), s = 0;
  for (double v : x) {
    s += (v - m) * (v - m);
  }
  return s / (x.size() - 1);
}

// Kolmogorov-Smirnov statistic sup |F_n(x) - F(x)| of the samples.
double
ks_statistic(std::vector<double> x, const std::function<double(double)>& cdf) {
  std::sort(x.begin(), x.end());
  double n = x.size(), d = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    double f = cdf(x[i]);
    d = std::max({d, (i + 1) / n - f, f - i / n});
  }
  return d;
}

// Critical value of the KS statistic at the 1% level for n samples.
double ks_bound(size_t n) {
  return 1.63 / std::sqrt(double(n));
}

double normal_cdf(double x) {
  return 0.5 * (1 + std::erf(x / std::sqrt(2.0)));
}

constexpr size_t kDraws = 100000;

} // namespace

TEST(RandomDistributionTest, UniformHasUniformDistribution) {
  auto x = mlx_test::to_doubles(
      rnd::uniform(-2.0f, 3.0f, {int(kDraws)}, mx::float32, rnd::key(11)));
  EXPECT_GE(*std::min_element(x.begin(), x.end()), -2.0);
  EXPECT_LT(*std::max_element(x.begin(), x.end()), 3.0);
  EXPECT_NEAR(mean_of(x), 0.5, 4 * std::sqrt(25.0 / 12 / kDraws));
  EXPECT_NEAR(variance_of(x), 25.0 / 12, 0.03);
  EXPECT_LT(
      ks_statistic(x, [](double v) { return (v + 2) / 5; }), ks_bound(kDraws));
}

TEST(RandomDistributionTest, UniformEveryFloatDtypeStaysBelowOne) {
  for (auto dt : {mx::float16, mx::bfloat16, mx::float32, mx::float64}) {
    auto u = rnd::uniform({20000}, dt, rnd::key(3));
    EXPECT_EQ(u.dtype(), dt);
    auto x = mlx_test::to_doubles(u);
    EXPECT_GE(*std::min_element(x.begin(), x.end()), 0.0) << dt;
    EXPECT_LT(*std::max_element(x.begin(), x.end()), 1.0) << dt;
    EXPECT_NEAR(mean_of(x), 0.5, 0.01) << dt;
  }
  // float64 draws use 53 bits: not all on the 2^-32 grid of one word.
  auto x = mlx_test::to_doubles(rnd::uniform({100}, mx::float64, rnd::key(3)));
  int off_grid = 0;
  for (double v : x) {
    off_grid += std::ldexp(v, 32) != std::floor(std::ldexp(v, 32));
  }
  EXPECT_GT(off_grid, 90);
}

TEST(RandomDistributionTest, UniformBoundsBroadcastFromViews) {
  // low (3, 1) from a strided slice, high (1, 3) transposed: (3, 3) bounds.
  auto low = mx::slice(mx::arange(0.0, 6.0, 1.0), {0}, {6}, {2});
  low = mx::reshape(low, {3, 1}); // 0, 2, 4
  auto high = mx::transpose(mx::array({10.0f, 20.0f, 30.0f}, {3, 1}));
  auto u = rnd::uniform(low, high, {2, 3, 3}, mx::float32, rnd::key(9));
  EXPECT_EQ(u.shape(), (mx::Shape{2, 3, 3}));
  auto x = mlx_test::to_doubles(u);
  for (size_t i = 0; i < x.size(); ++i) {
    double lo = 2.0 * ((i / 3) % 3), hi = 10.0 * (i % 3 + 1);
    EXPECT_GE(x[i], lo);
    EXPECT_LT(x[i], hi);
  }
  EXPECT_EQ(rnd::uniform({0, 3}).shape(), (mx::Shape{0, 3}));
}

TEST(RandomDistributionTest, NormalHasNormalDistribution) {
  auto x = mlx_test::to_doubles(
      rnd::normal({int(kDraws)}, 1.0f, 2.0f, rnd::key(12)));
  EXPECT_NEAR(mean_of(x), 1.0, 4 * 2.0 / std::sqrt(double(kDraws)));
  EXPECT_NEAR(variance_of(x), 4.0, 0.08);
  EXPECT_LT(
      ks_statistic(x, [](double v) { return normal_cdf((v - 1) / 2); }),
      ks_bound(kDraws));
  for (auto dt : {mx::float16, mx::bfloat16, mx::float64}) {
    auto y = rnd::normal({20000}, dt, rnd::key(4));
    EXPECT_EQ(y.dtype(), dt);
    auto v = mlx_test::to_doubles(y);
    EXPECT_NEAR(mean_of(v), 0.0, 0.03) << dt;
    EXPECT_NEAR(variance_of(v), 1.0, 0.04) << dt;
  }
  // Array loc/scale broadcast over the shape.
  auto z = rnd::normal(
      {20000, 2},
      mx::float32,
      mx::array({-5.0f, 5.0f}),
      mx::array({0.5f, 3.0f}),
      rnd::key(8));
  auto c0 = mlx_test::to_doubles(mx::take(z, 0, 1));
  auto c1 = mlx_test::to_doubles(mx::take(z, 1, 1));
  EXPECT_NEAR(mean_of(c0), -5.0, 0.02);
  EXPECT_NEAR(std::sqrt(variance_of(c0)), 0.5, 0.01);
  EXPECT_NEAR(mean_of(c1), 5.0, 0.1);
  EXPECT_NEAR(std::sqrt(variance_of(c1)), 3.0, 0.05);
}

TEST(
    RandomDistributionTest, TruncatedNormalStaysInBoundsWithRightDistribution) {
  auto t = rnd::truncated_normal(
      mx::array(-1.0f),
      mx::array(2.0f),
      {int(kDraws)},
      mx::float32,
      rnd::key(13));
  auto x = mlx_test::to_doubles(t);
  EXPECT_GE(*std::min_element(x.begin(), x.end()), -1.0);
  EXPECT_LE(*std::max_element(x.begin(), x.end()), 2.0);
  // NumPy/math: mean (phi(a) - phi(b)) / Z and the variance formula.
  EXPECT_NEAR(mean_of(x), 0.22963717909132897, 0.01);
  EXPECT_NEAR(variance_of(x), 0.5197625392115338, 0.01);
  double za = normal_cdf(-1), zb = normal_cdf(2);
  EXPECT_LT(
      ks_statistic(
          x, [&](double v) { return (normal_cdf(v) - za) / (zb - za); }),
      ks_bound(kDraws));
  // Bounds broadcast: shape from the bounds, float16 output.
  auto y = rnd::truncated_normal(
      mx::array({-0.5f, 0.0f, 1.0f}, {3, 1}),
      mx::array({0.5f, 1.0f, 4.0f}, {3, 1}),
      mx::float16,
      rnd::key(2));
  EXPECT_EQ(y.shape(), (mx::Shape{3, 1}));
  EXPECT_EQ(y.dtype(), mx::float16);
  auto yb = rnd::truncated_normal(
      mx::array({-0.5f, 0.0f, 1.0f}, {3, 1}),
      mx::array(4.0f),
      {3, 500},
      mx::float32,
      rnd::key(2));
  auto v = mlx_test::to_doubles(yb);
  for (size_t i = 0; i < v.size(); ++i) {
    const double lows[] = {-0.5, 0.0, 1.0};
    EXPECT_GE(v[i], lows[i / 500]);
    EXPECT_LE(v[i], 4.0);
  }
}

TEST(RandomDistributionTest, GumbelHasGumbelDistribution) {
  auto x = mlx_test::to_doubles(
      rnd::gumbel({int(kDraws)}, mx::float32, rnd::key(14)));
  // Mean: Euler's gamma; variance pi^2 / 6 (NumPy: np.euler_gamma).
  EXPECT_NEAR(mean_of(x), 0.5772156649015329, 0.02);
  EXPECT_NEAR(variance_of(x), 1.6449340668482264, 0.04);
  EXPECT_LT(
      ks_statistic(x, [](double v) { return std::exp(-std::exp(-v)); }),
      ks_bound(kDraws));
  auto h = mlx_test::to_doubles(rnd::gumbel({1000}, mx::float16, rnd::key(1)));
  for (double v : h) {
    EXPECT_TRUE(std::isfinite(v));
  }
}

TEST(RandomDistributionTest, LaplaceHasLaplaceDistribution) {
  const double mu = 0.5, b = 1.5;
  auto x = mlx_test::to_doubles(
      rnd::laplace({int(kDraws)}, 0.5f, 1.5f, rnd::key(15)));
  EXPECT_NEAR(mean_of(x), mu, 4 * std::sqrt(2 * b * b / kDraws));
  EXPECT_NEAR(variance_of(x), 2 * b * b, 0.15);
  auto cdf = [&](double v) {
    return v < mu ? 0.5 * std::exp((v - mu) / b)
                  : 1 - 0.5 * std::exp(-(v - mu) / b);
  };
  EXPECT_LT(ks_statistic(x, cdf), ks_bound(kDraws));
  EXPECT_EQ(rnd::laplace({3}, mx::bfloat16).dtype(), mx::bfloat16);
}

TEST(RandomDistributionTest, BernoulliFrequenciesFollowBroadcastP) {
  auto p = mx::array({0.1f, 0.5f, 0.9f}, {1, 3});
  auto b = rnd::bernoulli(p, {int(kDraws), 3}, rnd::key(16));
  EXPECT_EQ(b.dtype(), mx::bool_);
  EXPECT_EQ(b.shape(), (mx::Shape{int(kDraws), 3}));
  auto freq = mlx_test::to_doubles(mx::mean(b, 0));
  for (int j = 0; j < 3; ++j) {
    double pj = std::vector<double>{0.1, 0.5, 0.9}[j];
    EXPECT_NEAR(freq[j], pj, 4.5 * std::sqrt(pj * (1 - pj) / kDraws));
  }
  // Defaults: p = 0.5 scalar; shape = p's shape; float16 p; p outside [0, 1].
  EXPECT_EQ(rnd::bernoulli().shape(), mx::Shape{});
  EXPECT_EQ(rnd::bernoulli(mx::array(0.5f, mx::float16)).dtype(), mx::bool_);
  EXPECT_EQ(rnd::bernoulli(p).shape(), (mx::Shape{1, 3}));
  EXPECT_FALSE(rnd::bernoulli(mx::array(-1.0f)).item<bool>());
  EXPECT_TRUE(rnd::bernoulli(mx::array(5.0f)).item<bool>());
  EXPECT_NEAR(
      mx::mean(rnd::bernoulli(0.25f, {40000}, rnd::key(1))).item<float>(),
      0.25,
      0.01);
}

TEST(RandomDistributionTest, CategoricalFrequenciesFollowSoftmax) {
  // NumPy: softmax([1, 2, 0.5, -1]).
  std::vector<double> p = {0.22420782, 0.60946004, 0.13598892, 0.03034323};
  auto logits = mx::array({1.0f, 2.0f, 0.5f, -1.0f});
  auto c = rnd::categorical(logits, -1, int(kDraws), rnd::key(17));
  EXPECT_EQ(c.dtype(), mx::uint32);
  EXPECT_EQ(c.shape(), (mx::Shape{int(kDraws)}));
  auto x = mlx_test::to_doubles(c);
  std::vector<double> count(4, 0);
  for (double v : x) {
    count[size_t(v)] += 1.0 / kDraws;
  }
  for (int k = 0; k < 4; ++k) {
    EXPECT_NEAR(count[k], p[k], 4.5 * std::sqrt(p[k] * (1 - p[k]) / kDraws));
  }
  // Distributions along axis 0 of (4, 2) logits, with a leading sample
  // dim from `shape`. NumPy: softmax of each column of
  // [[0, 1], [1, -1], [2, 0], [-1, 0.5]].
  std::vector<std::vector<double>> pc = {
      {0.08714432, 0.23688282, 0.64391426, 0.0320586},
      {0.47399085, 0.06414769, 0.17437149, 0.28748998}};
  auto logits2 =
      mx::array({0.0f, 1.0f, 1.0f, -1.0f, 2.0f, 0.0f, -1.0f, 0.5f}, {4, 2});
  const int n = 50000;
  auto c2 = rnd::categorical(logits2, 0, mx::Shape{n, 2}, rnd::key(18));
  EXPECT_EQ(c2.shape(), (mx::Shape{n, 2}));
  auto y = mlx_test::to_doubles(c2);
  std::vector<std::vector<double>> cc(2, std::vector<double>(4, 0));
  for (size_t i = 0; i < y.size(); ++i) {
    cc[i % 2][size_t(y[i])] += 1.0 / n;
  }
  for (int j = 0; j < 2; ++j) {
    for (int k = 0; k < 4; ++k) {
      EXPECT_NEAR(cc[j][k], pc[j][k], 0.01) << j << ", " << k;
    }
  }
  EXPECT_EQ(rnd::categorical(logits2, 0).shape(), (mx::Shape{2}));
  EXPECT_EQ(rnd::categorical(logits2).shape(), (mx::Shape{4}));
}

TEST(RandomDistributionTest, PermutationIsAPermutationThatDependsOnTheKey) {
  auto p = rnd::permutation(1000, rnd::key(19));
  EXPECT_EQ(p.dtype(), mx::int32);
  expect_array_eq(mx::sort(p), mx::arange(1000));
  auto q = rnd::permutation(1000, rnd::key(20));
  EXPECT_NE(mlx_test::to_doubles(p), mlx_test::to_doubles(q));
  EXPECT_NE(mlx_test::to_doubles(p), mlx_test::to_doubles(mx::arange(1000)));
  // Along axis 1 of a (3, 5) array: columns move together.
  auto x = mx::reshape(mx::arange(15), {3, 5});
  auto px = rnd::permutation(x, 1, rnd::key(21));
  expect_array_eq(mx::sort(px, 1), x);
  auto v = mlx_test::to_doubles(px);
  for (int i = 1; i < 3; ++i) {
    for (int j = 0; j < 5; ++j) {
      EXPECT_EQ(v[5 * i + j], v[j] + 5 * i);
    }
  }
  EXPECT_EQ(rnd::permutation(0).size(), 0u);
  // All 6 orders of 3 items about equally often over 1200 keys.
  std::map<std::vector<double>, int> seen;
  auto keys = rnd::split(rnd::key(22), 1200);
  for (int i = 0; i < 1200; ++i) {
    ++seen[mlx_test::to_doubles(rnd::permutation(3, mx::take(keys, i, 0)))];
  }
  EXPECT_EQ(seen.size(), 6u);
  for (auto& [order, count] : seen) {
    EXPECT_NEAR(count, 200, 60);
  }
}

TEST(RandomDistributionTest, RandintRangeDtypeAndFrequencies) {
  auto x = rnd::randint(-10, 20, {int(kDraws)}, mx::int32, rnd::key(23));
  EXPECT_EQ(x.dtype(), mx::int32);
  auto v = mlx_test::to_doubles(x);
  std::vector<int> count(30, 0);
  for (double d : v) {
    ASSERT_GE(d, -10);
    ASSERT_LT(d, 20);
    ++count[int(d) + 10];
  }
  for (int c : count) {
    EXPECT_NEAR(c, kDraws / 30.0, 4.5 * std::sqrt(kDraws / 30.0));
  }
  EXPECT_EQ(rnd::randint(0, 10, {}, mx::uint32).dtype(), mx::uint32);
  EXPECT_EQ(rnd::randint(0, 2, {}, mx::bool_).dtype(), mx::bool_);
  auto u8 = mlx_test::to_doubles(rnd::randint(250, 256, {1000}, mx::uint8));
  EXPECT_EQ(*std::min_element(u8.begin(), u8.end()), 250);
  EXPECT_EQ(*std::max_element(u8.begin(), u8.end()), 255);
  // A range wider than 32 bits reaches its upper part.
  auto big = rnd::randint(
      mx::array(int64_t(0)), mx::array(int64_t(1) << 40), {1000}, mx::int64);
  auto b = mlx_test::to_doubles(big);
  EXPECT_GT(*std::max_element(b.begin(), b.end()), std::ldexp(1.0, 39));
  EXPECT_LT(*std::max_element(b.begin(), b.end()), std::ldexp(1.0, 40));
  // high <= low gives low; bounds broadcast.
  expect_array_eq(rnd::randint(20, -10, {3, 3}), mx::full({3, 3}, 20));
  auto lows = mx::array({0, 100}, {2, 1});
  auto r = mlx_test::to_doubles(
      rnd::randint(lows, mx::array({5, 105}, {2, 1}), {2, 50}));
  for (size_t i = 0; i < r.size(); ++i) {
    EXPECT_GE(r[i], i < 50 ? 0 : 100);
    EXPECT_LT(r[i], i < 50 ? 5 : 105);
  }
}

TEST(RandomDistributionTest, MultivariateNormalMatchesMeanAndCovariance) {
  std::vector<double> mu = {1.0, -2.0, 0.5};
  std::vector<double> cov = {2.0, 0.5, 0.3, 0.5, 1.0, -0.2, 0.3, -0.2, 0.5};
  auto mean = mx::array({1.0f, -2.0f, 0.5f});
  auto c = mx::array(
      {2.0f, 0.5f, 0.3f, 0.5f, 1.0f, -0.2f, 0.3f, -0.2f, 0.5f}, {3, 3});
  auto x = rnd::multivariate_normal(
      mean, c, {int(kDraws)}, mx::float32, rnd::key(24));
  EXPECT_EQ(x.shape(), (mx::Shape{int(kDraws), 3}));
  EXPECT_EQ(x.dtype(), mx::float32);
  auto v = mlx_test::to_doubles(x);
  std::vector<double> m(3, 0), s(9, 0);
  for (size_t i = 0; i < kDraws; ++i) {
    for (int a = 0; a < 3; ++a) {
      m[a] += v[3 * i + a] / kDraws;
    }
  }
  for (size_t i = 0; i < kDraws; ++i) {
    for (int a = 0; a < 3; ++a) {
      for (int b = 0; b < 3; ++b) {
        s[3 * a + b] += (v[3 * i + a] - m[a]) * (v[3 * i + b] - m[b]) / kDraws;
      }
    }
  }
  for (int a = 0; a < 3; ++a) {
    EXPECT_NEAR(m[a], mu[a], 0.03);
  }
  for (int k = 0; k < 9; ++k) {
    EXPECT_NEAR(s[k], cov[k], 0.05) << k;
  }
  // A singular (rank 1) covariance: both coordinates equal.
  auto y = rnd::multivariate_normal(
      mx::zeros({2}), mx::ones({2, 2}), {100}, mx::float32, rnd::key(25));
  auto w = mlx_test::to_doubles(y);
  for (size_t i = 0; i < 100; ++i) {
    EXPECT_NEAR(w[2 * i], w[2 * i + 1], 1e-4);
  }
}

TEST(RandomDistributionTest, MultivariateNormalBatchesBroadcast) {
  EXPECT_EQ(
      rnd::multivariate_normal(
          mx::zeros({3}), mx::zeros({1, 2, 3, 3}), {1000, 2}, mx::float32)
          .shape(),
      (mx::Shape{1000, 2, 3}));
  EXPECT_EQ(
      rnd::multivariate_normal(
          mx::zeros({2, 3}), mx::zeros({4, 1, 3, 3}), {}, mx::float32)
          .shape(),
      (mx::Shape{4, 2, 3}));
  // Two distributions in one call: means (2, 2), covariances (2, 2, 2).
  auto mean = mx::array({0.0f, 0.0f, 5.0f, -5.0f}, {2, 2});
  auto cov =
      mx::array({1.0f, 0.0f, 0.0f, 1.0f, 4.0f, -1.0f, -1.0f, 1.0f}, {2, 2, 2});
  const int n = 50000;
  auto x =
      rnd::multivariate_normal(mean, cov, {n, 2}, mx::float32, rnd::key(26));
  ASSERT_EQ(x.shape(), (mx::Shape{n, 2, 2}));
  auto v = mlx_test::to_doubles(x);
  std::vector<std::vector<double>> want_m = {{0, 0}, {5, -5}};
  std::vector<std::vector<double>> want_c = {{1, 0, 1}, {4, -1, 1}};
  for (int b = 0; b < 2; ++b) {
    double m0 = 0, m1 = 0, c00 = 0, c01 = 0, c11 = 0;
    for (int i = 0; i < n; ++i) {
      m0 += v[4 * i + 2 * b] / n;
      m1 += v[4 * i + 2 * b + 1] / n;
    }
    for (int i = 0; i < n; ++i) {
      double d0 = v[4 * i + 2 * b] - m0, d1 = v[4 * i + 2 * b + 1] - m1;
      c00 += d0 * d0 / n;
      c01 += d0 * d1 / n;
      c11 += d1 * d1 / n;
    }
    EXPECT_NEAR(m0, want_m[b][0], 0.05);
    EXPECT_NEAR(m1, want_m[b][1], 0.05);
    EXPECT_NEAR(c00, want_c[b][0], 0.1);
    EXPECT_NEAR(c01, want_c[b][1], 0.05);
    EXPECT_NEAR(c11, want_c[b][2], 0.05);
  }
}
