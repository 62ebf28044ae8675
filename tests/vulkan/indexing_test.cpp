// Take, TakeAlongAxis, ScatterAddAxis, SliceUpdate and Concatenate on the
// Vulkan GPU (shaders/indexing.comp) against the CPU backend, byte for
// byte: every dtype and index dtype, negative indices, strided and
// broadcast operands, duplicates in scatters (small integers, so float sums
// are exact in any order), empty inputs, gradients.
// Runs on lavapipe (MLX_VULKAN_DEVICE=cpu, set by tests/vulkan/CMakeLists.txt).
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "gpu_test_utils.h"
#include "mlx/backend/vulkan/allocator.h"
#include "mlx/mlx.h"
#include "mlx/primitives/scatter.h"

namespace mx = mlx::core;
using namespace gpu_test;

namespace {

const std::vector<mx::Dtype> kIndexDtypes = {
    mx::int8,
    mx::uint8,
    mx::int16,
    mx::uint16,
    mx::int32,
    mx::uint32,
    mx::int64,
    mx::uint64};

mx::array ints(std::vector<int32_t> v, mx::Shape shape, mx::Dtype dtype) {
  return mx::astype(mx::array(v.data(), shape, mx::int32), dtype, kCpu);
}

void expect_error(const std::function<void()>& f, const std::string& part) {
  try {
    f();
    FAIL() << "expected an exception with " << part;
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

} // namespace

TEST(VulkanIndexing, TakeEveryDtypeAndAxis) {
  REQUIRE_GPU();
  mx::array idx = ints({4, -1, 0, 2, -5, 4}, {2, 3}, mx::int32);
  for (auto dtype : kAllDtypes) {
    SCOPED_TRACE(::testing::Message() << dtype);
    mx::array a = mod_values(dtype, {5, 5, 3}); // odd sizes: partial words
    for (int axis : {0, 1, -1}) {
      SCOPED_TRACE(::testing::Message() << "axis " << axis);
      mx::array i = axis == -1 ? ints({2, -1, 0}, {3}, mx::int32) : idx;
      expect_same(mx::take(a, i, axis, kGpu), mx::take(a, i, axis, kCpu));
    }
    expect_same(mx::take(a, idx, kGpu), mx::take(a, idx, kCpu)); // flat
  }
}

TEST(VulkanIndexing, TakeEveryIndexDtypeAndLayout) {
  REQUIRE_GPU();
  mx::array a = mod_values(mx::float32, {6, 4});
  for (auto idt : kIndexDtypes) {
    SCOPED_TRACE(::testing::Message() << idt);
    bool sign = mx::issubdtype(idt, mx::signedinteger);
    mx::array i = ints(
        sign ? std::vector<int32_t>{5, -6, 1, -1}
             : std::vector<int32_t>{5, 0, 1, 3},
        {4},
        idt);
    expect_same(mx::take(a, i, 0, kGpu), mx::take(a, i, 0, kCpu));
  }
  // Transposed / sliced source, transposed and broadcast indices.
  mx::array t = mx::transpose(mod_values(mx::int16, {4, 6, 3}), {2, 0, 1});
  mx::array s =
      mx::slice(mod_values(mx::uint8, {8, 9}), {1, 0}, {8, 9}, {2, 3});
  mx::array it = mx::transpose(ints({0, 1, 2, 2, 0, 1}, {2, 3}, mx::int32));
  mx::array ib = mx::broadcast_to(ints({1, 0}, {1, 2}, mx::int64), {3, 2});
  mx::array fi = mx::flip(ints({2, 0, 1}, {3}, mx::int32), 0);
  mx::array f = mx::flip(mod_values(mx::int8, {5, 3}), 0); // negative strides
  for (auto& x : {t, s, f}) {
    for (auto& i : {it, ib, fi}) {
      expect_same(mx::take(x, i, 1, kGpu), mx::take(x, i, 1, kCpu));
      expect_same(mx::take(x, i, 0, kGpu), mx::take(x, i, 0, kCpu));
    }
  }
  // Empty indices, and a 0-d index.
  mx::array none = mx::zeros({0}, mx::int32, kCpu);
  expect_same(mx::take(a, none, 0, kGpu), mx::take(a, none, 0, kCpu));
  mx::array zero_d = ints({-2}, {}, mx::int32);
  expect_same(mx::take(a, zero_d, 1, kGpu), mx::take(a, zero_d, 1, kCpu));
}

TEST(VulkanIndexing, OutOfRangeIndices) {
  REQUIRE_GPU();
  mx::array a = mod_values(mx::float32, {4, 3});
  // Host-made indices: the CPU's error.
  mx::array bad = ints({0, 4}, {2}, mx::int32);
  expect_error(
      [&] { mx::eval(mx::take(a, bad, 0, kGpu)); },
      "[take] The index 4 is out of bounds for axis 0 with size 4.");
  expect_error(
      [&] { mx::eval(mx::take(a, ints({-5}, {1}, mx::int32), 0, kGpu)); },
      "[take] The index -5 is out of bounds");
  // GPU-made indices are clamped on the device: no read out of bounds.
  mx::array gpu_idx =
      mx::astype(ints({7, -9, 1}, {3}, mx::int32), mx::int64, kGpu);
  mx::eval(gpu_idx);
  ASSERT_TRUE(mx::vulkan::is_vulkan_buffer(gpu_idx.buffer()));
  expect_same(
      mx::take(a, gpu_idx, 0, kGpu),
      mx::take(a, ints({3, 0, 1}, {3}, mx::int32), 0, kCpu));
}

TEST(VulkanIndexing, TakeAlongAxisBroadcastsAndWraps) {
  REQUIRE_GPU();
  for (auto dtype : {mx::float32, mx::int8, mx::float16, mx::int64}) {
    SCOPED_TRACE(::testing::Message() << dtype);
    mx::array a = mod_values(dtype, {3, 5});
    mx::array i0 = ints({2, -1, 0, 1, 1}, {1, 5}, mx::int32);
    mx::array i1 = ints({4, 0, -2, 3, 3, 1}, {3, 2}, mx::int16);
    expect_same(
        mx::take_along_axis(a, i0, 0, kGpu),
        mx::take_along_axis(a, i0, 0, kCpu));
    expect_same(
        mx::take_along_axis(a, i1, 1, kGpu),
        mx::take_along_axis(a, i1, 1, kCpu));
    mx::array t = mx::transpose(a);
    expect_same(
        mx::take_along_axis(t, mx::transpose(i0), 1, kGpu),
        mx::take_along_axis(t, mx::transpose(i0), 1, kCpu));
  }
}

TEST(VulkanIndexing, ScatterAddAccumulatesDuplicates) {
  REQUIRE_GPU();
  for (auto dtype :
       {mx::float32,
        mx::float16,
        mx::bfloat16,
        mx::int32,
        mx::uint32,
        mx::int8,
        mx::uint16,
        mx::bool_}) {
    SCOPED_TRACE(::testing::Message() << dtype);
    mx::array a = mod_values(dtype, {4, 5}, 7);
    // Many duplicates along axis 0 (and wrapped negatives).
    mx::array i = ints(
        {0, 1, 1, -1, 3, 0, 0, 0, 2, -4, 1, 1, 1, 1, 1}, {3, 5}, mx::int32);
    mx::array v = mod_values(dtype, {3, 5}, 5);
    expect_same(
        mx::scatter_add_axis(a, i, v, 0, kGpu),
        mx::scatter_add_axis(a, i, v, 0, kCpu));
    // Along the last axis, and with `a` broadcast off the axis (size 1).
    mx::array j = ints({4, 4, 4, 0, -1, 2, 2, 2}, {2, 4}, mx::int64);
    mx::array w = mod_values(dtype, {2, 4}, 5);
    mx::array a1 = mod_values(dtype, {1, 5}, 7);
    expect_same(
        mx::scatter_add_axis(a1, j, w, 1, kGpu),
        mx::scatter_add_axis(a1, j, w, 1, kCpu));
  }
  // Many updates into one element: the compare-and-swap loops contend.
  mx::array z = mx::zeros({3}, mx::float32, kCpu);
  mx::array many = mx::zeros({3000}, mx::int32, kCpu);
  mx::array ones = mx::ones({3000}, mx::float32, kCpu);
  expect_same(
      mx::scatter_add_axis(z, many, ones, 0, kGpu),
      mx::scatter_add_axis(z, many, ones, 0, kCpu));
  mx::array zh = mx::zeros({3}, mx::float16, kCpu);
  mx::array ones_h = mx::ones({200}, mx::float16, kCpu);
  mx::array few = mx::zeros({200}, mx::int32, kCpu);
  expect_same(
      mx::scatter_add_axis(zh, few, ones_h, 0, kGpu),
      mx::scatter_add_axis(zh, few, ones_h, 0, kCpu));
}

TEST(VulkanIndexing, PutAlongAxisLastDuplicateWins) {
  REQUIRE_GPU();
  for (auto dtype :
       {mx::float32,
        mx::int8,
        mx::float16,
        mx::int64,
        mx::complex64,
        mx::bool_}) {
    SCOPED_TRACE(::testing::Message() << dtype);
    mx::array a = mod_values(dtype, {4, 5});
    // Duplicates along the axis in every column (-4 is 0).
    mx::array i = ints(
        {0, 1, 1, -1, 3, 0, 0, 0, 2, -4, 1, 1, 1, 1, 1}, {3, 5}, mx::int32);
    mx::array v = mod_values(dtype, {3, 5}, 11);
    expect_same(
        mx::put_along_axis(a, i, v, 0, kGpu),
        mx::put_along_axis(a, i, v, 0, kCpu));
    mx::array j4 = ints(
        {4, 4, 0, -1, 4, 2, 2, 2, 0, 0, 0, 0, 1, -1, 1, 3}, {4, 4}, mx::int16);
    mx::array w4 = mod_values(dtype, {4, 4}, 13);
    expect_same(
        mx::put_along_axis(a, j4, w4, 1, kGpu),
        mx::put_along_axis(a, j4, w4, 1, kCpu));
    mx::array j = ints({4, 4, 0, -1, 4, 2, 2, 2}, {2, 4}, mx::int16);
    mx::array w = mod_values(dtype, {2, 4}, 13);
    // `a` broadcast off the axis: rows collide, applied in order.
    mx::array a1 = mod_values(dtype, {1, 5});
    expect_same(
        mx::put_along_axis(a1, j, w, 1, kGpu),
        mx::put_along_axis(a1, j, w, 1, kCpu));
  }
}

TEST(VulkanIndexing, FlatScatterEveryReduction) {
  REQUIRE_GPU();
  using R = mx::Scatter;
  mx::array idx = ints({3, -1, 3, 0, 9, 3, 5, 5}, {8}, mx::int64);
  for (auto dtype :
       {mx::float32,
        mx::float16,
        mx::bfloat16,
        mx::int32,
        mx::uint32,
        mx::int8,
        mx::uint16,
        mx::bool_}) {
    SCOPED_TRACE(::testing::Message() << dtype);
    mx::array a = mod_values(dtype, {10}, 7);
    mx::array u = mod_values(dtype, {8}, 5);
    for (auto r : {R::None, R::Sum, R::Prod, R::Max, R::Min}) {
      SCOPED_TRACE(::testing::Message() << "reduce " << int(r));
      expect_same(
          mx::scatter_flat(a, idx, u, r, kGpu),
          mx::scatter_flat(a, idx, u, r, kCpu));
    }
  }
  // Plain scatter of 8-byte elements; many updates (applied in order).
  mx::array a = mod_values(mx::int64, {5});
  std::vector<int32_t> many(3000);
  for (size_t i = 0; i < many.size(); ++i) {
    many[i] = int32_t((i * 3) % 5);
  }
  mx::array mi = ints(many, {3000}, mx::int64);
  mx::array mu = mod_values(mx::int64, {3000}, 1000);
  expect_same(
      mx::scatter_flat(a, mi, mu, R::None, kGpu),
      mx::scatter_flat(a, mi, mu, R::None, kCpu));
}

TEST(VulkanIndexing, ScatterAddOfEightByteDtypesIsAClearError) {
  REQUIRE_GPU();
  mx::array a = mod_values(mx::int64, {3});
  expect_error(
      [&] {
        mx::eval(mx::scatter_add_axis(
            a, ints({0}, {1}, mx::int32), mod_values(mx::int64, {1}), 0, kGpu));
      },
      "[ScatterAddAxis] int64 is not supported on the Vulkan backend");
}

TEST(VulkanIndexing, SliceUpdateStridedConvertedAndDonated) {
  REQUIRE_GPU();
  for (auto dtype : kAllDtypes) {
    SCOPED_TRACE(::testing::Message() << dtype);
    mx::array src = mod_values(dtype, {5, 7});
    mx::array up = mod_values(dtype, {2, 3}, 3);
    expect_same(
        mx::slice_update(src, up, {1, 1}, {5, 7}, {2, 2}, kGpu),
        mx::slice_update(src, up, {1, 1}, {5, 7}, {2, 2}, kCpu));
    expect_same(
        mx::slice_update(src, up, {3, 4}, {5, 7}, kGpu),
        mx::slice_update(src, up, {3, 4}, {5, 7}, kCpu));
  }
  // The update in another dtype, broadcast; the source transposed.
  mx::array src = mx::transpose(mod_values(mx::float16, {6, 4}));
  mx::array up = mod_values(mx::int32, {1, 3});
  expect_same(
      mx::slice_update(src, up, {0, 2}, {4, 5}, kGpu),
      mx::slice_update(src, up, {0, 2}, {4, 5}, kCpu));
  // A GPU-made source nothing else holds: its buffer is reused.
  auto gpu_result = [&] {
    mx::array g = mx::astype(mod_values(mx::int32, {4, 4}), mx::float32, kGpu);
    return mx::slice_update(
        g, mod_values(mx::float32, {2, 2}), {1, 1}, {3, 3}, kGpu);
  };
  expect_same(
      gpu_result(),
      mx::slice_update(
          mx::astype(mod_values(mx::int32, {4, 4}), mx::float32, kCpu),
          mod_values(mx::float32, {2, 2}),
          {1, 1},
          {3, 3},
          kCpu));
}

TEST(VulkanIndexing, ConcatenateMixedDtypesAndLayouts) {
  REQUIRE_GPU();
  for (auto dtype : kAllDtypes) {
    SCOPED_TRACE(::testing::Message() << dtype);
    mx::array a = mod_values(dtype, {3, 5});
    mx::array b = mx::transpose(mod_values(dtype, {3, 3}));
    mx::array c = mod_values(dtype, {3, 0});
    for (int axis : {0, 1}) {
      std::vector<mx::array> parts =
          axis == 1 ? std::vector<mx::array>{a, b, c, a}
                    : std::vector<mx::array>{a, mx::transpose(a), a};
      if (axis == 0) {
        parts[1] = mx::slice(b, {0, 0}, {2, 3});
        parts[0] = mx::slice(a, {0, 0}, {3, 3});
        parts[2] = mx::slice(a, {1, 2}, {3, 5});
      }
      expect_same(
          mx::concatenate(parts, axis, kGpu),
          mx::concatenate(parts, axis, kCpu));
    }
  }
  // Inputs of different dtypes are converted to the result's.
  std::vector<mx::array> mixed = {
      mod_values(mx::int8, {2, 3}),
      mod_values(mx::float16, {2, 1}),
      mod_values(mx::bool_, {2, 2})};
  expect_same(mx::concatenate(mixed, 1, kGpu), mx::concatenate(mixed, 1, kCpu));
}

TEST(VulkanIndexing, GradientsOfTakeMatchTheCpu) {
  REQUIRE_GPU();
  mx::array x = mod_values(mx::float32, {5, 4});
  mx::array idx = ints({1, -1, 1, 0, 1}, {5}, mx::int32);
  mx::array along = ints({0, 4, 4, 2}, {1, 4}, mx::int32);
  auto grads = [&](mx::Device d) {
    std::function<mx::array(const mx::array&)> f = [&, d](const mx::array& a) {
      return mx::sum(mx::take(a, idx, 0, d), d);
    };
    std::function<mx::array(const mx::array&)> g = [&, d](const mx::array& a) {
      return mx::sum(mx::take_along_axis(a, along, 0, d), d);
    };
    return std::make_pair(mx::grad(f)(x), mx::grad(g)(x));
  };
  auto [gpu_take, gpu_along] = grads(kGpu);
  auto [cpu_take, cpu_along] = grads(kCpu);
  expect_same(gpu_take, cpu_take);
  expect_same(gpu_along, cpu_along);
}
