// all_sum, all_max, all_min, all_gather, sum_scatter and broadcast on the
// world group, for every dtype, several shapes and layouts. Runs under
// mpirun, under the ring launcher, or alone (a group of one).
#include <cstdlib>

#include "dist_test_utils.h"
#include "mlx/random.h"

using namespace dist_test;

namespace {

// Input layouts: each builds rank q's input for the given dtype.
struct Layout {
  const char* name;
  mx::Shape shape; // of the result of make
  std::function<mx::array(int, mx::Dtype)> make;
};

std::vector<Layout> layouts() {
  return {
      {"scalar", {}, [](int q, mx::Dtype t) { return rank_input(q, {}, t); }},
      {"empty", {0}, [](int q, mx::Dtype t) { return rank_input(q, {0}, t); }},
      {"vector", {7}, [](int q, mx::Dtype t) { return rank_input(q, {7}, t); }},
      {"3d",
       {2, 3, 4},
       [](int q, mx::Dtype t) {
         return rank_input(q, {2, 3, 4}, t);
       }},
      {"transposed",
       {3, 5},
       [](int q, mx::Dtype t) {
         return mx::transpose(rank_input(q, {5, 3}, t));
       }},
      {"strided slice",
       {4, 2},
       [](int q, mx::Dtype t) {
         return mx::slice(rank_input(q, {8, 6}, t), {0, 1}, {8, 6}, {2, 3});
       }},
      {"broadcast",
       {4, 3},
       [](int q, mx::Dtype t) {
         return mx::broadcast_to(rank_input(q, {3}, t), {4, 3});
       }},
      // Beyond the small-message paths, and not a multiple of any rank count.
      {"large",
       {100003},
       [](int q, mx::Dtype t) { return rank_input(q, {100003}, t); }},
  };
}

enum class Kind { Sum, Max, Min };

mx::array reduce(Kind kind, const mx::array& x) {
  switch (kind) {
  case Kind::Sum:
    return dist::all_sum(x);
  case Kind::Max:
    return dist::all_max(x);
  default:
    return dist::all_min(x);
  }
}

// Checks the reduction of make(rank) against the fold of every rank's
// input. bool sums are logical or, i.e. a max of 0/1. Complex max/min: see
// AllMaxOrdersComplexByRealThenImag.
void check_reduction(Kind kind, mx::Dtype dtype, const Layout& layout) {
  int n = world().size();
  auto make = [&](int q) { return layout.make(q, dtype); };
  auto got = reduce(kind, make(world().rank()));
  SCOPED_TRACE(std::string(layout.name) + " " + mx::dtype_to_string(dtype));
  ASSERT_EQ(got.dtype(), dtype);
  if (dtype == mx::complex64) {
    if (kind == Kind::Sum) {
      expect_complex_near(got, sum_ranks_complex(n, make), layout.shape, 0, 0);
    }
    return;
  }
  Fold fold = kind == Kind::Min                           ? Fold(min_of)
              : (kind == Kind::Max || dtype == mx::bool_) ? Fold(max_of)
                                                          : Fold(add);
  expect_array_values(got, layout.shape, fold_ranks(n, make, fold));
}

} // namespace

TEST(CollectivesTest, AllSumEveryDtype) {
  for (auto dtype : mlx_test::kAllDtypes) {
    check_reduction(Kind::Sum, dtype, layouts()[2]);
  }
}

TEST(CollectivesTest, AllSumEveryShapeAndLayout) {
  for (auto& layout : layouts()) {
    for (auto dtype : {mx::float32, mx::int64, mx::bfloat16, mx::bool_}) {
      check_reduction(Kind::Sum, dtype, layout);
    }
  }
}

TEST(CollectivesTest, AllMaxAndAllMinEveryDtype) {
  for (auto& layout : {layouts()[2], layouts()[4], layouts()[7]}) {
    for (auto dtype : mlx_test::kAllDtypes) {
      check_reduction(Kind::Max, dtype, layout);
      check_reduction(Kind::Min, dtype, layout);
    }
  }
}

TEST(CollectivesTest, AllMaxAndAllMinPropagateNaN) {
  int n = world().size();
  // The last rank holds NaN at index 1 (float32 and float16).
  for (auto dtype : {mx::float32, mx::float16}) {
    std::vector<float> v = {1.0f, float(world().rank()), -2.0f};
    if (world().rank() == n - 1) {
      v[1] = NAN;
    }
    auto x = mx::astype(mx::array(v.begin(), {3}), dtype);
    auto mx_ = mlx_test::to_doubles(dist::all_max(x));
    auto mn = mlx_test::to_doubles(dist::all_min(x));
    EXPECT_EQ(mx_[0], 1.0);
    EXPECT_TRUE(std::isnan(mx_[1]));
    EXPECT_TRUE(std::isnan(mn[1]));
    EXPECT_EQ(mn[2], -2.0);
  }
}

TEST(CollectivesTest, AllMaxOrdersComplexByRealThenImag) {
  int n = world().size();
  int r = world().rank();
  // Equal real parts everywhere: the imaginary part (the rank) decides.
  auto x = mx::array({mx::complex64_t(1.0f, float(r))}, {1});
  EXPECT_EQ(
      mlx_test::to_complex(dist::all_max(x))[0],
      std::complex<double>(1.0, n - 1));
  EXPECT_EQ(
      mlx_test::to_complex(dist::all_min(x))[0], std::complex<double>(1.0, 0));
}

TEST(CollectivesTest, AllSumOfADonatedInputIsInPlace) {
  int n = world().size();
  // x * 2 has no other reference: its buffer may become the result's.
  auto x = rank_input(world().rank(), {1000}, mx::float32);
  auto got = dist::all_sum(mx::multiply(x, mx::array(2.0f)));
  auto expected = fold_ranks(
      n, [](int q) { return rank_input(q, {1000}, mx::float32); }, add);
  for (auto& e : expected) {
    e *= 2;
  }
  expect_array_values(got, {1000}, expected);
}

TEST(CollectivesTest, AllGatherEveryDtypeAndLayout) {
  int n = world().size();
  for (auto& layout : layouts()) {
    for (auto dtype : mlx_test::kAllDtypes) {
      if (layout.name == std::string("large") && dtype != mx::float32) {
        continue;
      }
      SCOPED_TRACE(std::string(layout.name) + " " + mx::dtype_to_string(dtype));
      auto make = [&](int q) { return layout.make(q, dtype); };
      auto got = dist::all_gather(make(world().rank()));
      mx::Shape shape = layout.shape;
      if (shape.empty()) {
        shape = {1};
      }
      // A group of one returns the input itself (MLX), scalars included.
      if (n > 1 || !layout.shape.empty()) {
        shape[0] *= n;
      } else {
        shape = {};
      }
      ASSERT_EQ(got.dtype(), dtype);
      if (dtype == mx::complex64) {
        std::vector<std::complex<double>> expected;
        for (int q = 0; q < n; ++q) {
          auto v = mlx_test::to_complex(make(q));
          expected.insert(expected.end(), v.begin(), v.end());
        }
        expect_complex_near(got, expected, shape, 0, 0);
      } else {
        expect_array_values(got, shape, concat_ranks(n, make));
      }
    }
  }
}

TEST(CollectivesTest, SumScatterKeepsThisRanksBlock) {
  int n = world().size();
  int r = world().rank();
  struct Case {
    mx::Shape shape;
    bool transposed;
  };
  for (auto c :
       {Case{{3 * n, 2}, false},
        Case{{3 * n, 5}, true},
        Case{{1000 * n, 7}, false}}) {
    for (auto dtype : {mx::float32, mx::int32, mx::float16, mx::bool_}) {
      auto make = [&](int q) {
        if (!c.transposed) {
          return rank_input(q, c.shape, dtype);
        }
        mx::Shape flipped = {c.shape[1], c.shape[0]};
        return mx::transpose(rank_input(q, flipped, dtype));
      };
      auto got = dist::sum_scatter(make(r));
      auto total = fold_ranks(n, make, dtype == mx::bool_ ? max_of : add);
      size_t block = total.size() / n;
      std::vector<double> expected(
          total.begin() + r * block, total.begin() + (r + 1) * block);
      expect_array_values(got, {c.shape[0] / n, c.shape[1]}, expected);
    }
  }
  auto z = mx::array({mx::complex64_t(1, r), mx::complex64_t(2, 0)}, {2});
  if (n == 2) {
    // Block r of the sum: (1, 0) + (1, 1) = (2, 1), and (2, 0) + (2, 0).
    auto got = dist::sum_scatter(z);
    EXPECT_EQ(
        mlx_test::to_complex(got)[0],
        r == 0 ? std::complex<double>(2, 1) : std::complex<double>(4, 0));
  }
}

TEST(CollectivesTest, SumScatterRejectsIndivisibleShapes) {
  int n = world().size();
  if (n > 1) {
    expect_throws_with_prefix(
        [&] { dist::sum_scatter(mx::zeros({n + 1}, mx::float32)); },
        "[sum_scatter]",
        "divisible");
  }
  expect_throws_with_prefix(
      [] { dist::sum_scatter(mx::array(1.0f)); }, "[sum_scatter]");
}

TEST(CollectivesTest, BroadcastFromEveryRoot) {
  int n = world().size();
  int r = world().rank();
  for (int root = 0; root < n; ++root) {
    for (auto dtype : {mx::float32, mx::uint8, mx::complex64}) {
      // Non-contiguous on every rank; only the root's values count.
      auto x = mx::transpose(rank_input(r, {5, 3}, dtype));
      auto got = dist::broadcast(x, root);
      expect_array_eq(got, mx::transpose(rank_input(root, {5, 3}, dtype)));
    }
    auto big = rank_input(r, {200000}, mx::float32);
    expect_array_eq(
        dist::broadcast(big, root), rank_input(root, {200000}, mx::float32));
  }
  expect_throws_with_prefix(
      [&] { dist::broadcast(mx::array(1.0f), n); }, "[broadcast]", "root");
}

TEST(CollectivesTest, CollectivesOnAnExplicitStream) {
  int n = world().size();
  auto s = mx::new_stream(mx::Device::cpu);
  auto x = rank_input(world().rank(), {6}, mx::int32);
  auto got = dist::all_sum(x, world(), s);
  auto expected = fold_ranks(
      n, [](int q) { return rank_input(q, {6}, mx::int32); }, add);
  expect_array_values(got, {6}, expected);
}

// More than 2^31 bytes (MPI counts are ints): several messages per call.
// Needs about 2.2 GB per rank and some seconds, so it runs only when asked:
//   MLX_DIST_TEST_LARGE=1 mpirun -np 2 dist_collectives_test
//       --gtest_filter='*Past2GiB*'
TEST(CollectivesTest, AllSumAndAllGatherPast2GiB) {
  if (std::getenv("MLX_DIST_TEST_LARGE") == nullptr) {
    GTEST_SKIP() << "set MLX_DIST_TEST_LARGE=1 to run";
  }
  int n = world().size();
  int r = world().rank();
  // Shapes are int32: 2^31 + 12346 int8 elements as [2, 2^30 + 6173].
  int32_t row = (int32_t(1) << 30) + 6173;
  int64_t count = 2 * int64_t(row);
  // Donated to the result: reduced in place, one buffer per rank.
  auto sum = dist::all_sum(mx::full({2, row}, int8_t(r + 1)));
  sum.eval();
  int8_t expected = int8_t(n * (n + 1) / 2);
  const int8_t* p = sum.data<int8_t>();
  for (int64_t i :
       {int64_t(0),
        int64_t(1) << 30,
        (int64_t(1) << 31) - 1,
        int64_t(1) << 31,
        count - 1}) {
    EXPECT_EQ(p[i], expected) << "element " << i;
  }
  EXPECT_EQ(mx::min(sum).item<int>(), expected);
  EXPECT_EQ(mx::max(sum).item<int>(), expected);
  // Each rank contributes one row of 1.07 GB: the result is past 2 GiB.
  auto gathered = dist::all_gather(mx::full({1, row}, int8_t(r + 1)));
  gathered.eval();
  ASSERT_EQ(gathered.shape(), mx::Shape({n, row}));
  for (int q = 0; q < n; ++q) {
    auto block = mx::slice(gathered, {q, 0}, {q + 1, row});
    EXPECT_EQ(mx::min(block).item<int>(), q + 1);
    EXPECT_EQ(mx::max(block).item<int>(), q + 1);
  }
}

namespace {

// Shapes of one all_sum_many call: a block of the joined vector crosses
// array boundaries, and past 256 KiB in every dtype averages take the MPI
// backend's ring (and the ring backend's chunked path runs).
const std::vector<mx::Shape> kManyShapes = {
    {3, 4}, {70001}, {0}, {}, {257, 129}, {5}, {300, 600}};

std::vector<mx::array> many_inputs(int q, mx::Dtype dtype) {
  std::vector<mx::array> xs;
  for (auto& shape : kManyShapes) {
    xs.push_back(rank_input(q, shape, dtype));
  }
  return xs;
}

} // namespace

TEST(CollectivesTest, AllSumManyDividesEachArraysSum) {
  int n = world().size();
  for (auto dtype : {mx::float32, mx::float16, mx::float64, mx::bfloat16}) {
    SCOPED_TRACE(mx::dtype_to_string(dtype));
    auto got = dist::all_sum_many(many_inputs(world().rank(), dtype), n);
    ASSERT_EQ(got.size(), kManyShapes.size());
    for (size_t i = 0; i < got.size(); ++i) {
      SCOPED_TRACE("array " + std::to_string(i));
      EXPECT_EQ(got[i].dtype(), dtype);
      // Small integers over a power-of-two rank count: exact in every
      // dtype, so the fold written out here must match bit for bit.
      auto sums = fold_ranks(
          n, [&](int q) { return many_inputs(q, dtype)[i]; }, add);
      for (auto& s : sums) {
        s /= n;
      }
      expect_array_values(got[i], kManyShapes[i], sums);
    }
  }
}

TEST(CollectivesTest, AllSumManyOfDonatedAndKeptInputs) {
  int n = world().size();
  int q = world().rank();
  // Even arrays are temporaries (nothing else holds them), odd ones are
  // still held here and must keep their values; both in one call, summed
  // and averaged.
  auto kept = many_inputs(q, mx::float32);
  for (int divisor : {1, n}) {
    SCOPED_TRACE("divisor " + std::to_string(divisor));
    std::vector<mx::array> xs;
    for (size_t i = 0; i < kept.size(); ++i) {
      xs.push_back(i % 2 ? kept[i] : mx::multiply(kept[i], mx::array(2.0f)));
    }
    auto got = dist::all_sum_many(xs, divisor);
    xs.clear();
    for (size_t i = 0; i < got.size(); ++i) {
      SCOPED_TRACE("array " + std::to_string(i));
      auto sums = fold_ranks(
          n, [&](int r) { return many_inputs(r, mx::float32)[i]; }, add);
      for (auto& s : sums) {
        s = s * (i % 2 ? 1 : 2) / divisor;
      }
      expect_array_values(got[i], kManyShapes[i], sums);
    }
  }
  // The kept inputs are unchanged.
  expect_array_values(
      kept[1],
      kManyShapes[1],
      mlx_test::to_doubles(rank_input(q, kManyShapes[1], mx::float32)));
}

TEST(CollectivesTest, AllSumManyOfRandomValuesIsTheSameOnEveryRank) {
  int n = world().size();
  auto key = mx::random::key(100 + world().rank());
  auto big = mx::random::normal({300001}, mx::float32, 0.0f, 1.0f, key);
  auto small = mx::random::normal({3, 7}, mx::float32, 0.0f, 1.0f, key);
  // Ordered after another collective: `after` only delays it.
  auto first = dist::all_sum(small);
  auto got = dist::all_sum_many({small, big}, n, std::nullopt, {}, {first});
  std::vector<mx::array> old_path = {
      mx::divide(dist::all_sum(small), mx::array(float(n))),
      mx::divide(dist::all_sum(big), mx::array(float(n)))};
  for (size_t i = 0; i < got.size(); ++i) {
    // Bit-identical on every rank: the max and min over ranks agree.
    EXPECT_TRUE(mx::array_equal(dist::all_max(got[i]), dist::all_min(got[i]))
                    .item<bool>());
    if (n == 2) {
      // a + b does not depend on the order: equal to the old path's bits.
      EXPECT_TRUE(mx::array_equal(got[i], old_path[i]).item<bool>());
    } else {
      EXPECT_TRUE(mx::allclose(got[i], old_path[i], 1e-5, 1e-6).item<bool>());
    }
  }
}

TEST(CollectivesTest, AllSumManyRejectsBadArguments) {
  auto f = rank_input(0, {2}, mx::float32);
  auto i = rank_input(0, {2}, mx::int32);
  expect_throws_with_prefix(
      [&] {
        dist::all_sum_many({f, i}, 1);
      },
      "[all_sum_many] All arrays must share one dtype: array 0 is float32, "
      "array 1 is int32.");
  expect_throws_with_prefix(
      [&] { dist::all_sum_many({f}, 0); },
      "[all_sum_many] The divisor must be >= 1, got 0.");
  expect_throws_with_prefix(
      [&] { dist::all_sum_many({i}, 2); },
      "[all_sum_many] Dividing needs a floating dtype, not int32.");
  EXPECT_TRUE(dist::all_sum_many({}, 2).empty());
}
