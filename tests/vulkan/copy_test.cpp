// Contiguous and AsType on the Vulkan GPU (shaders/copy.comp) against the
// CPU backend, byte for byte: every dtype pair, strided, broadcast, sliced,
// empty and 0-d inputs, inputs made by the CPU (uploaded) and by the GPU.
// Runs on lavapipe (MLX_VULKAN_DEVICE=cpu, set by tests/vulkan/CMakeLists.txt).
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <thread>
#include <vector>

#include "gpu_test_utils.h"
#include "mlx/backend/gpu/eval.h"
#include "mlx/backend/vulkan/allocator.h"
#include "mlx/mlx.h"

namespace mx = mlx::core;
using namespace gpu_test;

TEST(VulkanCopy, GpuIsAvailableButNotTheDefaultOnLavapipe) {
  REQUIRE_GPU();
  EXPECT_FALSE(mx::gpu::is_default_device());
  EXPECT_EQ(mx::default_device(), kCpu);
}

TEST(VulkanCopy, AsTypeEveryDtypePairMatchesTheCpu) {
  REQUIRE_GPU();
  for (auto from : kAllDtypes) {
    mx::array a = mod_values(from, {3, 37}); // odd sizes: partial output words
    mx::eval(a);
    for (auto to : kAllDtypes) {
      SCOPED_TRACE(::testing::Message() << "from " << from << " to " << to);
      expect_same(mx::astype(a, to, kGpu), mx::astype(a, to, kCpu));
    }
  }
}

TEST(VulkanCopy, AsTypeFloatRoundingAndSpecialValuesMatchTheCpu) {
  REQUIRE_GPU();
  float inf = std::numeric_limits<float>::infinity();
  std::vector<float> v = {0.0f,     -0.0f,          1.0f / 3,      65504.0f,
                          65519.0f, 65520.0f,       1e-5f,         6.1e-5f,
                          5.96e-8f, 2.98e-8f,       2.99e-8f,      1e-9f,
                          -1e-6f,   1.00048828125f, 1.0009765625f, 3.0e38f,
                          inf,      -inf,           std::nanf(""), -2.5f,
                          2.5f,     1e10f,          -7.75f,        1.5e-45f};
  mx::array a(v.data(), {int(v.size())}, mx::float32);
  for (auto to :
       {mx::float16, mx::bfloat16, mx::float64, mx::complex64, mx::bool_}) {
    SCOPED_TRACE(::testing::Message() << "to " << to);
    expect_same(mx::astype(a, to, kGpu), mx::astype(a, to, kCpu));
  }
  // And back from the half types: subnormals, inf and nan.
  for (auto from : {mx::float16, mx::bfloat16}) {
    mx::array h = mx::astype(a, from, kCpu);
    expect_same(
        mx::astype(h, mx::float32, kGpu), mx::astype(h, mx::float32, kCpu));
  }
}

TEST(VulkanCopy, ContiguousOfStridedViews) {
  REQUIRE_GPU();
  for (auto dtype : kAllDtypes) {
    SCOPED_TRACE(::testing::Message() << dtype);
    mx::array a = mod_values(dtype, {4, 5, 6});
    // Transposed (strided), sliced with steps, broadcast (stride 0).
    mx::array t = mx::transpose(a, {2, 0, 1});
    expect_same(mx::contiguous(t, false, kGpu), mx::contiguous(t, false, kCpu));
    mx::array s = mx::slice(a, {1, 0, 1}, {4, 5, 6}, {2, 2, 3});
    expect_same(mx::contiguous(s, false, kGpu), mx::contiguous(s, false, kCpu));
    mx::array b =
        mx::broadcast_to(mx::slice(a, {0, 0, 0}, {1, 5, 1}), {3, 5, 4});
    expect_same(mx::contiguous(b, false, kGpu), mx::contiguous(b, false, kCpu));
  }
}

TEST(VulkanCopy, ManyDimensionsUseTheMetadataBuffer) {
  REQUIRE_GPU();
  // 10 axes of 2, reversed: no two are mergeable, more than the 8 the push
  // constants hold.
  mx::array a = mod_values(mx::int16, mx::Shape(10, 2));
  std::vector<int> axes{9, 8, 7, 6, 5, 4, 3, 2, 1, 0};
  mx::array t = mx::transpose(a, axes);
  expect_same(mx::contiguous(t, false, kGpu), mx::contiguous(t, false, kCpu));
  expect_same(
      mx::astype(t, mx::float32, kGpu), mx::astype(t, mx::float32, kCpu));
}

TEST(VulkanCopy, EmptyAndScalarInputs) {
  REQUIRE_GPU();
  mx::array empty = mx::astype(mx::array({1.0f}), mx::float32, kCpu);
  empty = mx::slice(empty, {0}, {0});
  expect_same(
      mx::astype(empty, mx::int8, kGpu), mx::astype(empty, mx::int8, kCpu));
  mx::array zero_size = mx::reshape(mod_values(mx::float32, {0, 3}), {3, 0});
  expect_same(
      mx::astype(zero_size, mx::float16, kGpu),
      mx::astype(zero_size, mx::float16, kCpu));
  mx::array scalar(-3.75f);
  for (auto to : kAllDtypes) {
    if (to == mx::bool_ || mx::issubdtype(to, mx::unsignedinteger)) {
      continue; // negative to unsigned is undefined in C++
    }
    SCOPED_TRACE(::testing::Message() << to);
    expect_same(mx::astype(scalar, to, kGpu), mx::astype(scalar, to, kCpu));
  }
}

TEST(VulkanCopy, GpuInputsAtUnalignedOffsetsStayOnTheGpu) {
  REQUIRE_GPU();
  // A GPU-made uint8 array, then a GPU copy of a slice starting at byte 3
  // (not a multiple of the binding alignment) and of its transpose.
  mx::array a = mx::astype(mod_values(mx::int32, {7, 9}), mx::uint8, kGpu);
  mx::eval(a);
  EXPECT_TRUE(mx::vulkan::is_vulkan_buffer(a.buffer()));
  mx::array s = mx::slice(a, {0, 3}, {7, 9});
  mx::array gpu = mx::astype(s, mx::float32, kGpu);
  mx::eval(gpu);
  EXPECT_TRUE(mx::vulkan::is_vulkan_buffer(gpu.buffer()));
  expect_same(gpu, mx::astype(s, mx::float32, kCpu));
  mx::array t = mx::transpose(s);
  expect_same(mx::contiguous(t, false, kGpu), mx::contiguous(t, false, kCpu));
}

TEST(VulkanCopy, MixedGraphChainsCpuAndGpuWork) {
  REQUIRE_GPU();
  // CPU -> GPU -> CPU -> GPU, no copies by hand.
  mx::array a = mod_values(mx::float32, {64, 33});
  mx::array b = mx::astype(mx::transpose(a), mx::float16, kGpu);
  mx::array c =
      mx::add(mx::astype(b, mx::float32, kCpu), mx::array(1.0f), kCpu);
  mx::array d = mx::astype(c, mx::bfloat16, kGpu);
  mx::array expected = mx::astype(
      mx::add(
          mx::astype(
              mx::astype(mx::transpose(a), mx::float16, kCpu),
              mx::float32,
              kCpu),
          mx::array(1.0f),
          kCpu),
      mx::bfloat16,
      kCpu);
  expect_same(d, expected);
}

TEST(VulkanCopy, PrimitiveWithoutKernelIsAClearError) {
  REQUIRE_GPU();
  // Sort has no Vulkan kernel yet (Add, used here before, has one now).
  mx::array y = mx::sort(mx::array({3.0f, 1.0f, 2.0f}), kGpu);
  try {
    mx::eval(y);
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(
        std::string(e.what()).find(
            "[Sort] Not implemented on GPU: eval_gpu is not implemented on "
            "the Vulkan backend"),
        std::string::npos)
        << e.what();
  }
  // The stream still works afterwards.
  expect_same(
      mx::astype(mod_values(mx::int32, {5}), mx::float32, kGpu),
      mx::astype(mod_values(mx::int32, {5}), mx::float32, kCpu));
}

TEST(VulkanCopy, GpuMemoryIsCountedByTheGpuAllocator) {
  REQUIRE_GPU();
  auto& alloc = mx::gpu::allocator();
  // The GPU stream's work done, uploads included (freed when their batch
  // completes, just after the results' events are signalled).
  auto gpu_stream = mx::default_stream(kGpu);
  mx::synchronize(gpu_stream);
  size_t before = alloc.get_active_memory();
  {
    mx::array y = mx::astype(mod_values(mx::int32, {1024}), mx::float32, kGpu);
    mx::eval(y);
    EXPECT_GE(alloc.get_active_memory(), before + 4096);
  }
  mx::synchronize(gpu_stream);
  EXPECT_EQ(alloc.get_active_memory(), before);
}

TEST(VulkanCopy, FullBroadcastsTheValue) {
  REQUIRE_GPU();
  for (auto dtype : {mx::float32, mx::int8, mx::float16, mx::complex64}) {
    SCOPED_TRACE(::testing::Message() << dtype);
    expect_same(
        mx::full({3, 5}, mx::array(2.5f), dtype, kGpu),
        mx::full({3, 5}, mx::array(2.5f), dtype, kCpu));
  }
}

TEST(VulkanCopy, TwoGpuStreamsAndManyThreads) {
  REQUIRE_GPU();
  // Two streams (two encoders, one queue), each fed by its own thread, with
  // one result crossing over to the other stream.
  mx::Stream s1 = mx::new_stream(kGpu), s2 = mx::new_stream(kGpu);
  mx::array a = mod_values(mx::int32, {50, 40});
  std::optional<mx::array> on1, on2;
  std::thread t1([&] { on1 = mx::astype(mx::transpose(a), mx::float32, s1); });
  std::thread t2([&] { on2 = mx::astype(a, mx::float16, s2); });
  t1.join();
  t2.join();
  mx::array crossed = mx::astype(*on1, mx::bfloat16, s2);
  expect_same(crossed, mx::astype(mx::transpose(a), mx::bfloat16, kCpu));
  expect_same(*on2, mx::astype(a, mx::float16, kCpu));
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      mx::array x =
          mx::astype(mod_values(mx::int32, {100 + t}), mx::float32, kGpu);
      mx::array y =
          mx::astype(mod_values(mx::int32, {100 + t}), mx::float32, kCpu);
      mx::eval(x);
      mx::eval(y);
      if (bytes_of(x) == bytes_of(y)) {
        ++ok;
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(ok, 4);
}
