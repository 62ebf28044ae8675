// The Optimizer base: state layout, init, apply_gradients over subtrees,
// updating modules, MultiOptimizer, clip_grad_norm, and saving / loading
// the state through safetensors.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <vector>

#include <unistd.h>

#include "mlx/io.h"
#include "mlx/nn.h"
#include "mlx/nn/layers/containers.h"
#include "mlx/nn/layers/linear.h"
#include "mlx/optimizers.h"
#include "test_utils.h"

namespace mx = mlx::core;
namespace nn = mlx::nn;
namespace optim = mlx::optimizers;
using mlx::utils::FlatTree;
using mlx::utils::Tree;

namespace {

std::set<std::string> keys(const Tree& dict) {
  std::set<std::string> out;
  for (auto& [key, value] : dict.as_dict()) {
    out.insert(key);
  }
  return out;
}

std::vector<std::string> flat_names(const Tree& tree) {
  std::vector<std::string> out;
  for (auto& [path, leaf] : mlx::utils::tree_flatten(tree)) {
    out.push_back(path);
  }
  return out;
}

std::shared_ptr<nn::Sequential> make_mlp() {
  return std::make_shared<nn::Sequential>(
      std::make_shared<nn::Linear>(2, 3), std::make_shared<nn::Linear>(3, 1));
}

// One training step: mean squared error on fixed data.
void train_step(nn::Module& model, optim::Optimizer& opt, int i) {
  auto x = mx::reshape(
      mx::arange(8, mx::float32) / 8.0f - mx::array(0.1f * i), {4, 2});
  auto y = mx::array({0.5f, -1.0f, 0.25f, 2.0f}, {4, 1});
  auto loss_and_grad = nn::value_and_grad(model, [&](const mx::array& in) {
    return mx::mean(mx::square(model(in) - y));
  });
  auto [loss, grads] = loss_and_grad(x);
  opt.update(model, grads);
  std::vector<mx::array> outputs;
  for (auto& [path, leaf] : mlx::utils::tree_flatten(model.parameters())) {
    outputs.push_back(leaf);
  }
  for (auto& [path, leaf] : mlx::utils::tree_flatten(opt.state())) {
    outputs.push_back(leaf);
  }
  mx::eval(outputs);
}

// Saves the flattened state and returns tree_unflatten of what loads back.
Tree save_and_load(const Tree& state, const std::string& name) {
  auto file = (std::filesystem::temp_directory_path() /
               (name + "_" + std::to_string(::getpid()) + ".safetensors"))
                  .string();
  std::unordered_map<std::string, mx::array> flat;
  for (auto& [path, leaf] : mlx::utils::tree_flatten(state)) {
    flat.emplace(path, leaf);
  }
  mx::save_safetensors(file, flat);
  auto [loaded, metadata] = mx::load_safetensors(file);
  std::remove(file.c_str());
  FlatTree leaves(loaded.begin(), loaded.end());
  return mlx::utils::tree_unflatten(leaves);
}

void expect_trees_equal(const Tree& a, const Tree& b) {
  auto fa = mlx::utils::tree_flatten(a);
  auto fb = mlx::utils::tree_flatten(b);
  ASSERT_EQ(fa.size(), fb.size());
  for (size_t i = 0; i < fa.size(); ++i) {
    EXPECT_EQ(fa[i].first, fb[i].first);
    SCOPED_TRACE(fa[i].first);
    expect_array_eq(fa[i].second, fb[i].second);
  }
}

} // namespace

TEST(OptimizerStateTest, InitLaysOutTheStateLikeMLX) {
  // MLX's Optimizer.init example: SGD with momentum on a Linear.
  nn::Linear model(2, 2);
  optim::SGD opt(0.1, 0.9);
  opt.init(model.trainable_parameters());
  auto state = opt.state();
  EXPECT_EQ(
      keys(state),
      (std::set<std::string>{"bias", "learning_rate", "step", "weight"}));
  EXPECT_EQ(state["step"].as_array().dtype(), mx::uint64);
  EXPECT_EQ(state["step"].as_array().shape(), mx::Shape{});
  EXPECT_EQ(state["step"].as_array().item<uint64_t>(), 0u);
  EXPECT_EQ(state["learning_rate"].as_array().dtype(), mx::float32);
  expect_array_near(state["learning_rate"].as_array(), {0.1}, {});
  expect_array_near(
      state["weight"]["v"].as_array(), {0, 0, 0, 0}, {2, 2}, 0, 0);

  // Nested modules: the per-parameter state mirrors the parameter tree.
  auto mlp = make_mlp();
  optim::Adam adam(0.01);
  adam.init(mlp->trainable_parameters());
  EXPECT_EQ(
      flat_names(adam.state()),
      (std::vector<std::string>{
          "layers.0.bias.m",
          "layers.0.bias.v",
          "layers.0.weight.m",
          "layers.0.weight.v",
          "layers.1.bias.m",
          "layers.1.bias.v",
          "layers.1.weight.m",
          "layers.1.weight.v",
          "learning_rate",
          "step"}));
}

TEST(OptimizerStateTest, InitKeepsExistingState) {
  optim::SGD opt(0.1, 0.9);
  Tree params{{"w", Tree(mx::array({1.0f, 2.0f}))}};
  opt.update(params, Tree{{"w", Tree(mx::array({1.0f, 1.0f}))}});
  // A second init leaves "w" alone and adds the new "u".
  params["u"] = Tree(mx::array({3.0f}));
  opt.init(params);
  expect_array_near(opt.state()["w"]["v"].as_array(), {1, 1}, {2});
  expect_array_near(opt.state()["u"]["v"].as_array(), {0}, {1});
  // A gradient for a parameter the state has not seen is initialised on
  // the fly.
  optim::Adam adam(0.01);
  Tree p1{{"a", Tree(mx::array({1.0f}))}};
  adam.update(p1, Tree{{"a", Tree(mx::array({1.0f}))}});
  p1["b"] = Tree(mx::array({1.0f}));
  adam.update(p1, Tree{{"b", Tree(mx::array({-4.0f}))}});
  EXPECT_TRUE(adam.state().contains("b"));
  // b's first Adam step: 1 + 0.01 * 0.1 * 4 / (sqrt(0.001 * 16) + 1e-8).
  expect_array_near(p1["b"].as_array(), {1.0316228}, {1}, 1e-6);
}

TEST(OptimizerStateTest, ApplyGradientsFollowsTheGradientTree) {
  // Parameters may be a superset: the result has the gradients' structure.
  optim::SGD opt(0.5);
  Tree params{
      {"layers",
       Tree(Tree::List{
           Tree{{"w", Tree(mx::array({1.0f}))}},
           Tree{{"w", Tree(mx::array({2.0f}))}}})},
      {"frozen", Tree(mx::array({7.0f}))}};
  // Only the second layer has a gradient (the first slot is empty).
  Tree grads{
      {"layers",
       Tree(Tree::List{Tree(), Tree{{"w", Tree(mx::array({2.0f}))}}})}};
  auto updated = opt.apply_gradients(grads, params);
  EXPECT_FALSE(updated.contains("frozen"));
  EXPECT_TRUE(updated["layers"][0].is_empty());
  expect_array_near(updated["layers"][1]["w"].as_array(), {1.0}, {1});
  EXPECT_EQ(opt.step().item<uint64_t>(), 1u);
}

TEST(OptimizerStateTest, UpdatesModulesAndSkipsFrozenParameters) {
  mx::random::seed(3);
  auto mlp = make_mlp();
  (*mlp)[0].freeze(true, {"bias"});
  auto bias0 = (*mlp)[0].param("bias");
  auto weight0 = (*mlp)[0].param("weight");
  optim::SGD opt(0.1);

  auto x = mx::array({0.5f, -1.0f}, {1, 2});
  auto loss_and_grad = nn::value_and_grad(
      *mlp, [&](const mx::array& in) { return mx::sum((*mlp)(in)); });
  auto [loss, grads] = loss_and_grad(x);
  auto expected_weight =
      weight0 - mx::array(0.1f) * grads["layers"][0]["weight"].as_array();
  opt.update(*mlp, grads);
  expect_array_eq((*mlp)[0].param("bias"), bias0);
  expect_array_near(
      (*mlp)[0].param("weight"),
      mlx_test::to_doubles(expected_weight),
      {3, 2},
      1e-6);
  EXPECT_FALSE(opt.state()["layers"][0].contains("bias"));
}

TEST(OptimizerStateTest, SetStateChecksTheTree) {
  optim::Adam opt(0.01);
  expect_throws_with_prefix(
      [&] {
        opt.set_state(Tree{{"learning_rate", Tree(mx::array(0.1f))}});
      },
      "[Adam.set_state]",
      "\"step\"");
  expect_throws_with_prefix(
      [&] {
        opt.set_state(Tree{{"step", Tree(mx::array(uint64_t{3}, mx::uint64))}});
      },
      "[Adam.set_state]",
      "\"learning_rate\"");
  expect_throws_with_prefix(
      [&] { opt.set_state(Tree(mx::array(1.0f))); }, "[Adam.set_state]");
}

TEST(OptimizerStateTest, MultiOptimizerRoutesByFilter) {
  auto sgd = std::make_shared<optim::SGD>(0.1);
  auto adam = std::make_shared<optim::Adam>(0.01);
  optim::MultiOptimizer opt(
      {sgd, adam}, {[](const std::string& path, const mx::array&) {
        return path.size() >= 4 &&
               path.compare(path.size() - 4, 4, "bias") == 0;
      }});
  Tree params{
      {"layers",
       Tree(Tree::List{Tree{
           {"weight", Tree(mx::array({1.0f, -2.0f}))},
           {"bias", Tree(mx::array({0.5f}))}}})}};
  Tree grads{
      {"layers",
       Tree(Tree::List{Tree{
           {"weight", Tree(mx::array({0.5f, -4.0f}))},
           {"bias", Tree(mx::array({2.0f}))}}})}};
  opt.update(params, grads);
  // bias by SGD: 0.5 - 0.1 * 2; weight by Adam (NumPy float32 of the first
  // Adam step).
  expect_array_near(params["layers"][0]["bias"].as_array(), {0.3}, {1}, 1e-6);
  expect_array_near(
      params["layers"][0]["weight"].as_array(),
      {0.968377233, -1.96837723},
      {2},
      1e-6);
  // Each optimizer holds only its parameters' state.
  auto state = opt.state();
  ASSERT_EQ(state["states"].size(), 2u);
  EXPECT_EQ(
      flat_names(state["states"][0]),
      (std::vector<std::string>{"layers.0.bias.v", "learning_rate", "step"}));
  EXPECT_EQ(
      flat_names(state["states"][1]),
      (std::vector<std::string>{
          "layers.0.weight.m", "layers.0.weight.v", "learning_rate", "step"}));
  expect_array_near(opt.learning_rate(), {0.1}, {});
  opt.set_learning_rate(0.2f);
  expect_array_near(adam->learning_rate(), {0.2}, {});

  expect_throws_with_prefix(
      [&] {
        optim::MultiOptimizer({sgd, adam});
      },
      "[MultiOptimizer]",
      "Given 0 filters but 1 needed");
  expect_throws_with_prefix(
      [&] {
        opt.set_state(Tree{{"states", Tree(Tree::List{})}});
      },
      "[MultiOptimizer.set_state]");
}

TEST(OptimizerStateTest, ClipGradNorm) {
  // MLX's example: {"w1": [2, 3], "w2": [1]}, max_norm 2. NumPy float32:
  // norm sqrt(14) = 3.7416575, g * 2 / (norm + 1e-6).
  Tree grads{
      {"w1", Tree(mx::array({2.0f, 3.0f}))}, {"w2", Tree(mx::array({1.0f}))}};
  auto [clipped, norm] = optim::clip_grad_norm(grads, 2.0);
  expect_array_near(norm, {3.7416575}, {}, 1e-6);
  expect_array_near(clipped["w1"].as_array(), {1.06904471, 1.60356712}, {2});
  expect_array_near(clipped["w2"].as_array(), {0.534522355}, {1});
  // Below max_norm the gradients are unchanged.
  auto [same, norm2] = optim::clip_grad_norm(grads, 10.0);
  expect_array_eq(same["w1"].as_array(), grads["w1"].as_array());
  // Nested lists; norm of (3, 4, 0, 12) = 13, scaled to 6.5.
  Tree nested{
      {"layers",
       Tree(Tree::List{
           Tree{{"w", Tree(mx::array({3.0f, 4.0f}, {1, 2}))}},
           Tree{{"w", Tree(mx::array({0.0f, 12.0f}))}}})}};
  auto [scaled, norm3] = optim::clip_grad_norm(nested, 6.5);
  expect_array_near(norm3, {13.0}, {});
  expect_array_near(
      scaled["layers"][0]["w"].as_array(), {1.49999988, 1.99999988}, {1, 2});
  expect_array_near(
      scaled["layers"][1]["w"].as_array(), {0.0, 5.99999952}, {2});
  // Half gradients stay half.
  Tree half{{"w", Tree(mx::astype(mx::array({30.0f, 40.0f}), mx::float16))}};
  auto [half_clipped, half_norm] = optim::clip_grad_norm(half, 5.0);
  EXPECT_EQ(half_clipped["w"].as_array().dtype(), mx::float16);
  expect_array_near(half_clipped["w"].as_array(), {3.0, 4.0}, {2}, 1e-3);
}

TEST(OptimizerStateTest, SavedStateContinuesBitIdentically) {
  // An MLP trained with Adam on a cosine schedule, then saved; a fresh
  // optimizer with the loaded state continues exactly like the original.
  mx::random::seed(7);
  auto model_a = make_mlp();
  auto schedule = optim::cosine_decay(0.05, 20, 0.001);
  optim::Adam opt_a(schedule, {0.9, 0.99}, 1e-8, true);
  for (int i = 0; i < 3; ++i) {
    train_step(*model_a, opt_a, i);
  }
  auto weights = save_and_load(model_a->parameters(), "optim_state_weights");
  auto loaded = save_and_load(opt_a.state(), "optim_state_adam");
  EXPECT_EQ(loaded["step"].as_array().dtype(), mx::uint64);
  EXPECT_EQ(loaded["step"].as_array().item<uint64_t>(), 3u);

  mx::random::seed(11); // different initial weights, replaced below
  auto model_b = make_mlp();
  model_b->update(weights);
  optim::Adam opt_b(schedule, {0.9, 0.99}, 1e-8, true);
  opt_b.set_state(loaded);
  for (int i = 3; i < 7; ++i) {
    train_step(*model_a, opt_a, i);
    train_step(*model_b, opt_b, i);
  }
  expect_trees_equal(model_a->parameters(), model_b->parameters());
  expect_trees_equal(opt_a.state(), opt_b.state());
  EXPECT_EQ(opt_b.step().item<uint64_t>(), 7u);
}

TEST(OptimizerStateTest, SavedMultiOptimizerStateContinues) {
  auto make = [] {
    return std::make_shared<optim::MultiOptimizer>(
        std::vector<std::shared_ptr<optim::Optimizer>>{
            std::make_shared<optim::SGD>(0.1, 0.9),
            std::make_shared<optim::AdamW>(0.01)},
        std::vector<optim::ParameterFilter>{
            [](const std::string& path, const mx::array&) {
              return path.find("bias") != std::string::npos;
            }});
  };
  mx::random::seed(5);
  auto model_a = make_mlp();
  auto opt_a = make();
  for (int i = 0; i < 2; ++i) {
    train_step(*model_a, *opt_a, i);
  }
  auto weights = save_and_load(model_a->parameters(), "optim_multi_weights");
  auto loaded = save_and_load(opt_a->state(), "optim_multi_state");
  auto model_b = make_mlp();
  model_b->update(weights);
  auto opt_b = make();
  opt_b->set_state(loaded);
  for (int i = 2; i < 5; ++i) {
    train_step(*model_a, *opt_a, i);
    train_step(*model_b, *opt_b, i);
  }
  expect_trees_equal(model_a->parameters(), model_b->parameters());
  expect_trees_equal(opt_a->state(), opt_b->state());
}
