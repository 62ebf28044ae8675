// Element-wise throughput over 16M float32: mx::add and mx::exp (inputs
// evaluated beforehand, so only the op's eval is timed) against plain loops
// over all cores that move the same bytes: c[i] = a[i] + b[i] for add, and
// the copy b[i] = a[i] (read + write, the floor exp cannot beat) for exp.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <thread>
#include <vector>

#include "mlx/mlx.h"

namespace mx = mlx::core;

namespace {

constexpr int kSize = 16 << 20; // 16M elements, 64 MiB per array

std::vector<float> filled(size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) {
    v[i] = static_cast<float>(i % 1000) * 1e-3f - 0.5f;
  }
  return v;
}

// Runs f(begin, end) over [0, n) on one std::thread per core.
template <typename F> void on_all_cores(size_t n, F f) {
  unsigned t = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> threads;
  size_t chunk = (n + t - 1) / t;
  for (unsigned i = 0; i < t; ++i) {
    size_t b = std::min(n, i * chunk), e = std::min(n, b + chunk);
    threads.emplace_back([=] { f(b, e); });
  }
  for (auto& th : threads) {
    th.join();
  }
}

void BM_MlxAdd(benchmark::State& state) {
  mx::array a(filled(kSize), {kSize});
  mx::array b(filled(kSize), {kSize});
  a.eval();
  b.eval();
  for (auto _ : state) {
    auto c = mx::add(a, b);
    c.eval();
    benchmark::DoNotOptimize(c.data<float>());
  }
  state.SetBytesProcessed(state.iterations() * int64_t(kSize) * 3 * 4);
}

void BM_LoopAdd(benchmark::State& state) {
  auto a = filled(kSize), b = filled(kSize);
  std::vector<float> c(kSize);
  for (auto _ : state) {
    on_all_cores(kSize, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) {
        c[i] = a[i] + b[i];
      }
    });
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * int64_t(kSize) * 3 * 4);
}

void BM_MlxExp(benchmark::State& state) {
  mx::array a(filled(kSize), {kSize});
  a.eval();
  for (auto _ : state) {
    auto c = mx::exp(a);
    c.eval();
    benchmark::DoNotOptimize(c.data<float>());
  }
  state.SetBytesProcessed(state.iterations() * int64_t(kSize) * 2 * 4);
}

void BM_LoopCopy(benchmark::State& state) {
  auto a = filled(kSize);
  std::vector<float> b(kSize);
  for (auto _ : state) {
    on_all_cores(kSize, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) {
        b[i] = a[i];
      }
    });
    benchmark::DoNotOptimize(b.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * int64_t(kSize) * 2 * 4);
}

} // namespace

BENCHMARK(BM_MlxAdd)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LoopAdd)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_MlxExp)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LoopCopy)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
