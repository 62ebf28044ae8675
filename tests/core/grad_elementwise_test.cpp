// Transform rules of the element-wise primitives (Unary, Binary, Select,
// AsType): every differentiable op of core/ops/elementwise.h (and the
// composites defined there) against central finite differences
// (check_grads) and vmap against a loop (check_vmap).
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "grad_check.h"
#include "mlx/primitives/primitive.h"
#include "test_utils.h"

namespace {

using mlx_test::binary;
using mlx_test::check_grads;
using mlx_test::check_vmap;
using mlx_test::random_input;
using mlx_test::unary;
using UnaryFn = std::function<mx::array(const mx::array&)>;
using BinaryFn = std::function<mx::array(const mx::array&, const mx::array&)>;

struct UnaryCase {
  std::string name;
  UnaryFn fn;
  double low; // a domain where the op is smooth
  double high;
};

#define UNARY(op, low, high)                                                   \
  UnaryCase {                                                                  \
#op, [](const mx::array& x) { return mx::op(x); }, low, high               \
  }

// Every differentiable unary op and unary composite of elementwise.h.
std::vector<UnaryCase> unary_cases() {
  return {
      UNARY(abs, -1, 1), // kink at 0 is hit with probability ~0
      UNARY(negative, -1, 1),
      UNARY(sign, -1, 1),
      UNARY(square, -2, 2),
      UNARY(sqrt, 0.5, 2),
      UNARY(rsqrt, 0.5, 2),
      UNARY(reciprocal, 0.5, 2),
      UNARY(exp, -1, 1),
      UNARY(expm1, -1, 1),
      UNARY(log, 0.5, 2),
      UNARY(log2, 0.5, 2),
      UNARY(log10, 0.5, 2),
      UNARY(log1p, -0.5, 2),
      UNARY(sin, -2, 2),
      UNARY(cos, -2, 2),
      UNARY(tan, -1, 1),
      UNARY(arcsin, -0.9, 0.9),
      UNARY(arccos, -0.9, 0.9),
      UNARY(arctan, -2, 2),
      UNARY(sinh, -1, 1),
      UNARY(cosh, -1, 1),
      UNARY(tanh, -2, 2),
      UNARY(arcsinh, -2, 2),
      UNARY(arccosh, 1.2, 3),
      UNARY(arctanh, -0.9, 0.9),
      UNARY(degrees, -1, 1),
      UNARY(radians, -1, 1),
      UNARY(floor, -3, 3),
      UNARY(ceil, -3, 3),
      UNARY(round, -3, 3),
      UNARY(erf, -2, 2),
      UNARY(erfinv, -0.9, 0.9),
      UNARY(sigmoid, -3, 3),
      UNARY(conjugate, -1, 1), // identity on real inputs
      UNARY(conj, -1, 1),
      UNARY(real, -1, 1),
      UNARY(imag, -1, 1), // zeros on real inputs
      {"round(x, 2)",
       [](const mx::array& x) { return mx::round(x, 2); },
       -3,
       3},
      {"nan_to_num",
       [](const mx::array& x) { return mx::nan_to_num(x); },
       -1,
       1},
      {"clip(x, -0.5, 0.5)",
       [](const mx::array& x) {
         return mx::clip(x, mx::array(-0.5), mx::array(0.5));
       },
       -1,
       1},
      {"clip(x, 0.2, none)",
       [](const mx::array& x) {
         return mx::clip(x, mx::array(0.2), std::nullopt);
       },
       -1,
       1},
      {"operators 2 * x - x / 3 + (x % 0.7)",
       [](const mx::array& x) { return 2.0 * x - x / 3.0 + (x % 0.7); },
       0.1,
       2},
      {"-x", [](const mx::array& x) { return -x; }, -1, 1},
      {"astype(astype(x, int32), float64) + x",
       [](const mx::array& x) {
         return mx::astype(mx::astype(x, mx::int32), mx::float64) + x;
       },
       -3,
       3},
  };
}

#undef UNARY

// [3, 4] inputs: contiguous, transposed, sliced with a step; plus a scalar.
std::vector<std::pair<std::string, mx::array>>
unary_inputs(uint32_t seed, double low, double high) {
  return {
      {"contiguous", random_input({3, 4}, seed, low, high)},
      {"transposed", mx::transpose(random_input({4, 3}, seed + 1, low, high))},
      {"stepped",
       mx::slice(
           random_input({6, 8}, seed + 2, low, high), {0, 1}, {6, 8}, {2, 2})},
      {"scalar", random_input({}, seed + 3, low, high)},
  };
}

TEST(GradElementwise, UnaryOpsMatchFiniteDifferences) {
  uint32_t seed = 10;
  for (auto& c : unary_cases()) {
    for (auto& [layout, x] : unary_inputs(seed += 7, c.low, c.high)) {
      check_grads(c.name + " " + layout, unary(c.fn), {x});
    }
  }
}

TEST(GradElementwise, UnaryOpsVmap) {
  uint32_t seed = 500;
  for (auto& c : unary_cases()) {
    auto f = unary(c.fn);
    auto x = random_input({3, 4}, seed++, c.low, c.high);
    check_vmap(c.name, f, {x}, {0}, {0});
    check_vmap(c.name, f, {x}, {1}, {1});
    check_vmap(c.name, f, {mx::transpose(x)}, {1}, {0});
    auto x3 = random_input({2, 3, 4}, seed++, c.low, c.high);
    check_vmap(c.name, f, {x3}, {2}, {1});
  }
}

struct BinaryCase {
  std::string name;
  BinaryFn fn;
  double a_low, a_high, b_low, b_high;
};

#define BINARY(op, al, ah, bl, bh)                                             \
  BinaryCase {                                                                 \
#op, [](const mx::array& a,                                                \
            const mx::array& b) { return mx::op(a, b); }, al, ah, bl, bh       \
  }

// Every differentiable binary op and binary composite of elementwise.h.
std::vector<BinaryCase> binary_cases() {
  return {
      BINARY(add, -1, 1, -1, 1),
      BINARY(subtract, -1, 1, -1, 1),
      BINARY(multiply, -1, 1, -1, 1),
      BINARY(divide, -1, 1, 0.5, 2),
      BINARY(floor_divide, -3, 3, 0.5, 2), // zero gradient on floats
      BINARY(remainder, -3, 3, 0.5, 2),
      BINARY(maximum, -1, 1, -1, 1), // ties are hit with probability ~0
      BINARY(minimum, -1, 1, -1, 1),
      BINARY(power, 0.5, 2, -1.5, 1.5),
      BINARY(arctan2, -1, 1, -1, 1),
      BINARY(logaddexp, -2, 2, -2, 2),
      {"operators a * b + a / b - b % a",
       [](const mx::array& a, const mx::array& b) {
         return a * b + a / b - b % a;
       },
       0.5,
       2,
       0.5,
       2},
      {"clip(a, none, b)",
       [](const mx::array& a, const mx::array& b) {
         return mx::clip(a, std::nullopt, b);
       },
       -1,
       1,
       -1,
       1},
  };
}

#undef BINARY

TEST(GradElementwise, BinaryOpsMatchFiniteDifferences) {
  uint32_t seed = 1000;
  for (auto& c : binary_cases()) {
    auto f = binary(c.fn);
    auto a = [&](const mx::Shape& s) {
      return random_input(s, seed++, c.a_low, c.a_high);
    };
    auto b = [&](const mx::Shape& s) {
      return random_input(s, seed++, c.b_low, c.b_high);
    };
    check_grads(c.name + " same shape", f, {a({2, 3}), b({2, 3})});
    // Broadcasting on either side (the gradient is summed over the
    // broadcast axes).
    check_grads(c.name + " b broadcast", f, {a({2, 3}), b({3})});
    check_grads(c.name + " a broadcast", f, {a({2, 1}), b({3, 2, 3})});
    check_grads(c.name + " scalar a", f, {a({}), b({2, 2})});
    // Non-contiguous: transposed a, stepped and broadcast b.
    auto bs = mx::slice(b({4, 3}), {0, 0}, {4, 3}, {2, 1});
    check_grads(c.name + " strided", f, {mx::transpose(a({3, 2})), bs});
  }
}

TEST(GradElementwise, BinaryOpsVmap) {
  uint32_t seed = 2000;
  for (auto& c : binary_cases()) {
    auto f = binary(c.fn);
    auto a = [&](const mx::Shape& s) {
      return random_input(s, seed++, c.a_low, c.a_high);
    };
    auto b = [&](const mx::Shape& s) {
      return random_input(s, seed++, c.b_low, c.b_high);
    };
    // Batch size 3; slices of different ranks broadcast inside f.
    check_vmap(c.name, f, {a({3, 2, 4}), b({3, 4})}, {0, 0}, {0});
    check_vmap(c.name, f, {a({2, 3, 4}), b({4})}, {1, -1}, {1});
    check_vmap(c.name, f, {a({4}), b({2, 3, 4})}, {-1, 1}, {0});
    check_vmap(c.name, f, {a({2, 4, 3}), b({3, 1, 4})}, {2, 0}, {2});
    check_vmap(c.name, f, {a({1, 3}), b({2, 3})}, {1, 1}, {0});
  }
}

TEST(GradElementwise, DivmodMatchesFiniteDifferences) {
  mlx_test::Fn f = [](const std::vector<mx::array>& x) {
    return mx::divmod(x[0], x[1]);
  };
  auto a = random_input({2, 3}, 7, -3, 3);
  auto b = random_input({3}, 8, 0.5, 2);
  check_grads("divmod", f, {a, b});
  check_vmap("divmod", f, {a, random_input({3, 2}, 9, 0.5, 2)}, {0, 1}, {1, 0});
}

TEST(GradElementwise, WhereAndClipWithArrayBounds) {
  // where: the condition (bool) is held fixed and gets no gradient.
  mlx_test::Fn where_fn = [](const std::vector<mx::array>& x) {
    return std::vector<mx::array>{mx::where(x[0], x[1], x[2])};
  };
  auto cond = mx::greater(random_input({2, 3}, 1), mx::array(0.0));
  auto x = random_input({3}, 2);
  auto y = mx::transpose(random_input({3, 2}, 3));
  check_grads("where", where_fn, {cond, x, y});
  check_grads("where scalar y", where_fn, {cond, x, random_input({}, 4)});
  // A condition computed inside the function from a differentiated input.
  mlx_test::Fn relu_like = [](const std::vector<mx::array>& x) {
    return std::vector<mx::array>{
        mx::where(mx::greater(x[0], x[1]), x[0] * x[1], x[1])};
  };
  check_grads(
      "where(a > b, a * b, b)",
      relu_like,
      {random_input({2, 3}, 5), random_input({3}, 6)});

  auto cond3 = mx::greater(random_input({3, 2, 4}, 7), mx::array(0.0));
  check_vmap(
      "where",
      where_fn,
      {cond3, random_input({2, 3, 4}, 8), random_input({4}, 9)},
      {0, 1, -1},
      {1});
  check_vmap(
      "where",
      where_fn,
      {mx::greater(random_input({4}, 10), mx::array(0.0)),
       random_input({2, 4, 3}, 11),
       random_input({3, 4}, 12)},
      {-1, 2, 0},
      {0});
  check_vmap(
      "where(a > b, a * b, b)",
      relu_like,
      {random_input({3, 4}, 13), random_input({4, 3}, 14)},
      {1, 0},
      {1});

  mlx_test::Fn clip_fn = [](const std::vector<mx::array>& x) {
    return std::vector<mx::array>{mx::clip(x[0], x[1], x[2])};
  };
  std::vector<mx::array> clip_args = {
      random_input({2, 3}, 15, -2, 2),
      random_input({3}, 16, -1, -0.2),
      random_input({2, 1}, 17, 0.2, 1)};
  check_grads("clip", clip_fn, clip_args);
  check_vmap(
      "clip",
      clip_fn,
      {random_input({3, 2, 3}, 18, -2, 2),
       random_input({3}, 19, -1, -0.2),
       random_input({3, 2, 1}, 20, 0.2, 1)},
      {0, -1, 0},
      {2});
}

TEST(GradElementwise, AsTypeRules) {
  auto x = random_input({2, 3}, 30, -2, 2);
  // float64 -> float32 -> float64: the cotangent is cast back (FD in
  // float32 precision, hence the larger step and tolerance).
  auto through_f32 = unary([](const mx::array& a) {
    return mx::astype(mx::sin(mx::astype(a, mx::float32)), mx::float64);
  });
  check_grads("astype via float32", through_f32, {x}, 1e-4, 1e-3);
  auto [outs, vjps] =
      mx::vjp(through_f32, {x}, {mx::ones({2, 3}, mx::float64)});
  EXPECT_EQ(vjps[0].dtype(), mx::float64);
  // A cast to an integer type carries no gradient.
  auto through_int = [](const mx::array& a) {
    return mx::astype(mx::astype(a, mx::int32), mx::float64);
  };
  auto g = mx::vjp(through_int, x, mx::ones({2, 3}, mx::float64)).second;
  expect_array_near(g, std::vector<double>(6, 0.0), {2, 3});
  auto t = mx::jvp(through_int, x, mx::ones({2, 3}, mx::float64)).second;
  expect_array_near(t, std::vector<double>(6, 0.0), {2, 3});
  // A direct vjp of a float -> int cast gives zeros of the input's dtype.
  auto cast = mx::astype(x, mx::int32);
  auto direct = cast.primitive().vjp(
      cast.inputs(), {mx::ones({2, 3}, mx::int32)}, {0}, {cast});
  EXPECT_EQ(direct[0].dtype(), mx::float64);
  expect_array_near(direct[0], std::vector<double>(6, 0.0), {2, 3});

  check_vmap(
      "astype",
      unary([](const mx::array& a) { return mx::astype(a, mx::float32); }),
      {x},
      {1},
      {0},
      1e-6);
}

TEST(GradElementwise, ComplexRulesFollowMlx) {
  // z = x + iy (complex64), w = z^2: real(w) = x^2 - y^2, imag(w) = 2xy,
  // imag(conj(w)) = -2xy; checked against finite differences in float32.
  mlx_test::Fn f = [](const std::vector<mx::array>& v) {
    auto i = mx::array(mx::complex64_t(0.0f, 1.0f));
    auto z =
        mx::astype(v[0], mx::complex64) + mx::astype(v[1], mx::complex64) * i;
    auto w = z * z;
    return std::vector<mx::array>{
        mx::real(w), mx::imag(w), mx::imag(mx::conjugate(w))};
  };
  auto x = mx::astype(random_input({2, 3}, 40), mx::float32);
  auto y = mx::astype(random_input({2, 3}, 41), mx::float32);
  check_grads("complex", f, {x, y}, 1e-3, 1e-2);
  check_vmap("complex", f, {x, mx::transpose(y)}, {0, 1}, {1, 0, 0}, 1e-6);
}

TEST(GradElementwise, Float32AndHalfInputs) {
  // Finite differences in float32: a larger step and tolerance.
  auto x = mx::astype(random_input({2, 3}, 50, -2, 2), mx::float32);
  auto y = mx::astype(random_input({3}, 51, -2, 2), mx::float32);
  check_grads(
      "sin float32",
      unary([](const mx::array& a) { return mx::sin(a); }),
      {x},
      1e-3,
      1e-2);
  auto lae = binary([](const mx::array& a, const mx::array& b) {
    return mx::logaddexp(a, b);
  });
  check_grads("logaddexp float32", lae, {x, y}, 1e-3, 1e-2);
  auto [o, vjps] = mx::vjp(lae, {x, y}, {mx::ones({2, 3}, mx::float32)});
  EXPECT_EQ(vjps[0].dtype(), mx::float32);
  EXPECT_EQ(vjps[1].dtype(), mx::float32);

  // grad of sin in float16 / bfloat16 is cos in that dtype; cos values
  // from NumPy: np.cos([0.25, -0.5, 1.0]).
  std::vector<double> cos_values = {
      0.968912421710645, 0.877582561890373, 0.54030230586814};
  std::vector<double> points = {0.25, -0.5, 1.0};
  for (auto dtype : {mx::float16, mx::bfloat16}) {
    for (size_t k = 0; k < points.size(); ++k) {
      auto g = mx::grad([](const mx::array& a) { return mx::sin(a); })(
          mx::array(points[k], dtype));
      EXPECT_EQ(g.dtype(), dtype);
      expect_array_near(g, {cos_values[k]}, {}, 1e-2, 1e-2);
    }
  }
}

} // namespace
