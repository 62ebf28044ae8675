// Transform rules of the element-wise primitives beyond the finite-difference
// tables of grad_elementwise_test.cpp: second derivatives against closed
// forms, MLX's conventions at ties and kinks, integer/bool ops (no
// gradient, but vmap), the vmap rule's rank alignment, empty shapes.
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "grad_check.h"
#include "mlx/primitives/primitive.h"
#include "test_utils.h"

namespace {

using mlx_test::binary;
using mlx_test::check_vmap;
using mlx_test::random_input;
using mlx_test::unary;
using UnaryFn = std::function<mx::array(const mx::array&)>;
using BinaryFn = std::function<mx::array(const mx::array&, const mx::array&)>;

// A float64 scalar (mx::array(double) is float32, as MLX).
mx::array f64(double v) {
  return mx::array(v, mx::float64);
}

TEST(GradElementwiseRules, SecondDerivativesMatchClosedForms) {
  struct Case {
    std::string name;
    UnaryFn fn;
    std::vector<double> points;
    std::vector<double> expected; // f''(points), from NumPy closed forms
  };
  std::vector<double> xs = {-0.7, 0.3, 1.1};
  std::vector<double> ps = {0.5, 1.0, 2.5};
  std::vector<Case> cases = {
      // -sin(x)
      {"sin",
       [](const mx::array& a) { return mx::sin(a); },
       xs,
       {0.644217687237691, -0.29552020666134, -0.891207360061435}},
      // -2 tanh(x) (1 - tanh(x)^2)
      {"tanh",
       [](const mx::array& a) { return mx::tanh(a); },
       xs,
       {0.767232310091917, -0.533181878201454, -0.575080604402861}},
      // -4x / sqrt(pi) exp(-x^2)
      {"erf",
       [](const mx::array& a) { return mx::erf(a); },
       xs,
       {0.967784804574754, -0.618756545771378, -0.740255115145137}},
      // -2x / (1 + x^2)^2
      {"arctan",
       [](const mx::array& a) { return mx::arctan(a); },
       xs,
       {0.630602225124994, -0.505007995959936, -0.450441227657091}},
      // s (1 - s) (1 - 2s), s = sigmoid(x)
      {"sigmoid",
       [](const mx::array& a) { return mx::sigmoid(a); },
       xs,
       {0.0745787884403418, -0.0363961839555763, -0.0937824116818139}},
      // softplus = logaddexp(x, 0): s (1 - s)
      {"logaddexp(x, 0)",
       [](const mx::array& a) { return mx::logaddexp(a, mx::array(0.0)); },
       xs,
       {0.221712873293109, 0.244458311690746, 0.187369879547521}},
      // 6x
      {"power(x, 3)",
       [](const mx::array& a) { return mx::power(a, mx::array(3.0)); },
       xs,
       {-4.2, 1.8, 6.6}},
      // -1 / x^2
      {"log",
       [](const mx::array& a) { return mx::log(a); },
       ps,
       {-4.0, -1.0, -0.16}},
      // -x^(-3/2) / 4
      {"sqrt",
       [](const mx::array& a) { return mx::sqrt(a); },
       ps,
       {-0.707106781186548, -0.25, -0.0632455532033676}},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto second = mx::grad(mx::grad(c.fn));
    for (size_t k = 0; k < c.points.size(); ++k) {
      expect_array_near(
          second(f64(c.points[k])), {c.expected[k]}, {}, 1e-12, 1e-12);
    }
  }
}

TEST(GradElementwiseRules, TieAndKinkConventions) {
  // As MLX: maximum and minimum give the gradient to b on ties; abs'(0) = 0.
  auto ga = [](BinaryFn f, int arg) {
    return mx::grad(
        [f](const std::vector<mx::array>& v) { return f(v[0], v[1]); },
        arg)({f64(1.5), f64(1.5)})[0];
  };
  BinaryFn max_fn = [](const mx::array& a, const mx::array& b) {
    return mx::maximum(a, b);
  };
  BinaryFn min_fn = [](const mx::array& a, const mx::array& b) {
    return mx::minimum(a, b);
  };
  expect_array_near(ga(max_fn, 0), {0.0}, {});
  expect_array_near(ga(max_fn, 1), {1.0}, {});
  expect_array_near(ga(min_fn, 0), {0.0}, {});
  expect_array_near(ga(min_fn, 1), {1.0}, {});
  auto abs_grad = mx::grad([](const mx::array& a) { return mx::abs(a); });
  expect_array_near(abs_grad(f64(0.0)), {0.0}, {});
  // d/db 0^b = 0 for b > 0 (not log(0) * 0 = nan); d/da a^2 at 0 = 0.
  auto pow_grads = mx::grad(
      [](const std::vector<mx::array>& v) { return mx::power(v[0], v[1]); },
      std::vector<int>{0, 1})({f64(0.0), f64(2.0)});
  expect_array_near(pow_grads[0], {0.0}, {});
  expect_array_near(pow_grads[1], {0.0}, {});
  // remainder: d/da = 1, d/db = -floor(a / b); 7.5 % 2 = 1.5, floor = 3.
  auto rem_grads = mx::grad(
      [](const std::vector<mx::array>& v) { return mx::remainder(v[0], v[1]); },
      std::vector<int>{0, 1})({f64(7.5), f64(2.0)});
  expect_array_near(rem_grads[0], {1.0}, {});
  expect_array_near(rem_grads[1], {-3.0}, {});
}

// The Binary NaNEqual node inside array_equal(a, b, equal_nan = true).
mx::array nan_equal_node(const mx::array& a, const mx::array& b) {
  mx::array node = mx::array_equal(a, b, true);
  while (node.has_primitive() &&
         std::string(node.primitive().name()) != "NaNEqual") {
    node = node.inputs()[0];
  }
  return node;
}

TEST(GradElementwiseRules, IntegerOpsThrowOnDirectVjpAndJvp) {
  auto a = mx::array({3, -2, 5}, mx::int32);
  auto b = mx::array({1, 4, 2}, mx::int32);
  auto fa = random_input({3}, 60);
  auto fb = random_input({3}, 61);
  auto mask = mx::array({true, false, true});
  std::vector<mx::array> outs = {
      mx::equal(fa, fb),
      mx::not_equal(fa, fb),
      mx::less(fa, fb),
      mx::less_equal(fa, fb),
      mx::greater(fa, fb),
      mx::greater_equal(fa, fb),
      nan_equal_node(fa, fb),
      mx::isnan(fa),
      mx::logical_and(fa, fb),
      mx::logical_or(fa, fb),
      mx::logical_not(fa),
      mx::bitwise_and(a, b),
      mx::bitwise_or(a, b),
      mx::bitwise_xor(a, b),
      mx::bitwise_invert(a),
      mx::left_shift(a, b),
      mx::right_shift(a, b),
      mx::floor_divide(a, b),
      mx::remainder(a, b),
      mx::add(a, b),
      mx::multiply(a, b),
      mx::maximum(a, b),
      mx::abs(a),
      mx::negative(a),
      mx::square(a),
      mx::sign(a),
      mx::where(mask, a, b),
  };
  for (auto& out : outs) {
    ASSERT_TRUE(out.has_primitive());
    std::string prefix = std::string("[") + out.primitive().name() + "]";
    SCOPED_TRACE(prefix);
    std::vector<int> argnums(out.inputs().size());
    std::vector<mx::array> tangents;
    for (size_t i = 0; i < argnums.size(); ++i) {
      argnums[i] = static_cast<int>(i);
      tangents.push_back(mx::zeros_like(out.inputs()[i]));
    }
    expect_throws_with_prefix(
        [&] {
          out.primitive().vjp(
              out.inputs(), {mx::zeros_like(out)}, argnums, {out});
        },
        prefix,
        "not differentiable");
    expect_throws_with_prefix(
        [&] { out.primitive().jvp(out.inputs(), tangents, argnums); },
        prefix,
        "not differentiable");
  }
}

TEST(GradElementwiseRules, IntegerOpsGiveZeroGradient) {
  // f(x) = 2x + [x > 0] + (int(10x) // 3) + int(x) % 2 + isnan(x):
  // only 2x carries a gradient. At x = 1.37: 2.74 + 1 + 4 + 1 + 0 = 8.74.
  auto f = [](const mx::array& x) {
    auto as_f64 = [](const mx::array& v) { return mx::astype(v, mx::float64); };
    auto xi = mx::astype(x * 10.0, mx::int32);
    return 2.0 * x + as_f64(mx::greater(x, mx::array(0.0))) +
           as_f64(mx::floor_divide(xi, mx::array(3))) +
           as_f64(mx::remainder(mx::astype(x, mx::int32), mx::array(2))) +
           as_f64(mx::isnan(x));
  };
  auto [value, g] = mx::value_and_grad(f)(f64(1.37));
  expect_array_near(value, {8.74}, {}, 1e-12, 1e-12);
  expect_array_near(g, {2.0}, {}, 0, 0);
  auto t = mx::jvp(f, f64(1.37), f64(0.5)).second;
  expect_array_near(t, {1.0}, {}, 0, 0);
}

TEST(GradElementwiseRules, IntegerOpsVmap) {
  auto ia = mx::array(std::vector<int>{3, -2, 5, 7, 0, -9}, {2, 3}, mx::int32);
  auto ib = mx::array({1, 4, 2}, mx::int32);
  auto fa = random_input({2, 3}, 70);
  auto fb = random_input({3, 2}, 71);
  std::vector<std::pair<std::string, BinaryFn>> int_ops = {
      {"bitwise_and", [](auto& a, auto& b) { return mx::bitwise_and(a, b); }},
      {"bitwise_xor", [](auto& a, auto& b) { return mx::bitwise_xor(a, b); }},
      {"left_shift",
       [](auto& a, auto& b) { return mx::left_shift(a, mx::abs(b)); }},
      {"floor_divide", [](auto& a, auto& b) { return mx::floor_divide(a, b); }},
      {"remainder", [](auto& a, auto& b) { return mx::remainder(a, b); }},
      {"~a | b",
       [](auto& a, auto& b) {
         return mx::bitwise_or(mx::bitwise_invert(a), b);
       }},
  };
  for (auto& [name, fn] : int_ops) {
    check_vmap(name, binary(fn), {ia, ib}, {1, 0}, {0});
    check_vmap(name, binary(fn), {ia, ib}, {0, -1}, {1});
  }
  std::vector<std::pair<std::string, BinaryFn>> bool_ops = {
      {"less", [](auto& a, auto& b) { return mx::less(a, b); }},
      {"greater_equal",
       [](auto& a, auto& b) { return mx::greater_equal(a, b); }},
      {"not_equal", [](auto& a, auto& b) { return mx::not_equal(a, b); }},
      {"logical_or(!a, b)",
       [](auto& a, auto& b) { return mx::logical_or(!(a > 0.0), b > 0.0); }},
      {"isclose", [](auto& a, auto& b) { return mx::isclose(a, b, 0.5); }},
  };
  for (auto& [name, fn] : bool_ops) {
    check_vmap(name, binary(fn), {fa, fb}, {0, 1}, {0});
    check_vmap(name, binary(fn), {fa, mx::array(0.1)}, {1, -1}, {1});
  }
}

TEST(GradElementwiseRules, VmapRuleAlignsUnbatchedLowerRankInputs) {
  // Called directly: a batched [B=4, 2, 3] input with an unbatched [3]
  // one broadcasts from the right (the [3] becomes [1, 1, 3]).
  auto node = mx::add(random_input({2, 3}, 80), random_input({2, 3}, 81));
  auto a = random_input({2, 4, 3}, 82);
  auto b = random_input({3}, 83);
  auto [outs, axes] = node.primitive().vmap({a, b}, {1, -1});
  ASSERT_EQ(axes.size(), 1u);
  EXPECT_EQ(axes[0], 0);
  auto expected = mx::add(mx::moveaxis(a, 1, 0), b);
  expect_array_near(outs[0], mlx_test::values_of(expected), {4, 2, 3}, 0, 0);
  // Unbatched of the same rank as the batched input's slices.
  auto c = random_input({2, 3}, 84);
  auto [outs2, axes2] = node.primitive().vmap({c, a}, {-1, 1});
  EXPECT_EQ(axes2[0], 0);
  expect_array_near(
      outs2[0],
      mlx_test::values_of(mx::add(c, mx::moveaxis(a, 1, 0))),
      {4, 2, 3},
      0,
      0);
}

TEST(GradElementwiseRules, EmptyAndScalarShapes) {
  auto x = mx::zeros({0, 3}, mx::float64);
  auto sin_fn = [](const mx::array& a) { return mx::sin(a); };
  auto g = mx::vjp(sin_fn, x, mx::zeros({0, 3}, mx::float64)).second;
  EXPECT_EQ(g.shape(), (mx::Shape{0, 3}));
  auto mul = binary([](const mx::array& a, const mx::array& b) {
    return mx::multiply(a, b);
  });
  auto [outs, vjps] =
      mx::vjp(mul, {x, f64(2.0)}, {mx::zeros({0, 3}, mx::float64)});
  EXPECT_EQ(vjps[0].shape(), (mx::Shape{0, 3}));
  expect_array_near(vjps[1], {0.0}, {}); // sum over no elements
  check_vmap("sin on [0, 3]", unary(sin_fn), {x}, {1}, {0});
}

} // namespace
