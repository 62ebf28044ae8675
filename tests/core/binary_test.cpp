// Binary element-wise ops, where, clip, isclose/allclose, array_equal and
// the operators. Expected values: NumPy (noted per case); result dtypes
// follow MLX's promotion table (which differs from NumPy for int + float16).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "test_utils.h"

using namespace mlx::core;

TEST(BinaryTest, ArithmeticValuesAndBroadcasting) {
  array a({1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f}, {2, 3});
  array b({10.0f, 20.0f, 30.0f});
  expect_array_near(add(a, b), {11, 22, 33, 14, 25, 36}, {2, 3});
  expect_array_near(subtract(a, b), {-9, -18, -27, -6, -15, -24}, {2, 3});
  expect_array_near(multiply(a, b), {10, 40, 90, 40, 100, 180}, {2, 3});
  expect_array_near(
      divide(a, b), {0.1, 0.1, 0.1, 0.4, 0.25, 0.2}, {2, 3}, 1e-6);
  // Column vector against a row: (2, 1) x (3,) -> (2, 3).
  array col({1.0f, 2.0f}, {2, 1});
  expect_array_near(add(col, b), {11, 21, 31, 12, 22, 32}, {2, 3});
  // Scalars broadcast against anything, 0-size shapes too.
  expect_array_near(add(array(1.0f), a), {2, 3, 4, 5, 6, 7}, {2, 3});
  auto e = add(zeros({0, 3}), b);
  EXPECT_EQ(e.shape(), (Shape{0, 3}));
  e.eval();
  auto e2 = add(zeros({2, 0}), zeros({1, 0}));
  EXPECT_EQ(e2.shape(), (Shape{2, 0}));
  expect_throws_with_prefix([&] { add(a, array({1.0f, 2.0f})); }, "[add]");
  expect_throws_with_prefix([&] { multiply(a, zeros({4, 3})); }, "[multiply]");
  expect_throws_with_prefix(
      [&] { subtract(zeros({2}), zeros({3})); }, "[subtract]");
}

TEST(BinaryTest, NonContiguousInputs) {
  // a.T + a[::-1] on a 3x3 arange (NumPy).
  auto a = reshape(arange(9), {3, 3});
  auto t = transpose(a);
  auto r = slice(a, {2, 0}, {-4, 3}, {-1, 1});
  // a.T = [[0,3,6],[1,4,7],[2,5,8]], a[::-1] = [[6,7,8],[3,4,5],[0,1,2]]
  expect_array_near(add(t, r), {6, 10, 14, 4, 8, 12, 2, 6, 10}, {3, 3});
  // a[:, ::2] * a[::2, :2] -> columns 0, 2 times rows 0, 2 (first 2 cols)
  auto c = slice(a, {0, 0}, {3, 3}, {1, 2});
  auto d = slice(a, {0, 0}, {3, 2}, {2, 1});
  auto bc = multiply(slice(c, {0, 0}, {2, 2}), d);
  // c[:2] = [[0,2],[3,5]], d = [[0,1],[6,7]]
  expect_array_near(bc, {0, 2, 18, 35}, {2, 2});
  // Broadcast (0-stride) against transposed.
  auto bb = broadcast_to(array({1, 2, 3}), {3, 3});
  expect_array_near(subtract(t, bb), {-1, 1, 3, 0, 2, 4, 1, 3, 5}, {3, 3});
}

TEST(BinaryTest, ResultDtypes) {
  auto i32 = array({1, 2, 3});
  auto f16 = astype(array({0.5f, 0.25f, 0.125f}), float16);
  // MLX: int32 + float16 -> float16 (NumPy would give float64).
  auto s = add(i32, f16);
  EXPECT_EQ(s.dtype(), float16);
  expect_array_near(s, {1.5, 2.25, 3.125}, {3});
  EXPECT_EQ(add(i32, astype(i32, bfloat16)).dtype(), bfloat16);
  EXPECT_EQ(add(f16, astype(f16, bfloat16)).dtype(), float32);
  EXPECT_EQ(add(astype(i32, uint64), astype(i32, int8)).dtype(), float32);
  EXPECT_EQ(add(astype(i32, uint8), astype(i32, int8)).dtype(), int16);
  EXPECT_EQ(add(array({true}), astype(i32, uint16)).dtype(), uint16);
  EXPECT_EQ(add(array({true}), array({false})).dtype(), bool_);
  EXPECT_EQ(multiply(i32, astype(i32, float64)).dtype(), float64);
  EXPECT_EQ(multiply(i32, array(complex64_t(1, 0))).dtype(), complex64);
  // True division of integers gives float32.
  auto q = divide(array({1, 2}), array({2, 4}));
  EXPECT_EQ(q.dtype(), float32);
  expect_array_near(q, {0.5, 0.5}, {2});
  EXPECT_EQ(divide(f16, f16).dtype(), float16);
  EXPECT_EQ(divide(astype(i32, int64), astype(i32, int64)).dtype(), float32);
  // Comparisons give bool.
  for (auto r :
       {equal(i32, f16),
        less(i32, f16),
        greater_equal(f16, f16),
        not_equal(i32, i32)}) {
    EXPECT_EQ(r.dtype(), bool_);
  }
  // Scalars: a C++ double is float32 and keeps float16 arrays float16? No:
  // float16 + float32 -> float32 (MLX's table); ints keep float16.
  EXPECT_EQ((f16 + 1).dtype(), float16);
  EXPECT_EQ((f16 * 2.0).dtype(), float32);
  EXPECT_EQ((array({1.0f}) * 2.0).dtype(), float32);
  EXPECT_EQ((i32 + 1).dtype(), int32);
  EXPECT_EQ((i32 * 1.5).dtype(), float32);
}

TEST(BinaryTest, Operators) {
  auto a = array({1, 2, 3});
  expect_array_near(a + 1, {2, 3, 4}, {3});
  expect_array_near(1 + a, {2, 3, 4}, {3});
  expect_array_near(10 - a, {9, 8, 7}, {3});
  expect_array_near(a - 10, {-9, -8, -7}, {3});
  expect_array_near(a * 2.5f, {2.5, 5, 7.5}, {3});
  expect_array_near(3.0f / a, {3, 1.5, 1}, {3});
  expect_array_near(a / 2, {0.5, 1, 1.5}, {3});
  expect_array_near(a % 2, {1, 0, 1}, {3});
  expect_array_near(7 % a, {0, 1, 1}, {3});
  expect_array_near(a == 2, {0, 1, 0}, {3});
  expect_array_near(2 == a, {0, 1, 0}, {3});
  expect_array_near(a != 2, {1, 0, 1}, {3});
  expect_array_near(a < 2, {1, 0, 0}, {3});
  expect_array_near(2 < a, {0, 0, 1}, {3});
  expect_array_near(a <= 2, {1, 1, 0}, {3});
  expect_array_near(a > 2, {0, 0, 1}, {3});
  expect_array_near(a >= 2, {0, 1, 1}, {3});
  expect_array_near((a > 1) && (a < 3), {0, 1, 0}, {3});
  expect_array_near((a < 2) || (a > 2), {1, 0, 1}, {3});
  expect_array_near(a & 2, {0, 2, 2}, {3});
  expect_array_near(a | 4, {5, 6, 7}, {3});
  expect_array_near(a ^ 1, {0, 3, 2}, {3});
  expect_array_near(a << 2, {4, 8, 12}, {3});
  expect_array_near(a >> 1, {0, 1, 1}, {3});
  expect_array_near(1 << a, {2, 4, 8}, {3});
  expect_array_near(a + a, {2, 4, 6}, {3});
  expect_array_near(-a, {-1, -2, -3}, {3});
}

TEST(BinaryTest, FloorDivideRemainderPythonSemantics) {
  // a // b and a % b with NumPy int32 (x // 0 == 0 and x % 0 == 0).
  array a({7, -7, 7, -7, 0, 5});
  array b({2, 2, -2, -2, 3, 0});
  auto fd = floor_divide(a, b);
  EXPECT_EQ(fd.dtype(), int32);
  expect_array_near(fd, {3, -4, -4, 3, 0, 0}, {6});
  expect_array_near(remainder(a, b), {1, 1, -1, -1, 0, 0}, {6});
  auto dm = divmod(a, b);
  ASSERT_EQ(dm.size(), 2u);
  expect_array_near(dm[0], {3, -4, -4, 3, 0, 0}, {6});
  expect_array_near(dm[1], {1, 1, -1, -1, 0, 0}, {6});
  // Float: NumPy floor_divide / remainder (x // 0 = inf, x % 0 = nan).
  auto af = astype(a, float32), bf = astype(b, float32);
  expect_array_near(floor_divide(af, bf), {3, -4, -4, 3, 0, INFINITY}, {6});
  expect_array_near(remainder(af, bf), {1, 1, -1, -1, 0, NAN}, {6});
  array x({5.5f, -5.5f, 5.5f, -5.5f});
  array y({2.0f, 2.0f, -2.0f, -2.0f});
  expect_array_near(remainder(x, y), {1.5, 0.5, -0.5, -1.5}, {4});
  expect_array_near(floor_divide(x, y), {2, -3, -3, 2}, {4});
  expect_array_near(
      remainder(astype(x, float16), astype(y, float16)),
      {1.5, 0.5, -0.5, -1.5},
      {4});
  expect_array_near(
      remainder(astype(x, float64), astype(y, float64)),
      {1.5, 0.5, -0.5, -1.5},
      {4});
  // INT_MIN // -1 wraps (NumPy gives INT_MIN), INT_MIN % -1 == 0; no crash.
  array imin({std::numeric_limits<int32_t>::min()});
  expect_array_near(
      floor_divide(imin, array({-1})),
      {static_cast<double>(std::numeric_limits<int32_t>::min())},
      {1});
  expect_array_near(remainder(imin, array({-1})), {0}, {1});
  // int8: np.array([-128, -7, 100], np.int8) // [-1, 3, -3], and %.
  auto i8a = astype(array({-128, -7, 100}), int8);
  auto i8b = astype(array({-1, 3, -3}), int8);
  expect_array_near(floor_divide(i8a, i8b), {-128, -3, -34}, {3});
  expect_array_near(remainder(i8a, i8b), {0, 2, -2}, {3});
  // Unsigned: [7, 1] // [2, 0] -> [3, 0].
  auto u = floor_divide(
      astype(array({7, 1}), uint32), astype(array({2, 0}), uint32));
  EXPECT_EQ(u.dtype(), uint32);
  expect_array_near(u, {3, 0}, {2});
  // int64 division by zero is 0 too.
  expect_array_near(
      floor_divide(astype(array({9}), int64), astype(array({0}), int64)),
      {0},
      {1});
  // Broadcast divisor.
  expect_array_near(
      remainder(array({-3, -2, -1, 0, 1}), array(3)), {0, 1, 2, 0, 1}, {5});
  expect_throws_with_prefix(
      [] { floor_divide(array(complex64_t(1, 0)), array(1.0f)); },
      "[floor_divide]");
  expect_throws_with_prefix(
      [] { remainder(array(complex64_t(1, 0)), array(1.0f)); }, "[remainder]");
}

TEST(BinaryTest, IntegerDivideByZeroTrueDivision) {
  // divide of ints is float: 1 / 0 = inf, 0 / 0 = nan (NumPy).
  expect_array_near(
      divide(array({1, -1, 0}), array({0, 0, 0})),
      {INFINITY, -INFINITY, NAN},
      {3});
}

TEST(BinaryTest, MaximumMinimum) {
  array a({1.0f, 5.0f, NAN, -2.0f});
  array b({3.0f, 2.0f, 1.0f, NAN});
  // np.maximum / np.minimum propagate NaN.
  expect_array_near(maximum(a, b), {3, 5, NAN, NAN}, {4});
  expect_array_near(minimum(a, b), {1, 2, NAN, NAN}, {4});
  auto i = maximum(array({1, -5}), astype(array({0, 0}), int8));
  EXPECT_EQ(i.dtype(), int32);
  expect_array_near(i, {1, 0}, {2});
  auto u =
      minimum(astype(array({200, 3}), uint8), astype(array({100, 4}), uint8));
  expect_array_near(u, {100, 3}, {2});
  expect_array_near(
      maximum(astype(array({1.0f, -1.0f}), bfloat16), array(0.0f)),
      {1, 0},
      {2});
}

TEST(BinaryTest, Power) {
  // np.power(int32 [2, -3, 5, 0], [10, 3, 0, 0])
  auto p = power(array({2, -3, 5, 0}), array({10, 3, 0, 0}));
  EXPECT_EQ(p.dtype(), int32);
  expect_array_near(p, {1024, -27, 1, 1}, {4});
  // Negative integer exponents: only +-1 have integer results.
  expect_array_near(
      power(array({1, -1, -1, 2}), array({-2, -3, -2, -1})),
      {1, -1, 1, 0},
      {4});
  // np.power(float32 [2, -8, 0.5, 4], [0.5, 1/3, -2, 1.5])
  expect_array_near(
      power(
          array({2.0f, -8.0f, 0.5f, 4.0f}),
          array({0.5f, 1.0f / 3.0f, -2.0f, 1.5f})),
      {1.4142135381698608, NAN, 4, 8},
      {4},
      1e-6);
  expect_array_near(
      power(astype(array({2.0f, 3.0f}), float16), array(2)), {4, 9}, {2});
  // uint8 overflow wraps: 2 ** 9 = 512 -> 0.
  expect_array_near(
      power(astype(array({2, 3}), uint8), astype(array({9, 2}), uint8)),
      {0, 9},
      {2});
  // Complex: (1+1j)**2 = 2j.
  expect_complex_near(
      power(array(complex64_t(1, 1)), array(complex64_t(2, 0))), {{0, 2}}, {});
}

TEST(BinaryTest, Arctan2LogAddExp) {
  // np.arctan2([1, -1, 0, 1], [1, -1, -1, 0])
  expect_array_near(
      arctan2(
          array({1.0f, -1.0f, 0.0f, 1.0f}), array({1.0f, -1.0f, -1.0f, 0.0f})),
      {0.7853981633974483,
       -2.356194490192345,
       3.141592653589793,
       1.5707963267948966},
      {4},
      1e-6);
  EXPECT_EQ(arctan2(array({1}), array({1})).dtype(), float32);
  // np.logaddexp(float32 [-inf, -inf, 1, 0, 1000, nan],
  //              [-inf, 0, 2, 0, 1000, 1])
  array a({-INFINITY, -INFINITY, 1.0f, 0.0f, 1000.0f, NAN});
  array b({-INFINITY, 0.0f, 2.0f, 0.0f, 1000.0f, 1.0f});
  auto l = logaddexp(a, b);
  expect_array_near(
      l,
      {-INFINITY,
       0,
       2.3132617473602295,
       0.6931471824645996,
       1000.6931762695312,
       NAN},
      {6},
      1e-6);
  expect_array_near(
      logaddexp(astype(a, float16), astype(b, float16)),
      {-INFINITY, 0, 2.3132617, 0.6931472, 1000.6931762695312, NAN},
      {6},
      1e-3);
  expect_array_near(
      logaddexp(array({INFINITY}), array({INFINITY})), {INFINITY}, {1});
  expect_array_near(
      logaddexp(array({0}), array({0})), {0.6931471824645996}, {1});
  expect_throws_with_prefix(
      [] { logaddexp(array(complex64_t(1, 0)), array(1.0f)); }, "[logaddexp]");
  expect_throws_with_prefix(
      [] { arctan2(array(complex64_t(1, 0)), array(1.0f)); }, "[arctan2]");
}

TEST(BinaryTest, Comparisons) {
  array a({1.0f, NAN, 3.0f, -0.0f});
  array b({1.0f, NAN, 2.0f, 0.0f});
  expect_array_near(equal(a, b), {1, 0, 0, 1}, {4});
  expect_array_near(not_equal(a, b), {0, 1, 1, 0}, {4});
  expect_array_near(less(a, b), {0, 0, 0, 0}, {4});
  expect_array_near(less_equal(a, b), {1, 0, 0, 1}, {4});
  expect_array_near(greater(a, b), {0, 0, 1, 0}, {4});
  expect_array_near(greater_equal(a, b), {1, 0, 1, 1}, {4});
  // Mixed signed/unsigned compare in the promoted type (int16): -1 < 255.
  expect_array_near(
      less(astype(array({-1}), int8), astype(array({255}), uint8)), {1}, {1});
  // uint64 vs int8 promotes to float32.
  expect_array_near(
      greater(astype(array({3}), uint64), astype(array({-2}), int8)), {1}, {1});
  // Complex equality.
  expect_array_near(
      equal(array(complex64_t(1, 2)), array(complex64_t(1, 2))), {1}, {});
  // Strings of bools.
  expect_array_near(
      equal(array({true, false}), array({true, true})), {1, 0}, {2});
}

TEST(BinaryTest, LogicalAndBitwise) {
  expect_array_near(
      logical_and(array({1.0f, 0.0f, 2.0f}), array({true, true, false})),
      {1, 0, 0},
      {3});
  auto lo = logical_or(array({0, 0, 3}), array({0, 1, 0}));
  EXPECT_EQ(lo.dtype(), bool_);
  expect_array_near(lo, {0, 1, 1}, {3});
  // np.bitwise_* on int32 / uint8.
  array a({12, -1, 5});
  array b({10, 7, 0});
  expect_array_near(bitwise_and(a, b), {8, 7, 0}, {3});
  expect_array_near(bitwise_or(a, b), {14, -1, 5}, {3});
  expect_array_near(bitwise_xor(a, b), {6, -8, 5}, {3});
  auto u = bitwise_xor(
      astype(array({255, 15}), uint8), astype(array({1, 255}), uint8));
  EXPECT_EQ(u.dtype(), uint8);
  expect_array_near(u, {254, 240}, {2});
  expect_array_near(
      bitwise_and(array({true, true}), array({true, false})), {1, 0}, {2});
  // Shifts: [1, -8, 3] << [3, 1, 30] and [1, -8, 1024] >> [3, 1, 4].
  expect_array_near(
      left_shift(array({1, -8, 3}), array({3, 1, 30})),
      {8, -16, -1073741824},
      {3});
  expect_array_near(
      right_shift(array({1, -8, 1024}), array({3, 1, 4})), {0, -4, 64}, {3});
  // uint8 200 << 1 wraps to 144.
  expect_array_near(
      left_shift(astype(array({200}), uint8), astype(array({1}), uint8)),
      {144},
      {1});
  expect_throws_with_prefix(
      [] { bitwise_and(array({1.0f}), array({1})); }, "[bitwise_and]");
  expect_throws_with_prefix(
      [] { bitwise_or(array({1}), array({1.0f})); }, "[bitwise_or]");
  expect_throws_with_prefix(
      [] { bitwise_xor(array({1.0f}), array({1})); }, "[bitwise_xor]");
  expect_throws_with_prefix(
      [] { left_shift(array({1.0f}), array({1})); }, "[left_shift]");
  expect_throws_with_prefix(
      [] { right_shift(array({1}), array({1.0f})); }, "[right_shift]");
}

TEST(BinaryTest, Where) {
  array c({true, false, true});
  auto w = where(c, array({1, 2, 3}), array({10.0f, 20.0f, 30.0f}));
  EXPECT_EQ(w.dtype(), float32);
  expect_array_near(w, {1, 20, 3}, {3});
  // Condition of another dtype and broadcasting of all three.
  auto wb = where(array({1, 0}, {2, 1}), array({1, 2, 3}), array(0));
  expect_array_near(wb, {1, 2, 3, 0, 0, 0}, {2, 3});
  // Transposed inputs.
  auto m = reshape(arange(6), {2, 3});
  auto wt = where(transpose(m) > 2, transpose(m), array(-1));
  expect_array_near(wt, {-1, 3, -1, 4, -1, 5}, {3, 2});
  expect_throws_with_prefix(
      [] {
        where(array({true, false}), array({1, 2, 3}), array(0));
      },
      "[where]");
}

TEST(BinaryTest, RowBroadcastFastPaths) {
  // x - r with r (rows, 1), r - x, and x * w with w (cols,): the strided
  // path's unit-stride and broadcast-stride loops.
  auto x = reshape(arange(0.0, 12.0, 1.0), {3, 4});
  auto r = reshape(array({1.0f, 2.0f, 3.0f}), {3, 1});
  expect_array_near(
      subtract(x, r), {-1, 0, 1, 2, 2, 3, 4, 5, 5, 6, 7, 8}, {3, 4});
  expect_array_near(
      subtract(r, x), {1, 0, -1, -2, -2, -3, -4, -5, -5, -6, -7, -8}, {3, 4});
  auto w = array({1.0f, -1.0f, 2.0f, 0.5f});
  expect_array_near(
      multiply(transpose(transpose(x)), w),
      {0, -1, 4, 1.5, 4, -5, 12, 3.5, 8, -9, 20, 5.5},
      {3, 4});
  // Broadcast rows against a transposed operand (strided in both).
  auto t = transpose(reshape(arange(0.0, 12.0, 1.0), {4, 3}));
  expect_array_near(
      add(t, r), {1, 4, 7, 10, 3, 6, 9, 12, 5, 8, 11, 14}, {3, 4});
}

TEST(BinaryTest, WhereOnLongRows) {
  // Shapes that collapse to a few rows longer than the thread pool's grain:
  // each row is cut into pieces, which must line up with the elements.
  int n = 3 * (1 << 15) + 7;
  auto x = arange(n);
  auto odd = equal(remainder(x, array(2)), array(1));
  auto picked = where(odd, x, array(-1));
  auto evens_removed = sum(astype(picked, int64)).item<int64_t>();
  // Sum of the odd numbers below n (n odd: (n - 1) / 2 of them), minus one
  // per even number.
  int64_t odds = (n - 1) / 2;
  EXPECT_EQ(evens_removed, odds * odds - (n - odds));
  // Two long rows read through a transpose: strided operands.
  auto m = transpose(reshape(arange(2 * n), {n, 2}));
  auto t = where(greater_equal(m, array(n)), m, array(0));
  auto v = mlx_test::to_doubles(t);
  ASSERT_EQ(v.size(), size_t(2 * n));
  for (int j : {0, 1, n / 2, n - 1}) {
    for (int r : {0, 1}) {
      int value = 2 * j + r;
      EXPECT_EQ(v[size_t(r) * n + j], value >= n ? value : 0) << r << "," << j;
    }
  }
}

TEST(BinaryTest, Clip) {
  array x({-3.0f, -1.0f, 0.5f, 2.0f, 7.0f});
  expect_array_near(
      clip(x, array(-1.0f), array(2.0f)), {-1, -1, 0.5, 2, 2}, {5});
  expect_array_near(clip(x, std::nullopt, array(0.0f)), {-3, -1, 0, 0, 0}, {5});
  expect_array_near(clip(x, array(0.0f), std::nullopt), {0, 0, 0.5, 2, 7}, {5});
  // Array bounds broadcast: np.clip(arange(6).reshape(2,3), [1, 2, 3], 4)
  auto m = reshape(arange(6), {2, 3});
  auto cm = clip(m, array({1, 2, 3}), array(4));
  EXPECT_EQ(cm.dtype(), int32);
  expect_array_near(cm, {1, 2, 3, 3, 4, 4}, {2, 3});
  expect_throws_with_prefix(
      [&] { clip(x, std::nullopt, std::nullopt); }, "[clip]");
}

TEST(BinaryTest, IsCloseAllClose) {
  array a({1.0f, 1.0f, NAN, INFINITY, INFINITY, 0.0f});
  array b({1.0f + 1e-6f, 1.1f, NAN, INFINITY, -INFINITY, 1e-9f});
  // np.isclose(a, b) and with equal_nan=True.
  expect_array_near(isclose(a, b), {1, 0, 0, 1, 0, 1}, {6});
  expect_array_near(isclose(a, b, 1e-5, 1e-8, true), {1, 0, 1, 1, 0, 1}, {6});
  expect_array_near(isclose(a, b, 0.2, 0.0), {1, 1, 0, 1, 0, 0}, {6});
  EXPECT_EQ(isclose(a, b).dtype(), bool_);
  EXPECT_FALSE(allclose(a, b).item<bool>());
  EXPECT_TRUE(
      allclose(array({1.0f, 2.0f}), array({1.0f, 2.000001f})).item<bool>());
  EXPECT_TRUE(allclose(array({1, 2}), array({1.0f, 2.0f})).item<bool>());
  // Broadcasting.
  EXPECT_TRUE(allclose(full({3, 2}, 1.0f), array(1.0f)).item<bool>());
  EXPECT_TRUE(
      allclose(array({NAN}), array({NAN}), 1e-5, 1e-8, true).item<bool>());
  EXPECT_FALSE(allclose(array({NAN}), array({NAN})).item<bool>());
  expect_throws_with_prefix(
      [] {
        isclose(array({1.0f, 2.0f}), array({1.0f, 2.0f, 3.0f}));
      },
      "[");
}

TEST(BinaryTest, ArrayEqual) {
  EXPECT_TRUE(array_equal(array({1, 2}), array({1.0f, 2.0f})).item<bool>());
  EXPECT_FALSE(array_equal(array({1, 2}), array({1, 3})).item<bool>());
  EXPECT_FALSE(array_equal(array({1, 2}), array({1, 2, 3})).item<bool>());
  EXPECT_FALSE(array_equal(array({1, 2}), array({1, 2}, {2, 1})).item<bool>());
  EXPECT_FALSE(array_equal(array({NAN}), array({NAN})).item<bool>());
  EXPECT_TRUE(
      array_equal(array({NAN, 1.0f}), array({NAN, 1.0f}), true).item<bool>());
  EXPECT_TRUE(array_equal(zeros({0}), zeros({0})).item<bool>());
  auto t = transpose(reshape(arange(6), {2, 3}));
  EXPECT_TRUE(array_equal(t, array({0, 3, 1, 4, 2, 5}, {3, 2})).item<bool>());
  EXPECT_EQ(array_equal(array({1}), array({1})).dtype(), bool_);
}

TEST(BinaryTest, LargeAndHalfInputs) {
  // 1 << 20 elements with a broadcast operand: the parallel path.
  auto x = arange(1 << 20);
  auto y = add(x, array(1));
  auto s = sum(astype(y, int64));
  // sum(1..2^20) = 2^20 (2^20 + 1) / 2
  EXPECT_EQ(s.item<int64_t>(), int64_t(1 << 20) * ((1 << 20) + 1) / 2);
  auto h = multiply(
      astype(array({1.5f, -2.0f}), bfloat16),
      astype(array({2.0f, 0.25f}), bfloat16));
  EXPECT_EQ(h.dtype(), bfloat16);
  expect_array_near(h, {3, -0.5}, {2});
  auto f64 = add(array(0.1, float64), array(0.2, float64));
  EXPECT_EQ(f64.dtype(), float64);
  expect_array_near(f64, {0.30000000000000004}, {}, 0, 0);
}

TEST(BinaryTest, IsCloseIntegersDoNotWrap) {
  // In the integer dtype a - b and abs wrap: int8 abs(-128 - 0) is -128 and
  // uint32 100000 - 100001 is 2^32 - 1. Expected values from NumPy:
  // np.isclose(np.array([-128, 0, 100], np.int8), [0, -128, 101]) and
  // np.isclose(np.array([100000, 5, 4000000000], np.uint32),
  //            np.array([100001, 5, 3999999999], np.uint32)).
  auto a8 = array({-128, 0, 100}, int8);
  auto b8 = array({0, -128, 101}, int8);
  expect_array_near(isclose(a8, b8), {0, 0, 0}, {3});
  EXPECT_FALSE(allclose(a8, b8).item<bool>());
  std::vector<uint32_t> au = {100000, 5, 4000000000u};
  std::vector<uint32_t> bu = {100001, 5, 3999999999u};
  auto close = isclose(array(au, {3}), array(bu, {3}));
  EXPECT_EQ(close.dtype(), bool_);
  expect_array_near(close, {1, 1, 1}, {3});
  // Exact for int32 beyond float32's 2^24 (np.isclose(..., rtol=0, atol=0)).
  EXPECT_FALSE(
      isclose(array({16777217}), array({16777216}), 0.0, 0.0).item<bool>());
}
