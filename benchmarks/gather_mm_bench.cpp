// A mixture-of-experts product, out[t] = x[t] @ w[expert[t]] (256 tokens,
// 8 experts of 512 x 512 float32): mx::gather_mm, which runs one gemm per
// token on the chosen expert's weights in place, against the composition
// it replaced, take of the chosen weights (a 1 MiB copy per token) then
// matmul; with random experts, with the tokens sorted by expert, and the
// gradients with respect to x and the weights. Graph construction and eval
// included; median of 5 repetitions.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "mlx/mlx.h"

namespace mx = mlx::core;

namespace {

constexpr int kTokens = 256;
constexpr int kExperts = 8;
constexpr int kDim = 512;

struct MoeInputs {
  mx::array x;       // [tokens, 1, K]
  mx::array w;       // [experts, K, N]
  mx::array experts; // [tokens], one expert per token
};

MoeInputs moe_inputs() {
  mx::random::seed(7);
  MoeInputs in{
      mx::random::normal({kTokens, 1, kDim}, mx::float32),
      mx::random::normal({kExperts, kDim, kDim}, mx::float32),
      mx::random::randint(0, kExperts, {kTokens})};
  mx::eval({in.x, in.w, in.experts});
  return in;
}

void set_flops(benchmark::State& state) {
  state.counters["GFLOP/s"] = benchmark::Counter(
      2.0 * kTokens * kDim * kDim * 1e-9,
      benchmark::Counter::kIsIterationInvariantRate);
}

void BM_GatherMM(benchmark::State& state) {
  auto in = moe_inputs();
  for (auto _ : state) {
    auto out = mx::gather_mm(in.x, in.w, std::nullopt, in.experts);
    out.eval();
    benchmark::DoNotOptimize(out.data<float>());
  }
  set_flops(state);
}

void BM_TakeThenMatmul(benchmark::State& state) {
  auto in = moe_inputs();
  for (auto _ : state) {
    auto out = mx::matmul(in.x, mx::take(in.w, in.experts, 0));
    out.eval();
    benchmark::DoNotOptimize(out.data<float>());
  }
  set_flops(state);
}

// Tokens sorted by expert (as a mixture-of-experts layer sorts them): runs
// of tokens with one expert stack into one gemm that reads its weights once.
void BM_GatherMMSorted(benchmark::State& state) {
  auto in = moe_inputs();
  auto sorted = mx::sort(in.experts);
  sorted.eval();
  for (auto _ : state) {
    auto out = mx::gather_mm(in.x, in.w, std::nullopt, sorted, true);
    out.eval();
    benchmark::DoNotOptimize(out.data<float>());
  }
  set_flops(state);
}

void BM_TakeThenMatmulSorted(benchmark::State& state) {
  auto in = moe_inputs();
  auto sorted = mx::sort(in.experts);
  sorted.eval();
  for (auto _ : state) {
    auto out = mx::matmul(in.x, mx::take(in.w, sorted, 0));
    out.eval();
    benchmark::DoNotOptimize(out.data<float>());
  }
  set_flops(state);
}

// Gradients of sum(out) with respect to x and the experts' weights.
template <typename Product>
void time_gradients(benchmark::State& state, Product product) {
  auto in = moe_inputs();
  auto grad = mx::grad(
      [&](const std::vector<mx::array>& p) {
        return mx::sum(product(p[0], p[1], in.experts));
      },
      std::vector<int>{0, 1});
  for (auto _ : state) {
    std::vector<mx::array> g = grad({in.x, in.w});
    mx::eval(g);
    benchmark::DoNotOptimize(g[1].data<float>());
  }
}

void BM_GatherMMGrad(benchmark::State& state) {
  time_gradients(state, [](auto& x, auto& w, auto& experts) {
    return mx::gather_mm(x, w, std::nullopt, experts);
  });
}

void BM_TakeThenMatmulGrad(benchmark::State& state) {
  time_gradients(state, [](auto& x, auto& w, auto& experts) {
    return mx::matmul(x, mx::take(w, experts, 0));
  });
}

} // namespace

BENCHMARK(BM_GatherMMGrad)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_TakeThenMatmulGrad)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_GatherMMSorted)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_TakeThenMatmulSorted)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_GatherMM)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_TakeThenMatmul)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);

BENCHMARK_MAIN();
