// GPU (Vulkan) timings of the part-1 goals, printed one line each so that
// benchmarks/vulkan_gpu_torch.py can print PyTorch CUDA's beside them:
//   sgemm n x n x n (n = 1024 ... 8192), TFLOP/s
//   add and exp over 256 MiB float32, sum over the last axis, GB/s
//   a chain of 1000 small element-wise ops in one eval, us per op
//   round trip: one small add evaluated and waited for, us (the fixed cost
//   that every synchronous op above includes)
//   add over 64 MiB, 256 MiB and 1 GiB (section add_sizes), GB/s: with the
//   round trip this separates a kernel's bandwidth from per-op costs
//   the MLP training step (784-512-512-10, batch 256, Adam), ms per step
// Each figure is the median of repetitions after a warm-up. Arguments name
// the sections to run (sgemm, add, exp, sum, chain, roundtrip, add_sizes,
// mlp; all by default),
// so that a tuning run under another setting repeats only what it changes.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "mlx/mlx.h"
#include "mlx/nn.h"
#include "mlx/optimizers.h"
#include "models.h"

namespace mx = mlx::core;
namespace nn = mlx::nn;
namespace optim = mlx::optimizers;

namespace {

double median_seconds(int reps, const std::function<void()>& f) {
  f(); // warm-up: pipelines, buffer cache
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    auto start = std::chrono::steady_clock::now();
    f();
    t.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
  std::set<std::string> only(argv + 1, argv + argc);
  auto run = [&](const char* section) {
    return only.empty() || only.count(section) > 0;
  };
  mx::set_default_device(mx::Device::gpu);
  auto name = std::get<std::string>(mx::device_info().at("device_name"));
  std::printf("device %s\n", name.c_str());
  auto key = mx::random::key(0);

  for (int n : {1024, 2048, 4096, 8192}) {
    if (!run("sgemm")) {
      break;
    }
    auto a = mx::random::normal({n, n}, mx::float32, key);
    auto b = mx::random::normal({n, n}, mx::float32, key);
    mx::eval(a, b);
    double s =
        median_seconds(n >= 8192 ? 5 : 10, [&] { mx::eval(mx::matmul(a, b)); });
    std::printf("sgemm %d %.2f TFLOP/s\n", n, 2.0 * n * n * n / s / 1e12);
  }

  size_t count = (256u << 20) / 4;
  double s = 0;
  if (run("add") || run("exp") || run("sum")) {
    auto x = mx::random::uniform({int(count)}, mx::float32, key);
    auto y = mx::random::uniform({int(count)}, mx::float32, key);
    mx::eval(x, y);
    if (run("add")) {
      s = median_seconds(20, [&] { mx::eval(mx::add(x, y)); });
      std::printf("add 256MiB %.0f GB/s\n", 3.0 * count * 4 / s / 1e9);
    }
    if (run("exp")) {
      s = median_seconds(20, [&] { mx::eval(mx::exp(x)); });
      std::printf("exp 256MiB %.0f GB/s\n", 2.0 * count * 4 / s / 1e9);
    }
    if (run("sum")) {
      auto m = mx::reshape(x, {int(count / 4096), 4096});
      mx::eval(m);
      s = median_seconds(20, [&] { mx::eval(mx::sum(m, -1)); });
      std::printf(
          "sum_last_axis 256MiB %.0f GB/s\n", 1.0 * count * 4 / s / 1e9);
    }
  }

  if (run("chain")) {
    auto small = mx::random::uniform({1024}, mx::float32, key);
    mx::eval(small);
    s = median_seconds(10, [&] {
      auto z = small;
      for (int i = 0; i < 1000; ++i) {
        z = (i % 2) ? mx::multiply(z, mx::array(0.999f)) : mx::add(z, small);
      }
      mx::eval(z);
    });
    std::printf("chain1000 %.2f us/op\n", s / 1000 * 1e6);
  }
  if (run("roundtrip")) {
    auto small = mx::random::uniform({1024}, mx::float32, key);
    mx::eval(small);
    s = median_seconds(200, [&] { mx::eval(mx::add(small, small)); });
    std::printf("roundtrip %.1f us\n", s * 1e6);
  }
  if (run("add_sizes")) {
    for (size_t mib : {64, 256, 1024}) {
      size_t n = (mib << 20) / 4;
      auto u = mx::random::uniform({int(n)}, mx::float32, key);
      auto v = mx::random::uniform({int(n)}, mx::float32, key);
      mx::eval(u, v);
      s = median_seconds(20, [&] { mx::eval(mx::add(u, v)); });
      std::printf("add %zuMiB %.0f GB/s\n", mib, 3.0 * n * 4 / s / 1e9);
    }
  }
  if (!run("mlp")) {
    return 0;
  }

  mx::random::seed(0);
  examples::Mlp model(2, 784, 512, 10);
  optim::Adam optimizer(1e-3f);
  auto xb = mx::random::uniform({256, 784}, mx::float32, key);
  auto yb =
      mx::astype(mx::random::randint(0, 10, {256}, mx::int32, key), mx::uint32);
  mx::eval(xb, yb);
  auto loss_fn = [&](const mx::array& x, const mx::array& y) {
    return nn::losses::cross_entropy(
        model(x), y, std::nullopt, -1, 0.0f, "mean");
  };
  auto step = nn::value_and_grad(model, loss_fn);
  s = median_seconds(50, [&] {
    auto [loss, grads] = step(xb, yb);
    optimizer.update(model, grads);
    examples::eval_trees(
        {model.parameters(), optimizer.state(), mlx::utils::Tree(loss)});
  });
  std::printf("mlp_step %.3f ms\n", s * 1e3);
  return 0;
}
