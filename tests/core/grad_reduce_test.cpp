// Transform rules of the reduction family: every differentiable op of
// core/ops/reduce.h checked with vjp/jvp against central finite differences
// (float64) and vmap against a loop over the batch, on several axes,
// keepdims and non-contiguous inputs; plus ties, zeros, low-precision
// dtypes, 0-size arrays and the integer-valued primitives (ArgMax, ArgSort,
// ArgPartition, All, Any: no vjp/jvp, but vmap).
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "grad_table.h"
#include "mlx/primitives/primitive.h"

namespace {

using namespace mlx_test;

TEST(GradReduce, ReductionsMatchFiniteDifferencesAndVmap) {
  std::vector<GradCase> cases = {
      {"sum all",
       unary([](auto& x) { return mx::sum(x); }),
       {random_input({3, 4}, 1)},
       {{{0}, {0}}, {{1}, {0}}}},
      {"sum axis keepdims",
       unary([](auto& x) { return mx::sum(x, 1, true); }),
       {random_input({3, 4, 2}, 2)},
       {{{0}, {0}}, {{2}, {1}}, {{3}, {3}}}},
      {"sum axes transposed",
       unary([](auto& x) {
         return mx::sum(x, {0, 2});
       }),
       {transposed_layout(random_input({3, 4, 2}, 3))},
       {{{1}, {0}}, {{3}, {1}}}},
      {"prod axis",
       unary([](auto& x) { return mx::prod(x, 1); }),
       {random_input({3, 4}, 4, -1.5, 1.5)},
       {{{0}, {0}}, {{2}, {1}}}},
      {"prod axes keepdims strided",
       unary([](auto& x) {
         return mx::prod(x, {0, 2}, true);
       }),
       {step2_layout(random_input({2, 3, 4}, 5))},
       {{{0}, {3}}, {{1}, {0}}}},
      {"prod with zeros",
       unary([](auto& x) { return mx::prod(x, 1); }),
       {with_zeros(random_input({4, 4}, 6), {1, 4, 6, 15})}},
      {"prod all with zeros",
       unary([](auto& x) { return mx::prod(x); }),
       {with_zeros(random_input({2, 3}, 7), {4})}},
      {"max axis",
       unary([](auto& x) { return mx::max(x, 0); }),
       {random_input({3, 4}, 8)},
       {{{0}, {0}}, {{2}, {1}}}},
      {"max all",
       unary([](auto& x) { return mx::max(x); }),
       {random_input({3, 4}, 9)},
       {{{1}, {0}}}},
      {"max axes keepdims strided",
       unary([](auto& x) {
         return mx::max(x, {0, 2}, true);
       }),
       {step2_layout(random_input({2, 3, 4}, 10))},
       {{{2}, {0}}, {{0}, {3}}}},
      {"min axis transposed",
       unary([](auto& x) { return mx::min(x, 1); }),
       {transposed_layout(random_input({3, 4}, 11))},
       {{{0}, {0}}, {{1}, {1}}}},
      {"min all",
       unary([](auto& x) { return mx::min(x, false); }),
       {random_input({2, 3}, 12)},
       {{{0}, {0}}}},
      {"mean",
       unary([](auto& x) {
         return mx::mean(x, {0, 2}, true);
       }),
       {random_input({2, 3, 2}, 13)},
       {{{0}, {0}}, {{3}, {2}}}},
      {"var",
       unary([](auto& x) { return mx::var(x, 1); }),
       {random_input({3, 4}, 14)},
       {{{0}, {0}}, {{1}, {1}}}},
      {"var ddof all",
       unary([](auto& x) { return mx::var(x, false, 1); }),
       {transposed_layout(random_input({3, 4}, 15))},
       {{{2}, {0}}}},
      {"std",
       unary([](auto& x) {
         return mx::std(x, {0, 2}, true);
       }),
       {random_input({2, 3, 2}, 16)},
       {{{1}, {0}}, {{0}, {3}}}},
      // More vmap axes of these: see LogsumexpAndSoftmaxVmap below.
      {"logsumexp axis",
       unary([](auto& x) { return mx::logsumexp(x, 1); }),
       {random_input({3, 4}, 17, -3, 3)}},
      {"logsumexp all strided",
       unary([](auto& x) { return mx::logsumexp(x); }),
       {step2_layout(random_input({2, 3}, 18))}},
      {"softmax axis",
       unary([](auto& x) { return mx::softmax(x, -1); }),
       {random_input({3, 4}, 19)}},
      {"softmax axes transposed",
       unary([](auto& x) {
         return mx::softmax(x, std::vector<int>{0, 2});
       }),
       {transposed_layout(random_input({2, 3, 2}, 20))}},
  };
  check_cases(cases);
}

// vmap must batch through the stop_gradient(max(x)) inside logsumexp and
// softmax (vmap's tape keeps StopGradient nodes, unlike vjp's).
TEST(GradReduce, LogsumexpAndSoftmaxVmap) {
  std::vector<GradCase> cases = {
      {"logsumexp axis",
       unary([](auto& x) { return mx::logsumexp(x, 1); }),
       {random_input({3, 4}, 17, -3, 3)},
       {{{0}, {0}}, {{2}, {1}}}},
      {"logsumexp all",
       unary([](auto& x) { return mx::logsumexp(x); }),
       {random_input({2, 3}, 18)},
       {{{0}, {0}}}},
      {"softmax axis",
       unary([](auto& x) { return mx::softmax(x, -1); }),
       {random_input({3, 4}, 19)},
       {{{0}, {0}}, {{2}, {1}}}},
      {"softmax axes",
       unary([](auto& x) {
         return mx::softmax(x, std::vector<int>{0, 2});
       }),
       {random_input({2, 3, 2}, 20)},
       {{{1}, {3}}}},
  };
  check_cases(cases);
}

TEST(GradReduce, CheckGradsCatchesAWrongRule) {
  // The finite-difference check is not vacuous: a vjp off by 1.5x fails.
  auto wrong = mx::custom_vjp(
      [](const std::vector<mx::array>& v) {
        return std::vector<mx::array>{mx::sum(v[0], 1)};
      },
      [](const std::vector<mx::array>& primals,
         const std::vector<mx::array>& cotangents,
         const std::vector<mx::array>&) {
        return std::vector<mx::array>{mx::multiply(
            mx::broadcast_to(
                mx::expand_dims(cotangents[0], 1), primals[0].shape()),
            mx::array(1.5))};
      });
  EXPECT_NONFATAL_FAILURE(
      check_grads("wrong", wrong, {random_input({2, 3}, 90)}), "vjp of input");
}

TEST(GradReduce, MaxAndMinSplitTiesEqually) {
  // Like MLX: tied extrema share the cotangent (x = [1, 3, 3, 2]).
  auto x = mx::array({1.0, 3.0, 3.0, 2.0});
  auto g = mx::grad([](const mx::array& a) { return mx::max(a); })(x);
  expect_near(g, {0, 0.5, 0.5, 0});
  auto y = mx::array({2.0, -1.0, 4.0, -1.0});
  g = mx::grad([](const mx::array& a) { return mx::min(a); })(y);
  expect_near(g, {0, 0.5, 0, 0.5});
  // jvp: the mean of the tied tangents.
  auto [out, t] = mx::jvp(
      [](const mx::array& a) { return mx::max(a); },
      x,
      mx::array({10.0, 20.0, 40.0, 80.0}));
  EXPECT_DOUBLE_EQ(t.item<double>(), 30.0);
}

TEST(GradReduce, ProdAndCumprodHandleZerosExactly) {
  // Expected values: NumPy, central differences with step 1 (exact for
  // these functions, which are linear in each element).
  auto x = mx::array({2.0, 0.0, 3.0, 0.0, 2.0, 0.0, 1.5, -2.0, 4.0}, {3, 3});
  auto g =
      mx::grad([](const mx::array& a) { return mx::sum(mx::prod(a, 1)); })(x);
  expect_near(g, {0, 6, 0, 0, 0, 0, -8, 6, -3});
  auto c = mx::array({2.0, 0.0, 3.0, 0.0, 5.0});
  auto cumprod_sum = [](bool reverse, bool inclusive) {
    return [=](const mx::array& a) {
      return mx::sum(mx::cumprod(a, 0, reverse, inclusive));
    };
  };
  expect_near(mx::grad(cumprod_sum(false, true))(c), {1, 8, 0, 0, 0});
  expect_near(mx::grad(cumprod_sum(true, true))(c), {0, 0, 0, 20, 1});
  expect_near(mx::grad(cumprod_sum(false, false))(c), {1, 8, 0, 0, 0});
}

TEST(GradReduce, LowPrecisionDtypesAndEmptyArrays) {
  // The gradient keeps the input's dtype and matches the float64 one.
  using UnaryFn = std::function<mx::array(const mx::array&)>;
  std::vector<std::pair<std::string, UnaryFn>> ops = {
      {"sum", [](const mx::array& a) { return mx::sum(a, 1); }},
      {"prod", [](const mx::array& a) { return mx::prod(a, 1); }},
      {"max", [](const mx::array& a) { return mx::max(a, 0); }},
      {"cumprod", [](const mx::array& a) { return mx::cumprod(a, 1); }},
      {"cummin", [](const mx::array& a) { return mx::cummin(a, 1, true); }},
      {"logcumsumexp",
       [](const mx::array& a) { return mx::logcumsumexp(a, 1, false, false); }},
      {"sort", [](const mx::array& a) { return mx::sort(a, 0); }},
      {"topk", [](const mx::array& a) { return mx::topk(a, 2, 1); }},
  };
  auto x64 = random_input({3, 4}, 95, 0.5, 1.5);
  for (auto& [name, op] : ops) {
    SCOPED_TRACE(name);
    auto loss = [op = op](const std::vector<mx::array>& v) {
      auto y = op(v[0]);
      // Weighted (so permutations matter); the -inf of exclusive
      // logcumsumexp is kept out of the sum.
      auto w = mx::reshape(
          mx::sin(mx::arange(1.0, y.size() + 1.0, y.dtype())), y.shape());
      return mx::sum(mx::where(mx::isinf(y), mx::zeros_like(y), y * w));
    };
    auto expected = values_of(mx::grad(loss)({x64})[0]);
    for (auto dtype : {mx::float32, mx::float16, mx::bfloat16}) {
      auto g = mx::grad(loss)({mx::astype(x64, dtype)})[0];
      EXPECT_EQ(g.dtype(), dtype);
      double tol = dtype == mx::float32 ? 1e-5 : 5e-2;
      EXPECT_LT(mlx_test::relative_error(values_of(g), expected), tol) << dtype;
    }
  }
  // 0-size reductions and scans.
  auto empty = mx::zeros({0, 3}, mx::float64);
  auto g = mx::grad([](const mx::array& a) {
    return mx::sum(mx::prod(a, 0)) + mx::sum(mx::cumprod(a, 0)) +
           mx::sum(mx::sort(a, 0));
  })(empty);
  EXPECT_EQ(g.shape(), empty.shape());
  auto ones = mx::grad([](const mx::array& a) {
    return mx::sum(mx::prod(a, 0));
  })(mx::transpose(empty));
  EXPECT_EQ(ones.shape(), (mx::Shape{3, 0}));
}

// `fun` called directly on the primitive of `out` must throw naming it.
void expect_not_differentiable(const mx::array& out, const std::string& name) {
  auto& p = out.primitive();
  auto cot = mx::zeros(out.shape(), mx::float64);
  for (auto call : {0, 1}) {
    try {
      if (call == 0) {
        p.vjp(out.inputs(), {cot}, {0}, {out});
      } else {
        p.jvp(out.inputs(), {mx::zeros_like(out.inputs()[0])}, {0});
      }
      ADD_FAILURE() << name << ": no exception";
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()).rfind("[" + name + "]", 0), 0u)
          << e.what();
    }
  }
}

TEST(GradReduce, IntegerValuedOpsHaveNoGradientButVmap) {
  auto x = random_input({3, 4}, 80);
  expect_not_differentiable(mx::argmax(x, 1, true), "ArgMax");
  expect_not_differentiable(mx::argmin(x, 0, true), "ArgMin");
  expect_not_differentiable(mx::argsort(x, 1), "ArgSort");
  expect_not_differentiable(mx::argpartition(x, 1, 1), "ArgPartition");
  expect_not_differentiable(mx::all(x, {1}, true), "All");
  expect_not_differentiable(mx::any(x, {0}, true), "Any");

  // Through the machinery they just contribute zeros.
  auto f = [](const mx::array& a) {
    auto as_float = [](const mx::array& i) {
      return mx::astype(i, mx::float64);
    };
    return mx::sum(as_float(mx::argmax(a, 1))) +
           mx::sum(as_float(mx::argsort(a, 0))) +
           mx::sum(as_float(mx::argpartition(a, 2, 1))) +
           mx::sum(as_float(mx::all(mx::greater(a, mx::array(0.0)), 1)));
  };
  expect_near(mx::grad(f)(x), std::vector<double>(12, 0.0));

  // Each op, and whether its output keeps an axis to put the batch on
  // (false: a full reduction, batched output on axis 0 only).
  struct IntegerOp {
    std::string name;
    Fn fn;
    bool has_out_axis;
  };
  std::vector<IntegerOp> ops = {
      {"argmax", unary([](auto& x) { return mx::argmax(x, 1); }), true},
      {"argmin flat", unary([](auto& x) { return mx::argmin(x); }), false},
      {"argsort", unary([](auto& x) { return mx::argsort(x, 0); }), true},
      {"argpartition",
       unary([](auto& x) { return mx::argpartition(x, 1, -1); }),
       true},
      {"all",
       unary(
           [](auto& x) { return mx::all(mx::greater(x, mx::array(0.0)), 1); }),
       true},
      {"any",
       unary([](auto& x) {
         return mx::any(mx::greater(x, mx::array(0.5)), {0, 1});
       }),
       false},
      {"sum of bool",
       unary(
           [](auto& x) { return mx::sum(mx::greater(x, mx::array(0.0)), 0); }),
       true},
      {"cumsum of int",
       unary([](auto& x) {
         return mx::cumsum(
             mx::astype(mx::multiply(x, mx::array(10.0)), mx::int32), 1);
       }),
       true},
  };
  auto b = random_input({3, 4, 5}, 81);
  for (int in_axis : {0, 2}) {
    for (int out_axis : {0, 1}) {
      for (auto& op : ops) {
        int out = op.has_out_axis ? out_axis : 0;
        check_vmap(op.name, op.fn, {b}, {in_axis}, {out});
      }
    }
  }
}

} // namespace
