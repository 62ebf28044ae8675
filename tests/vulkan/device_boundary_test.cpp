// The boundary between the devices: graphs that mix CPU and GPU ops give
// the all-CPU results with no user copies, GPU memory stays bounded over
// long chains, donation reuses GPU buffers, errors raised while recording a
// GPU kernel reach the caller of eval, and the memory counters follow the
// default device. Runs on lavapipe (MLX_VULKAN_DEVICE=cpu).
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "gpu_test_utils.h"
#include "mlx/backend/gpu/eval.h"
#include "mlx/backend/vulkan/allocator.h"
#include "mlx/mlx.h"

namespace mx = mlx::core;
using namespace gpu_test;

namespace {

mx::array ramp(int n, float scale) {
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i) {
    v[i] = scale * static_cast<float>(i % 17) - 3.0f;
  }
  return mx::array(v.data(), {n}, mx::float32);
}

// Restores the default device when a test changes it.
struct DefaultDevice {
  mx::Device previous = mx::default_device();
  explicit DefaultDevice(mx::Device d) { mx::set_default_device(d); }
  ~DefaultDevice() { mx::set_default_device(previous); }
};

} // namespace

TEST(DeviceBoundaryTest, LavapipeIsNotTheDefaultDevice) {
  REQUIRE_GPU();
  // A CPU-type Vulkan device is used only when chosen; the CPU stays the
  // default device, as on any machine without a real GPU.
  EXPECT_EQ(mx::default_device(), kCpu);
  const auto& info = mx::device_info(kGpu);
  EXPECT_EQ(std::get<size_t>(info.at("is_cpu")), 1u);
  EXPECT_EQ(mx::device_count(mx::Device::gpu), 1);
  EXPECT_THROW(
      mx::device_info(mx::Device(mx::Device::gpu, 3)), std::invalid_argument);
}

TEST(DeviceBoundaryTest, MixedGraphEqualsTheCpuGraph) {
  REQUIRE_GPU();
  auto x = ramp(1000, 0.25f);
  auto y = ramp(1000, -0.5f);
  // CPU -> GPU -> CPU -> GPU, no copies written by the user.
  auto a = mx::multiply(x, y, kGpu);
  auto b = mx::exp(mx::multiply(a, mx::array(0.01f), kCpu), kCpu);
  auto c = mx::add(b, x, kGpu);
  auto d = mx::sum(mx::reshape(c, {10, 100}, kCpu), 1, false, kCpu);
  auto expected = mx::sum(
      mx::reshape(
          mx::add(
              mx::exp(
                  mx::multiply(
                      mx::multiply(x, y, kCpu), mx::array(0.01f), kCpu),
                  kCpu),
              x,
              kCpu),
          {10, 100},
          kCpu),
      1,
      false,
      kCpu);
  auto got = floats_of(d);
  auto want = floats_of(expected);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], 1e-4f * std::abs(want[i]) + 1e-5f) << i;
  }
}

TEST(DeviceBoundaryTest, GpuResultsAreReadableOnTheHostAfterEval) {
  REQUIRE_GPU();
  auto x = mx::add(ramp(5, 1.0f), mx::array(1.0f), kGpu);
  mx::eval(x);
  // data<T>() is the door to host bytes: GPU memory is mapped.
  EXPECT_EQ(x.data<float>()[0], -2.0f);
  EXPECT_EQ(x.data<float>()[4], 2.0f);
  EXPECT_EQ(mx::sum(x, kGpu).item<float>(), 0.0f);
}

TEST(DeviceBoundaryTest, RecordingErrorsReachTheCaller) {
  REQUIRE_GPU();
  // A GPU op fed by a failing GPU op: the first error reaches eval's
  // caller, and the stream keeps working afterwards.
  auto bad = mx::sort(ramp(8, 1.0f), 0, kGpu); // no GPU kernel for Sort yet
  auto downstream = mx::add(bad, mx::array(1.0f), kGpu);
  try {
    mx::eval(downstream);
    FAIL() << "expected an exception";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("[Sort]"), std::string::npos)
        << e.what();
  }
  auto fine = mx::add(ramp(8, 1.0f), mx::array(1.0f), kGpu);
  EXPECT_EQ(floats_of(fine)[1], -1.0f);
}

TEST(DeviceBoundaryTest, LongChainStaysBoundedInMemory) {
  REQUIRE_GPU();
  DefaultDevice gpu(kGpu);
  mx::synchronize();
  auto& alloc = mx::gpu::allocator();
  size_t before = alloc.get_active_memory();
  // 10,000 ops on 64 KiB in one eval: buffers are freed (or donated) as
  // the chain goes, so memory stays a few buffers wide.
  auto x = mx::zeros({16384}, mx::float32);
  for (int i = 0; i < 10000; ++i) {
    x = mx::add(x, mx::array(1.0f));
  }
  alloc.reset_peak_memory();
  mx::eval(x);
  EXPECT_EQ(floats_of(x)[123], 10000.0f);
  EXPECT_LE(alloc.get_peak_memory(), before + 16 * 65536);
  x = mx::array(0.0f);
  mx::synchronize();
  EXPECT_LE(alloc.get_active_memory(), before + 1024);
}

TEST(DeviceBoundaryTest, DonationReusesTheGpuBuffer) {
  REQUIRE_GPU();
  auto x = mx::add(mx::zeros({4096}, mx::float32, kGpu), mx::array(1.0f), kGpu);
  mx::eval(x);
  const void* buffer = x.buffer().ptr();
  // Once the op holds x's only reference, its buffer becomes the output.
  auto y = mx::exp(x, kGpu);
  x = mx::array(0.0f);
  mx::eval(y);
  EXPECT_EQ(y.buffer().ptr(), buffer);
  EXPECT_NEAR(floats_of(y)[7], 2.7182817f, 1e-6f);
}

TEST(DeviceBoundaryTest, MemoryCountersFollowTheDefaultDevice) {
  REQUIRE_GPU();
  DefaultDevice gpu(kGpu);
  mx::synchronize();
  size_t base = mx::get_active_memory();
  {
    auto x = mx::add(mx::zeros({1 << 20}, mx::float32), mx::array(1.0f));
    mx::eval(x);
    EXPECT_GE(mx::get_active_memory(), base + (4u << 20));
    EXPECT_EQ(
        mx::get_active_memory(), mx::gpu::allocator().get_active_memory());
  }
  mx::synchronize();
  EXPECT_LE(mx::get_active_memory(), base + 1024);
  mx::clear_cache();
  EXPECT_EQ(mx::get_cache_memory(), 0u);
}

TEST(DeviceBoundaryTest, GradientsOnTheGpuEqualTheCpus) {
  REQUIRE_GPU();
  auto loss = [](mx::Device d) {
    return [d](const mx::array& w) {
      auto h =
          mx::maximum(mx::multiply(w, mx::array(2.0f), d), mx::array(0.0f), d);
      return mx::sum(mx::multiply(h, h, d), false, d);
    };
  };
  auto w = ramp(64, 0.5f);
  auto g_gpu = mx::grad(loss(kGpu))(w);
  auto g_cpu = mx::grad(loss(kCpu))(w);
  EXPECT_EQ(floats_of(g_gpu), floats_of(g_cpu));
}
