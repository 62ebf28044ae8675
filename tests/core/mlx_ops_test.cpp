// Ops MLX's C++ API has that came with the MLX-compatibility issue:
// logical_xor, positive, trunc, flip, unstack, diff, median, count_nonzero,
// searchsorted, vecdot, the window functions, linspace without endpoint,
// the *_like ops with a dtype, cumsum/cumprod with a dtype, result_type,
// iinfo/finfo, and array construction from braced lists with a dtype.
// Expected values come from NumPy 1.24 (the calls are in the comments),
// on contiguous and strided (mlx_test::strided) inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "grad_table.h"
#include "test_utils.h"

namespace mx = mlx::core;
using mlx_test::GradCase;
using mlx_test::random_input;

namespace {

using Arrays = std::vector<mx::array>;

// np.array([[3, 1, 4, 1], [5, 9, 2, 6], [5, 3, 5, 8]], float32)
mx::array m34() {
  return mx::array(
      {3.0f, 1.0f, 4.0f, 1.0f, 5.0f, 9.0f, 2.0f, 6.0f, 5.0f, 3.0f, 5.0f, 8.0f},
      {3, 4});
}

std::vector<mx::array> layouts(const mx::array& a) {
  return {a, mlx_test::strided(a)};
}

} // namespace

TEST(MlxArrayTest, BracedFloatListsKeepTheirValues) {
  // The float list converts to float16 after the fact: 0.5 stays 0.5.
  mx::array h({0.5f}, mx::float16);
  EXPECT_EQ(h.dtype(), mx::float16);
  EXPECT_EQ(h.item<float>(), 0.5f);
  float v = 0.25f; // not a constant: no narrowing error would catch it
  mx::array hv({v, 3 * v}, mx::float16);
  expect_array_values(hv, {2}, {0.25, 0.75});
  mx::array d({0.25, 1.5}, mx::bfloat16);
  expect_array_values(d, {2}, {0.25, 1.5});
  // An explicit integer dtype converts as astype does (MLX: [1, 2]).
  expect_array_values(mx::array({1.5, 2.5}, mx::int32), {2}, {1, 2});
  // Ints to float, lists with a shape and a dtype, empty lists.
  expect_array_values(mx::array({1, 2}, mx::float32), {2}, {1, 2});
  auto s = mx::array({0.5f, 1.5f, 2.5f, 3.5f}, {2, 2}, mx::float64);
  EXPECT_EQ(s.dtype(), mx::float64);
  expect_array_values(s, {2, 2}, {0.5, 1.5, 2.5, 3.5});
  EXPECT_EQ(mx::array({}, mx::int8).size(), 0u);
  // Scalars: no implicit conversion into an array.
  static_assert(!std::is_convertible_v<double, mx::array>);
  // From a raw pointer (copied; the deleter runs).
  std::vector<float> buf{1.0f, 2.0f};
  bool deleted = false;
  mx::array p(buf.data(), {2}, mx::float32, [&](void*) { deleted = true; });
  EXPECT_TRUE(deleted);
  expect_array_values(p, {2}, {1, 2});
}

TEST(MlxDtypeTest, MemberAccessorsAndLimits) {
  static_assert(mx::float16.size() == 2);
  static_assert(mx::int64.val() == mx::Dtype::Val::int64);
  EXPECT_TRUE(mx::issubdtype(mx::int8, mx::Dtype::Category::integer));
  // np.iinfo(np.int8), np.iinfo(np.uint64), np.finfo(np.float16)
  EXPECT_EQ(mx::iinfo(mx::int8).min, -128);
  EXPECT_EQ(mx::iinfo(mx::int8).max, 127u);
  EXPECT_EQ(mx::iinfo(mx::uint64).max, 18446744073709551615ull);
  EXPECT_EQ(mx::finfo(mx::float16).bits, 16);
  EXPECT_EQ(mx::finfo(mx::float16).smallest_normal, 6.103515625e-05);
  expect_throws_with_prefix(
      [] { mx::iinfo(mx::float32); }, "[iinfo]", "float32");
  EXPECT_EQ(mx::result_type(mx::array(1), mx::array(1.0f)), mx::float32);
  EXPECT_EQ(
      mx::result_type(
          {mx::array(1), mx::array(true), mx::array(2.0, mx::float64)}),
      mx::float64);
  expect_throws_with_prefix([] { mx::result_type({}); }, "[result_type]");
}

TEST(MlxOpsTest, ElementwiseAdditions) {
  // np.logical_xor([1, 0, 2, 0], [3, 0, 0, 1]) -> [F, F, T, T]
  auto x = mx::logical_xor(
      mx::array({1, 0, 2, 0}), mx::array({3.0f, 0.0f, 0.0f, 1.0f}));
  EXPECT_EQ(x.dtype(), mx::bool_);
  expect_array_values(x, {4}, {0, 0, 1, 1});
  expect_throws_with_prefix(
      [] { mx::logical_xor(mx::ones({2}), mx::ones({3})); }, "[logical_xor]");
  // np.trunc([-1.5, -0.5, 0.5, 1.7, -2.0])
  auto v = mx::array({-1.5f, -0.5f, 0.5f, 1.7f, -2.0f});
  for (auto a : layouts(v)) {
    expect_array_near(mx::trunc(a), {-1, -0.0, 0, 1, -2}, {5});
  }
  expect_array_values(mx::trunc(mx::array({-3, 4})), {2}, {-3, 4});
  expect_throws_with_prefix(
      [] { mx::trunc(mx::zeros({1}, mx::complex64)); }, "[trunc]");
  expect_array_values(mx::positive(mx::array({-1, 2})), {2}, {-1, 2});
}

TEST(MlxOpsTest, FlipUnstackDiff) {
  for (auto a : layouts(m34())) {
    // np.flip(m, 1)[0], np.flip(m)[0]
    expect_array_values(mx::take(mx::flip(a, 1), 0, 0), {4}, {1, 4, 1, 3});
    expect_array_values(mx::take(mx::flip(a), 0, 0), {4}, {8, 5, 3, 5});
    auto parts = mx::unstack(a, 1);
    ASSERT_EQ(parts.size(), 4u);
    expect_array_values(parts[2], {3}, {4, 2, 5});
    // np.diff(m, axis=1)[1] = [4, -7, 4]; np.diff(m, 2, 0) = [[-2, -14, 5, -3]]
    expect_array_values(mx::take(mx::diff(a), 1, 0), {3}, {4, -7, 4});
    expect_array_values(mx::diff(a, 2, 0), {1, 4}, {-2, -14, 5, -3});
  }
  // np.diff([True, False, False, True]) -> [True, False, True]
  expect_array_values(
      mx::diff(mx::array({true, false, false, true})), {3}, {1, 0, 1});
  EXPECT_EQ(mx::diff(m34(), 0).shape(), (mx::Shape{3, 4}));
  EXPECT_EQ(mx::diff(mx::ones({3}), 5).shape(), (mx::Shape{0}));
  expect_throws_with_prefix(
      [] { mx::diff(mx::ones({3}), -1); }, "[diff]", "-1");
  expect_throws_with_prefix([] { mx::diff(mx::ones({3}), 1, 1); }, "[diff]");
  expect_throws_with_prefix([] { mx::unstack(mx::array(1)); }, "[unstack]");
  expect_throws_with_prefix([] { mx::flip(mx::ones({2}), 1); }, "[flip]");
}

TEST(MlxOpsTest, MedianAndCountNonzero) {
  for (auto a : layouts(m34())) {
    // np.median(m) = 4.5; axis=1: [2, 5.5, 5]; axis=0: [5, 3, 4, 6]
    expect_array_near(mx::median(a), {4.5}, {});
    expect_array_near(mx::median(a, 1), {2, 5.5, 5}, {3});
    expect_array_near(mx::median(a, 0, true), {5, 3, 4, 6}, {1, 4});
    expect_array_near(mx::median(a, {0, 1}, true), {4.5}, {1, 1});
    // np.count_nonzero(m - 1, axis=1) = [2, 4, 4]
    auto c = mx::count_nonzero(mx::subtract(a, mx::array(1.0f)), 1);
    expect_array_values(c, {3}, {2, 4, 4});
  }
  EXPECT_EQ(mx::count_nonzero(m34()).item<int>(), 12);
  // Integers give float32; NaN propagates (np.median([1, nan, 3]) = nan).
  auto mi = mx::median(mx::array({1, 2, 3, 4}));
  EXPECT_EQ(mi.dtype(), mx::float32);
  EXPECT_EQ(mi.item<float>(), 2.5f);
  EXPECT_TRUE(
      std::isnan(mx::median(mx::array({1.0f, NAN, 3.0f})).item<float>()));
  expect_throws_with_prefix([] { mx::median(mx::ones({2}), 2); }, "[median]");
  expect_throws_with_prefix(
      [] {
        mx::median(mx::ones({0, 2}), 0);
      },
      "[median]",
      "no elements");
  expect_throws_with_prefix(
      [] {
        mx::count_nonzero(mx::ones({2}), {0, 0});
      },
      "[count_nonzero]");
}

TEST(MlxOpsTest, Searchsorted) {
  // np.searchsorted([1, 2, 2, 3, 5], [[0, 2], [4, 6]], side)
  auto seq = mx::array({1.0f, 2.0f, 2.0f, 3.0f, 5.0f});
  auto v = mx::array({0, 2, 4, 6}, {2, 2});
  for (auto s : layouts(seq)) {
    auto l = mx::searchsorted(s, v);
    EXPECT_EQ(l.dtype(), mx::uint32);
    expect_array_values(l, {2, 2}, {0, 1, 4, 5});
    expect_array_values(mx::searchsorted(s, v, "right"), {2, 2}, {0, 3, 4, 5});
  }
  // NaNs sort last: np.searchsorted([1, 2, nan], [nan, 1.5]) -> [2, 1]
  auto nan_seq = mx::array({1.0f, 2.0f, NAN});
  auto nan_v = mx::array({NAN, 1.5f});
  expect_array_values(mx::searchsorted(nan_seq, nan_v), {2}, {2, 1});
  expect_array_values(mx::searchsorted(nan_seq, nan_v, "right"), {2}, {3, 1});
  expect_throws_with_prefix(
      [&] { mx::searchsorted(seq, v, "middle"); }, "[searchsorted]", "middle");
  expect_throws_with_prefix(
      [&] {
        mx::searchsorted(mx::ones({2, 2}), v);
      },
      "[searchsorted]");
}

TEST(MlxOpsTest, Vecdot) {
  // x = np.arange(6.).reshape(2, 3): (x * [1, -1, 2]).sum(-1) = [3, 9],
  // (x * x).sum(0) = [9, 17, 29]
  auto x = mx::reshape(mx::arange(6.0f), {2, 3});
  for (auto a : layouts(x)) {
    expect_array_near(
        mx::vecdot(a, mx::array({1.0f, -1.0f, 2.0f})), {3, 9}, {2});
    expect_array_near(mx::vecdot(a, a, 0), {9, 17, 29}, {3});
  }
  // Complex: conj(a) * b.
  auto c = mx::array(mx::complex64_t{0.0f, 1.0f});
  auto r = mx::vecdot(mx::reshape(c, {1}), mx::reshape(c, {1}));
  EXPECT_EQ(r.item<mx::complex64_t>(), mx::complex64_t(1.0f, 0.0f));
  expect_throws_with_prefix([&] { mx::vecdot(x, mx::ones({2})); }, "[vecdot]");
  expect_throws_with_prefix(
      [&] { mx::vecdot(x, mx::array(1.0f)); }, "[vecdot]");
}

TEST(MlxOpsTest, WindowsAndCreation) {
  // np.hanning(5), np.hamming(5), np.blackman(5), np.bartlett(5)
  expect_array_near(mx::hanning(5), {0, 0.5, 1, 0.5, 0}, {5});
  expect_array_near(mx::hamming(5), {0.08, 0.54, 1, 0.54, 0.08}, {5});
  expect_array_near(mx::blackman(5), {0, 0.34, 1, 0.34, 0}, {5});
  expect_array_near(mx::bartlett(5), {0, 0.5, 1, 0.5, 0}, {5});
  for (auto w :
       {mx::hanning(1), mx::hamming(1), mx::blackman(1), mx::bartlett(1)}) {
    expect_array_near(w, {1}, {1});
  }
  EXPECT_EQ(mx::hanning(0).size(), 0u);
  EXPECT_EQ(mx::bartlett(-2).size(), 0u);
  // np.linspace(0, 1, 4, endpoint=False)
  expect_array_near(
      mx::linspace(0.0, 1.0, 4, false), {0, 0.25, 0.5, 0.75}, {4});
  auto f = m34();
  EXPECT_EQ(mx::zeros_like(f, mx::int8).dtype(), mx::int8);
  EXPECT_EQ(mx::ones_like(f, mx::bool_).dtype(), mx::bool_);
  auto fl = mx::full_like(f, 2.5f);
  EXPECT_EQ(fl.dtype(), mx::float32);
  EXPECT_EQ(mx::sum(fl).item<float>(), 30.0f);
  EXPECT_EQ(mx::full_like(f, 2.5f, mx::int32).dtype(), mx::int32);
  // np.cumsum([1, 2, 3], dtype=float64)
  auto cs = mx::cumsum(mx::array({1, 2, 3}), 0, false, true, mx::float64);
  EXPECT_EQ(cs.dtype(), mx::float64);
  expect_array_values(cs, {3}, {1, 3, 6});
  expect_array_values(
      mx::cumprod(mx::array({1, 2, 3}), false, true, std::nullopt),
      {3},
      {1, 2, 6});
}

TEST(GradMlxOpsTest, Transforms) {
  auto x = random_input({3, 4}, 7);
  std::vector<GradCase> cases = {
      {"trunc",
       mlx_test::unary([](auto& a) { return mx::trunc(a * 3.0); }),
       {x}},
      {"flip", mlx_test::unary([](auto& a) { return mx::flip(a, 1); }), {x}},
      {"diff", mlx_test::unary([](auto& a) { return mx::diff(a, 2, 1); }), {x}},
      {"median",
       mlx_test::unary([](auto& a) { return mx::median(a, 1); }),
       {x}},
      {"median even",
       mlx_test::unary([](auto& a) { return mx::median(a, 0); }),
       {random_input({4, 3}, 8)}},
      {"vecdot",
       mlx_test::binary([](auto& a, auto& b) { return mx::vecdot(a, b); }),
       {x, random_input({3, 4}, 9)}},
      {"unstack", [](const Arrays& in) { return mx::unstack(in[0], 1); }, {x}},
  };
  mlx_test::check_cases(cases);
}

TEST(MlxOpsTest, SliceUpdateReductions) {
  // b = np.arange(6.).reshape(2, 3); b[:, ::2] += [10, 20] -> [[10, 1, 22],
  // [13, 4, 25]]; likewise *=, max=, min= with the same update.
  auto b = mx::reshape(mx::arange(6.0f), {2, 3});
  auto u = mx::array({10.0f, 20.0f});
  for (auto a : layouts(b)) {
    expect_array_values(
        mx::slice_update_add(a, u, {0, 0}, {2, 3}, {1, 2}),
        {2, 3},
        {10, 1, 22, 13, 4, 25});
    expect_array_values(
        mx::slice_update_prod(a, u, {0, 0}, {2, 3}, {1, 2}),
        {2, 3},
        {0, 1, 40, 30, 4, 100});
    expect_array_values(
        mx::slice_update_max(a, mx::array(4.0f), {0, 0}, {2, 3}),
        {2, 3},
        {4, 4, 4, 4, 4, 5});
    expect_array_values(
        mx::slice_update_min(a, mx::array(1.0f), {1, 0}, {2, 2}),
        {2, 3},
        {0, 1, 2, 1, 1, 5});
  }
  expect_throws_with_prefix(
      [&] {
        mx::slice_update_add(b, mx::ones({3}), {0, 0}, {2, 2});
      },
      "[");
  // np.prod(shape[axes]) and its inverse.
  auto x = mx::ones({2, 3, 4});
  EXPECT_EQ(mx::number_of_elements(x, {0, 2}, false).item<int>(), 8);
  EXPECT_EQ(
      mx::number_of_elements(x, {1}, true, mx::float32).item<float>(),
      1.0f / 3.0f);
  expect_throws_with_prefix(
      [&] { mx::number_of_elements(x, {3}, false); }, "[number_of_elements]");
}
