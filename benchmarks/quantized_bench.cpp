// quantized_matmul at batch 1 (a matrix-vector product, memory bound)
// against float32 matmul on the same weight: x (1, K) @ W^T with W of shape
// (N, K). 4-bit affine packs W into 1/8 of the float32 bytes, so the goal is
// >= 3x faster. Graph construction and eval are included on both sides.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "mlx/mlx.h"

namespace mx = mlx::core;

namespace {

constexpr int kGroupSize = 64; // MLX's default

mx::array random_matrix(int rows, int cols, uint64_t seed) {
  mx::array a = mx::random::normal(
      {rows, cols}, mx::float32, 0.0f, 1.0f, mx::random::key(seed));
  a.eval();
  return a;
}

void set_bytes(benchmark::State& state, int64_t weight_bytes) {
  state.counters["weight GB/s"] = benchmark::Counter(
      weight_bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_QuantizedMatmul(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  int bits = static_cast<int>(state.range(1));
  mx::array x = random_matrix(1, n, 1);
  auto q = mx::quantize(random_matrix(n, n, 2), kGroupSize, bits);
  mx::eval(q);
  for (auto _ : state) {
    auto y = mx::quantized_matmul(x, q[0], q[1], q[2], true, kGroupSize, bits);
    y.eval();
    benchmark::DoNotOptimize(y.data<float>());
  }
  set_bytes(state, q[0].nbytes() + q[1].nbytes() + q[2].nbytes());
}

void BM_Float32Matmul(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  mx::array x = random_matrix(1, n, 1);
  mx::array w = random_matrix(n, n, 2);
  for (auto _ : state) {
    auto y = mx::matmul(x, mx::transpose(w));
    y.eval();
    benchmark::DoNotOptimize(y.data<float>());
  }
  set_bytes(state, w.nbytes());
}

} // namespace

BENCHMARK(BM_QuantizedMatmul)
    ->Args({4096, 4})
    ->Args({4096, 8})
    ->Args({4096, 3})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK(BM_Float32Matmul)
    ->Arg(4096)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

BENCHMARK_MAIN();
