// Tests of the activation layers (nn/layers/activations.h): each class
// against PyTorch (or NumPy where PyTorch has no such layer or uses other
// constants), its settings, dtypes and gradients.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <sstream>

#include "grad_check.h"
#include "mlx/nn/layers/activations.h"
#include "test_utils.h"

namespace nn = mlx::nn;
using mlx::utils::tree_flatten;

namespace {

mx::array f64(const std::vector<double>& v, const mx::Shape& shape) {
  return mx::array(v.begin(), shape, mx::float64);
}

// The inputs of every case (none at a kink of the piecewise functions), times
// the case's scale.
const std::vector<double> kInput = {-2.7, -1.3, -0.6, -0.2, 0.3, 0.8, 1.7, 3.1};

struct Case {
  const char* name;
  std::function<std::shared_ptr<nn::Module>()> make;
  double scale;
  mx::Shape shape;
  std::vector<double> expected;
};

// Expected values: torch.nn.<Layer> (PyTorch 1.13, float64) with the same
// settings, except ReLU2 (relu(x)^2), SELU (NumPy with MLX's constants
// 1.0507 and 1.67326; PyTorch uses more digits) and GELU "fast" (NumPy
// x * sigmoid(1.702 x)). GELU "precise" is torch's approximate="tanh".
// Softmax, LogSoftmax and Softmin act on the last axis of a (2, 4) input.
const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {"ReLU",
       [] { return std::make_shared<nn::ReLU>(); },
       1.0,
       {8},
       {0.0, 0.0, 0.0, 0.0, 0.3, 0.8, 1.7, 3.1}},
      {"ReLU2",
       [] { return std::make_shared<nn::ReLU2>(); },
       1.0,
       {8},
       {0.0, 0.0, 0.0, 0.0, 0.09, 0.64, 2.89, 9.61}},
      {"ReLU6",
       [] { return std::make_shared<nn::ReLU6>(); },
       3.0,
       {8},
       {0.0, 0.0, 0.0, 0.0, 0.9, 2.4, 5.1, 6.0}},
      {"LeakyReLU",
       [] { return std::make_shared<nn::LeakyReLU>(0.2f); },
       1.0,
       {8},
       {-0.54, -0.26, -0.12, -0.04, 0.3, 0.8, 1.7, 3.1}},
      {"ELU",
       [] { return std::make_shared<nn::ELU>(0.7f); },
       1.0,
       {8},
       {-0.6529561411,
        -0.5092277449,
        -0.3158318547,
        -0.1268884728,
        0.3,
        0.8,
        1.7,
        3.1}},
      {"CELU",
       [] { return std::make_shared<nn::CELU>(1.5f); },
       1.0,
       {8},
       {-1.252051668,
        -0.8694744232,
        -0.4945199309,
        -0.1872400214,
        0.3,
        0.8,
        1.7,
        3.1}},
      {"SELU",
       [] { return std::make_shared<nn::SELU>(); },
       1.0,
       {8},
       {-1.639940654,
        -1.278957695,
        -0.7932316827,
        -0.3186884265,
        0.31521,
        0.84056,
        1.78619,
        3.25717}},
      {"SiLU",
       [] { return std::make_shared<nn::SiLU>(); },
       1.0,
       {8},
       {-0.1700280614,
        -0.278414522,
        -0.2126062163,
        -0.09003320054,
        0.172332755,
        0.5519795849,
        1.437409049,
        2.96636751}},
      {"Sigmoid",
       [] { return std::make_shared<nn::Sigmoid>(); },
       1.0,
       {8},
       {0.06297335606,
        0.214165017,
        0.3543436938,
        0.4501660027,
        0.5744425168,
        0.6899744811,
        0.8455347349,
        0.9568927451}},
      {"Tanh",
       [] { return std::make_shared<nn::Tanh>(); },
       1.0,
       {8},
       {-0.9910074537,
        -0.8617231593,
        -0.537049567,
        -0.1973753202,
        0.2913126125,
        0.6640367703,
        0.9354090706,
        0.9959493592}},
      {"Mish",
       [] { return std::make_shared<nn::Mish>(); },
       1.0,
       {8},
       {-0.1753703754,
        -0.3073824647,
        -0.2469360283,
        -0.1071447809,
        0.2080013723,
        0.6596997574,
        1.620768074,
        3.088500309}},
      {"Softplus",
       [] { return std::make_shared<nn::Softplus>(); },
       1.0,
       {8},
       {0.06504356178,
        0.2410084538,
        0.4374879505,
        0.5981388694,
        0.8543552445,
        1.171100666,
        1.867786029,
        3.144063968}},
      {"Softsign",
       [] { return std::make_shared<nn::Softsign>(); },
       1.0,
       {8},
       {-0.7297297297,
        -0.5652173913,
        -0.375,
        -0.1666666667,
        0.2307692308,
        0.4444444444,
        0.6296296296,
        0.756097561}},
      {"Softshrink",
       [] { return std::make_shared<nn::Softshrink>(0.7f); },
       1.0,
       {8},
       {-2.0, -0.6, 0.0, 0.0, 0.0, 0.1, 1.0, 2.4}},
      {"HardShrink",
       [] { return std::make_shared<nn::HardShrink>(0.7f); },
       1.0,
       {8},
       {-2.7, -1.3, 0.0, 0.0, 0.0, 0.8, 1.7, 3.1}},
      {"HardTanh",
       [] { return std::make_shared<nn::HardTanh>(); },
       1.0,
       {8},
       {-1.0, -1.0, -0.6, -0.2, 0.3, 0.8, 1.0, 1.0}},
      {"Hardswish",
       [] { return std::make_shared<nn::Hardswish>(); },
       1.5,
       {8},
       {-0.0, -0.34125, -0.315, -0.135, 0.25875, 0.84, 2.35875, 4.65}},
      {"LogSigmoid",
       [] { return std::make_shared<nn::LogSigmoid>(); },
       1.0,
       {8},
       {-2.765043562,
        -1.541008454,
        -1.03748795,
        -0.7981388694,
        -0.5543552445,
        -0.3711006659,
        -0.1677860294,
        -0.04406396794}},
      {"GELU",
       [] { return std::make_shared<nn::GELU>(); },
       1.0,
       {8},
       {-0.009360829268,
        -0.12584063,
        -0.1645518707,
        -0.08414805811,
        0.1853734267,
        0.6305156811,
        1.624238713,
        3.09700043}},
      {"GELU_tanh",
       [] { return std::make_shared<nn::GELU>("precise"); },
       1.0,
       {8},
       {-0.008887594639,
        -0.1260709877,
        -0.1645848008,
        -0.08414857022,
        0.1853709235,
        0.6304316914,
        1.624105896,
        3.09737339}},
      {"GELU_fast",
       [] { return std::make_shared<nn::GELU>("fast"); },
       1.0,
       {8},
       {-0.02699251262,
        -0.1282121066,
        -0.1588762326,
        -0.08314246311,
        0.1874841354,
        0.6368156933,
        1.610782656,
        3.084233955}},
      {"Softmax",
       [] { return std::make_shared<nn::Softmax>(); },
       1.0,
       {2, 4},
       {0.03936409069,
        0.1596292592,
        0.321453853,
        0.4795527971,
        0.04319921645,
        0.07122346704,
        0.1751814611,
        0.7103958554}},
      {"LogSoftmax",
       [] { return std::make_shared<nn::LogSoftmax>(); },
       1.0,
       {2, 4},
       {-3.234901282,
        -1.834901282,
        -1.134901282,
        -0.7349012821,
        -3.141932922,
        -2.641932922,
        -1.741932922,
        -0.3419329215}},
      {"Softmin",
       [] { return std::make_shared<nn::Softmin>(); },
       1.0,
       {2, 4},
       {0.6891141509,
        0.1699334574,
        0.08438645758,
        0.05656593413,
        0.5224830501,
        0.3169019891,
        0.1288427339,
        0.031772227}},
  };
  return all;
}

mx::array scaled_input(const Case& c) {
  std::vector<double> v = kInput;
  for (auto& e : v) {
    e *= c.scale;
  }
  return f64(v, c.shape);
}

} // namespace

TEST(ActivationLayersTest, ValuesMatchReference) {
  for (auto& c : cases()) {
    SCOPED_TRACE(c.name);
    auto layer = c.make();
    auto y = (*layer)(scaled_input(c));
    EXPECT_EQ(y.dtype(), mx::float64);
    expect_array_near(y, c.expected, c.shape, 1e-6, 1e-7);
    EXPECT_TRUE(tree_flatten(layer->parameters()).empty());
  }
}

TEST(ActivationLayersTest, GradientsMatchFiniteDifferences) {
  for (auto& c : cases()) {
    auto layer = c.make();
    mlx_test::check_grads(
        c.name,
        mlx_test::unary([&](const mx::array& x) { return (*layer)(x); }),
        {scaled_input(c)});
  }
}

TEST(ActivationLayersTest, HalfPrecisionKeepsDtype) {
  for (auto& c : cases()) {
    SCOPED_TRACE(c.name);
    auto layer = c.make();
    auto x = mx::astype(scaled_input(c), mx::float16);
    auto y = (*layer)(x);
    EXPECT_EQ(y.dtype(), mx::float16);
    expect_array_near(y, c.expected, c.shape, 2e-2, 2e-2);
  }
}

TEST(ActivationLayersTest, NamesAndSettingsPrint) {
  auto print = [](const nn::Module& m) {
    std::ostringstream os;
    os << m;
    return os.str();
  };
  EXPECT_EQ(print(nn::ReLU()), "ReLU()");
  EXPECT_EQ(print(nn::LeakyReLU()), "LeakyReLU(negative_slope=0.01)");
  EXPECT_EQ(print(nn::ELU()), "ELU(alpha=1)");
  EXPECT_EQ(print(nn::CELU(0.5f)), "CELU(alpha=0.5)");
  EXPECT_EQ(print(nn::GELU()), "GELU(approx=none)");
  EXPECT_EQ(print(nn::GLU()), "GLU(axis=-1)");
  EXPECT_EQ(print(nn::Softshrink()), "Softshrink(lambd=0.5)");
  EXPECT_EQ(print(nn::HardShrink()), "HardShrink(lambd=0.5)");
  EXPECT_EQ(print(nn::Step()), "Step(threshold=0)");
  EXPECT_EQ(print(nn::PReLU()), "PReLU(num_parameters=1)");
  EXPECT_EQ(nn::Hardswish().name(), "Hardswish");
  EXPECT_EQ(nn::HardTanh().name(), "HardTanh");
  EXPECT_EQ(nn::SiLU().name(), "SiLU");
}

TEST(ActivationLayersTest, DefaultSettingsMatchMLX) {
  auto x = f64(kInput, {8});
  // LeakyReLU: slope 0.01; ELU / CELU: alpha 1; Softshrink / HardShrink:
  // lambd 0.5 (NumPy).
  expect_array_near(
      nn::LeakyReLU()(x),
      {-0.027, -0.013, -0.006, -0.002, 0.3, 0.8, 1.7, 3.1},
      {8},
      1e-6,
      1e-9);
  expect_array_near(
      nn::Softshrink()(x),
      {-2.2, -0.8, -0.1, 0.0, 0.0, 0.3, 1.2, 2.6},
      {8},
      1e-6,
      1e-9);
  expect_array_near(
      nn::HardShrink()(x),
      {-2.7, -1.3, -0.6, 0.0, 0.0, 0.8, 1.7, 3.1},
      {8},
      1e-6,
      1e-9);
  // elu(x, 1) = celu(x, 1) = expm1(x) for x < 0.
  auto elu = mlx_test::to_doubles(nn::ELU()(x));
  auto celu = mlx_test::to_doubles(nn::CELU()(x));
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_NEAR(elu[i], std::expm1(kInput[i]), 1e-9);
    EXPECT_NEAR(celu[i], std::expm1(kInput[i]), 1e-9);
  }
}

TEST(ActivationLayersTest, GeluApproximations) {
  auto x = f64(kInput, {8});
  // "tanh" is PyTorch's name for "precise".
  expect_array_eq(nn::GELU("tanh")(x), nn::GELU("precise")(x));
  expect_throws_with_prefix([] { nn::GELU("exact"); }, "[GELU]", "exact");
}

TEST(ActivationLayersTest, GluSplitsTheChosenAxis) {
  auto x = f64(kInput, {2, 4});
  // torch.nn.GLU(-1) and GLU(0) (PyTorch 1.13).
  expect_array_near(
      nn::GLU()(x),
      {-0.9567279732, -0.5852158035, 0.2536604205, 0.765514196},
      {2, 2},
      1e-6,
      1e-9);
  expect_array_near(
      nn::GLU(0)(x),
      {-1.550994795, -0.8969668255, -0.5073208409, -0.191378549},
      {1, 4},
      1e-6,
      1e-9);
  expect_throws_with_prefix([&] { nn::GLU()(f64({1, 2, 3}, {3})); }, "[glu]");
}

TEST(ActivationLayersTest, StepGivesIntegers) {
  auto y = nn::Step(0.5f)(f64(kInput, {8}));
  EXPECT_EQ(y.dtype(), mx::int32);
  expect_array_values(y, {8}, {0, 0, 0, 0, 0, 1, 1, 1});
  expect_array_values(
      nn::Step()(f64(kInput, {8})), {8}, {0, 0, 0, 0, 1, 1, 1, 1});
}

TEST(ActivationLayersTest, IntegerInputs) {
  auto xi = mx::array({-2, -1, 0, 3});
  auto r = nn::ReLU()(xi);
  EXPECT_EQ(r.dtype(), mx::int32);
  expect_array_values(r, {4}, {0, 0, 0, 3});
  auto s = nn::Sigmoid()(xi);
  EXPECT_TRUE(mx::issubdtype(s.dtype(), mx::floating));
}

TEST(PReLUTest, ParameterValuesAndGradients) {
  nn::PReLU single;
  auto flat = tree_flatten(single.parameters());
  ASSERT_EQ(flat.size(), 1u);
  EXPECT_EQ(flat[0].first, "weight");
  expect_array_near(flat[0].second, {0.25}, {1});

  nn::PReLU prelu(4, 0.1f);
  EXPECT_EQ(prelu.param("weight").shape(), (mx::Shape{4}));
  expect_array_near(prelu.param("weight"), {0.1, 0.1, 0.1, 0.1}, {4});
  // One slope per channel (last axis): max(0, x) + a * min(0, x) (NumPy).
  prelu.set_param("weight", f64({0.1, 0.2, 0.3, -0.4}, {4}));
  auto x = f64(kInput, {2, 4});
  expect_array_near(
      prelu(x),
      {-0.27, -0.26, -0.18, 0.08, 0.3, 0.8, 1.7, 3.1},
      {2, 4},
      1e-12,
      1e-12);
  // d sum(prelu(x)) / d a = sum of min(0, x) per channel (torch backward).
  auto fn = nn::value_and_grad(
      prelu, [&](const mx::array& in) { return mx::sum(prelu(in)); });
  auto [loss, grads] = fn(x);
  auto g = tree_flatten(grads);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].first, "weight");
  expect_array_near(g[0].second, {-2.7, -1.3, -0.6, -0.2}, {4}, 1e-12, 1e-12);

  mlx_test::check_grads(
      "prelu",
      mlx_test::binary([&](const mx::array& x, const mx::array& a) {
        prelu.set_param("weight", a);
        return prelu(x);
      }),
      {x, f64({0.1, 0.2, 0.3, -0.4}, {4})});

  expect_throws_with_prefix(
      [&] {
        prelu(mx::ones({2, 3}));
      },
      "[PReLU]",
      "(2, 3)");
  expect_throws_with_prefix([] { nn::PReLU(0); }, "[PReLU]");
}
