// The training examples' models on the GPU: the loss and every gradient of
// a small CNN (conv, ReLU, max-pool, linear, cross-entropy: what
// `train_mnist --model cnn` runs) and of its MLP equal the CPU backend's
// within float32 rounding, and an Adam step on the GPU moves the parameters
// as on the CPU. Runs on lavapipe (MLX_VULKAN_DEVICE=cpu).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "gpu_test_utils.h"
#include "mlx/mlx.h"
#include "mlx/nn.h"
#include "mlx/optimizers.h"
#include "models.h"

namespace mx = mlx::core;
namespace nn = mlx::nn;
namespace optim = mlx::optimizers;
using namespace gpu_test;

namespace {

// Restores the default device when a test changes it.
struct DefaultDevice {
  mx::Device previous = mx::default_device();
  explicit DefaultDevice(mx::Device d) { mx::set_default_device(d); }
  ~DefaultDevice() { mx::set_default_device(previous); }
};

struct Step {
  mx::array loss;
  mlx::utils::Tree grads;
  mlx::utils::Tree params; // after one Adam update
};

// One training step of `model` on device d from the parameters `start`.
Step train_step(
    nn::Module& model,
    const mlx::utils::Tree& start,
    mx::Device d,
    const mx::array& x,
    const mx::array& y) {
  DefaultDevice scope(d);
  model.update(start);
  auto loss_fn = [&](const mx::array& xb, const mx::array& yb) {
    return nn::losses::cross_entropy(
        model(xb), yb, std::nullopt, -1, 0.0f, "mean");
  };
  auto [loss, grads] = nn::value_and_grad(model, loss_fn)(x, y);
  optim::Adam adam(1e-2f);
  adam.update(model, grads);
  auto params = model.parameters();
  std::vector<mx::array> outputs{loss};
  for (auto* tree : {&grads, &params}) {
    for (auto& [path, a] : mlx::utils::tree_flatten(*tree)) {
      outputs.push_back(a);
    }
  }
  mx::eval(outputs);
  return {loss, grads, params};
}

void expect_trees_close(
    const mlx::utils::Tree& gpu, const mlx::utils::Tree& cpu, float tol) {
  auto g = mlx::utils::tree_flatten(gpu);
  auto c = mlx::utils::tree_flatten(cpu);
  ASSERT_EQ(g.size(), c.size());
  for (size_t i = 0; i < g.size(); ++i) {
    SCOPED_TRACE(g[i].first);
    ASSERT_EQ(g[i].first, c[i].first);
    expect_close(g[i].second, c[i].second, tol);
  }
}

void check_model(nn::Module& model, const mx::array& x, const mx::array& y) {
  auto start = model.parameters();
  auto cpu = train_step(model, start, kCpu, x, y);
  auto gpu = train_step(model, start, kGpu, x, y);
  expect_close(gpu.loss, cpu.loss, 1e-5f);
  expect_trees_close(gpu.grads, cpu.grads, 1e-4f);
  // Adam divides by sqrt(v): near-zero gradients amplify their rounding.
  expect_trees_close(gpu.params, cpu.params, 1e-4f);
}

// One step of train_mnist's CNN on `batch` random images of side `side`.
void check_cnn(int side, int c1, int c2, int hidden, int batch) {
  mx::random::seed(3);
  examples::Cnn model(side, c1, c2, hidden);
  auto key = mx::random::key(7);
  auto x = mx::random::uniform({batch, side, side, 1}, mx::float32, key);
  auto y = mx::astype(
      mx::random::randint(0, 10, {batch}, mx::int32, key), mx::uint32);
  check_model(model, x, y);
}

} // namespace

TEST(GpuTrainingTest, CnnStepEqualsTheCpus) {
  REQUIRE_GPU();
  check_cnn(8, 4, 8, 16, 6);
}

TEST(GpuTrainingTest, FullCnnStepEqualsTheCpus) {
  REQUIRE_GPU();
  check_cnn(28, 32, 64, 128, 64); // train_mnist's sizes
}

TEST(GpuTrainingTest, MlpStepEqualsTheCpus) {
  REQUIRE_GPU();
  mx::random::seed(5);
  examples::Mlp model(2, 64, 32, 10);
  auto key = mx::random::key(11);
  auto x = mx::random::normal({9, 64}, mx::float32, key);
  auto y = mx::array({2u, 7u, 7u, 0u, 1u, 5u, 6u, 8u, 9u}, mx::uint32);
  check_model(model, x, y);
}
