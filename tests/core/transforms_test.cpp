// The transforms' own behaviour: argnums, auxiliary outputs, nesting,
// stop_gradient, custom_function, checkpoint, composition of grad and vmap,
// and their errors. (Per-op rules are checked in the grad_*_test suites.)
#include <cmath>

#include "test_utils.h"

using namespace mlx_test;

namespace {

mx::array sum_of_products(const std::vector<mx::array>& xs) {
  return mx::sum(mx::multiply(xs[0], xs[1]));
}

} // namespace

TEST(Grad, SquareSumGivesTwiceTheInput) {
  auto f = [](const mx::array& x) { return mx::sum(mx::multiply(x, x)); };
  auto g = mx::grad(f)(mx::array({1.0f, -2.0f, 3.0f}));
  expect_array_near(g, {2, -4, 6}, {3});
}

TEST(Grad, ArgnumsSelectAndOrderGradients) {
  mx::array x({1.0f, 2.0f});
  mx::array y({3.0f, 5.0f});
  auto gy = mx::grad(sum_of_products, 1)({x, y});
  ASSERT_EQ(gy.size(), 1u);
  expect_array_near(gy[0], {1, 2}, {2});
  // Gradients come back in argument order whatever the order of argnums.
  auto both = mx::grad(sum_of_products, std::vector<int>{1, 0})({x, y});
  ASSERT_EQ(both.size(), 2u);
  expect_array_near(both[0], {3, 5}, {2});
  expect_array_near(both[1], {1, 2}, {2});
}

TEST(Grad, BadArgnumsRaise) {
  mx::array x({1.0f});
  expect_throws_with_prefix(
      [&] {
        mx::grad(sum_of_products, 2)({x, x});
      },
      "[grad]",
      "Invalid argument number 2");
  expect_throws_with_prefix(
      [&] {
        mx::grad(sum_of_products, -1)({x, x});
      },
      "[grad]",
      "Invalid argument number -1");
  expect_throws_with_prefix(
      [&] {
        mx::grad(sum_of_products, std::vector<int>{0, 0})({x, x});
      },
      "[grad]",
      "repeats");
  expect_throws_with_prefix(
      [&] {
        mx::grad(sum_of_products, std::vector<int>{})({x, x});
      },
      "[grad]",
      "at least one");
}

TEST(Grad, NonScalarOrIntegerOutputRaises) {
  auto identity = [](const mx::array& x) { return x; };
  expect_throws_with_prefix(
      [&] {
        mx::grad(identity)(mx::array({1.0f, 2.0f}));
      },
      "[grad]",
      "scalar");
  auto to_int = [](const mx::array& x) {
    return mx::sum(mx::astype(x, mx::int32));
  };
  expect_throws_with_prefix(
      [&] {
        mx::grad(to_int)(mx::array({1.0f, 2.0f}));
      },
      "[grad]",
      "floating-point");
}

TEST(ValueAndGrad, AuxiliaryOutputsAreReturnedNotDifferentiated) {
  auto loss_and_aux = [](const std::vector<mx::array>& xs) {
    auto sq = mx::multiply(xs[0], xs[0]);
    return std::vector<mx::array>{
        mx::sum(sq), mx::multiply(sq, mx::array(10.0f))};
  };
  auto [values, grads] =
      mx::value_and_grad(loss_and_aux)({mx::array({1.0f, 2.0f})});
  ASSERT_EQ(values.size(), 2u);
  expect_array_near(values[0], {5}, {});
  expect_array_near(values[1], {10, 40}, {2});
  expect_array_near(grads[0], {2, 4}, {2});
}

TEST(Grad, SecondAndThirdDerivatives) {
  // f(x) = x^3: f' = 3x^2, f'' = 6x, f''' = 6.
  auto cube = [](const mx::array& x) {
    return mx::sum(mx::multiply(x, mx::multiply(x, x)));
  };
  auto d1 = mx::grad(cube);
  auto d2 = mx::grad([&](const mx::array& x) { return mx::sum(d1(x)); });
  auto d3 = mx::grad([&](const mx::array& x) { return mx::sum(d2(x)); });
  mx::array x({2.0f, -1.0f});
  expect_array_near(d1(x), {12, 3}, {2});
  expect_array_near(d2(x), {12, -6}, {2});
  expect_array_near(d3(x), {6, 6}, {2});
}

TEST(Grad, StopGradientBlocksOneUse) {
  auto f = [](const mx::array& x) {
    return mx::sum(mx::multiply(mx::stop_gradient(x), x));
  };
  expect_array_near(mx::grad(f)(mx::array({1.0f, 3.0f})), {1, 3}, {2});
}

TEST(Grad, EvalInsideTheFunctionKeepsTheGraph) {
  auto f = [](const mx::array& x) {
    auto y = mx::multiply(x, x);
    mx::eval(y); // e.g. to log an intermediate value
    EXPECT_FLOAT_EQ(y.data<float>()[0], 9.0f);
    return mx::sum(y);
  };
  expect_array_near(mx::grad(f)(mx::array({3.0f})), {6}, {1});
}

TEST(Grad, UnusedArgumentGetsZeros) {
  auto f = [](const std::vector<mx::array>& xs) { return mx::sum(xs[0]); };
  auto g = mx::grad(f, std::vector<int>{0, 1})(
      {mx::array({1.0f}), mx::array({4.0f, 5.0f})});
  expect_array_near(g[1], {0, 0}, {2});
}

TEST(Vjp, ValuesAndCotangentShapeChecks) {
  auto f = [](const std::vector<mx::array>& xs) {
    return std::vector<mx::array>{mx::multiply(xs[0], xs[0])};
  };
  auto [outs, vjps] =
      mx::vjp(f, {mx::array({1.0f, 2.0f})}, {mx::array({1.0f, 10.0f})});
  expect_array_near(outs[0], {1, 4}, {2});
  expect_array_near(vjps[0], {2, 40}, {2});
  expect_throws_with_prefix(
      [&] {
        mx::vjp(f, {mx::array({1.0f, 2.0f})}, {mx::array({1.0f})});
      },
      "[vjp]",
      "shape");
  expect_throws_with_prefix(
      [&] { mx::vjp(f, {mx::array({1.0f})}, {}); }, "[vjp]", "cotangents");
}

TEST(Jvp, ForwardModeMatchesDerivative) {
  auto f = [](const mx::array& x) {
    return mx::multiply(x, mx::multiply(x, x));
  };
  auto [out, tangent] =
      mx::jvp(f, mx::array({1.0f, 2.0f}), mx::array({1.0f, 0.5f}));
  expect_array_near(out, {1, 8}, {2});
  expect_array_near(tangent, {3, 6}, {2});
  expect_throws_with_prefix(
      [&] {
        mx::jvp(f, mx::array({1.0f, 2.0f}), mx::array({1.0f}));
      },
      "[jvp]",
      "shape");
}

TEST(Vmap, MapsOverTheChosenAxes) {
  // Row-wise dot products with the batch on axis 1 of `a`.
  mx::array a = mx::reshape(mx::arange(6.0f), {3, 2}); // columns are the batch
  mx::array b({1.0f, 10.0f, 100.0f});
  auto dot = [](const mx::array& u, const mx::array& v) {
    return mx::sum(mx::multiply(u, v));
  };
  auto out = mx::vmap(dot, 1, -1)(a, b);
  // a[:, 0] = (0, 2, 4), a[:, 1] = (1, 3, 5)
  expect_array_near(out, {420, 531}, {2});
}

TEST(Vmap, OutputAxisAndUnbatchedOutputs) {
  auto f = [](const std::vector<mx::array>& xs) {
    return std::vector<mx::array>{
        mx::multiply(xs[0], mx::array(2.0f)), mx::array({7.0f, 8.0f})};
  };
  mx::array x = mx::reshape(mx::arange(6.0f), {2, 3});
  auto outs = mx::vmap(f, {0}, {1, 0})({x});
  expect_array_near(outs[0], {0, 6, 2, 8, 4, 10}, {3, 2});
  // An output that does not depend on the input is repeated per example.
  expect_array_near(outs[1], {7, 8, 7, 8}, {2, 2});
}

TEST(Vmap, NestedVmapIsAnOuterProduct) {
  auto mul = [](const mx::array& u, const mx::array& v) {
    return mx::multiply(u, v);
  };
  auto inner = mx::vmap(mul, -1, 0);   // over v
  auto outer = mx::vmap(inner, 0, -1); // over u
  auto out = outer(mx::array({1.0f, 2.0f}), mx::array({3.0f, 4.0f, 5.0f}));
  expect_array_near(out, {3, 4, 5, 6, 8, 10}, {2, 3});
}

TEST(Vmap, ErrorsNameTheProblem) {
  auto f = [](const mx::array& u, const mx::array& v) { return mx::add(u, v); };
  expect_throws_with_prefix(
      [&] {
        mx::vmap(f)(mx::zeros({2, 3}), mx::zeros({3, 3}));
      },
      "[vmap]",
      "Inconsistent batch sizes");
  expect_throws_with_prefix(
      [&] {
        mx::vmap(f, 2, 0)(mx::zeros({2, 3}), mx::zeros({2, 3}));
      },
      "[vmap]",
      "out of bounds");
  expect_throws_with_prefix(
      [&] { mx::vmap(f, -1, -1)(mx::zeros({2}), mx::zeros({2})); },
      "[vmap]",
      "At least one");
  auto evaluates = [](const mx::array& x) {
    auto y = mx::exp(x);
    y.eval();
    return y;
  };
  expect_throws_with_prefix(
      [&] {
        mx::vmap(evaluates)(mx::zeros({2, 3}));
      },
      "[vmap]",
      "Cannot evaluate");
}

TEST(Composition, PerExampleGradientsWithVmapOfGrad) {
  // loss(w, x) = sum(w * x)^2 -> d/dw = 2 sum(w*x) x
  auto loss = [](const std::vector<mx::array>& args) {
    auto s = mx::sum(mx::multiply(args[0], args[1]));
    return mx::multiply(s, s);
  };
  auto per_example = mx::vmap(
      [&](const std::vector<mx::array>& args) {
        return mx::grad(loss, 0)(args);
      },
      {-1, 0});
  mx::array w({1.0f, 2.0f});
  mx::array xs({1.0f, 0.0f, 1.0f, 1.0f}, {2, 2});
  auto g = per_example({w, xs})[0];
  // x0 = (1, 0): s = 1 -> (2, 0); x1 = (1, 1): s = 3 -> (6, 6)
  expect_array_near(g, {2, 0, 6, 6}, {2, 2});
}

TEST(Composition, GradOfVmap) {
  auto sq = mx::vmap([](const mx::array& x) { return mx::multiply(x, x); });
  auto f = [&](const mx::array& x) { return mx::sum(sq(x)); };
  expect_array_near(
      mx::grad(f)(mx::array({1.0f, 2.0f, 3.0f, 4.0f}, {2, 2})),
      {2, 4, 6, 8},
      {2, 2});
}

TEST(CustomFunction, UserVjpReplacesTheGradient) {
  // A straight-through estimator: forward rounds, backward is identity.
  auto round_st = mx::custom_vjp(
      [](const std::vector<mx::array>& xs) {
        return std::vector<mx::array>{mx::round(xs[0])};
      },
      [](const std::vector<mx::array>&,
         const std::vector<mx::array>& cotangents,
         const std::vector<mx::array>&) { return cotangents; });
  auto f = [&](const mx::array& x) {
    return mx::sum(mx::multiply(round_st({x})[0], mx::array(3.0f)));
  };
  mx::array x({0.4f, 1.6f});
  expect_array_near(mx::grad(f)(x), {3, 3}, {2});
  expect_array_near(round_st({x})[0], {0, 2}, {2});
}

TEST(CustomFunction, JvpAndVmapRules) {
  int vmap_calls = 0;
  auto fun = mx::custom_function(
      [](const std::vector<mx::array>& xs) {
        return std::vector<mx::array>{mx::exp(xs[0])};
      },
      std::nullopt,
      [](const std::vector<mx::array>&,
         const std::vector<mx::array>& tangents,
         const std::vector<int>&) {
        return std::vector<mx::array>{
            mx::multiply(tangents[0], mx::array(100.0f))};
      },
      [&vmap_calls](
          const std::vector<mx::array>& inputs, const std::vector<int>& axes) {
        ++vmap_calls;
        auto x = mx::moveaxis(inputs[0], axes[0], 0);
        return std::make_pair(
            std::vector<mx::array>{mx::exp(x)}, std::vector<int>{0});
      });
  auto [outs, tangents] =
      mx::jvp(fun, {mx::array({0.0f})}, {mx::array({2.0f})});
  expect_array_near(outs[0], {1}, {1});
  expect_array_near(tangents[0], {200}, {1});
  auto batched = mx::vmap(fun, {1})({mx::zeros({2, 3})});
  EXPECT_EQ(vmap_calls, 1);
  expect_array_near(batched[0], {1, 1, 1, 1, 1, 1}, {3, 2});
  // Without a vjp rule, grad goes through the function itself.
  auto g = mx::grad([&](const mx::array& x) { return mx::sum(fun({x})[0]); })(
      mx::array({0.0f, 1.0f}));
  expect_array_near(g, {1, std::exp(1.0)}, {2}, 1e-5);
}

TEST(Checkpoint, SameGradientsLessPeakMemory) {
  // Four segments of four sines on a 1 MiB array: the backward pass of
  // sin needs its input, so without checkpointing every intermediate value
  // lives until the backward pass reaches it.
  constexpr int n = 1 << 18;
  auto segment = [](const std::vector<mx::array>& xs) {
    auto y = xs[0];
    for (int i = 0; i < 4; ++i) {
      y = mx::sin(y);
    }
    return std::vector<mx::array>{y};
  };
  auto checkpointed = mx::checkpoint(segment);
  auto loss_with = [&](bool use_checkpoint) {
    return [&, use_checkpoint](const mx::array& x) {
      std::vector<mx::array> h{x};
      for (int s = 0; s < 4; ++s) {
        h = use_checkpoint ? checkpointed(h) : segment(h);
      }
      return mx::sum(h[0]);
    };
  };
  auto measure = [&](bool use_checkpoint, mx::array& gradient) {
    mx::array x = mx::full({n}, 0.5f);
    mx::eval(x);
    mx::clear_cache();
    mx::reset_peak_memory();
    size_t before = mx::get_active_memory();
    gradient = mx::grad(loss_with(use_checkpoint))(x);
    mx::eval(gradient);
    return mx::get_peak_memory() - before;
  };
  mx::array g_plain = mx::array(0.0f);
  mx::array g_checkpointed = mx::array(0.0f);
  size_t peak_plain = measure(false, g_plain);
  size_t peak_checkpointed = measure(true, g_checkpointed);
  EXPECT_TRUE(mx::allclose(g_plain, g_checkpointed).item<bool>());
  // sin^(16)(0.5)' = prod cos(sin^(k)(0.5)): compare one element.
  double v = 0.5, d = 1;
  for (int k = 0; k < 16; ++k) {
    d *= std::cos(v);
    v = std::sin(v);
  }
  EXPECT_NEAR(mx::take(g_plain, 0).item<float>(), d, 1e-5);
  size_t mib = n * sizeof(float);
  EXPECT_GE(peak_plain, 12 * mib) << peak_plain / double(mib) << " MiB";
  EXPECT_LT(peak_checkpointed, peak_plain * 3 / 4)
      << "plain " << peak_plain / double(mib) << " MiB, checkpointed "
      << peak_checkpointed / double(mib) << " MiB";
}
