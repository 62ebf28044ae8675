// Helpers shared by the Vulkan suites that check GPU primitives against the
// CPU backend: the two devices, a skip when there is no Vulkan device, dtype
// lists, byte-for-byte and tolerance comparisons, and deterministic inputs.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "../core/test_utils.h"
#include "mlx/backend/vulkan/allocator.h"
#include "mlx/mlx.h"

namespace mx = mlx::core;

namespace gpu_test {

// The Vulkan GPU and the CPU backend (the reference).
inline const mx::Device kGpu = mx::Device::gpu;
inline const mx::Device kCpu = mx::Device::cpu;

// Skips the test when no Vulkan device is available.
#define REQUIRE_GPU()                                                          \
  if (!mx::is_available(gpu_test::kGpu)) {                                     \
    GTEST_SKIP() << "no Vulkan device";                                        \
  }

// Every dtype, in MLX's order (the core suites' list).
inline const std::vector<mx::Dtype>& kAllDtypes = mlx_test::kAllDtypes;

// Every dtype but complex64 (not on Vulkan), in MLX's order.
inline const std::vector<mx::Dtype> kRealDtypes = [] {
  std::vector<mx::Dtype> out;
  for (auto t : kAllDtypes) {
    if (t != mx::complex64) {
      out.push_back(t);
    }
  }
  return out;
}();

// The bytes of a in row-major order, whatever its layout (a copy on the CPU
// of a row-contiguous array is the array itself).
inline std::vector<char> bytes_of(const mx::array& a) {
  mx::array c = mx::contiguous(a, false, kCpu);
  mx::eval(c);
  std::vector<char> out(c.nbytes());
  if (!out.empty()) {
    std::memcpy(out.data(), c.data<char>(), out.size());
  }
  return out;
}

// gpu and cpu evaluate to the same shape, dtype and bytes.
inline void expect_same(const mx::array& gpu, const mx::array& cpu) {
  mx::eval(gpu);
  mx::eval(cpu);
  ASSERT_EQ(gpu.shape(), cpu.shape());
  ASSERT_EQ(gpu.dtype(), cpu.dtype());
  EXPECT_EQ(bytes_of(gpu), bytes_of(cpu));
}

// Values (i * 7) % mod as `dtype` (bool: i % 3 == 0), shaped; with the
// default mod every dtype holds them. Made on the CPU.
inline mx::array mod_values(mx::Dtype dtype, mx::Shape shape, int mod = 100) {
  size_t n = 1;
  for (auto s : shape) {
    n *= s;
  }
  std::vector<int32_t> v(n);
  for (size_t i = 0; i < n; ++i) {
    v[i] = dtype == mx::bool_ ? int32_t(i % 3 == 0) : int32_t((i * 7) % mod);
  }
  return mx::astype(mx::array(v.data(), shape, mx::int32), dtype, kCpu);
}

// Deterministic values in [-1, 1) (a linear congruential sequence from
// seed) as `dtype`, shaped. Made on the CPU.
inline mx::array
lcg_values(mx::Shape shape, uint32_t seed, mx::Dtype dtype = mx::float32) {
  size_t n = 1;
  for (auto s : shape) {
    n *= s;
  }
  std::vector<float> v(n);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& f : v) {
    x = x * 1664525u + 1013904223u;
    f = float(x >> 8) / float(1 << 23) - 1.0f;
  }
  return mx::astype(mx::array(v.data(), shape, mx::float32), dtype, kCpu);
}

// The elements of a as float32, in row-major order (converted on the CPU).
inline std::vector<float> floats_of(const mx::array& a) {
  mx::array c = mx::contiguous(mx::astype(a, mx::float32, kCpu), false, kCpu);
  mx::eval(c);
  const float* p = c.data<float>();
  return std::vector<float>(p, p + c.size());
}

// gpu (made on the GPU) matches cpu in shape and dtype and within
// tol * (1 + |expected|) element-wise (the first 5 misses are reported).
inline void
expect_close(const mx::array& gpu, const mx::array& cpu, double tol) {
  mx::eval(gpu);
  mx::eval(cpu);
  ASSERT_EQ(gpu.shape(), cpu.shape());
  ASSERT_EQ(gpu.dtype(), cpu.dtype());
  if (gpu.size() > 0) {
    EXPECT_TRUE(mx::vulkan::is_vulkan_buffer(gpu.buffer())); // made on the GPU
  }
  auto g = floats_of(gpu), c = floats_of(cpu);
  int bad = 0;
  for (size_t i = 0; i < g.size() && bad < 5; ++i) {
    if (!(std::abs(g[i] - c[i]) <= tol * (1.0 + std::abs(c[i])))) {
      ADD_FAILURE() << "element " << i << ": gpu " << g[i] << " cpu " << c[i];
      ++bad;
    }
  }
}

} // namespace gpu_test
