// The Vulkan runtime on its own: device choice, memory, pipelines, command
// recording, completion. Runs on lavapipe (MLX_VULKAN_DEVICE=cpu, set by
// tests/vulkan/CMakeLists.txt).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "mlx/backend/gpu/device_info.h"
#include "mlx/backend/vulkan/allocator.h"
#include "mlx/backend/vulkan/device.h"
#include "mlx/backend/vulkan/encoder.h"
#include "mlx/backend/vulkan/pipeline.h"

namespace vk = mlx::core::vulkan;
namespace gpu = mlx::core::gpu;
using mlx::core::allocator::Buffer;

namespace {

// Dtype codes of shaders/dtype.glsl (the order of mlx::core::Dtype::Val).
constexpr uint32_t kInt32 = 7, kFloat32 = 10;

// The push constants of shaders/copy.glsl.
struct CopyParams {
  uint32_t n, in_offset, ndim, unused;
  uint32_t shape[8];
  int32_t strides[8];
};

void require_device() {
  if (!vk::is_available()) {
    GTEST_SKIP() << "no Vulkan device";
  }
}

// Records a contiguous int32 -> float32 copy of n elements.
void convert(vk::Encoder& enc, Buffer in, Buffer out, uint32_t n) {
  CopyParams p{};
  p.n = n;
  auto pipe = vk::pipeline("copy", {kInt32, kFloat32, /* contiguous */ 1});
  enc.dispatch(
      pipe,
      {{in, 0, n * 4u, vk::Access::read},
       {out, 0, n * 4u, vk::Access::write},
       {in, 0, n * 4u, vk::Access::read}}, // binding 2: unused metadata
      &p,
      sizeof(p),
      (n + 255) / 256);
}

template <typename T> T* host(Buffer b) {
  return static_cast<T*>(vk::allocator().host_ptr(b));
}

} // namespace

TEST(DeviceChoice, ExplicitIndexAndCpuKeyword) {
  EXPECT_EQ(vk::choose_device("1", nullptr, {false, true, false}), 1);
  EXPECT_EQ(vk::choose_device("cpu", nullptr, {false, true}), 1);
}

TEST(DeviceChoice, LocalRankCyclesOverGpusSkippingCpuDevices) {
  // GPUs are devices 0 and 2; rank 3 -> 3 % 2 = 1 -> device 2.
  EXPECT_EQ(vk::choose_device(nullptr, "3", {false, true, false}), 2);
  EXPECT_EQ(vk::choose_device(nullptr, nullptr, {true, false}), 1);
  EXPECT_FALSE(vk::choose_device(nullptr, "0", {true}).has_value());
}

TEST(DeviceChoice, OutOfRangeIndexNamesTheCount) {
  try {
    vk::choose_device("5", nullptr, {false, true});
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("MLX_VULKAN_DEVICE=5"), std::string::npos) << msg;
    EXPECT_NE(msg.find("there are 2 Vulkan devices"), std::string::npos) << msg;
  }
  EXPECT_THROW(vk::choose_device("x", nullptr, {false}), std::invalid_argument);
}

// Run by ctest with MLX_VULKAN_DEVICE=99 (VulkanRuntime.OutOfRangeDeviceIndex).
TEST(DeviceChoice, OutOfRangeEnvironmentMeansNoDevice) {
  const char* env = std::getenv("MLX_VULKAN_DEVICE");
  if (env == nullptr || std::string(env) != "99") {
    GTEST_SKIP() << "runs with MLX_VULKAN_DEVICE=99";
  }
  EXPECT_FALSE(gpu::is_available());
  try {
    vk::device();
    FAIL() << "no exception";
  } catch (const std::exception& e) {
    std::string msg = e.what();
    std::string count = std::to_string(gpu::device_count()) + " Vulkan devices";
    EXPECT_NE(msg.find("MLX_VULKAN_DEVICE=99"), std::string::npos) << msg;
    EXPECT_NE(msg.find(count), std::string::npos) << msg;
  }
}

TEST(Device, InfoDescribesTheChosenCpuDevice) {
  require_device();
  auto& d = vk::device();
  EXPECT_TRUE(d.is_cpu());
  ASSERT_GT(gpu::device_count(), d.index);
  auto& info = gpu::device_info(d.index);
  EXPECT_EQ(std::get<size_t>(info.at("is_cpu")), 1u);
  EXPECT_EQ(std::get<std::string>(info.at("architecture")), "vulkan");
  EXPECT_EQ(std::get<std::string>(info.at("device_type")), "cpu");
  EXPECT_EQ(
      std::get<size_t>(info.at("max_buffer_length")),
      d.limits().maxStorageBufferRange);
  EXPECT_GT(std::get<size_t>(info.at("subgroup_size")), 0u);
  EXPECT_THROW(gpu::device_info(gpu::device_count()), std::invalid_argument);
}

TEST(Allocator, CountersAndCacheReuse) {
  require_device();
  auto& a = vk::allocator();
  a.clear_cache();
  size_t active = a.get_active_memory();
  Buffer b = a.malloc(1000);
  size_t cls = a.size(b);
  EXPECT_GE(cls, 1000u);
  EXPECT_EQ(a.get_active_memory(), active + cls);
  EXPECT_GE(a.get_peak_memory(), active + cls);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a.host_ptr(b)) % 64, 0u);
  const void* first = b.ptr();
  a.free(b);
  EXPECT_EQ(a.get_active_memory(), active);
  EXPECT_EQ(a.get_cache_memory(), cls);
  Buffer again = a.malloc(990); // same size class: the cached buffer
  EXPECT_EQ(again.ptr(), first);
  EXPECT_EQ(a.get_cache_memory(), 0u);
  a.free(again);
  a.clear_cache();
  EXPECT_EQ(a.get_cache_memory(), 0u);
  EXPECT_EQ(a.malloc(0).ptr(), nullptr);
}

TEST(Allocator, TenThousandBuffersShareFewDeviceAllocations) {
  require_device();
  auto& a = vk::allocator();
  a.clear_cache();
  size_t before = a.device_memory_count();
  std::vector<Buffer> buffers;
  for (int i = 0; i < 10000; ++i) {
    buffers.push_back(a.malloc(1024 + 16 * (i % 7)));
  }
  // 10,000 x ~1 KiB = ~11 MiB: one 64 MiB block (two at most).
  EXPECT_LE(a.device_memory_count(), before + 2);
  // Distinct, non-overlapping, writable.
  for (size_t i = 0; i < buffers.size(); ++i) {
    *host<uint32_t>(buffers[i]) = uint32_t(i);
  }
  for (size_t i = 0; i < buffers.size(); ++i) {
    ASSERT_EQ(*host<uint32_t>(buffers[i]), uint32_t(i));
  }
  for (auto& b : buffers) {
    a.free(b);
  }
  a.clear_cache();
  EXPECT_LE(a.device_memory_count(), std::max<size_t>(before, 1));
}

TEST(Allocator, LargeBufferGetsItsOwnAllocationAndGoesBack) {
  require_device();
  auto& a = vk::allocator();
  a.clear_cache();
  size_t before = a.device_memory_count();
  Buffer big = a.malloc(size_t(80) << 20);
  EXPECT_EQ(a.device_memory_count(), before + 1);
  a.free(big);
  a.clear_cache();
  EXPECT_EQ(a.device_memory_count(), before);
}

TEST(Allocator, CacheLimitZeroReleasesAtOnce) {
  require_device();
  auto& a = vk::allocator();
  size_t previous = a.set_cache_limit(0);
  a.free(a.malloc(4096));
  EXPECT_EQ(a.get_cache_memory(), 0u);
  a.set_cache_limit(previous);
}

TEST(Allocator, BindingLargerThanTheStorageRangeIsAClearError) {
  require_device();
  size_t range = vk::device().limits().maxStorageBufferRange;
  EXPECT_NO_THROW(vk::check_binding_range(range));
  try {
    vk::check_binding_range(range + 4);
    FAIL() << "no exception";
  } catch (const std::exception& e) {
    std::string expected =
        "[vulkan] array of " + std::to_string(range + 4) +
        " bytes exceeds the device's storage buffer range of " +
        std::to_string(range) + " bytes";
    EXPECT_EQ(std::string(e.what()), expected);
  }
}

TEST(Encoder, DispatchConvertsAndReadsBack) {
  require_device();
  auto& enc = vk::encoder(100);
  constexpr uint32_t n = 1000;
  Buffer in = vk::allocator().malloc(n * 4),
         out = vk::allocator().malloc(n * 4);
  for (uint32_t i = 0; i < n; ++i) {
    host<int32_t>(in)[i] = int32_t(i) - 500;
  }
  convert(enc, in, out, n);
  enc.synchronize();
  for (uint32_t i = 0; i < n; ++i) {
    ASSERT_EQ(host<float>(out)[i], float(int32_t(i) - 500)) << i;
  }
  vk::allocator().free(in);
  vk::allocator().free(out);
}

TEST(Encoder, FillCopyAndUploadedInput) {
  require_device();
  auto& enc = vk::encoder(101);
  constexpr uint32_t n = 64;
  Buffer a = vk::allocator().malloc(n * 4), b = vk::allocator().malloc(n * 4);
  enc.fill(a, 0, n * 4, 7u);
  enc.copy(a, 0, b, 0, n * 4); // reads what the fill wrote: a barrier
  std::vector<int32_t> values(n);
  std::iota(values.begin(), values.end(), -3);
  Buffer up = enc.upload(values.data(), n * 4);
  Buffer c = vk::allocator().malloc(n * 4);
  convert(enc, up, c, n);
  enc.synchronize();
  for (uint32_t i = 0; i < n; ++i) {
    ASSERT_EQ(host<uint32_t>(b)[i], 7u);
    ASSERT_EQ(host<float>(c)[i], float(values[i]));
  }
  for (auto x : {a, b, c}) {
    vk::allocator().free(x);
  }
}

TEST(Encoder, BarriersOnlyWhereADispatchDependsOnAnother) {
  require_device();
  auto& enc = vk::encoder(102);
  constexpr uint32_t n = 256;
  auto& alloc = vk::allocator();
  Buffer x = alloc.malloc(n * 4), y = alloc.malloc(n * 4),
         z = alloc.malloc(n * 4), w = alloc.malloc(n * 4);
  enc.synchronize();
  size_t start = enc.barrier_count();
  convert(enc, x, y, n); // first of the batch: 1 barrier
  convert(enc, x, z, n); // independent of the first: none
  EXPECT_EQ(enc.barrier_count(), start + 1);
  convert(enc, y, w, n); // reads y, written above: 1 barrier
  EXPECT_EQ(enc.barrier_count(), start + 2);
  convert(enc, z, x, n); // z written, x read, before that barrier: none
  EXPECT_EQ(enc.barrier_count(), start + 2);
  convert(enc, z, y, n); // writes y, read since the last barrier: 1 more
  EXPECT_EQ(enc.barrier_count(), start + 3);
  enc.synchronize();
  for (auto b : {x, y, z, w}) {
    alloc.free(b);
  }
}

TEST(Encoder, HandlersRunInOrderAfterCompletion) {
  require_device();
  auto& enc = vk::encoder(103);
  std::vector<int> order;
  std::mutex m;
  constexpr uint32_t n = 512;
  Buffer in = vk::allocator().malloc(n * 4),
         out = vk::allocator().malloc(n * 4);
  std::memset(host<char>(in), 0, n * 4);
  for (int i = 0; i < 100; ++i) {
    convert(enc, in, out, n);
    enc.add_completed_handler([&, i](std::exception_ptr e) {
      EXPECT_FALSE(e);
      std::lock_guard lock(m);
      order.push_back(i);
    });
    if (enc.needs_commit()) {
      enc.commit();
    }
  }
  enc.synchronize();
  std::vector<int> expected(100);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(order, expected);
  vk::allocator().free(in);
  vk::allocator().free(out);
}

TEST(Encoder, BadBindingThrowsAndRecordsNothing) {
  require_device();
  auto& enc = vk::encoder(104);
  std::vector<int32_t> host_data(16);
  Buffer not_vulkan(host_data.data(), nullptr);
  Buffer out = vk::allocator().malloc(64);
  size_t commands = enc.command_count();
  auto pipe = vk::pipeline("copy", {kInt32, kFloat32, 1});
  CopyParams p{};
  p.n = 16;
  EXPECT_THROW(
      enc.dispatch(
          pipe,
          {{not_vulkan, 0, 64, vk::Access::read},
           {out, 0, 64, vk::Access::write}},
          &p,
          sizeof(p),
          1),
      std::invalid_argument);
  EXPECT_THROW( // past the end of the buffer
      enc.dispatch(
          pipe, {{out, 0, 1 << 20, vk::Access::read}}, &p, sizeof(p), 1),
      std::out_of_range);
  EXPECT_EQ(enc.command_count(), commands);
  enc.synchronize(); // still usable
  vk::allocator().free(out);
}

TEST(Pipeline, CacheFileIsWritten) {
  require_device();
  vk::pipeline("copy", {kFloat32, kInt32, 0});
  EXPECT_TRUE(std::filesystem::exists(vk::pipeline_cache_path()))
      << vk::pipeline_cache_path();
}
