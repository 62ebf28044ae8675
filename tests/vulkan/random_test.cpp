// RandomBits on the Vulkan GPU (shaders/random.comp) against the CPU
// backend, byte for byte: every width, block sizes that are not whole words,
// batches of keys (split), key views, empty shapes; and the samplers built
// on the bits. Runs on lavapipe (MLX_VULKAN_DEVICE=cpu).
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "gpu_test_utils.h"
#include "mlx/mlx.h"

namespace mx = mlx::core;
using namespace gpu_test;

namespace {

// Whether the GPU runs every primitive `f` needs (the samplers need
// element-wise kernels, which may not exist yet).
template <typename F> bool gpu_runs(F&& f) {
  try {
    mx::eval(f());
    return true;
  } catch (const std::runtime_error& e) {
    if (std::string(e.what()).find("Not implemented on GPU") !=
        std::string::npos) {
      return false;
    }
    throw;
  }
}

std::string str(const mx::Shape& shape) {
  std::string s = "(";
  for (auto d : shape) {
    s += std::to_string(d) + ",";
  }
  return s + ")";
}

} // namespace

TEST(VulkanRandom, BitsOfEveryWidthMatchTheCpu) {
  REQUIRE_GPU();
  mx::array key = mx::random::key(42);
  for (int width : {1, 2, 4}) {
    // Sizes with odd word counts, cut last words, a single byte.
    for (mx::Shape shape : std::vector<mx::Shape>{
             {1}, {2}, {3}, {5}, {7}, {8}, {13, 3}, {4, 257}, {1000}}) {
      SCOPED_TRACE(
          ::testing::Message() << "width " << width << " shape " << str(shape));
      expect_same(
          mx::random::bits(shape, width, key, kGpu),
          mx::random::bits(shape, width, key, kCpu));
    }
  }
}

TEST(VulkanRandom, ManyKeysWithUnalignedBlocks) {
  REQUIRE_GPU();
  // A batch of keys (from split): each fills its own block; uint8 blocks of
  // 3 bytes and uint16 blocks of 5 elements share output words.
  mx::array keys = mx::random::split(mx::random::key(7), 6, kCpu);
  for (int width : {1, 2, 4}) {
    for (mx::Shape shape : std::vector<mx::Shape>{{3}, {5}, {2, 3}, {9}, {1}}) {
      SCOPED_TRACE(
          ::testing::Message() << "width " << width << " shape " << str(shape));
      expect_same(
          mx::random::bits(shape, width, keys, kGpu),
          mx::random::bits(shape, width, keys, kCpu));
    }
  }
  // Split itself on the GPU, and keys read through a view (a reversed
  // batch of keys).
  expect_same(
      mx::random::split(mx::random::key(3), 5, kGpu),
      mx::random::split(mx::random::key(3), 5, kCpu));
  mx::array reversed = mx::slice(keys, {5, 0}, {-7, 2}, {-1, 1});
  expect_same(
      mx::random::bits({4}, 4, reversed, kGpu),
      mx::random::bits({4}, 4, reversed, kCpu));
}

TEST(VulkanRandom, EmptyShapes) {
  REQUIRE_GPU();
  mx::array key = mx::random::key(1);
  expect_same(
      mx::random::bits({0}, 4, key, kGpu), mx::random::bits({0}, 4, key, kCpu));
  expect_same(
      mx::random::bits({3, 0}, 1, key, kGpu),
      mx::random::bits({3, 0}, 1, key, kCpu));
}

TEST(VulkanRandom, KeysMadeOnTheGpuChainIntoBits) {
  REQUIRE_GPU();
  auto chain = [](mx::Device d) {
    // split(key, 2) then the second key as a slice (a view on the GPU).
    mx::array keys = mx::random::split(mx::random::key(123), 2, d);
    mx::array second = mx::reshape(mx::slice(keys, {1, 0}, {2, 2}, d), {2}, d);
    return mx::random::bits({33}, 2, second, d);
  };
  expect_same(chain(kGpu), chain(kCpu));
}

TEST(VulkanRandom, UniformAndNormalMatchTheCpu) {
  REQUIRE_GPU();
  mx::array key = mx::random::key(2024);
  auto uniform = [&](mx::Device d) {
    return mx::random::uniform({257}, mx::float32, key, d);
  };
  if (!gpu_runs([&] { return uniform(kGpu); })) {
    GTEST_SKIP() << "the samplers' element-wise kernels are not on the GPU";
  }
  expect_same(uniform(kGpu), uniform(kCpu));
  auto normal = [&](mx::Device d) {
    return mx::random::normal({257}, mx::float32, key, d);
  };
  if (!gpu_runs([&] { return normal(kGpu); })) {
    GTEST_SKIP() << "the normal sampler's kernels are not on the GPU";
  }
  // erfinv on each device: equal to a few ulps of its argument, which the
  // steep tails (|x| ~ 3) magnify to ~1e-5 relative.
  mx::array g = normal(kGpu), c = normal(kCpu);
  mx::eval(g);
  mx::eval(c);
  EXPECT_TRUE(mx::allclose(g, c, 1e-4, 1e-6, false, kCpu).item<bool>())
      << "max |gpu - cpu| "
      << mx::max(mx::abs(mx::subtract(g, c, kCpu), kCpu), kCpu) << " at "
      << mx::argmax(mx::abs(mx::subtract(g, c, kCpu), kCpu), kCpu) << "\ngpu "
      << g << "\ncpu " << c;
}

TEST(VulkanRandom, SamplersFromGpuBitsEqualTheCpu) {
  REQUIRE_GPU();
  // The uniform recipe of core/random.cpp on bits made by the GPU, the
  // arithmetic on the CPU: the same floats, bit for bit.
  mx::array key = mx::random::key(99);
  auto recipe = [&](mx::Device bits_device) {
    mx::array bits = mx::random::bits({100}, 4, key, bits_device);
    mx::array u = mx::multiply(bits, mx::array(0x1p-32f), kCpu);
    return mx::minimum(u, mx::array(1.0f - 0x1p-24f), kCpu);
  };
  expect_same(recipe(kGpu), recipe(kCpu));
  expect_same(recipe(kCpu), mx::random::uniform({100}, mx::float32, key, kCpu));
}
