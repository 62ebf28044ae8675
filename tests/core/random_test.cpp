// Tests of mlx::core::random's generator: keys, split, bits, the global key
// sequence, reproducibility and argument errors. Exact values: Random123's
// known-answer vectors for Threefry-2x32-20, and the keys and bits that
// MLX's own test suite (tests/random_tests.cpp, generated with JAX's
// threefry) expects. The distributions: random_distributions_test.cpp.
#include <algorithm>
#include <cmath>
#include <functional>
#include <set>
#include <thread>

#include "mlx/random_impl.h"
#include "test_utils.h"

namespace mx = mlx::core;
namespace rnd = mlx::core::random;

namespace {

std::vector<uint64_t> words(mx::array a) {
  std::vector<uint64_t> out;
  for (double v : mlx_test::to_doubles(a)) {
    out.push_back(static_cast<uint64_t>(v));
  }
  return out;
}

template <typename F>
void expect_error(F f, const std::string& prefix, const std::string& names) {
  try {
    f();
    ADD_FAILURE() << "no exception, expected " << prefix;
  } catch (const std::invalid_argument& e) {
    std::string what = e.what();
    EXPECT_EQ(what.rfind(prefix, 0), 0u) << what;
    EXPECT_NE(what.find(names), std::string::npos) << what;
  }
}

constexpr size_t kDraws = 100000;

} // namespace

TEST(RandomTest, ThreefryMatchesRandom123KnownAnswers) {
  // Random123 kat_vectors, threefry2x32_20: (key, counter) -> output.
  using rnd::detail::threefry2x32;
  EXPECT_EQ(threefry2x32(0, 0, 0, 0), std::make_pair(0x6b200159u, 0x99ba4efeu));
  EXPECT_EQ(
      threefry2x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff),
      std::make_pair(0x1cb996fcu, 0xbb002be7u));
  EXPECT_EQ(
      threefry2x32(0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3),
      std::make_pair(0xc4923a9cu, 0x483df7a0u));
}

TEST(RandomTest, KeyHoldsHighAndLowWordsOfSeed) {
  auto k = rnd::key(0);
  EXPECT_EQ(k.dtype(), mx::uint32);
  EXPECT_EQ(words(k), (std::vector<uint64_t>{0, 0}));
  EXPECT_EQ(words(rnd::key(1)), (std::vector<uint64_t>{0, 1}));
  EXPECT_EQ(words(rnd::key(uint64_t(1) << 32)), (std::vector<uint64_t>{1, 0}));
  EXPECT_EQ(
      words(rnd::key((uint64_t(1) << 32) + 1)), (std::vector<uint64_t>{1, 1}));
}

TEST(RandomTest, SplitMatchesMlxAndJax) {
  // MLX's test values (= jax.random.split(PRNGKey(0))).
  auto [k1, k2] = rnd::split(rnd::key(0));
  EXPECT_EQ(words(k1), (std::vector<uint64_t>{4146024105u, 967050713u}));
  EXPECT_EQ(words(k2), (std::vector<uint64_t>{2718843009u, 1272950319u}));
  auto keys = rnd::split(rnd::key(0), 3);
  EXPECT_EQ(keys.shape(), (mx::Shape{3, 2}));
  EXPECT_EQ(
      words(keys),
      (std::vector<uint64_t>{
          2467461003u,
          428148500u,
          3186719485u,
          3840466878u,
          2562233961u,
          1946702221u}));
}

TEST(RandomTest, BitsMatchMlxForEveryWidthAndOddSizes) {
  auto k0 = rnd::key(0);
  auto k1 = rnd::key(1);
  EXPECT_EQ(words(rnd::bits({}, k0)), (std::vector<uint64_t>{1797259609u}));
  EXPECT_EQ(rnd::bits({}, 2, k0).dtype(), mx::uint16);
  EXPECT_EQ(words(rnd::bits({}, 2, k0)), (std::vector<uint64_t>{345}));
  EXPECT_EQ(rnd::bits({}, 1, k0).dtype(), mx::uint8);
  EXPECT_EQ(words(rnd::bits({}, 1, k0)), (std::vector<uint64_t>{89}));
  EXPECT_EQ(words(rnd::bits({}, k1)), (std::vector<uint64_t>{507451445u}));
  EXPECT_EQ(words(rnd::bits({}, 2, k1)), (std::vector<uint64_t>{6197}));
  EXPECT_EQ(words(rnd::bits({}, 1, k1)), (std::vector<uint64_t>{53}));
  auto x = rnd::bits({3, 1}, k0);
  EXPECT_EQ(x.shape(), (mx::Shape{3, 1}));
  EXPECT_EQ(
      words(x), (std::vector<uint64_t>{4146024105u, 1351547692u, 2718843009u}));
  std::vector<uint64_t> w16 = {
      20137, 63263, 1497, 14756, 16513, 41486, 44591, 19423};
  EXPECT_EQ(
      words(rnd::bits({5}, 2, k0)),
      (std::vector<uint64_t>{20137, 63263, 64300, 20622, 16513}));
  EXPECT_EQ(
      words(rnd::bits({6}, 2, k0)),
      (std::vector<uint64_t>{20137, 63263, 64300, 20622, 16513, 41486}));
  EXPECT_EQ(
      words(rnd::bits({7}, 2, k0)),
      std::vector<uint64_t>(w16.begin(), w16.begin() + 7));
  EXPECT_EQ(words(rnd::bits({8}, 2, k0)), w16);
  EXPECT_EQ(rnd::bits({0}, k0).size(), 0u);
  EXPECT_EQ(rnd::bits({4, 0}, 1, k0).shape(), (mx::Shape{4, 0}));
}

TEST(RandomTest, BatchedKeysDrawOneBlockEach) {
  // MLX's vmap test values: keys {0, 0} and {1, 1}, then the transposed
  // keys (a strided view: both rows are {0, 1}).
  auto keys = mx::array({0u, 0u, 1u, 1u}, {2, 2});
  auto x = rnd::bits({3}, keys);
  EXPECT_EQ(x.shape(), (mx::Shape{2, 3}));
  EXPECT_EQ(
      words(x),
      (std::vector<uint64_t>{
          4146024105u,
          1351547692u,
          2718843009u,
          3725146706u,
          1802982961u,
          1349634643u}));
  std::vector<uint64_t> row = {2441914641u, 1110694964u, 3819641963u};
  std::vector<uint64_t> rows = row;
  rows.insert(rows.end(), row.begin(), row.end());
  EXPECT_EQ(words(rnd::bits({3}, mx::transpose(keys))), rows);
  // Two batch dims.
  auto keys3 =
      mx::array({0u, 0u, 1u, 1u, 2u, 2u, 3u, 3u, 4u, 4u, 5u, 5u}, {3, 2, 2});
  auto y = rnd::bits({2}, keys3);
  EXPECT_EQ(y.shape(), (mx::Shape{3, 2, 2}));
  EXPECT_EQ(
      words(y),
      (std::vector<uint64_t>{
          928981903u,
          3453687069u,
          3606183818u,
          460005496u,
          2799733733u,
          856293553u,
          4081856343u,
          3445925136u,
          2775548010u,
          1430281703u,
          305173070u,
          2615843348u}));
  // Blocks of 3 bytes (not word aligned): each row as drawn alone.
  auto bytes = words(rnd::bits({3}, 1, keys3));
  for (int b = 0; b < 6; ++b) {
    auto alone =
        words(rnd::bits({3}, 1, mx::array({uint32_t(b), uint32_t(b)})));
    EXPECT_EQ(
        std::vector<uint64_t>(bytes.begin() + 3 * b, bytes.begin() + 3 * b + 3),
        alone);
  }
  // A broadcast key: every block equal.
  auto z = rnd::bits({5}, mx::broadcast_to(rnd::key(3), {4, 2}));
  auto zw = words(z);
  for (size_t i = 5; i < zw.size(); ++i) {
    EXPECT_EQ(zw[i], zw[i % 5]);
  }
}

TEST(RandomTest, VmapOverKeysMatchesMlx) {
  // MLX's test values for vmap(bits) over axis 0, axis 1 and nested.
  auto keys = mx::array({0u, 0u, 1u, 1u}, {2, 2});
  std::function<mx::array(const mx::array&)> fn = [](const mx::array& k) {
    return rnd::bits({3}, k);
  };
  EXPECT_EQ(
      words(mx::vmap(fn)(keys)),
      (std::vector<uint64_t>{
          4146024105u,
          1351547692u,
          2718843009u,
          3725146706u,
          1802982961u,
          1349634643u}));
  EXPECT_EQ(
      words(mx::vmap(fn, 1)(keys)),
      (std::vector<uint64_t>{
          2441914641u,
          1110694964u,
          3819641963u,
          2441914641u,
          1110694964u,
          3819641963u}));
  auto keys3 =
      mx::array({0u, 0u, 1u, 1u, 2u, 2u, 3u, 3u, 4u, 4u, 5u, 5u}, {3, 2, 2});
  std::function<mx::array(const mx::array&)> fn2 = [](const mx::array& k) {
    return rnd::bits({2}, k);
  };
  auto nested = mx::vmap(mx::vmap(fn2, 1), 0)(keys3);
  EXPECT_EQ(nested.shape(), (mx::Shape{3, 2, 2}));
  EXPECT_EQ(
      words(nested),
      (std::vector<uint64_t>{
          1948878966u,
          4237131848u,
          1948878966u,
          4237131848u,
          2531170506u,
          1858648356u,
          2531170506u,
          1858648356u,
          740561898u,
          4234094099u,
          740561898u,
          4234094099u}));
  // A sampler with an unbatched key and a batched bound (MLX's shape test).
  std::function<mx::array(const mx::array&, const mx::array&)> sample =
      [](const mx::array& k, const mx::array& low) {
        return rnd::uniform(low, mx::array(1.0f), {3}, mx::float32, k);
      };
  auto u = mx::vmap(sample, -1, 0)(rnd::key(0), mx::zeros({2, 3}));
  EXPECT_EQ(u.shape(), (mx::Shape{2, 3}));
}

TEST(RandomTest, LargeBlocksCoverEveryCounterOnce) {
  // Words i and i + n/2 come from counter (i, i + n/2): check a large draw
  // (vector blocks, several threads) against the scalar hash.
  const int n = 100003; // odd: one word from counter (n / 2, 0)
  auto x = words(rnd::bits({n}, rnd::key(5)));
  size_t half = n / 2, partner = n - n / 2;
  for (size_t i = 0; i < half; i += 997) {
    auto [a, b] = rnd::detail::threefry2x32(0, 5, i, i + partner);
    EXPECT_EQ(x[i], a);
    EXPECT_EQ(x[i + partner], b);
  }
  EXPECT_EQ(x[half], rnd::detail::threefry2x32(0, 5, half, 0).first);
}

TEST(RandomTest, SameKeyGivesSameSamplesOnEveryStream) {
  auto k = rnd::key(42);
  auto other = mx::new_stream(mx::Device::cpu);
  expect_array_eq(rnd::bits({1000}, k), rnd::bits({1000}, k, other));
  expect_array_eq(rnd::uniform({500}, k), rnd::uniform({500}, k));
  expect_array_eq(rnd::normal({500}, k), rnd::normal({500}, k, other));
  expect_array_eq(
      rnd::randint(0, 100, {50}, mx::int32, k),
      rnd::randint(0, 100, {50}, mx::int32, k, other));
  auto a = mlx_test::to_doubles(rnd::uniform({500}, rnd::key(43)));
  EXPECT_NE(a, mlx_test::to_doubles(rnd::uniform({500}, k)));
}

TEST(RandomTest, UniformMatchesMlxRecipe) {
  // MLX: float(bits) / UINT32_MAX in float32 (i.e. times 2^-32).
  auto u = rnd::uniform({}, rnd::key(0));
  EXPECT_EQ(u.dtype(), mx::float32);
  EXPECT_EQ(u.item<float>(), static_cast<float>(1797259609u) * 0x1p-32f);
  EXPECT_EQ(
      rnd::uniform({}, rnd::key(1)).item<float>(),
      static_cast<float>(507451445u) * 0x1p-32f);
  auto v = mlx_test::to_doubles(rnd::uniform({3, 1}, rnd::key(0)));
  std::vector<uint32_t> w = {4146024105u, 1351547692u, 2718843009u};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(v[i], static_cast<float>(w[i]) * 0x1p-32f);
  }
}

TEST(RandomTest, GlobalKeySequenceRestartsAfterSeed) {
  rnd::seed(42);
  auto a = mlx_test::to_doubles(rnd::uniform({10}));
  auto b = mlx_test::to_doubles(rnd::uniform({10}));
  EXPECT_NE(a, b);
  rnd::seed(42);
  EXPECT_EQ(mlx_test::to_doubles(rnd::uniform({10})), a);
  EXPECT_EQ(mlx_test::to_doubles(rnd::uniform({10})), b);
  // The first key after seed(s) is the second half of split(key(s)).
  rnd::seed(42);
  auto first = rnd::split(rnd::key(42)).second;
  EXPECT_EQ(mlx_test::to_doubles(rnd::uniform({10}, first)), a);
}

TEST(RandomTest, GlobalKeySequenceIsThreadSafe) {
  constexpr int kThreads = 4, kPerThread = 250;
  rnd::seed(7);
  std::set<std::vector<uint64_t>> serial;
  for (int i = 0; i < kThreads * kPerThread; ++i) {
    serial.insert(words(rnd::KeySequence::default_().next()));
  }
  ASSERT_EQ(serial.size(), size_t(kThreads * kPerThread)); // all distinct
  rnd::seed(7);
  std::vector<std::vector<mx::array>> drawn(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&drawn, t] {
      for (int i = 0; i < kPerThread; ++i) {
        drawn[t].push_back(rnd::KeySequence::default_().next());
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  std::set<std::vector<uint64_t>> parallel;
  for (auto& keys : drawn) {
    for (auto& k : keys) {
      parallel.insert(words(k));
    }
  }
  EXPECT_EQ(parallel, serial);
}

TEST(RandomTest, SplitKeysGiveUncorrelatedSamples) {
  auto keys = rnd::split(rnd::key(7), 4);
  std::vector<std::vector<double>> x;
  for (int i = 0; i < 4; ++i) {
    x.push_back(
        mlx_test::to_doubles(rnd::normal({int(kDraws)}, mx::take(keys, i, 0))));
  }
  x.push_back(mlx_test::to_doubles(rnd::normal({int(kDraws)}, rnd::key(7))));
  for (size_t i = 0; i < x.size(); ++i) {
    for (size_t j = i + 1; j < x.size(); ++j) {
      double c = 0;
      for (size_t k = 0; k < kDraws; ++k) {
        c += x[i][k] * x[j][k];
      }
      // Standard normals: the correlation has standard error 1/sqrt(n).
      EXPECT_LT(std::abs(c / kDraws), 4.5 / std::sqrt(double(kDraws)))
          << i << ", " << j;
    }
  }
}

TEST(RandomTest, BadArgumentsNameTheOpAndValues) {
  auto k = rnd::key(0);
  expect_error([&] { rnd::uniform({2}, mx::int32, k); }, "[uniform]", "int32");
  expect_error(
      [&] {
        rnd::uniform(mx::zeros({3, 3}), 1.0f, {1, 3});
      },
      "[uniform]",
      "(3, 3)");
  expect_error(
      [&] {
        rnd::uniform(mx::zeros({2, 3}), 1.0f, {3, 3});
      },
      "[uniform]",
      "(2, 3)");
  expect_error([&] { rnd::uniform({}, mx::array({0, 0})); }, "[bits]", "int32");
  expect_error(
      [&] {
        rnd::uniform({}, mx::array({0u, 0u, 0u}, {3, 1}));
      },
      "[bits]",
      "(3, 1)");
  expect_error([&] { rnd::bits({2}, 3, k); }, "[bits]", "3");
  expect_error([&] { rnd::bits({-2}, k); }, "[bits]", "-2");
  expect_error(
      [&] {
        rnd::split(mx::array({1.0f, 2.0f}), 2);
      },
      "[split]",
      "float32");
  expect_error([&] { rnd::split(k, -1); }, "[split]", "-1");
  expect_error([&] { rnd::normal({2}, mx::int32, k); }, "[normal]", "int32");
  expect_error(
      [&] { rnd::normal({2}, mx::float32, mx::zeros({3}), std::nullopt, k); },
      "[normal]",
      "(3,)");
  expect_error(
      [&] { rnd::randint(0, 5, {2}, mx::float32, k); }, "[randint]", "float32");
  expect_error([&] { rnd::bernoulli(mx::array(1)); }, "[bernoulli]", "int32");
  expect_error(
      [&] {
        rnd::bernoulli(mx::array({0.1f, 0.2f, 0.3f}), {2});
      },
      "[bernoulli]",
      "(3,)");
  expect_error(
      [&] { rnd::truncated_normal(mx::zeros({3}), mx::ones({3}), {2}); },
      "[truncated_normal]",
      "(3,)");
  expect_error(
      [&] { rnd::truncated_normal(mx::array(0), mx::array(1), mx::int8); },
      "[truncated_normal]",
      "int8");
  expect_error([&] { rnd::gumbel({2}, mx::uint8); }, "[gumbel]", "uint8");
  expect_error([&] { rnd::laplace({2}, mx::int64); }, "[laplace]", "int64");
  expect_error(
      [&] {
        rnd::categorical(mx::array({1, 2}));
      },
      "[categorical]",
      "int32");
  expect_error(
      [&] {
        rnd::categorical(mx::zeros({2, 3}), 2);
      },
      "[categorical]",
      "2");
  expect_error(
      [&] {
        rnd::categorical(mx::zeros({2, 3}), -1, mx::Shape{3});
      },
      "[categorical]",
      "(2,)");
  expect_error([&] { rnd::permutation(-1); }, "[permutation]", "-1");
  expect_error(
      [&] { rnd::permutation(mx::array(1.0f)); }, "[permutation]", "0");
  auto eye3 = mx::eye(3, mx::float32);
  expect_error(
      [&] { rnd::multivariate_normal(mx::zeros({3}), eye3, {}, mx::float64); },
      "[multivariate_normal]",
      "float64");
  expect_error(
      [&] { rnd::multivariate_normal(mx::zeros({3}), eye3, {}, mx::float16); },
      "[multivariate_normal]",
      "float16");
  expect_error(
      [&] {
        rnd::multivariate_normal(
            mx::zeros({3}), mx::zeros({3, 4}), {}, mx::float32);
      },
      "[multivariate_normal]",
      "(3, 4)");
  expect_error(
      [&] {
        rnd::multivariate_normal(mx::zeros({3, 1}), eye3, {1000}, mx::float32);
      },
      "[multivariate_normal]",
      "(3, 1)");
  expect_error(
      [&] {
        rnd::multivariate_normal(
            mx::zeros({3}), mx::zeros({2, 3, 3}), {5}, mx::float32);
      },
      "[multivariate_normal]",
      "(5,)");
  mx::Stream gpu_stream(0, mx::Device::gpu);
  expect_error(
      [&] {
        rnd::multivariate_normal(
            mx::zeros({3}), eye3, {}, mx::float32, k, gpu_stream);
      },
      "[multivariate_normal]",
      "GPU");
}
