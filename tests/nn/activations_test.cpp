// mlx::nn activation functions: values against PyTorch / NumPy, parameters,
// dtypes and layouts, errors, and gradients against finite differences.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "grad_check.h"
#include "mlx/nn/activations.h"
#include "test_utils.h"

namespace nn = mlx::nn;

namespace {

using Activation = std::function<mx::array(const mx::array&)>;

// The input of the value tables, in float32 (exact values in the scripts).
const std::vector<float> kX = {
    -3.5f, -1.2f, -0.5f, -0.1f, 0.0f, 0.3f, 0.7f, 1.5f, 4.0f};

mx::array x_input(mx::Dtype dtype = mx::float32) {
  return mx::astype(mx::array(kX.begin(), {9}, mx::float32), dtype);
}

struct ValueCase {
  std::string name;
  Activation fn;
  std::vector<double> expected;
};

// Expected values: /usr/bin/python3 with torch 1.13 (torch.nn.functional,
// float64) on x = [-3.5, -1.2, -0.5, -0.1, 0, 0.3, 0.7, 1.5, 4], except
// gelu_fast_approx (NumPy x * sigmoid(1.702 x)), relu2 (NumPy
// maximum(x, 0)**2), selu (NumPy with MLX's constants 1.0507 and 1.67326:
// torch uses the unrounded ones) and step (NumPy (x > t).astype(int)).
std::vector<ValueCase> value_cases() {
  return {
      {"elu",
       [](auto& x) { return nn::elu(x); },
       {-0.969802617,
        -0.698805788,
        -0.39346934,
        -0.095162582,
        0,
        0.3,
        0.7,
        1.5,
        4}},
      {"elu(alpha=0.5)",
       [](auto& x) { return nn::elu(x, 0.5f); },
       {-0.484901308,
        -0.349402894,
        -0.19673467,
        -0.047581291,
        0,
        0.3,
        0.7,
        1.5,
        4}},
      {"celu",
       [](auto& x) { return nn::celu(x); },
       {-0.969802617,
        -0.698805788,
        -0.39346934,
        -0.095162582,
        0,
        0.3,
        0.7,
        1.5,
        4}},
      {"celu(alpha=2)",
       [](auto& x) { return nn::celu(x, 2.0f); },
       {-1.65245211,
        -0.902376728,
        -0.442398434,
        -0.097541151,
        0,
        0.3,
        0.7,
        1.5,
        4}},
      {"gelu",
       [](auto& x) { return nn::gelu(x); },
       {-0.000814201777,
        -0.138083604,
        -0.154268769,
        -0.0460172163,
        0,
        0.185373427,
        0.530625443,
        1.3997892,
        3.99987332}},
      {"gelu_approx",
       [](auto& x) { return nn::gelu_approx(x); },
       {-0.000616197655,
        -0.138297231,
        -0.15428599,
        -0.046017249,
        0,
        0.185370924,
        0.530570135,
        1.39957158,
        3.99992975}},
      {"gelu_fast_approx",
       [](auto& x) { return nn::gelu_fast_approx(x); },
       {-0.00903344613,
        -0.137787089,
        -0.149611563,
        -0.0457552419,
        0,
        0.187484135,
        0.536893952,
        1.3916622,
        3.99558528}},
      {"hard_shrink",
       [](auto& x) { return nn::hard_shrink(x); },
       {-3.5, -1.2, 0, 0, 0, 0, 0.7, 1.5, 4}},
      {"hard_shrink(lambd=1)",
       [](auto& x) { return nn::hard_shrink(x, 1.0f); },
       {-3.5, -1.2, 0, 0, 0, 0, 0, 1.5, 4}},
      {"hard_tanh",
       [](auto& x) { return nn::hard_tanh(x); },
       {-1, -1, -0.5, -0.1, 0, 0.3, 0.7, 1, 1}},
      {"hard_tanh(-0.5, 2)",
       [](auto& x) { return nn::hard_tanh(x, -0.5f, 2.0f); },
       {-0.5, -0.5, -0.5, -0.1, 0, 0.3, 0.7, 1.5, 2}},
      {"hardswish",
       [](auto& x) { return nn::hardswish(x); },
       {0,
        -0.36,
        -0.208333333,
        -0.0483333333,
        0,
        0.165,
        0.431666667,
        1.125,
        4}},
      {"leaky_relu",
       [](auto& x) { return nn::leaky_relu(x); },
       {-0.035, -0.012, -0.005, -0.001, 0, 0.3, 0.7, 1.5, 4}},
      {"leaky_relu(0.2)",
       [](auto& x) { return nn::leaky_relu(x, 0.2f); },
       {-0.7, -0.24, -0.1, -0.02, 0, 0.3, 0.7, 1.5, 4}},
      {"log_sigmoid",
       [](auto& x) { return nn::log_sigmoid(x); },
       {-3.52975042,
        -1.46328247,
        -0.974076984,
        -0.74439666,
        -0.693147181,
        -0.554355244,
        -0.403186049,
        -0.201413278,
        -0.0181499279}},
      {"mish",
       [](auto& x) { return nn::mish(x); },
       {-0.104095754,
        -0.308835796,
        -0.220743775,
        -0.0567885752,
        0,
        0.208001372,
        0.561148378,
        1.40337827,
        3.99741281}},
      {"relu",
       [](auto& x) { return nn::relu(x); },
       {0, 0, 0, 0, 0, 0.3, 0.7, 1.5, 4}},
      {"relu2",
       [](auto& x) { return nn::relu2(x); },
       {0, 0, 0, 0, 0, 0.09, 0.49, 2.25, 16}},
      {"relu6",
       [](auto& x) { return nn::relu6(mx::add(x, x)); },
       {0, 0, 0, 0, 0, 0.6, 1.4, 3, 6}},
      {"selu",
       [](auto& x) { return nn::selu(x); },
       {-1.70500443,
        -1.22856646,
        -0.691756197,
        -0.167304791,
        0,
        0.31521,
        0.73549,
        1.57605,
        4.2028}},
      {"sigmoid",
       [](auto& x) { return nn::sigmoid(x); },
       {0.0293122308,
        0.231475217,
        0.377540669,
        0.475020813,
        0.5,
        0.574442517,
        0.668187772,
        0.817574476,
        0.98201379}},
      {"silu",
       [](auto& x) { return nn::silu(x); },
       {-0.102592808,
        -0.27777026,
        -0.188770334,
        -0.0475020813,
        0,
        0.172332755,
        0.467731441,
        1.22636171,
        3.92805516}},
      {"softplus",
       [](auto& x) { return nn::softplus(x); },
       {0.0297504183,
        0.263282467,
        0.474076984,
        0.64439666,
        0.693147181,
        0.854355244,
        1.10318605,
        1.70141328,
        4.01814993}},
      {"softshrink",
       [](auto& x) { return nn::softshrink(x); },
       {-3, -0.7, 0, 0, 0, 0, 0.2, 1, 3.5}},
      {"softshrink(lambd=1)",
       [](auto& x) { return nn::softshrink(x, 1.0f); },
       {-2.5, -0.2, 0, 0, 0, 0, 0, 0.5, 3}},
      {"softsign",
       [](auto& x) { return nn::softsign(x); },
       {-0.777777778,
        -0.545454545,
        -0.333333333,
        -0.0909090909,
        0,
        0.230769231,
        0.411764706,
        0.6,
        0.8}},
      {"tanh",
       [](auto& x) { return nn::tanh(x); },
       {-0.998177898,
        -0.833654607,
        -0.462117157,
        -0.0996679946,
        0,
        0.291312612,
        0.604367777,
        0.905148254,
        0.9993293}},
  };
}

} // namespace

TEST(ActivationsTest, ElementwiseValuesMatchReference) {
  for (auto& c : value_cases()) {
    SCOPED_TRACE(c.name);
    auto y = c.fn(x_input());
    EXPECT_EQ(y.dtype(), mx::float32);
    expect_array_near(y, c.expected, {9}, 1e-5, 1e-6);
  }
}

TEST(ActivationsTest, HalfPrecisionInputsKeepTheirDtype) {
  for (auto dtype : {mx::float16, mx::bfloat16}) {
    for (auto& c : value_cases()) {
      SCOPED_TRACE(c.name);
      auto y = c.fn(x_input(dtype));
      EXPECT_EQ(y.dtype(), dtype);
      // bfloat16 keeps 8 significant bits: relative error about 2^-8.
      expect_array_near(y, c.expected, {9}, 2e-2, 1e-2);
    }
  }
}

TEST(ActivationsTest, Float64InputsStayFloat64) {
  auto x = x_input(mx::float64);
  for (auto& c : value_cases()) {
    SCOPED_TRACE(c.name);
    auto y = c.fn(x);
    EXPECT_EQ(y.dtype(), mx::float64);
    expect_array_near(y, c.expected, {9}, 1e-8, 1e-7);
  }
}

TEST(ActivationsTest, ReluFamilyKeepsIntegerDtype) {
  auto x = mx::array({-3, -1, 0, 2, 7}, mx::int32);
  auto r = nn::relu(x);
  EXPECT_EQ(r.dtype(), mx::int32);
  expect_array_values(r, {5}, {0, 0, 0, 2, 7});
  expect_array_values(nn::relu6(x), {5}, {0, 0, 0, 2, 6});
  expect_array_values(nn::relu2(x), {5}, {0, 0, 0, 4, 49});
  // Float constants make integer inputs compute in float32.
  EXPECT_EQ(nn::sigmoid(x).dtype(), mx::float32);
  EXPECT_EQ(nn::leaky_relu(x).dtype(), mx::float32);
}

// Expected: torch.nn.functional.{softmax, softmin, log_softmax} on
// x.reshape(3, 3) (float64).
TEST(ActivationsTest, SoftmaxFamilyAlongAxes) {
  auto m = mx::reshape(x_input(), {3, 3});
  expect_array_near(
      nn::softmax(m),
      {0.032196041,
       0.321129188,
       0.646674771,
       0.278009791,
       0.307248336,
       0.414741873,
       0.0329617665,
       0.0733577604,
       0.893680473},
      {3, 3});
  expect_array_near(
      nn::softmax(m, 0),
      {0.0102406102,
       0.0520837439,
       0.0107247034,
       0.306850668,
       0.17292412,
       0.0238682663,
       0.682908721,
       0.774992137,
       0.96540703},
      {3, 3});
  expect_array_near(
      nn::softmin(m),
      {0.869530503,
       0.0871781228,
       0.0432913746,
       0.388325768,
       0.351371685,
       0.260302547,
       0.672851458,
       0.302331649,
       0.024816893},
      {3, 3});
  expect_array_near(
      nn::log_softmax(m),
      {-3.43591178,
       -1.13591178,
       -0.435911783,
       -1.28009895,
       -1.18009895,
       -0.880098946,
       -3.41240698,
       -2.61240698,
       -0.11240698},
      {3, 3});
  expect_array_near(
      nn::log_softmax(m, 0),
      {-4.58139407,
       -2.9549024,
       -4.53520547,
       -1.18139407,
       -1.7549024,
       -3.73520547,
       -0.381394072,
       -0.254902396,
       -0.0352054734},
      {3, 3});
  // A transposed (non-contiguous) input along axis 1 is the contiguous
  // result along axis 0, transposed.
  auto t = nn::log_softmax(mx::transpose(m), 1);
  expect_array_eq(t, mx::transpose(nn::log_softmax(m, 0)));
  EXPECT_THROW(nn::log_softmax(m, 2), std::invalid_argument);
}

// Expected: torch.nn.functional.glu on [[0.5, -1, 2, 0.25], [1.5, 0,
// -0.75, 3]] with dim -1 and dim 0.
TEST(ActivationsTest, GluSplitsTheAxisInHalves) {
  auto g =
      mx::array({0.5f, -1.0f, 2.0f, 0.25f, 1.5f, 0.0f, -0.75f, 3.0f}, {2, 4});
  expect_array_near(
      nn::glu(g), {0.440398539, -0.562176501, 0.481231951, 0}, {2, 2});
  expect_array_near(
      nn::glu(g, 0), {0.408787238, -0.5, 0.641642602, 0.238143532}, {1, 4});
  // Strided (every other column) input: columns 0 and 2 of g.
  auto strided = mx::slice(g, {0, 0}, {2, 4}, {1, 2});
  expect_array_near(
      nn::glu(strided, 1),
      {0.5 / (1 + std::exp(-2.0)), 1.5 / (1 + std::exp(0.75))},
      {2, 1});
  expect_throws_with_prefix(
      [&] {
        nn::glu(mx::zeros({2, 3}));
      },
      "[glu]",
      "(2, 3)");
  expect_throws_with_prefix([&] { nn::glu(g, 2); }, "[glu]", "2");
}

// Expected: NumPy maximum(x, 0) + alpha * minimum(x, 0) with alpha
// [0.25, 0.5, 2] broadcast over the rows of x.reshape(3, 3).
TEST(ActivationsTest, PreluBroadcastsAlpha) {
  auto m = mx::reshape(x_input(), {3, 3});
  auto alpha = mx::array({0.25f, 0.5f, 2.0f});
  expect_array_near(
      nn::prelu(m, alpha),
      {-0.875, -0.6, -1, -0.025, 0, 0.3, 0.7, 1.5, 4},
      {3, 3});
  // A scalar alpha is leaky_relu.
  expect_array_eq(
      nn::prelu(x_input(), mx::array(0.2f)), nn::leaky_relu(x_input(), 0.2f));
}

// As MLX's where(x > threshold, 1, 0): strict comparison, int32 result.
TEST(ActivationsTest, StepIsStrictAndInt32) {
  auto s = nn::step(x_input());
  EXPECT_EQ(s.dtype(), mx::int32);
  expect_array_values(s, {9}, {0, 0, 0, 0, 0, 1, 1, 1, 1});
  expect_array_values(
      nn::step(x_input(), 0.3f), {9}, {0, 0, 0, 0, 0, 0, 1, 1, 1});
}

TEST(ActivationsTest, ScalarEmptyAndBroadcastInputs) {
  auto s = nn::silu(mx::array(1.5f));
  expect_array_near(s, {1.22636171}, {});
  auto e = nn::gelu(mx::zeros({0, 3}));
  EXPECT_EQ(e.shape(), (mx::Shape{0, 3}));
  auto sm = nn::softmax(mx::zeros({2, 0}));
  EXPECT_EQ(sm.shape(), (mx::Shape{2, 0}));
  // A broadcast (stride-0) input.
  auto b = mx::broadcast_to(mx::array({-1.2f, 0.7f}), {3, 2});
  expect_array_near(
      nn::mish(b),
      {-0.308835796,
       0.561148378,
       -0.308835796,
       0.561148378,
       -0.308835796,
       0.561148378},
      {3, 2});
}

TEST(ActivationsTest, GradientsMatchFiniteDifferences) {
  using mlx_test::check_grads;
  using mlx_test::unary;
  // Inputs in (-3, 3): kinks (0, +-lambd, +-1, -3, 3) are hit with
  // probability zero.
  auto x = mlx_test::random_input({3, 4}, 7, -3, 3);
  for (auto& c : value_cases()) {
    check_grads(c.name, unary(c.fn), {x});
  }
  check_grads("softmax", unary([](auto& a) { return nn::softmax(a, 0); }), {x});
  check_grads("softmin", unary([](auto& a) { return nn::softmin(a); }), {x});
  check_grads(
      "log_softmax", unary([](auto& a) { return nn::log_softmax(a); }), {x});
  auto even = mlx_test::random_input({4, 2}, 9, -3, 3);
  check_grads("glu", unary([](auto& a) { return nn::glu(a); }), {even});
  check_grads(
      "glu axis 0", unary([](auto& a) { return nn::glu(a, 0); }), {even});
  auto alpha = mlx_test::random_input({4}, 8, 0, 1);
  check_grads(
      "prelu",
      mlx_test::binary([](auto& a, auto& w) { return nn::prelu(a, w); }),
      {x, alpha});
}

TEST(ActivationsTest, StepCarriesNoGradient) {
  auto x = mlx_test::random_input({5}, 3);
  // step(x) * x is relu(x); its derivative is step(x) alone, so step
  // itself contributes nothing.
  auto [out, grad] = mx::vjp(
      [](const mx::array& a) { return mx::multiply(nn::step(a), a); },
      x,
      mx::ones({5}, mx::float64));
  expect_array_eq(grad, mx::astype(nn::step(x), mx::float64));
}
