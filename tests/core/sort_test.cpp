// Tests of sort, argsort, partition, argpartition and topk. Expected values
// were computed with NumPy 1.x (np.sort, np.argsort(kind="stable"); topk as
// np.sort(a, axis)[..., -k:]), unless a comment gives a closed form.
// Partitions leave the order within each side unspecified, so they are
// checked by their defining property against the NumPy-sorted kth value.
#include <algorithm>
#include <limits>

#include "test_utils.h"

namespace {

const double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::numeric_limits<double>::quiet_NaN();

// [[3, -1, 7, 2], [0, 5, -4, 9], [8, 1, 6, -2]]
mx::array grid_3x4() {
  return mx::array(
      std::vector<float>{3, -1, 7, 2, 0, 5, -4, 9, 8, 1, 6, -2}, {3, 4});
}

// NaN-last order, as NumPy sorts.
bool nan_last_less(double a, double b) {
  return std::isnan(b) ? !std::isnan(a) : a < b;
}

// `out` is a permutation of `in` with out[kth] == kth_value, nothing larger
// before it and nothing smaller after it.
void expect_partitioned(
    std::vector<double> in,
    std::vector<double> out,
    int kth,
    double kth_value) {
  ASSERT_EQ(in.size(), out.size());
  ASSERT_LT(kth, static_cast<int>(out.size()));
  EXPECT_TRUE(mlx_test::close_enough(out[kth], kth_value, 0, 0))
      << "out[" << kth << "] = " << out[kth] << ", expected " << kth_value;
  for (int i = 0; i < static_cast<int>(out.size()); ++i) {
    if (i < kth) {
      EXPECT_FALSE(nan_last_less(out[kth], out[i])) << "element " << i;
    } else if (i > kth) {
      EXPECT_FALSE(nan_last_less(out[i], out[kth])) << "element " << i;
    }
  }
  std::sort(in.begin(), in.end(), nan_last_less);
  std::sort(out.begin(), out.end(), nan_last_less);
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_TRUE(mlx_test::close_enough(out[i], in[i], 0, 0)) << "multiset";
  }
}

// The values of `in` (1-d) picked by the uint32 indices `idx` (1-d); checks
// the indices are a permutation.
std::vector<double> gather(const mx::array& in, const mx::array& idx) {
  EXPECT_EQ(idx.dtype(), mx::uint32);
  auto v = mlx_test::to_doubles(in);
  auto ix = mlx_test::to_doubles(idx);
  std::vector<double> out;
  std::vector<bool> seen(v.size(), false);
  for (double d : ix) {
    size_t i = static_cast<size_t>(d);
    EXPECT_LT(i, v.size());
    if (i >= v.size()) {
      return out;
    }
    EXPECT_FALSE(seen[i]) << "index " << i << " repeated";
    seen[i] = true;
    out.push_back(v[i]);
  }
  return out;
}

} // namespace

TEST(SortTest, SortAlongEachAxisAndFlattened) {
  auto a = grid_3x4();
  auto s0 = mx::sort(a, 0);
  EXPECT_EQ(s0.dtype(), mx::float32);
  expect_array_near(s0, {0, -1, -4, -2, 3, 1, 6, 2, 8, 5, 7, 9}, {3, 4});
  expect_array_near(
      mx::sort(a, 1), {-1, 2, 3, 7, -4, 0, 5, 9, -2, 1, 6, 8}, {3, 4});
  expect_array_near(
      mx::sort(a, -1), {-1, 2, 3, 7, -4, 0, 5, 9, -2, 1, 6, 8}, {3, 4});
  expect_array_near(
      mx::sort(a, -2), {0, -1, -4, -2, 3, 1, 6, 2, 8, 5, 7, 9}, {3, 4});
  // Without an axis: the flattened array (MLX's C++ overload).
  expect_array_near(mx::sort(a), {-4, -2, -1, 0, 1, 2, 3, 5, 6, 7, 8, 9}, {12});
}

TEST(SortTest, ArgsortAlongEachAxisAndFlattened) {
  auto a = grid_3x4();
  auto i0 = mx::argsort(a, 0);
  EXPECT_EQ(i0.dtype(), mx::uint32);
  expect_array_near(i0, {1, 0, 1, 2, 0, 2, 2, 0, 2, 1, 0, 1}, {3, 4});
  expect_array_near(
      mx::argsort(a, -1), {1, 3, 0, 2, 2, 0, 1, 3, 3, 1, 2, 0}, {3, 4});
  expect_array_near(
      mx::argsort(a), {6, 11, 1, 4, 9, 3, 0, 5, 10, 2, 8, 7}, {12});
}

TEST(SortTest, ArgsortIsStable) {
  auto t = mx::array({3, 1, 2, 1, 3, 0, 2, 1});
  expect_array_near(mx::argsort(t, 0), {5, 1, 3, 7, 2, 6, 0, 4}, {8});
  // x3 = ((arange(24) * 5) % 7 - 3).reshape(2, 3, 4): ties along axis 0.
  auto x3 = mx::array(
      std::vector<float>{-3, 2,  0,  -2, 3, 1,  -1, -3, 2,  0,  -2, 3,
                         1,  -1, -3, 2,  0, -2, 3,  1,  -1, -3, 2,  0},
      {2, 3, 4});
  expect_array_near(
      mx::argsort(x3, -3),
      {0, 1, 1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0},
      {2, 3, 4});
  expect_array_near(
      mx::sort(x3, 1),
      {-3, 0,  -2, -3, 2, 1,  -1, -2, 3, 2,  0, 3,
       -1, -3, -3, 0,  0, -2, 2,  1,  1, -1, 3, 2},
      {2, 3, 4});
}

TEST(SortTest, NaNsSortToTheEnd) {
  auto n = mx::array(
      std::vector<float>{3, NAN, 1, -INFINITY, NAN, INFINITY, 0, -0.5f}, {8});
  expect_array_near(mx::sort(n), {-kInf, -0.5, 0, 1, 3, kInf, kNaN, kNaN}, {8});
  expect_array_near(mx::argsort(n), {3, 7, 6, 2, 0, 5, 1, 4}, {8});
  // Partition and topk treat NaN as the largest value too.
  expect_partitioned(
      mlx_test::to_doubles(n),
      mlx_test::to_doubles(mx::partition(n, 5)),
      5,
      kInf);
  expect_array_near(mx::topk(n, 3), {kInf, kNaN, kNaN}, {3});
}

TEST(SortTest, NonContiguousInputs) {
  auto t = mx::transpose(grid_3x4());
  expect_array_near(
      mx::sort(t, 1), {0, 3, 8, -1, 1, 5, -4, 6, 7, -2, 2, 9}, {4, 3});
  expect_array_near(
      mx::argsort(t, 0), {1, 2, 3, 3, 0, 1, 0, 1, 2, 2, 3, 0}, {4, 3});
  // b[::2, ::-1] with b = arange(20).reshape(4, 5) * [1, -1, 1, -1, 1]:
  // [[4, -3, 2, -1, 0], [14, -13, 12, -11, 10]].
  auto b = mx::multiply(
      mx::reshape(mx::arange(20), {4, 5}), mx::array({1, -1, 1, -1, 1}));
  auto sl = mx::slice(b, {0, 4}, {4, -6}, {2, -1});
  expect_array_near(
      mx::sort(sl, 1), {-3, -1, 0, 2, 4, -13, -11, 10, 12, 14}, {2, 5});
  expect_array_near(mx::argsort(sl, 0), {0, 1, 0, 1, 0, 1, 0, 1, 0, 1}, {2, 5});
  // Broadcast rows (zero stride along axis 0): each column is constant, so
  // the stable argsort along axis 0 is the identity.
  auto bc = mx::broadcast_to(mx::array({5, 1, 3}), {4, 3});
  expect_array_near(
      mx::sort(bc, 1), {1, 3, 5, 1, 3, 5, 1, 3, 5, 1, 3, 5}, {4, 3});
  expect_array_near(
      mx::argsort(bc, 0), {0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3}, {4, 3});
}

TEST(SortTest, Dtypes) {
  auto bl = mx::array({true, false, true, false});
  auto sb = mx::sort(bl);
  EXPECT_EQ(sb.dtype(), mx::bool_);
  expect_array_near(sb, {0, 0, 1, 1}, {4});
  expect_array_near(mx::argsort(bl), {1, 3, 0, 2}, {4});

  auto i8 = mx::array({5, -128, 127, 0, -1}, mx::int8);
  auto s8 = mx::sort(i8);
  EXPECT_EQ(s8.dtype(), mx::int8);
  expect_array_near(s8, {-128, -1, 0, 5, 127}, {5});
  expect_array_near(mx::argsort(i8), {1, 4, 3, 0, 2}, {5});

  auto u32 =
      mx::array(std::vector<uint32_t>{4000000000u, 3, 2147483648u, 0}, {4});
  expect_array_near(mx::sort(u32), {0, 3, 2147483648.0, 4e9}, {4}, 0, 0);
  expect_array_near(mx::argsort(u32), {3, 1, 2, 0}, {4});

  auto i64 =
      mx::array(std::vector<int64_t>{1LL << 40, -(1LL << 41), 7, -3}, {4});
  auto s64 = mx::sort(i64);
  EXPECT_EQ(s64.dtype(), mx::int64);
  expect_array_near(s64, {-2199023255552.0, -3, 7, 1099511627776.0}, {4}, 0, 0);

  // Values exact in both half types.
  auto h = mx::array(std::vector<float>{0.5f, -2.25f, 3.0f, NAN, -0.125f}, {5});
  for (auto dt : {mx::float16, mx::bfloat16}) {
    auto sh = mx::sort(mx::astype(h, dt));
    EXPECT_EQ(sh.dtype(), dt);
    expect_array_near(sh, {-2.25, -0.125, 0.5, 3.0, kNaN}, {5}, 0, 0);
    expect_array_near(mx::argsort(mx::astype(h, dt)), {1, 4, 0, 2, 3}, {5});
  }

  auto f64 = mx::array(
      std::vector<double>{1e-300, -1e300, 2.5, 1e-301}, {4}, mx::float64);
  auto sd = mx::sort(f64);
  EXPECT_EQ(sd.dtype(), mx::float64);
  expect_array_near(sd, {-1e300, 1e-301, 1e-300, 2.5}, {4}, 0, 0);
  expect_array_near(mx::argsort(f64), {1, 3, 0, 2}, {4});
}

TEST(SortTest, ComplexOrdersLexicographically) {
  using c64 = mx::complex64_t;
  auto c = mx::array(
      std::vector<c64>{
          c64(1, 2), c64(1, -1), c64(-3, 5), c64(1, 0), c64(-3, -1)},
      {5});
  expect_complex_near(
      mx::sort(c), {{-3, -1}, {-3, 5}, {1, -1}, {1, 0}, {1, 2}}, {5});
  expect_array_near(mx::argsort(c), {4, 2, 1, 3, 0}, {5});
  expect_complex_near(mx::topk(c, 2), {{1, 0}, {1, 2}}, {2});
}

TEST(SortTest, PartitionPlacesKth) {
  // np.sort([7, 2, 9, 4, 1, 8, 3]) = [1, 2, 3, 4, 7, 8, 9]
  auto v = mx::array({7.0f, 2.0f, 9.0f, 4.0f, 1.0f, 8.0f, 3.0f});
  auto in = mlx_test::to_doubles(v);
  std::vector<std::pair<int, double>> cases = {
      {0, 1}, {3, 4}, {-1, 9}, {6, 9}, {-7, 1}};
  for (auto [kth, value] : cases) {
    int k = kth < 0 ? kth + 7 : kth;
    auto p = mx::partition(v, kth);
    EXPECT_EQ(p.dtype(), mx::float32);
    expect_partitioned(in, mlx_test::to_doubles(p), k, value);
    auto ip = mx::argpartition(v, kth, 0);
    expect_partitioned(in, gather(v, ip), k, value);
  }
  // Along axis 0 of a transposed view: column j of t is row j of grid_3x4.
  auto t = mx::transpose(grid_3x4());
  auto pt = mlx_test::to_doubles(mx::partition(t, 1, 0));
  auto ipt = mlx_test::to_doubles(mx::argpartition(t, -3, 0));
  auto g = mlx_test::to_doubles(grid_3x4());
  // Second smallest of each row of the grid: np.sort(a, 1)[:, 1].
  double second[3] = {2, 0, 1};
  for (int col = 0; col < 3; ++col) {
    std::vector<double> row_in(g.begin() + 4 * col, g.begin() + 4 * col + 4);
    std::vector<double> row_out, row_idx;
    for (int r = 0; r < 4; ++r) {
      row_out.push_back(pt[r * 3 + col]);
      row_idx.push_back(row_in[static_cast<size_t>(ipt[r * 3 + col])]);
    }
    expect_partitioned(row_in, row_out, 1, second[col]);
    expect_partitioned(row_in, row_idx, 1, second[col]);
  }
}

TEST(SortTest, TopK) {
  auto v = mx::array({7.0f, 2.0f, 9.0f, 4.0f, 1.0f, 8.0f, 3.0f});
  // Documented order here: ascending.
  expect_array_near(mx::topk(v, 3), {7, 8, 9}, {3});
  expect_array_near(mx::topk(v, 7), {1, 2, 3, 4, 7, 8, 9}, {7});
  expect_array_near(mx::topk(v, 0), {}, {0});
  auto a = grid_3x4();
  expect_array_near(mx::topk(a, 2, 0), {3, 1, 6, 2, 8, 5, 7, 9}, {2, 4});
  expect_array_near(mx::topk(a, 2, -1), {3, 7, 5, 9, 6, 8}, {3, 2});
  expect_array_near(mx::topk(a, 4), {6, 7, 8, 9}, {4});
  auto i = mx::topk(mx::array({5, -1, 3}, mx::int8), 1);
  EXPECT_EQ(i.dtype(), mx::int8);
  expect_array_near(i, {5}, {1});
}

TEST(SortTest, LargeRowsAndColumns) {
  // x[i] = (i * 7919) % 10007 is a permutation of 0..10006 (10007 is prime),
  // so sorting gives arange and x[argsort(x)[j]] == j.
  const int n = 10007;
  std::vector<int32_t> perm(n);
  for (int i = 0; i < n; ++i) {
    perm[i] = static_cast<int32_t>((static_cast<int64_t>(i) * 7919) % n);
  }
  auto x = mx::array(perm, {n});
  auto s = mlx_test::to_doubles(mx::sort(x));
  auto idx = mlx_test::to_doubles(mx::argsort(x));
  bool ok = true;
  for (int j = 0; j < n; ++j) {
    ok = ok && s[j] == j && perm[static_cast<size_t>(idx[j])] == j;
  }
  EXPECT_TRUE(ok);
  auto p = mlx_test::to_doubles(mx::partition(x, 5000));
  ok = p[5000] == 5000;
  for (int j = 0; j < n; ++j) {
    ok = ok && (j < 5000 ? p[j] < 5000 : p[j] >= 5000);
  }
  EXPECT_TRUE(ok);
  // 300 rows of 257: row r holds (i * 31 + r) % 257, a permutation of
  // 0..256; sorted along axis 1 directly and along axis 0 of the transpose.
  std::vector<int32_t> grid(300 * 257);
  for (int r = 0; r < 300; ++r) {
    for (int i = 0; i < 257; ++i) {
      grid[r * 257 + i] = (i * 31 + r) % 257;
    }
  }
  auto gx = mx::array(grid, {300, 257});
  auto rows = mlx_test::to_doubles(mx::sort(gx, 1));
  auto cols = mlx_test::to_doubles(mx::sort(mx::transpose(gx), 0));
  ok = true;
  for (int r = 0; r < 300; ++r) {
    for (int i = 0; i < 257; ++i) {
      ok = ok && rows[r * 257 + i] == i && cols[i * 300 + r] == i;
    }
  }
  EXPECT_TRUE(ok);
}

TEST(SortTest, EmptyAndScalarInputs) {
  // A scalar sorts as the flattened 1-element array, as np.sort(axis=None).
  expect_array_near(mx::sort(mx::array(3.0f)), {3}, {1});
  expect_array_near(mx::argsort(mx::array(3.0f)), {0}, {1});
  expect_array_near(mx::partition(mx::array(3.0f), 0), {3}, {1});
  expect_array_near(mx::topk(mx::array(3.0f), 1), {3}, {1});
  auto e = mx::zeros({0, 3});
  expect_array_near(mx::sort(e, 0), {}, {0, 3});
  expect_array_near(mx::sort(e, 1), {}, {0, 3});
  auto ie = mx::argsort(mx::zeros({2, 0}), 1);
  EXPECT_EQ(ie.dtype(), mx::uint32);
  expect_array_near(ie, {}, {2, 0});
  expect_array_near(mx::partition(e, 1, 1), {}, {0, 3});
  expect_array_near(mx::topk(e, 2, 1), {}, {0, 2});
  expect_array_near(mx::sort(e), {}, {0});
}

TEST(SortTest, InvalidArgumentsThrow) {
  auto a = mx::zeros({2, 3});
  expect_throws_with_prefix([&] { mx::sort(a, 2); }, "[sort]");
  expect_throws_with_prefix([&] { mx::sort(a, -3); }, "[sort]");
  expect_throws_with_prefix([&] { mx::argsort(a, 2); }, "[argsort]");
  expect_throws_with_prefix([&] { mx::sort(mx::array(1.0f), 0); }, "[sort]");
  expect_throws_with_prefix([&] { mx::partition(a, 3, 1); }, "[partition]");
  expect_throws_with_prefix([&] { mx::partition(a, -4, 1); }, "[partition]");
  expect_throws_with_prefix([&] { mx::partition(a, 0, 2); }, "[partition]");
  expect_throws_with_prefix([&] { mx::partition(a, 6); }, "[partition]");
  expect_throws_with_prefix(
      [&] { mx::argpartition(a, 2, 0); }, "[argpartition]");
  expect_throws_with_prefix(
      [&] { mx::argpartition(a, 0, -3); }, "[argpartition]");
  // An empty axis has no kth element.
  expect_throws_with_prefix(
      [&] { mx::partition(mx::zeros({0}), 0); }, "[partition]");
  expect_throws_with_prefix([&] { mx::topk(a, 4, 1); }, "[topk]");
  expect_throws_with_prefix([&] { mx::topk(a, -1); }, "[topk]");
  expect_throws_with_prefix([&] { mx::topk(a, 1, 2); }, "[topk]");
}

TEST(SortTest, LongFlattenedSortUsesAllThreadsAndStaysStable) {
  // 300,007 values with many duplicates and some NaNs: long enough for the
  // parallel chunked sort + merge path.
  constexpr int n = 300007;
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i) {
    v[i] = (i % 97 == 0) ? NAN : static_cast<float>((int64_t(i) * 7919) % 1013);
  }
  mx::array a(v, {n});
  auto sorted = mx::sort(a);
  auto order = mx::argsort(a);
  mx::eval(sorted, order);
  const float* s = sorted.data<float>();
  const uint32_t* idx = order.data<uint32_t>();
  int nans = (n + 96) / 97;
  for (int i = 1; i < n - nans; ++i) {
    ASSERT_LE(s[i - 1], s[i]) << i;
  }
  for (int i = n - nans; i < n; ++i) {
    ASSERT_TRUE(std::isnan(s[i])) << i;
  }
  // argsort: values in order, equal values by increasing index (stable).
  for (int i = 1; i < n; ++i) {
    float x = v[idx[i - 1]], y = v[idx[i]];
    if (std::isnan(x) || std::isnan(y)) {
      ASSERT_TRUE(std::isnan(y)) << i;
      if (std::isnan(x)) {
        ASSERT_LT(idx[i - 1], idx[i]) << i;
      }
    } else {
      ASSERT_TRUE(x < y || (x == y && idx[i - 1] < idx[i])) << i;
    }
  }
  // Same multiset: sums of the non-NaN values agree (exact in double).
  double total = 0, sorted_total = 0;
  for (int i = 0; i < n; ++i) {
    total += std::isnan(v[i]) ? 0.0 : v[i];
    sorted_total += std::isnan(s[i]) ? 0.0 : s[i];
  }
  EXPECT_EQ(total, sorted_total);
}
