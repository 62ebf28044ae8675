// float32 matmul on the Vulkan GPU (shaders/matmul.comp): square products,
// plain and with a transposed operand (x @ w.T of a Linear layer), and a
// batched one. Inputs are made on the GPU once; each iteration records the
// product and waits for it (mx::eval), so the time includes one submission.
// Compare with cuBLAS SGEMM on the same card (goal: 0.8x or better).
// Run with MLX_VULKAN_MATMUL_TILE=large|medium|small to time one tile.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "mlx/mlx.h"

namespace mx = mlx::core;

namespace {

// Deterministic values in [-1, 1) (a small LCG; the values do not matter).
mx::array filled(mx::Shape shape, uint32_t seed) {
  size_t n = 1;
  for (auto s : shape) {
    n *= s;
  }
  std::vector<float> v(n);
  for (auto& x : v) {
    seed = seed * 1664525u + 1013904223u;
    x = static_cast<float>(seed >> 8) / static_cast<float>(1 << 23) - 1.0f;
  }
  // A copy on the GPU, so that iterations do not upload host memory.
  mx::array a =
      mx::astype(mx::array(v.data(), shape), mx::float32, mx::Device::gpu);
  a.eval();
  return a;
}

void run(benchmark::State& state, const mx::array& a, const mx::array& b) {
  for (auto _ : state) {
    auto c = mx::matmul(a, b, mx::Device::gpu);
    c.eval();
  }
  int64_t m = a.shape(-2), k = a.shape(-1), n = b.shape(-1);
  int64_t batch = a.size() / (m * k);
  state.counters["GFLOP/s"] = benchmark::Counter(
      2.0 * batch * m * n * k * 1e-9,
      benchmark::Counter::kIsIterationInvariantRate);
}

void BM_VulkanMatmulNN(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  run(state, filled({n, n}, 1), filled({n, n}, 2));
}

void BM_VulkanMatmulNT(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  run(state, filled({n, n}, 1), mx::transpose(filled({n, n}, 2)));
}

void BM_VulkanMatmulTN(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  run(state, mx::transpose(filled({n, n}, 1)), filled({n, n}, 2));
}

void BM_VulkanMatmulBatched(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  run(state, filled({16, n, n}, 1), filled({16, n, n}, 2));
}

} // namespace

BENCHMARK(BM_VulkanMatmulNN)
    ->Arg(1024)
    ->Arg(2048)
    ->Arg(4096)
    ->Arg(8192)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_VulkanMatmulNT)
    ->Arg(1024)
    ->Arg(4096)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_VulkanMatmulTN)
    ->Arg(1024)
    ->Arg(4096)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_VulkanMatmulBatched)
    ->Arg(256)
    ->Arg(1024)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK_MAIN();
