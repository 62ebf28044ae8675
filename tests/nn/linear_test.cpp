// Tests of Identity, Linear and Bilinear (nn/layers/linear.h).
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "grad_check.h"
#include "mlx/nn/layers/linear.h"
#include "mlx/random.h"
#include "test_utils.h"

namespace nn = mlx::nn;
using mlx::utils::tree_flatten;

namespace {

// A float64 array (a braced list of doubles alone would give float32).
mx::array f64(const std::vector<double>& v, const mx::Shape& shape) {
  return mx::array(v.begin(), shape, mx::float64);
}

std::vector<std::string> keys_of(const nn::Module& m) {
  std::vector<std::string> keys;
  for (auto& [k, v] : tree_flatten(m.parameters())) {
    keys.push_back(k);
  }
  return keys;
}

// Weights of the value tests, W (4, 3) and b (4).
mx::array test_weight() {
  return f64(
      {0.1, -0.2, 0.3, 0.4, 0.5, -0.6, -0.7, 0.8, 0.9, 1.0, -1.1, 1.2}, {4, 3});
}
mx::array test_bias() {
  return f64({0.5, -0.25, 0.125, -1.0}, {4});
}
mx::array test_input() {
  return f64({1., 2., 3., -1., 0.5, 2.}, {2, 3});
}

// torch.nn.Linear(3, 4).double() with the weights above, applied to
// test_input() (PyTorch 1.13).
const std::vector<double> kLinearExpected = {
    1.1, -0.65, 3.725, 1.4, 0.9, -1.6, 3.025, -0.15};
// The same without bias: x @ W.T (PyTorch).
const std::vector<double> kNoBiasExpected = {
    0.6, -0.4, 3.6, 2.4, 0.4, -1.35, 2.9, 0.85};

} // namespace

TEST(IdentityTest, ReturnsInputAndHasNoParameters) {
  nn::Identity id;
  auto x = f64({1.0f, 2.0f, 3.0f}, {3});
  expect_array_eq(id(x), x);
  EXPECT_TRUE(keys_of(id).empty());
  std::ostringstream os;
  os << id;
  EXPECT_EQ(os.str(), "Identity()");
}

TEST(LinearTest, ParameterNamesShapesAndInitRange) {
  nn::Linear lin(3, 4);
  EXPECT_EQ(keys_of(lin), (std::vector<std::string>{"bias", "weight"}));
  EXPECT_EQ(lin.param("weight").shape(), (mx::Shape{4, 3}));
  EXPECT_EQ(lin.param("bias").shape(), (mx::Shape{4}));
  EXPECT_EQ(lin.param("weight").dtype(), mx::float32);
  double k = 1.0 / std::sqrt(3.0);
  for (const char* name : {"weight", "bias"}) {
    for (double v : mlx_test::to_doubles(lin.param(name))) {
      EXPECT_LE(std::abs(v), k) << name;
    }
  }
  nn::Linear no_bias(3, 4, false);
  EXPECT_EQ(keys_of(no_bias), (std::vector<std::string>{"weight"}));
}

TEST(LinearTest, InitIsUniformAndSeeded) {
  mx::random::seed(3);
  nn::Linear a(64, 256);
  mx::random::seed(3);
  nn::Linear b(64, 256);
  expect_array_eq(a.param("weight"), b.param("weight"));
  // U(-k, k) has mean 0 and variance k^2 / 3 = 1 / (3 * 64); 16384 samples
  // give a standard error of about 0.0005 on the mean.
  auto w = a.param("weight");
  double mean = mx::mean(w).item<float>();
  double var = mx::var(w).item<float>();
  EXPECT_NEAR(mean, 0.0, 0.003);
  EXPECT_NEAR(var, 1.0 / 192.0, 0.0004);
}

TEST(LinearTest, ValuesMatchPyTorch) {
  nn::Linear lin(3, 4);
  lin.set_param("weight", test_weight());
  lin.set_param("bias", test_bias());
  expect_array_near(lin(test_input()), kLinearExpected, {2, 4}, 1e-12, 1e-12);

  nn::Linear no_bias(3, 4, false);
  no_bias.set_param("weight", test_weight());
  expect_array_near(
      no_bias(test_input()), kNoBiasExpected, {2, 4}, 1e-12, 1e-12);
}

TEST(LinearTest, BatchedOneDimAndTransposedInputs) {
  nn::Linear lin(3, 4);
  lin.set_param("weight", test_weight());
  lin.set_param("bias", test_bias());
  // (2, 1, 3): the leading dims are kept.
  auto x3 = mx::reshape(test_input(), {2, 1, 3});
  expect_array_near(lin(x3), kLinearExpected, {2, 1, 4}, 1e-12, 1e-12);
  // A 1-D input is one sample.
  auto x1 = f64({-1., 0.5, 2.}, {3});
  expect_array_near(
      lin(x1),
      std::vector<double>(kLinearExpected.begin() + 4, kLinearExpected.end()),
      {4},
      1e-12,
      1e-12);
  // A transposed view holds the same rows.
  auto xt = mx::transpose(f64({1., -1., 2., 0.5, 3., 2.}, {3, 2}));
  expect_array_near(lin(xt), kLinearExpected, {2, 4}, 1e-12, 1e-12);
  // No samples.
  EXPECT_EQ(lin(mx::zeros({0, 3}, mx::float64)).shape(), (mx::Shape{0, 4}));
}

TEST(LinearTest, Dtypes) {
  nn::Linear lin(3, 4);
  EXPECT_EQ(lin(mx::ones({2, 3})).dtype(), mx::float32);
  // float16 inputs meet float32 weights: the product promotes (as MLX).
  EXPECT_EQ(lin(mx::ones({2, 3}, mx::float16)).dtype(), mx::float32);
  lin.set_dtype(mx::bfloat16);
  auto y = lin(mx::ones({2, 3}, mx::bfloat16));
  EXPECT_EQ(y.dtype(), mx::bfloat16);
  auto expected = mx::add(
      mx::sum(mx::astype(lin.param("weight"), mx::float32), 1),
      mx::astype(lin.param("bias"), mx::float32));
  auto e = mlx_test::to_doubles(expected);
  auto got = mlx_test::to_doubles(y);
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_NEAR(got[i], e[i % 4], 0.03);
  }
}

TEST(LinearTest, WrongLastDimensionNamesShapes) {
  nn::Linear lin(3, 4);
  expect_throws_with_prefix(
      [&] {
        lin(mx::ones({2, 5}));
      },
      "[Linear]",
      "(2, 5)");
  expect_throws_with_prefix(
      [&] {
        lin(mx::ones({2, 5}));
      },
      "[Linear]",
      "input_dims=3");
  expect_throws_with_prefix([&] { lin(mx::array(1.0f)); }, "[Linear]");
  expect_throws_with_prefix([] { nn::Linear(-1, 2); }, "[Linear]");
}

TEST(LinearTest, DescribeAndPrint) {
  nn::Linear lin(2, 3);
  std::ostringstream os;
  os << lin;
  EXPECT_EQ(os.str(), "Linear(input_dims=2, output_dims=3, bias=true)");
  EXPECT_EQ(
      nn::Linear(2, 3, false).describe(),
      "input_dims=2, output_dims=3, bias=false");
}

TEST(LinearTest, GradientsMatchFiniteDifferences) {
  nn::Linear lin(3, 4);
  auto x = mlx_test::random_input({2, 3}, 1);
  auto w = mlx_test::random_input({4, 3}, 2);
  auto b = mlx_test::random_input({4}, 3);
  mlx_test::check_grads(
      "linear",
      mlx_test::ternary(
          [&](const mx::array& x, const mx::array& w, const mx::array& b) {
            lin.set_param("weight", w);
            lin.set_param("bias", b);
            return lin(x);
          }),
      {x, w, b});
  nn::Linear no_bias(3, 4, false);
  mlx_test::check_grads(
      "linear without bias",
      mlx_test::binary([&](const mx::array& x, const mx::array& w) {
        no_bias.set_param("weight", w);
        return no_bias(mx::reshape(x, {2, 1, 3}));
      }),
      {x, w});
}

TEST(LinearTest, ModelValueAndGrad) {
  // loss = sum(x W^T + b): dW[o, i] = sum_n x[n, i], db[o] = N.
  nn::Linear lin(3, 4);
  lin.set_param("weight", test_weight());
  lin.set_param("bias", test_bias());
  auto x = test_input();
  auto loss_and_grad = nn::value_and_grad(
      lin, [&](const mx::array& in) { return mx::sum(lin(in)); });
  auto [loss, grads] = loss_and_grad(x);
  // Sum of kLinearExpected.
  EXPECT_NEAR(loss.item<double>(), 7.75, 1e-12);
  auto flat = tree_flatten(grads);
  ASSERT_EQ(flat.size(), 2u);
  EXPECT_EQ(flat[0].first, "bias");
  EXPECT_EQ(flat[1].first, "weight");
  expect_array_near(flat[0].second, {2, 2, 2, 2}, {4});
  expect_array_near(
      flat[1].second, {0, 2.5, 5, 0, 2.5, 5, 0, 2.5, 5, 0, 2.5, 5}, {4, 3});
  // The layer keeps its own parameters afterwards.
  expect_array_eq(lin.param("weight"), test_weight());
}

// Bilinear weights: MLX layout (out=2, in2=2, in1=3), values
// arange(12) * 0.1 - 0.5; bias (0.25, -0.5).
namespace {
mx::array bilinear_weight() {
  return mx::subtract(
      mx::multiply(mx::arange(12.0, mx::float64), mx::array(0.1, mx::float64)),
      mx::array(0.5, mx::float64));
}
} // namespace

TEST(BilinearTest, ParametersAndValuesMatchPyTorch) {
  nn::Bilinear bl(3, 2, 2);
  EXPECT_EQ(keys_of(bl), (std::vector<std::string>{"bias", "weight"}));
  EXPECT_EQ(bl.param("weight").shape(), (mx::Shape{2, 2, 3}));
  double k = 1.0 / std::sqrt(3.0);
  for (double v : mlx_test::to_doubles(bl.param("weight"))) {
    EXPECT_LE(std::abs(v), k);
  }
  bl.set_param("weight", mx::reshape(bilinear_weight(), {2, 2, 3}));
  bl.set_param("bias", f64({0.25, -0.5}, {2}));
  auto x1 = f64({1., -2., 0.5, 0., 1., 2.}, {2, 3});
  auto x2 = f64({0.5, 1.5, -1., 2.}, {2, 2});
  // torch.nn.Bilinear(3, 2, 2).double() with weight = W.transpose(0, 2, 1)
  // (torch lays it out (out, in1, in2)) and the same bias (PyTorch 1.13).
  std::vector<double> expected = {0.325, -1.025, 1.05, 2.1};
  expect_array_near(bl(x1, x2), expected, {2, 2}, 1e-12, 1e-12);
  // Leading dims are kept.
  expect_array_near(
      bl(mx::reshape(x1, {1, 2, 3}), mx::reshape(x2, {1, 2, 2})),
      expected,
      {1, 2, 2},
      1e-12,
      1e-12);
  EXPECT_EQ(
      bl.describe(), "input1_dims=3, input2_dims=2, output_dims=2, bias=true");
  nn::Bilinear no_bias(3, 2, 2, false);
  EXPECT_EQ(keys_of(no_bias), (std::vector<std::string>{"weight"}));
}

TEST(BilinearTest, ErrorsNameShapes) {
  nn::Bilinear bl(3, 2, 4);
  expect_throws_with_prefix(
      [&] {
        bl(mx::ones({2, 4}), mx::ones({2, 2}));
      },
      "[Bilinear]",
      "(2, 4)");
  expect_throws_with_prefix(
      [&] {
        bl(mx::ones({2, 3}), mx::ones({3, 2}));
      },
      "[Bilinear]",
      "(3, 2)");
  // The one-input call of Module does not apply.
  nn::Module& m = bl;
  expect_throws_with_prefix([&] { m(mx::ones({2, 3})); }, "[Bilinear]");
}

TEST(BilinearTest, GradientsMatchFiniteDifferences) {
  nn::Bilinear bl(3, 2, 2);
  auto x1 = mlx_test::random_input({2, 3}, 4);
  auto x2 = mlx_test::random_input({2, 2}, 5);
  auto w = mlx_test::random_input({2, 2, 3}, 6);
  auto b = mlx_test::random_input({2}, 7);
  mlx_test::check_grads(
      "bilinear",
      [&](const std::vector<mx::array>& in) {
        bl.set_param("weight", in[2]);
        bl.set_param("bias", in[3]);
        return std::vector<mx::array>{bl(in[0], in[1])};
      },
      {x1, x2, w, b});
}
