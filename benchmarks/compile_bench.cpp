// compile over 16M float32: GELU, x * 0.5 * (1 + erf(x / sqrt 2)), and a
// chain of 10 cheap element-wise ops, each run as ordinary ops (one kernel and
// one 64 MiB array per op) and compiled (one fused kernel, intermediate
// values in per-thread scratch blocks). Inputs are evaluated beforehand;
// the timed loop builds the graph (the compiled one replays its trace) and
// evaluates it. See RESULTS.md.
#include <benchmark/benchmark.h>

#include <cmath>
#include <vector>

#include "mlx/mlx.h"

namespace mx = mlx::core;

namespace {

constexpr int kSize = 16 << 20; // 16M elements, 64 MiB per array

using Arrays = std::vector<mx::array>;

mx::array input() {
  std::vector<float> v(kSize);
  for (size_t i = 0; i < v.size(); ++i) {
    v[i] = static_cast<float>(i % 1000) * 4e-3f - 2.0f;
  }
  mx::array a(v.begin(), {kSize}, mx::float32);
  a.eval();
  return a;
}

Arrays gelu(const Arrays& xs) {
  const auto& x = xs[0];
  return {x * 0.5f * (1.0f + mx::erf(x / std::sqrt(2.0f)))};
}

// Ten cheap element-wise ops: unfused, memory traffic dominates.
Arrays chain10(const Arrays& xs) {
  const auto& x = xs[0];
  auto y = x * 1.5f;
  y = y + 0.25f;
  y = y * x;
  y = y - 1.0f;
  y = mx::abs(y);
  y = mx::sqrt(y);
  y = mx::maximum(y, x);
  y = y / 3.0f;
  y = mx::square(y);
  y = mx::minimum(y, mx::array(2.0f));
  return {y};
}

void run(benchmark::State& state, const mx::VectorFn& fun) {
  auto x = input();
  fun({x})[0].eval(); // compiles (traces) once, outside the timing
  for (auto _ : state) {
    auto y = fun({x})[0];
    y.eval();
    benchmark::DoNotOptimize(y.data<float>());
  }
  // One read of x and one write of the result: the fused minimum.
  state.SetBytesProcessed(state.iterations() * int64_t(kSize) * 2 * 4);
}

void BM_Gelu(benchmark::State& state) {
  run(state, gelu);
}
void BM_GeluCompiled(benchmark::State& state) {
  run(state, mx::compile(gelu));
}
void BM_Chain10(benchmark::State& state) {
  run(state, chain10);
}
void BM_Chain10Compiled(benchmark::State& state) {
  run(state, mx::compile(chain10));
}

} // namespace

BENCHMARK(BM_Gelu)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_GeluCompiled)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Chain10)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Chain10Compiled)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
