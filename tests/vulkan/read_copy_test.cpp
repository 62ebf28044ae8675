// Host reads through a copy (MLX_VULKAN_READ_COPY=1, set below for this
// suite): what NVIDIA's uncached BAR memory gets, exercised on lavapipe. The
// copy must follow every way a buffer's bytes change: GPU writes into a
// donated buffer, buffers recycled by the allocator's cache, and host
// kernels, which must not write into such a buffer.
#include <cstdlib>
#include <numeric>
#include <string>

#include "gpu_test_utils.h"

using gpu_test::kCpu;
using gpu_test::kGpu;

namespace {

// Before any test: the allocator reads the variable when it is created.
const int kReadCopyForced = setenv("MLX_VULKAN_READ_COPY", "1", 1);

// 64 KiB of float32: above the size read in place.
constexpr int kCount = 16384;

mx::array gpu_iota() {
  auto a = mx::arange(0.0, double(kCount), 1.0, mx::float32, kGpu);
  mx::eval(a);
  return a;
}

} // namespace

TEST(ReadCopyTest, TheSuiteRunsWithCopies) {
  REQUIRE_GPU();
  ASSERT_STREQ(std::getenv("MLX_VULKAN_READ_COPY"), "1");
  EXPECT_TRUE(mx::vulkan::allocator().reads_through_copy());
}

TEST(ReadCopyTest, HostReadsSeeTheDevicesBytes) {
  REQUIRE_GPU();
  auto a = gpu_iota();
  const float* p = a.data<float>();
  EXPECT_NE(static_cast<const void*>(p), a.buffer().raw_ptr());
  for (int i : {0, 1, 4095, kCount - 1}) {
    EXPECT_EQ(p[i], float(i));
  }
  // A view at an offset reads the same copy.
  auto tail = mx::slice(a, {kCount - 4}, {kCount}, kGpu);
  mx::eval(tail);
  EXPECT_EQ(tail.data<float>()[0], float(kCount - 4));
  // Small arrays are read in place.
  auto s = mx::multiply(mx::array(3.0f), mx::array(2.0f), kGpu);
  EXPECT_EQ(s.item<float>(), 6.0f);
}

TEST(ReadCopyTest, AGpuWriteIntoADonatedBufferIsSeen) {
  REQUIRE_GPU();
  auto a = mx::add(gpu_iota(), mx::array(0.0f), kGpu);
  mx::eval(a);
  EXPECT_EQ(a.data<float>()[10], 10.0f); // makes the copy
  const void* buffer = a.buffer().ptr();
  auto b = mx::add(a, mx::array(1.0f), kGpu);
  a = mx::array(0.0f);
  mx::eval(b);
  ASSERT_EQ(b.buffer().ptr(), buffer) << "no donation: the test tests nothing";
  EXPECT_EQ(b.data<float>()[10], 11.0f);
  EXPECT_EQ(b.data<float>()[kCount - 1], float(kCount));
}

TEST(ReadCopyTest, ARecycledBufferIsReadAfresh) {
  REQUIRE_GPU();
  const void* buffer = nullptr;
  {
    auto a = gpu_iota();
    EXPECT_EQ(a.data<float>()[5], 5.0f);
    buffer = a.buffer().ptr();
  }
  mx::synchronize();
  // The same size class comes back from the cache with new bytes.
  auto b = mx::full({kCount}, 7.0f, mx::float32, kGpu);
  b = mx::add(b, mx::array(0.0f), kGpu);
  mx::eval(b);
  if (b.buffer().ptr() != buffer) {
    GTEST_SKIP() << "the cache gave another buffer";
  }
  EXPECT_EQ(b.data<float>()[5], 7.0f);
}

TEST(ReadCopyTest, HostKernelsDoNotWriteIntoTheGpuBuffer) {
  REQUIRE_GPU();
  auto a = mx::add(gpu_iota(), mx::array(0.0f), kGpu);
  mx::eval(a);
  EXPECT_FALSE(a.is_donatable());
  EXPECT_TRUE(a.is_donatable(/*on_device=*/true));
  // A CPU op on the only reference: it may not take the GPU buffer.
  const void* buffer = a.buffer().ptr();
  auto c = mx::multiply(a, mx::array(2.0f), kCpu);
  a = mx::array(0.0f);
  mx::eval(c);
  EXPECT_NE(c.buffer().ptr(), buffer);
  EXPECT_EQ(c.data<float>()[100], 200.0f);
  // The result feeds the GPU again, and its answer reads back.
  auto d = mx::sum(mx::add(c, mx::array(1.0f), kGpu), kGpu);
  // sum(2 i + 1) over i < n = n^2
  EXPECT_EQ(d.item<float>(), float(kCount) * float(kCount));
}

TEST(ReadCopyTest, LargeArraysCopyInSeveralPieces) {
  REQUIRE_GPU();
  // 40 MiB: more than one 32 MiB staging buffer.
  int n = 10 << 20;
  auto a = mx::arange(0.0, double(n), 1.0, mx::int32, kGpu);
  mx::eval(a);
  const int32_t* p = a.data<int32_t>();
  for (int i : {0, (8 << 20) - 1, 8 << 20, n - 1}) {
    EXPECT_EQ(p[i], i);
  }
}
