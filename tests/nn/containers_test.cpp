// Tests of Sequential (nn/layers/containers.h).
#include <gtest/gtest.h>

#include <sstream>

#include "grad_check.h"
#include "mlx/nn/layers/activations.h"
#include "mlx/nn/layers/containers.h"
#include "mlx/nn/layers/linear.h"
#include "test_utils.h"

namespace nn = mlx::nn;
using mlx::utils::tree_flatten;

namespace {

mx::array f64(const std::vector<double>& v, const mx::Shape& shape) {
  return mx::array(v.begin(), shape, mx::float64);
}

// Linear(2, 3) -> ReLU -> Linear(3, 1) with fixed float64 weights.
std::shared_ptr<nn::Sequential> make_mlp() {
  auto first = std::make_shared<nn::Linear>(2, 3);
  first->set_param("weight", f64({0.5, -1.0, 1.5, 0.25, -0.75, 0.5}, {3, 2}));
  first->set_param("bias", f64({0.1, -0.2, 0.3}, {3}));
  auto last = std::make_shared<nn::Linear>(3, 1);
  last->set_param("weight", f64({1.0, -2.0, 0.5}, {1, 3}));
  last->set_param("bias", f64({0.25}, {1}));
  return std::make_shared<nn::Sequential>(
      first, std::make_shared<nn::ReLU>(), last);
}

mx::array test_input() {
  return f64({1., 2., -1., 0.5, 0., -3.}, {3, 2});
}

} // namespace

TEST(SequentialTest, ParameterNamesFollowTheModuleList) {
  auto mlp = make_mlp();
  std::vector<std::string> keys;
  for (auto& [k, v] : tree_flatten(mlp->parameters())) {
    keys.push_back(k);
  }
  EXPECT_EQ(
      keys,
      (std::vector<std::string>{
          "layers.0.bias",
          "layers.0.weight",
          "layers.2.bias",
          "layers.2.weight"}));
  EXPECT_EQ(mlp->size(), 3u);
  EXPECT_EQ((*mlp)[1].name(), "ReLU");
  expect_throws_with_prefix([&] { (*mlp)[3]; }, "[Sequential]", "3");
  auto children = mlp->children();
  ASSERT_EQ(children.size(), 3u);
  EXPECT_EQ(children[2].first, "layers.2");
}

TEST(SequentialTest, ForwardMatchesPyTorch) {
  auto mlp = make_mlp();
  // torch.nn.Sequential(Linear(2, 3), ReLU(), Linear(3, 1)).double() with
  // the same weights (PyTorch 1.13).
  expect_array_near(
      (*mlp)(test_input()), {-3.075, 0.9, 3.35}, {3, 1}, 1e-12, 1e-12);
  // Called through a Module reference too.
  nn::Module& m = *mlp;
  expect_array_near(m(test_input()), {-3.075, 0.9, 3.35}, {3, 1}, 1e-12, 1e-12);
}

TEST(SequentialTest, FromVectorEmptyAndNested) {
  // An empty Sequential is the identity.
  nn::Sequential empty(std::vector<std::shared_ptr<nn::Module>>{});
  auto x = test_input();
  expect_array_eq(empty(x), x);
  EXPECT_EQ(tree_flatten(empty.parameters()).size(), 0u);
  // Nested containers prefix their names.
  auto inner = make_mlp();
  nn::Sequential outer(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Identity>(), inner});
  auto flat = tree_flatten(outer.parameters());
  ASSERT_EQ(flat.size(), 4u);
  EXPECT_EQ(flat[0].first, "layers.1.layers.0.bias");
  expect_array_near(outer(x), {-3.075, 0.9, 3.35}, {3, 1}, 1e-12, 1e-12);
  expect_throws_with_prefix(
      [] { nn::Sequential(std::vector<std::shared_ptr<nn::Module>>{nullptr}); },
      "[Sequential]");
}

TEST(SequentialTest, UpdateModulesReplacesALayer) {
  auto mlp = make_mlp();
  mlp->update_modules({{"layers.1", std::make_shared<nn::Tanh>()}});
  EXPECT_EQ((*mlp)[1].name(), "Tanh");
  // The same network with tanh (PyTorch).
  expect_array_near(
      (*mlp)(test_input()),
      {-2.278703568, 1.800198597, 2.308688158},
      {3, 1},
      1e-9,
      1e-9);
}

TEST(SequentialTest, PrintsChildren) {
  nn::Sequential seq(
      std::make_shared<nn::Linear>(2, 3), std::make_shared<nn::ReLU>());
  std::ostringstream os;
  os << seq;
  EXPECT_EQ(
      os.str(),
      "Sequential(\n"
      "  (layers.0): Linear(input_dims=2, output_dims=3, bias=true)\n"
      "  (layers.1): ReLU()\n"
      ")");
}

TEST(SequentialTest, TrainAndEvalReachTheLayers) {
  auto mlp = make_mlp();
  mlp->eval();
  EXPECT_FALSE((*mlp)[0].training());
  mlp->train();
  EXPECT_TRUE((*mlp)[2].training());
}

TEST(SequentialTest, GradientsThroughTheChain) {
  auto mlp = make_mlp();
  // d sum(mlp(x)) / d params, from torch's backward (PyTorch 1.13).
  auto fn = nn::value_and_grad(
      *mlp, [&](const mx::array& x) { return mx::sum((*mlp)(x)); });
  auto [loss, grads] = fn(test_input());
  EXPECT_NEAR(loss.item<double>(), 1.175, 1e-12);
  auto flat = tree_flatten(grads);
  ASSERT_EQ(flat.size(), 4u);
  EXPECT_EQ(flat[0].first, "layers.0.bias");
  expect_array_near(flat[0].second, {1.0, -2.0, 1.0}, {3}, 1e-12, 1e-12);
  expect_array_near(
      flat[1].second, {0.0, -3.0, -2.0, -4.0, 0.0, 1.25}, {3, 2}, 1e-12, 1e-12);
  expect_array_near(flat[2].second, {3.0}, {1}, 1e-12, 1e-12);
  expect_array_near(flat[3].second, {3.1, 1.8, 1.85}, {1, 3}, 1e-12, 1e-12);

  // Input gradient against finite differences (tanh: smooth everywhere).
  mlp->update_modules({{"layers.1", std::make_shared<nn::Tanh>()}});
  mlx_test::check_grads(
      "sequential",
      mlx_test::unary([&](const mx::array& x) { return (*mlp)(x); }),
      {mlx_test::random_input({4, 2}, 31)});
}
