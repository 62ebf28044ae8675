// nn::average_gradients on a tree of many small gradients against ONE
// all_sum of the same total bytes, on the backend the launcher configured:
//   mpirun -np 2 ./average_gradients_bench [--shapes uniform|lm] [--count N]
//       [--elements N] [--iters N] [--blocks N] [--bucket-kib N]...
//   mlx.launch -n 2 -- ./average_gradients_bench ...
// Shapes: "uniform" (default) is --count float32 arrays of --elements each
// (100 x 10,000); "lm" is the parameter shapes of examples/train_lm.cpp's
// language model (54 arrays, 3.4 MB).
// Modes, each a call evaluated on its own (eval of every output):
//   one all_sum         all_sum(x) of one array with all the elements
//   average_gradients   nn::average_gradients(tree) with the default
//                       all_reduce_size (32 MiB: here a first bucket of
//                       1 MiB, then one of the rest)
//   all_reduce_size=0   one all_sum (and divide) per array
//   buckets of N KiB    average_gradients with all_reduce_size N KiB
//                       (--bucket-kib N, repeatable)
//   all_sum_many        the one collective of a single bucket: every
//                       array, 1/N applied by the backend
//   before: concat path the bucket path average_gradients had before
//                       all_sum_many: concatenate, all_sum, divide, split
// and, to attribute the old path's cost, two of its pieces:
//   concatenate+all_sum the bucket's copy into one array, then all_sum
//   all_sum+divide      one all_sum, then the division by the rank count
// Time per call: the slowest rank's time for a block of --iters calls,
// divided by --iters; the median over --blocks blocks, modes interleaved.
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

namespace mx = mlx::core;
namespace dist = mlx::core::distributed;
namespace mu = mlx::utils;

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string shapes = "uniform";
  int count = 100;
  int elements = 10000;
  int iters = 20;
  int blocks = 15;
  std::vector<int64_t> buckets; // extra all_reduce_size values to time
};

[[noreturn]] void usage(const std::string& error) {
  std::fprintf(
      stderr,
      "%s\nusage: average_gradients_bench [--shapes uniform|lm] [--count N] "
      "[--elements N] [--iters N] [--blocks N] [--bucket-kib N]...\n",
      error.c_str());
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> int {
      if (i + 1 >= argc) {
        usage("missing value for " + arg);
      }
      return std::atoi(argv[++i]);
    };
    if (arg == "--shapes" && i + 1 < argc) {
      o.shapes = argv[++i];
    } else if (arg == "--count") {
      o.count = next();
    } else if (arg == "--elements") {
      o.elements = next();
    } else if (arg == "--iters") {
      o.iters = next();
    } else if (arg == "--blocks") {
      o.blocks = next();
    } else if (arg == "--bucket-kib") {
      o.buckets.push_back(int64_t(next()) << 10);
    } else {
      usage("unknown argument " + arg);
    }
  }
  if (o.shapes != "uniform" && o.shapes != "lm") {
    usage("--shapes is uniform or lm");
  }
  return o;
}

// The parameters of train_lm's LanguageModel (dims 128, 4 layers, mlp 512,
// context 128), in the order of its parameter tree.
std::vector<mx::Shape> lm_shapes() {
  std::vector<mx::Shape> shapes = {{128, 128}, {256, 128}}; // embeddings
  for (int layer = 0; layer < 4; ++layer) {
    for (int proj = 0; proj < 4; ++proj) { // q, k, v, out projections
      shapes.push_back({128, 128});
    }
    shapes.insert(shapes.end(), {{128}, {128}, {128}, {128}}); // ln1, ln2
    shapes.insert(shapes.end(), {{512, 128}, {512}, {128, 512}, {128}});
  }
  shapes.insert(shapes.end(), {{128}, {128}, {256, 128}, {256}});
  return shapes;
}

struct Mode {
  std::string name;
  std::function<void()> call;
  std::vector<double> blocks; // seconds per call, one per block
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void eval_tree(const mu::Tree& tree) {
  std::vector<mx::array> leaves;
  for (auto& [path, leaf] : mu::tree_flatten(tree)) {
    leaves.push_back(leaf);
  }
  mx::eval(leaves);
}

} // namespace

int main(int argc, char** argv) {
  Options opt = parse(argc, argv);
  auto world = dist::init(true);
  int rank = world.rank();

  std::vector<mx::Shape> shapes;
  if (opt.shapes == "lm") {
    shapes = lm_shapes();
  } else {
    shapes.assign(opt.count, mx::Shape{opt.elements});
  }
  mu::Tree::Dict grads;
  int64_t total = 0;
  for (size_t i = 0; i < shapes.size(); ++i) {
    auto g = mx::random::normal(shapes[i], mx::float32);
    total += g.size();
    char name[16];
    std::snprintf(name, sizeof(name), "g%03zu", i);
    grads.emplace(name, mu::Tree(g));
  }
  mu::Tree tree(grads);
  eval_tree(tree);
  auto flat = mx::random::normal({int(total)}, mx::float32);
  flat.eval();

  std::vector<Mode> modes;
  modes.push_back({"one all_sum", [&] { dist::all_sum(flat, world).eval(); }});
  modes.push_back({"average_gradients", [&] {
                     eval_tree(mlx::nn::average_gradients(tree, world));
                   }});
  for (int64_t bucket : opt.buckets) {
    char name[40];
    std::snprintf(
        name, sizeof(name), "buckets of %lld KiB", (long long)bucket >> 10);
    modes.push_back({name, [&tree, &world, bucket] {
                       eval_tree(
                           mlx::nn::average_gradients(tree, world, bucket));
                     }});
  }
  // Pieces of average_gradients' bucket path, to attribute its cost.
  std::vector<mx::array> leaves;
  for (auto& [path, leaf] : mu::tree_flatten(tree)) {
    leaves.push_back(leaf);
  }
  modes.push_back({"concatenate+all_sum", [&] {
                     std::vector<mx::array> pieces;
                     for (auto& g : leaves) {
                       pieces.push_back(mx::reshape(g, {-1}));
                     }
                     dist::all_sum(mx::concatenate(pieces, 0), world).eval();
                   }});
  // average_gradients' collective alone, over the whole tree in one call.
  modes.push_back({"all_sum_many", [&] {
                     mx::eval(dist::all_sum_many(leaves, world.size(), world));
                   }});
  // The bucket path before all_sum_many (main at 65b201c), as a peer in
  // the same run: concatenate, all_sum, divide, split.
  modes.push_back({"before: concat path", [&] {
                     std::vector<mx::array> pieces;
                     mx::Shape offsets;
                     int64_t offset = 0;
                     for (auto& g : leaves) {
                       pieces.push_back(mx::reshape(g, {-1}));
                       offset += g.size();
                       offsets.push_back(static_cast<int32_t>(offset));
                     }
                     offsets.pop_back();
                     auto sum =
                         dist::all_sum(mx::concatenate(pieces, 0), world);
                     auto mean =
                         mx::divide(sum, mx::array(float(world.size())));
                     mx::eval(mx::split(mean, offsets, 0));
                   }});
  modes.push_back(
      {"all_sum+divide", [&] {
         mx::divide(dist::all_sum(flat, world), mx::array(float(world.size())))
             .eval();
       }});
  modes.push_back({"all_reduce_size=0", [&] {
                     eval_tree(mlx::nn::average_gradients(tree, world, 0));
                   }});

  for (auto& mode : modes) { // warm-up: connections, allocator cache
    for (int i = 0; i < 3; ++i) {
      mode.call();
    }
  }
  for (int b = 0; b < opt.blocks; ++b) {
    for (auto& mode : modes) {
      dist::barrier(world);
      auto start = Clock::now();
      for (int i = 0; i < opt.iters; ++i) {
        mode.call();
      }
      double t = std::chrono::duration<double>(Clock::now() - start).count();
      double slowest = dist::all_max(mx::array(t), world).item<double>();
      mode.blocks.push_back(slowest / opt.iters);
    }
  }

  if (rank == 0) {
    std::printf(
        "# average_gradients: %zu float32 arrays (%s), %lld elements, %.2f "
        "MB; %d ranks, backend %s; median of %d blocks of %d calls\n",
        shapes.size(),
        opt.shapes.c_str(),
        (long long)total,
        total * 4 / 1e6,
        world.size(),
        world.raw_group()->backend(),
        opt.blocks,
        opt.iters);
    double reference = median(modes[0].blocks);
    for (auto& mode : modes) {
      double m = median(mode.blocks);
      auto [lo, hi] =
          std::minmax_element(mode.blocks.begin(), mode.blocks.end());
      std::printf(
          "%-20s %10.1f us/call (blocks %.1f-%.1f)  %.2fx one all_sum\n",
          mode.name.c_str(),
          m * 1e6,
          *lo * 1e6,
          *hi * 1e6,
          m / reference);
    }
  }
  return 0;
}
