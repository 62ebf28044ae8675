// A data-parallel training step (MLP forward + backward, average_gradients,
// SGD update, all evaluated at once) with N ranks against the same step on
// one rank with the same per-rank batch: with the gradients' all-reduce
// overlapped with the backward pass, N ranks should cost little more.
//   ./data_parallel_step_bench [--width W] [--depth D] [--batch B]
//       [--steps N] [--blocks N] [--bucket-mib M]      (1 rank)
//   mpirun -np 2 ./data_parallel_step_bench ...        (MPI)
//   mlx.launch -n 2 -- ./data_parallel_step_bench ...  (TCP ring)
// Modes, interleaved: "overlapped" evaluates the whole step at once (the
// buckets' all-reduces start as their gradients are ready); "serialized"
// evaluates the gradients first, then averages them. Time per step: the
// slowest rank's time for a block of --steps steps / --steps, median of
// --blocks blocks. MLX_TRACE=trace.json shows the timeline.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "mlx/distributed/backend.h"
#include "mlx/distributed/distributed.h"
#include "mlx/distributed/ops.h"
#include "mlx/mlx.h"
#include "mlx/nn/distributed.h"
#include "mlx/nn/module.h"

namespace mx = mlx::core;
namespace dist = mlx::core::distributed;
namespace mu = mlx::utils;
namespace nn = mlx::nn;

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int width = 1024;
  int depth = 4;
  int batch = 32;
  int steps = 5;
  int blocks = 9;
  int64_t bucket_bytes = 32 << 20;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&] {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return std::atoi(argv[++i]);
    };
    if (arg == "--width") {
      o.width = value();
    } else if (arg == "--depth") {
      o.depth = value();
    } else if (arg == "--batch") {
      o.batch = value();
    } else if (arg == "--steps") {
      o.steps = value();
    } else if (arg == "--blocks") {
      o.blocks = value();
    } else if (arg == "--bucket-mib") {
      o.bucket_bytes = int64_t(value()) << 20;
    } else {
      std::fprintf(
          stderr,
          "usage: data_parallel_step_bench [--width W] [--depth D] [--batch "
          "B] [--steps N] [--blocks N] [--bucket-mib M]\n");
      std::exit(2);
    }
  }
  return o;
}

// depth tanh layers of width x width, then a linear read-out to one value.
class Mlp : public nn::Module {
public:
  Mlp(int width, int depth) : depth_(depth) {
    for (int i = 0; i < depth; ++i) {
      register_parameter(
          "w" + std::to_string(i),
          mx::random::normal({width, width}, mx::float32, 0.0f, 0.03f));
      register_parameter("b" + std::to_string(i), mx::zeros({width}));
    }
    register_parameter(
        "out", mx::random::normal({1, width}, mx::float32, 0.0f, 0.03f));
  }
  mx::array operator()(const mx::array& x) override {
    mx::array h = x;
    for (int i = 0; i < depth_; ++i) {
      auto w = param("w" + std::to_string(i));
      auto b = param("b" + std::to_string(i));
      h = mx::tanh(mx::add(mx::matmul(h, mx::transpose(w)), b));
    }
    return mx::matmul(h, mx::transpose(param("out")));
  }

private:
  int depth_;
};

std::vector<mx::array> leaves(const mu::Tree& tree) {
  std::vector<mx::array> out;
  for (auto& [path, leaf] : mu::tree_flatten(tree)) {
    out.push_back(leaf);
  }
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
  Options opt = parse(argc, argv);
  auto world = dist::init();
  mx::random::seed(1);
  Mlp model(opt.width, opt.depth);
  mx::eval(leaves(model.parameters()));
  auto x = mx::random::normal({opt.batch, opt.width});
  auto y = mx::random::normal({opt.batch, 1});
  mx::eval({x, y});
  auto loss_and_grads =
      nn::value_and_grad(model, [&](const mx::array& a, const mx::array& b) {
        return mx::mean(mx::square(mx::subtract(model(a), b)));
      });
  auto update = [&](const mu::Tree& grads) {
    model.update(mu::tree_map(
        [](const std::vector<mx::array>& pg) {
          return mx::subtract(pg[0], mx::multiply(mx::array(1e-3f), pg[1]));
        },
        model.parameters(),
        {grads}));
    mx::eval(leaves(model.parameters()));
  };
  auto average = [&](const mu::Tree& grads) {
    return world.size() > 1
               ? nn::average_gradients(grads, world, opt.bucket_bytes)
               : grads;
  };
  struct Mode {
    const char* name;
    std::function<void()> step;
    std::vector<double> blocks;
  };
  std::vector<Mode> modes = {
      {"overlapped",
       [&] {
         auto [loss, grads] = loss_and_grads(x, y);
         update(average(grads));
       }},
      {"serialized",
       [&] {
         auto [loss, grads] = loss_and_grads(x, y);
         mx::eval(leaves(grads));
         update(average(grads));
       }},
  };
  for (auto& mode : modes) { // warm-up
    mode.step();
  }
  for (int b = 0; b < opt.blocks; ++b) {
    for (auto& mode : modes) {
      if (world.size() > 1) {
        dist::barrier(world);
      }
      auto start = Clock::now();
      for (int i = 0; i < opt.steps; ++i) {
        mode.step();
      }
      double t = std::chrono::duration<double>(Clock::now() - start).count();
      if (world.size() > 1) {
        t = dist::all_max(mx::array(t), world).item<double>();
      }
      mode.blocks.push_back(t / opt.steps);
    }
  }
  if (world.rank() == 0) {
    int64_t params = 0;
    for (auto& p : leaves(model.parameters())) {
      params += p.size();
    }
    std::printf(
        "# data-parallel step: MLP %d x %d, batch %d per rank, %.1f MB of "
        "gradients; %d rank(s), backend %s; median of %d blocks of %d "
        "steps\n",
        opt.depth,
        opt.width,
        opt.batch,
        params * 4 / 1e6,
        world.size(),
        world.raw_group()->backend(),
        opt.blocks,
        opt.steps);
    for (auto& mode : modes) {
      std::printf(
          "%-12s %9.2f ms/step\n", mode.name, median(mode.blocks) * 1e3);
    }
  }
  return 0;
}
