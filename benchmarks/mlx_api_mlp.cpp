// An MLP training step written only against MLX's public C++ API, so that
// the same file builds against Apple's MLX and against this project and the
// two can be timed side by side (benchmarks/compare_mlx.sh).
//
// Model: 784-512-512-10 with ReLU (maximum(x, 0)), parameters as plain
// arrays w1 (784x512), b1, w2, b2, w3, b3; loss: mean cross-entropy as
// logsumexp(logits) - take_along_axis(logits, label); batch 256; gradients
// by value_and_grad; plain SGD (w - lr * g); one eval of the parameters and
// the loss per step.
//
// Data and initial weights are deterministic host sequences (not the
// library's random generator, which differs between the two), so both
// builds print the same losses: a check that they compute the same thing.
//
// Prints one line:
//   steps N ms/step M samples/s S cpu_ms/step C first_loss L0 final_loss L
// where ms/step is the median wall time of the timed steps (after the
// warm-up) and cpu_ms/step the process's user + system time over the timed
// steps divided by their number: all threads' work, spinning included,
// which a loaded machine inflates less than wall time.
//
// usage: mlx_api_mlp [--steps N] [--warmup N]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "mlx/mlx.h"

namespace mx = mlx::core;

namespace {

constexpr int kBatch = 256;
constexpr int kInputs = 784;
constexpr int kHidden = 512;
constexpr int kClasses = 10;
constexpr float kLearningRate = 0.01f;

// frac(i * golden ratio) - 0.5: a deterministic, well spread sequence in
// [-0.5, 0.5) (the same one benchmarks/train_step_bench.cpp uses).
float spread(long i) {
  double v = double(i) * 0.6180339887498949;
  return float(v - std::floor(v) - 0.5);
}

// A rows x cols float32 array of spread() values times scale, starting at
// index offset of the sequence.
mx::array host_matrix(int rows, int cols, float scale, long offset) {
  std::vector<float> values(size_t(rows) * cols);
  for (size_t i = 0; i < values.size(); ++i) {
    values[i] = scale * spread(offset + long(i));
  }
  return mx::array(values.begin(), {rows, cols}, mx::float32);
}

mx::array host_vector(int n, float scale, long offset) {
  return mx::reshape(host_matrix(1, n, scale, offset), {n});
}

// Weights uniform in +-1/sqrt(fan_in) (as nn.Linear initialises), zero bias.
std::vector<mx::array> init_parameters() {
  auto layer = [](int in, int out, long offset) {
    float bound = 1.0f / std::sqrt(float(in));
    return std::vector<mx::array>{
        host_matrix(in, out, 2.0f * bound, offset),
        mx::zeros({out}, mx::float32)};
  };
  std::vector<mx::array> params;
  for (auto& p : layer(kInputs, kHidden, 1)) {
    params.push_back(p);
  }
  for (auto& p : layer(kHidden, kHidden, 1000003)) {
    params.push_back(p);
  }
  for (auto& p : layer(kHidden, kClasses, 2000003)) {
    params.push_back(p);
  }
  return params;
}

mx::array mlp_logits(const std::vector<mx::array>& p, const mx::array& x) {
  auto zero = mx::array(0.0f);
  auto h1 = mx::maximum(mx::add(mx::matmul(x, p[0]), p[1]), zero);
  auto h2 = mx::maximum(mx::add(mx::matmul(h1, p[2]), p[3]), zero);
  return mx::add(mx::matmul(h2, p[4]), p[5]);
}

// Mean over the batch of logsumexp(logits) - logits[label].
mx::array cross_entropy(const mx::array& logits, const mx::array& labels) {
  auto picked = mx::take_along_axis(logits, mx::expand_dims(labels, 1), 1);
  auto per_sample =
      mx::subtract(mx::logsumexp(logits, 1), mx::squeeze(picked, 1));
  return mx::mean(per_sample);
}

// User + system time of the whole process so far, in milliseconds.
double process_cpu_ms() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto ms = [](const timeval& t) {
    return double(t.tv_sec) * 1e3 + double(t.tv_usec) * 1e-3;
  };
  return ms(usage.ru_utime) + ms(usage.ru_stime);
}

struct Options {
  int steps = 200;
  int warmup = 20;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if ((arg == "--steps" || arg == "--warmup") && i + 1 < argc) {
      int value = std::atoi(argv[++i]);
      (arg == "--steps" ? o.steps : o.warmup) = value;
    } else {
      std::fprintf(stderr, "usage: mlx_api_mlp [--steps N] [--warmup N]\n");
      std::exit(2);
    }
  }
  if (o.steps < 1 || o.warmup < 0) {
    std::fprintf(stderr, "mlx_api_mlp: --steps >= 1, --warmup >= 0\n");
    std::exit(2);
  }
  return o;
}

} // namespace

int main(int argc, char** argv) {
  Options opt = parse(argc, argv);

  auto x = host_matrix(kBatch, kInputs, 1.0f, 5000011);
  std::vector<int32_t> label_values(kBatch);
  for (int i = 0; i < kBatch; ++i) {
    label_values[i] = int32_t(((uint64_t(i) * 2654435761u) >> 7) % kClasses);
  }
  auto labels = mx::array(label_values.begin(), {kBatch}, mx::int32);
  auto params = init_parameters();
  mx::eval(x);
  mx::eval(labels);
  mx::eval(params);

  auto loss_fn = [&](const std::vector<mx::array>& p) {
    return std::vector<mx::array>{cross_entropy(mlp_logits(p, x), labels)};
  };
  auto value_and_grad =
      mx::value_and_grad(loss_fn, std::vector<int>{0, 1, 2, 3, 4, 5});
  auto lr = mx::array(kLearningRate);

  using Clock = std::chrono::steady_clock;
  std::vector<double> step_ms;
  float first_loss = 0.0f, loss_value = 0.0f;
  double cpu_start_ms = 0.0;
  for (int step = 0; step < opt.warmup + opt.steps; ++step) {
    if (step == opt.warmup) {
      cpu_start_ms = process_cpu_ms();
    }
    auto start = Clock::now();
    auto [values, grads] = value_and_grad(params);
    for (size_t i = 0; i < params.size(); ++i) {
      params[i] = mx::subtract(params[i], mx::multiply(lr, grads[i]));
    }
    std::vector<mx::array> outputs = params;
    outputs.push_back(values[0]);
    mx::eval(outputs);
    auto end = Clock::now();
    loss_value = values[0].item<float>();
    if (step == 0) {
      first_loss = loss_value;
    }
    if (step >= opt.warmup) {
      step_ms.push_back(
          std::chrono::duration<double, std::milli>(end - start).count());
    }
  }

  double cpu_ms_per_step = (process_cpu_ms() - cpu_start_ms) / opt.steps;
  std::sort(step_ms.begin(), step_ms.end());
  size_t n = step_ms.size();
  double median =
      n % 2 ? step_ms[n / 2] : 0.5 * (step_ms[n / 2 - 1] + step_ms[n / 2]);
  std::printf(
      "steps %d ms/step %.3f samples/s %.0f cpu_ms/step %.3f first_loss %.5f "
      "final_loss %.5f\n",
      opt.steps,
      median,
      kBatch / (median / 1000.0),
      cpu_ms_per_step,
      first_loss,
      loss_value);
  return 0;
}
