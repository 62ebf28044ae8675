// The Softmax primitive (softmax over the last axis on the CPU): values
// against the composed form exp(x - max) / sum computed in float64, for each
// float dtype and for contiguous, transposed and sliced inputs; infinite
// rows; vjp/jvp against finite differences; vmap against a loop; second
// derivatives.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "grad_table.h"
#include "mlx/primitives/primitive.h"

namespace {

using namespace mlx_test;

// softmax over the last axis, written with ops in float64: the reference.
mx::array composed_softmax(const mx::array& x) {
  mx::array x64 = mx::astype(x, mx::float64);
  mx::array e = mx::exp(mx::subtract(x64, mx::max(x64, -1, true)));
  return mx::divide(e, mx::sum(e, -1, true));
}

TEST(Softmax, LastAxisIsOnePrimitive) {
  mx::array y = mx::softmax(random_input({2, 3}, 1), -1);
  EXPECT_STREQ(y.primitive().name(), "Softmax");
  // Other axes keep the composed form.
  EXPECT_STRNE(
      mx::softmax(random_input({2, 3}, 1), 0).primitive().name(), "Softmax");
}

TEST(Softmax, MatchesComposedOpsForEachTypeAndLayout) {
  // Row lengths around the 8 lanes and 16-element pieces of the kernel.
  for (int n : {1, 7, 8, 33, 128}) {
    mx::array base = mx::multiply(random_input({3, 5, n}, n), mx::array(8.0));
    mx::Shape start = {0, 1, 0};
    std::vector<std::pair<const char*, mx::array>> layouts = {
        {"contiguous", base},
        {"transposed", transposed_layout(base)},
        {"sliced rows", mx::slice(base, start, base.shape())},
        {"step 2", step2_layout(base)},
    };
    for (auto& [layout, x] : layouts) {
      for (auto [t, tol] : std::vector<std::pair<mx::Dtype, double>>{
               {mx::float64, 1e-14},
               {mx::float32, 2e-6},
               {mx::float16, 2e-3},
               {mx::bfloat16, 1e-2}}) {
        for (bool precise : {false, true}) {
          SCOPED_TRACE(std::string(layout) + " n=" + std::to_string(n));
          mx::array xt = mx::astype(x, t);
          mx::array y = mx::softmax(xt, -1, precise);
          EXPECT_EQ(y.dtype(), t);
          auto want = to_doubles(composed_softmax(xt));
          expect_array_near(y, want, xt.shape(), tol, tol);
        }
      }
    }
  }
}

TEST(Softmax, InfiniteRowsFollowTheComposedForm) {
  // As exp(x - m) / sum with m = 0 when the max is infinite: a row of -inf
  // is 0/0 (nan); a +inf gives inf/inf (nan) there and 0 elsewhere
  // (docs/ops.md); -inf entries get 0; large logits do not overflow.
  float inf = INFINITY;
  mx::array x(
      {-inf, -inf, -inf, 1.0f, inf, 2.0f, 3.0f, -inf, 3.0f, 1e30f, 1e30f, 0.0f},
      {4, 3});
  auto y = to_doubles(mx::softmax(x, -1));
  for (int j : {0, 1, 2, 4}) {
    EXPECT_TRUE(std::isnan(y[j])) << j;
  }
  std::vector<double> rest = {0.0, 0.0, 0.5, 0.0, 0.5, 0.5, 0.5, 0.0};
  std::vector<int> at = {3, 5, 6, 7, 8, 9, 10, 11};
  for (size_t k = 0; k < at.size(); ++k) {
    EXPECT_NEAR(y[at[k]], rest[k], 1e-7) << at[k];
  }
}

TEST(Softmax, EmptyAndIntegerInputs) {
  EXPECT_EQ(mx::softmax(mx::zeros({2, 0}), -1).shape(), (mx::Shape{2, 0}));
  EXPECT_EQ(mx::softmax(mx::zeros({0, 3}), -1).shape(), (mx::Shape{0, 3}));
  // np.exp([0, 1]) / np.exp([0, 1]).sum()
  mx::array y = mx::softmax(mx::array({0, 1}), -1);
  EXPECT_EQ(y.dtype(), mx::float32);
  expect_array_near(y, {0.2689414213699951, 0.7310585786300049}, {2}, 1e-6);
}

TEST(Softmax, GradientsMatchFiniteDifferencesAndVmap) {
  // check_cases also runs each case on strided (transposed) copies.
  check_cases({
      {"softmax last axis",
       unary([](auto& x) { return mx::softmax(x, -1); }),
       {random_input({3, 5}, 2, -3, 3)},
       // Batched on the first, the middle and the last (row) axis.
       {{{0}, {0}}, {{1}, {0}}, {{2}, {2}}}},
      {"softmax precise 3-D",
       unary([](auto& x) { return mx::softmax(x, -1, true); }),
       {step2_layout(random_input({2, 3, 4}, 3))},
       {{{3}, {0}}}},
  });
}

TEST(Softmax, SecondDerivativeMatchesFiniteDifferences) {
  // d/dx of sum(softmax(x) * c) through grad, checked like any function.
  mx::array c = random_input({2, 4}, 4);
  auto inner = [c](const mx::array& x) {
    return mx::sum(mx::multiply(mx::softmax(x, -1), c));
  };
  check_grads(
      "grad of softmax",
      unary([inner](auto& x) { return mx::grad(inner)(x); }),
      {random_input({2, 4}, 5)});
}

} // namespace
