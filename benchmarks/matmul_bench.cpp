// Square float32 matmul: mx::matmul (graph construction and eval included)
// against a direct cblas_sgemm on the same data in the same process.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <cstdint>
#include <vector>

#include "mlx/mlx.h"

namespace mx = mlx::core;

namespace {

// Deterministic values in [-1, 1) (a small LCG; the values do not matter).
std::vector<float> filled(size_t n, uint32_t seed) {
  std::vector<float> v(n);
  for (auto& x : v) {
    seed = seed * 1664525u + 1013904223u;
    x = static_cast<float>(seed >> 8) / static_cast<float>(1 << 23) - 1.0f;
  }
  return v;
}

void set_flops(benchmark::State& state, int64_t n) {
  state.counters["GFLOP/s"] = benchmark::Counter(
      2.0 * n * n * n * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_MlxMatmul(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  mx::array a(filled(size_t(n) * n, 1), {n, n});
  mx::array b(filled(size_t(n) * n, 2), {n, n});
  a.eval();
  b.eval();
  for (auto _ : state) {
    auto c = mx::matmul(a, b);
    c.eval();
    benchmark::DoNotOptimize(c.data<float>());
  }
  set_flops(state, n);
}

void BM_OpenBlasSgemm(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  auto a = filled(size_t(n) * n, 1);
  auto b = filled(size_t(n) * n, 2);
  std::vector<float> c(size_t(n) * n);
  for (auto _ : state) {
    cblas_sgemm(
        CblasRowMajor,
        CblasNoTrans,
        CblasNoTrans,
        n,
        n,
        n,
        1.0f,
        a.data(),
        n,
        b.data(),
        n,
        0.0f,
        c.data(),
        n);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  set_flops(state, n);
}

} // namespace

BENCHMARK(BM_MlxMatmul)
    ->Arg(256)
    ->Arg(512)
    ->Arg(1024)
    ->Arg(2048)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_OpenBlasSgemm)
    ->Arg(256)
    ->Arg(512)
    ->Arg(1024)
    ->Arg(2048)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK_MAIN();
