// Checkpoints in data-parallel jobs: rank 0 writes, every rank reads, and
// a file made by one job size loads into another. The cross-job tests
// (SaveForLaterJobs, LoadFromEarlierJob) run when MLX_CHECKPOINT_DIR names
// a folder shared by the jobs (ctest runs a 2-rank save, then 1- and
// 4-rank loads); the rest run in any job.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "dist_test_utils.h"
#include "mlx/checkpoint.h"
#include "mlx/distributed/ops.h"
#include "mlx/io.h"
#include "mlx/nn.h"
#include "mlx/nn/distributed.h"
#include "mlx/nn/layers/containers.h"
#include "mlx/nn/layers/linear.h"
#include "mlx/optimizers.h"
#include "mlx/random.h"
#include "mlx/transforms.h"

namespace nn = mlx::nn;
namespace optim = mlx::optimizers;
namespace fs = std::filesystem;
namespace mu = mlx::utils;

namespace {

std::shared_ptr<nn::Sequential> make_mlp() {
  return std::make_shared<nn::Sequential>(
      std::make_shared<nn::Linear>(4, 8),
      std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(8, 2));
}

// Two data-parallel Adam steps on rank-dependent data: the gradients are
// averaged, so every rank ends with the same parameters.
void train(nn::Module& model, optim::Optimizer& opt, const dist::Group& g) {
  for (int step = 0; step < 2; ++step) {
    auto x = dist_test::rank_input(g.rank() + step, {8, 4}, mx::float32);
    auto loss_and_grad = nn::value_and_grad(model, [&](const mx::array& in) {
      return mx::mean(mx::square(model(in)));
    });
    auto [loss, grads] = loss_and_grad(x);
    opt.update(model, nn::average_gradients(grads, g));
  }
}

std::unordered_map<std::string, mx::array> flat(const mu::Tree& tree) {
  std::unordered_map<std::string, mx::array> out;
  for (auto& [path, value] : mu::tree_flatten(tree)) {
    out.emplace(path, value);
  }
  return out;
}

void expect_equal(
    const std::unordered_map<std::string, mx::array>& expected,
    const mu::Tree& tree) {
  auto actual = flat(tree);
  ASSERT_EQ(actual.size(), expected.size());
  for (auto& [path, value] : expected) {
    ASSERT_TRUE(actual.count(path)) << path;
    EXPECT_TRUE(mx::array_equal(actual.at(path), value).item<bool>()) << path;
  }
}

// Rank 0's process id on every rank: a folder name all ranks agree on.
int rank0_pid(const dist::Group& g) {
  int mine = g.rank() == 0 ? int(::getpid()) : 0;
  return dist::all_sum(mx::array(mine), g).item<int>();
}

TEST(CheckpointDistTest, RankZeroWritesEveryRankLoads) {
  auto g = dist_test::world();
  auto dir = fs::temp_directory_path() /
             ("mlx_dist_checkpoint_" + std::to_string(rank0_pid(g)));
  if (g.rank() == 0) {
    fs::create_directories(dir);
  }
  dist::barrier(g);
  auto file = (dir / "ckpt.h5").string();

  mx::random::seed(3);
  auto model = make_mlp();
  optim::Adam adam(0.01);
  train(*model, adam, g);
  nn::save_checkpoint(file, *model, adam, {{"job", "in-job"}}, g);
  // save_checkpoint returns on every rank once the file is in place.
  ASSERT_TRUE(fs::exists(file));

  mx::random::seed(100 + g.rank());
  auto fresh = make_mlp();
  optim::Adam fresh_adam(0.01);
  auto info = nn::load_checkpoint(file, *fresh, fresh_adam);
  EXPECT_EQ(info.world_size, g.size());
  EXPECT_EQ(info.step, 2u);
  EXPECT_EQ(info.extra.at("job"), "in-job");
  expect_equal(flat(model->parameters()), fresh->parameters());
  expect_equal(flat(adam.state()), fresh_adam.state());

  dist::barrier(g);
  if (g.rank() == 0) {
    fs::remove_all(dir);
  }
}

const char* shared_dir() {
  return std::getenv("MLX_CHECKPOINT_DIR");
}

TEST(CheckpointDistTest, SaveForLaterJobs) {
  if (!shared_dir()) {
    GTEST_SKIP() << "MLX_CHECKPOINT_DIR is not set";
  }
  auto g = dist_test::world();
  fs::path dir(shared_dir());
  mx::random::seed(5);
  auto model = make_mlp();
  optim::Adam adam(0.01);
  train(*model, adam, g);
  nn::save_checkpoint((dir / "ckpt.h5").string(), *model, adam, {}, g);
  if (g.rank() == 0) {
    // What the later jobs must get back.
    mx::save_safetensors(
        (dir / "parameters.safetensors").string(), flat(model->parameters()));
    mx::save_safetensors(
        (dir / "optimizer.safetensors").string(), flat(adam.state()));
  }
  dist::barrier(g);
}

TEST(CheckpointDistTest, LoadFromEarlierJob) {
  if (!shared_dir()) {
    GTEST_SKIP() << "MLX_CHECKPOINT_DIR is not set";
  }
  fs::path dir(shared_dir());
  auto model = make_mlp();
  optim::Adam adam(0.01);
  auto info = nn::load_checkpoint((dir / "ckpt.h5").string(), *model, adam);
  EXPECT_EQ(info.world_size, 2); // saved by the 2-rank job
  EXPECT_EQ(info.step, 2u);
  auto [params, m1] =
      mx::load_safetensors((dir / "parameters.safetensors").string());
  auto [state, m2] =
      mx::load_safetensors((dir / "optimizer.safetensors").string());
  expect_equal(params, model->parameters());
  expect_equal(state, adam.state());
}

} // namespace
