// Training-step throughput and memory of two models, compared with PyTorch by
// benchmarks/compare_training.sh (the same models and data in
// benchmarks/train_step_torch.py):
//   --model mlp          784-512-512-10 MLP with ReLU, batch 256,
//                        cross-entropy (mean), Adam lr 1e-3
//   --model transformer  the language model of examples/train_lm.cpp: byte
//                        and position embeddings, TransformerEncoder (4
//                        layers, dims 128, 4 heads, mlp 512, norm_first),
//                        causal mask, read-out to 256; batch 32 x 128
//                        tokens, AdamW lr 1e-3
// A step is value_and_grad + optimizer.update + one eval of the parameters,
// the optimizer state and the loss (as train_mnist / train_lm do).
//
// Prints one line:
//   model ... steps ... samples/s ... tokens/s ... peak_rss_increase_mib ...
//   mlx_peak_mib ... mlx_peak_increase_mib ...
// Memory: peak_rss_increase = ru_maxrss at the end - the resident set right
// before the first (warm-up) step, when the model, the data and the
// optimizer exist (the allocator cache emptied, malloc_trim); mlx_peak = the
// allocator's peak active bytes over the warm-up and timed steps, and its
// increase over the active bytes at that same point.
//
// --breakdown: each timed step evaluates the gradients first, then the
// update, and the two times are printed separately (an extra sync point).
//
// For the MLP it also prints gemm_floor_ms: the step's eight matrix products
// (three forward, three weight gradients, two input gradients; same shapes
// and transposes) called directly through cblas_sgemm, with the same BLAS
// threads, in the same process: the floor that no framework step goes below.
#include <cblas.h>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "mlx/memory.h"
#include "mlx/mlx.h"
#include "mlx/nn.h"
#include "mlx/optimizers.h"
#include "models.h"

namespace mx = mlx::core;
namespace nn = mlx::nn;
namespace optim = mlx::optimizers;
namespace mu = mlx::utils;

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string model = "mlp";
  int steps = 200;
  int warmup = 20;
  bool breakdown = false;
  long cache_limit_mib = -1; // < 0: the allocator's default
};

[[noreturn]] void usage(const std::string& error) {
  std::fprintf(
      stderr,
      "%s\nusage: train_step_bench [--model mlp|transformer] [--steps N] "
      "[--warmup N] [--breakdown] [--cache-limit-mib N]\n",
      error.c_str());
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage("missing value for " + arg);
      }
      return argv[++i];
    };
    if (arg == "--model") {
      o.model = next();
    } else if (arg == "--steps") {
      o.steps = std::stoi(next());
    } else if (arg == "--warmup") {
      o.warmup = std::stoi(next());
    } else if (arg == "--cache-limit-mib") {
      o.cache_limit_mib = std::stol(next());
    } else if (arg == "--breakdown") {
      o.breakdown = true;
    } else {
      usage("unknown argument " + arg);
    }
  }
  if (o.model != "mlp" && o.model != "transformer") {
    usage("--model is mlp or transformer");
  }
  return o;
}

double mib(double bytes) {
  return bytes / (1024.0 * 1024.0);
}

// Resident set now, in bytes (/proc/self/statm, second field, pages).
double current_rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return double(resident) * double(sysconf(_SC_PAGESIZE));
}

// The largest resident set so far, in bytes (ru_maxrss is in KiB on Linux).
double peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_maxrss) * 1024.0;
}

// The same inputs as train_step_torch.py: element i of a float input is
// frac(i * golden ratio) - 0.5, computed in double and rounded to float.
mx::array golden_floats(int batches, const mx::Shape& shape) {
  size_t n = batches;
  for (int d : shape) {
    n *= d;
  }
  std::vector<float> values(n);
  for (size_t i = 0; i < n; ++i) {
    double v = double(i) * 0.6180339887498949;
    values[i] = float(v - std::floor(v) - 0.5);
  }
  mx::Shape full = {batches};
  full.insert(full.end(), shape.begin(), shape.end());
  return mx::array(values.begin(), full, mx::float32);
}

// Integer inputs: element i is ((i * 2654435761) >> 7) % classes.
mx::array hashed_ints(int batches, const mx::Shape& shape, int classes) {
  size_t n = batches;
  for (int d : shape) {
    n *= d;
  }
  std::vector<int32_t> values(n);
  for (size_t i = 0; i < n; ++i) {
    values[i] = int32_t(((uint64_t(i) * 2654435761ULL) >> 7) % classes);
  }
  mx::Shape full = {batches};
  full.insert(full.end(), shape.begin(), shape.end());
  return mx::array(values.begin(), full, mx::int32);
}

using examples::eval_trees;
using examples::LanguageModel;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Milliseconds per step of the MLP step's matrix products alone, row-major
// as ours: forward y = x W^T, weight gradient g^T x, input gradient g W
// (not for the first layer).
double mlp_gemm_floor_ms(int batch, const std::vector<int>& sizes, int steps) {
  size_t widest = *std::max_element(sizes.begin(), sizes.end());
  std::vector<float> x(batch * widest, 0.25f), g(batch * widest, 0.5f);
  std::vector<float> y(batch * widest), dx(batch * widest);
  std::vector<float> w(widest * widest, 0.125f), dw(widest * widest);
  auto step = [&]() {
    for (size_t l = 0; l + 1 < sizes.size(); ++l) {
      int in = sizes[l], out = sizes[l + 1];
      cblas_sgemm(
          CblasRowMajor,
          CblasNoTrans,
          CblasTrans,
          batch,
          out,
          in,
          1.0f,
          x.data(),
          in,
          w.data(),
          in,
          0.0f,
          y.data(),
          out);
    }
    for (size_t l = sizes.size() - 1; l-- > 0;) {
      int in = sizes[l], out = sizes[l + 1];
      cblas_sgemm(
          CblasRowMajor,
          CblasTrans,
          CblasNoTrans,
          out,
          in,
          batch,
          1.0f,
          g.data(),
          out,
          x.data(),
          in,
          0.0f,
          dw.data(),
          in);
      if (l > 0) {
        cblas_sgemm(
            CblasRowMajor,
            CblasNoTrans,
            CblasNoTrans,
            batch,
            in,
            out,
            1.0f,
            g.data(),
            out,
            w.data(),
            in,
            0.0f,
            dx.data(),
            in);
      }
    }
  };
  for (int i = 0; i < std::max(1, steps / 10); ++i) {
    step();
  }
  auto start = Clock::now();
  for (int i = 0; i < steps; ++i) {
    step();
  }
  return 1e3 * seconds_since(start) / steps;
}

} // namespace

int main(int argc, char** argv) {
  Options opt = parse(argc, argv);
  constexpr int kBatches = 4; // distinct batches, used in turn
  constexpr int kContext = 128;
  bool mlp = opt.model == "mlp";
  int batch = mlp ? 256 : 32;

  if (opt.cache_limit_mib >= 0) {
    mx::set_cache_limit(size_t(opt.cache_limit_mib) << 20);
  }
  mx::random::seed(0);
  std::unique_ptr<nn::Module> model;
  std::unique_ptr<optim::Optimizer> optimizer;
  std::vector<mx::array> inputs, targets;
  if (mlp) {
    // The MLP: 784-512-512-10 (train_mnist's, two hidden layers).
    model = std::make_unique<examples::Mlp>(2, 784, 512, 10);
    optimizer = std::make_unique<optim::Adam>(1e-3f);
    auto x = golden_floats(kBatches, {batch, 784});
    auto y = hashed_ints(kBatches, {batch}, 10);
    for (int b = 0; b < kBatches; ++b) {
      inputs.push_back(mx::take(x, b, 0));
      targets.push_back(mx::take(y, b, 0));
    }
  } else {
    model = std::make_unique<LanguageModel>(kContext, 128, 4, 4);
    optimizer = std::make_unique<optim::AdamW>(1e-3f);
    // Windows of context + 1 bytes: inputs and next-byte targets.
    auto windows = hashed_ints(kBatches, {batch, kContext + 1}, 256);
    for (int b = 0; b < kBatches; ++b) {
      auto w = mx::take(windows, b, 0);
      inputs.push_back(mx::slice(w, {0, 0}, {batch, kContext}));
      targets.push_back(mx::slice(w, {0, 1}, {batch, kContext + 1}));
    }
  }
  eval_trees({model->parameters()});
  mx::eval(inputs);
  mx::eval(targets);

  auto loss_fn = [&](const mx::array& x, const mx::array& y) {
    return nn::losses::cross_entropy(
        (*model)(x), y, std::nullopt, -1, 0.0f, "mean");
  };
  auto step_fn = nn::value_and_grad(*model, loss_fn);

  // The baseline: model and data exist, nothing of training yet.
  mx::clear_cache();
  malloc_trim(0); // heap freed while making the data goes back to the OS
  double rss_before = current_rss_bytes();
  double maxrss_before = peak_rss_bytes();
  double active_before = double(mx::get_active_memory());
  mx::reset_peak_memory();

  double grad_seconds = 0, update_seconds = 0;
  mx::array loss(0.0f);
  auto run_step = [&](int i, bool timed) {
    auto& x = inputs[i % kBatches];
    auto& y = targets[i % kBatches];
    auto start = Clock::now();
    auto [l, grads] = step_fn(x, y);
    loss = l;
    if (timed && opt.breakdown) {
      eval_trees({grads, mu::Tree(loss)});
      grad_seconds += seconds_since(start);
      start = Clock::now();
    }
    optimizer->update(*model, grads);
    eval_trees({model->parameters(), optimizer->state(), mu::Tree(loss)});
    if (timed && opt.breakdown) {
      update_seconds += seconds_since(start);
    }
  };

  for (int i = 0; i < opt.warmup; ++i) {
    run_step(i, false);
  }
  auto start = Clock::now();
  for (int i = 0; i < opt.steps; ++i) {
    run_step(opt.warmup + i, true);
  }
  double seconds = seconds_since(start);
  float final_loss = loss.item<float>();

  double samples_per_s = opt.steps * double(batch) / seconds;
  double tokens_per_s = mlp ? 0.0 : samples_per_s * kContext;
  std::printf(
      "model %s steps %d loss %.4f ms/step %.3f samples/s %.1f tokens/s %.0f "
      "peak_rss_increase_mib %.1f rss_before_mib %.1f mlx_peak_mib %.1f "
      "mlx_peak_increase_mib %.1f",
      opt.model.c_str(),
      opt.steps,
      final_loss,
      1e3 * seconds / opt.steps,
      samples_per_s,
      tokens_per_s,
      mib(peak_rss_bytes() - rss_before),
      mib(rss_before),
      mib(double(mx::get_peak_memory())),
      mib(double(mx::get_peak_memory()) - active_before));
  if (maxrss_before > rss_before + 1024.0 * 1024.0) {
    // An earlier, higher peak hides part of the increase.
    std::printf(" (maxrss_before_mib %.1f)", mib(maxrss_before));
  }
  if (mlp) {
    std::printf(
        " gemm_floor_ms %.3f",
        mlp_gemm_floor_ms(batch, {784, 512, 512, 10}, opt.steps));
  }
  if (opt.breakdown) {
    std::printf(
        " grad_ms %.3f update_ms %.3f",
        1e3 * grad_seconds / opt.steps,
        1e3 * update_seconds / opt.steps);
  }
  std::printf("\n");
  return 0;
}
