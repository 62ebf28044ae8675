// Reduce and ArgReduce on the Vulkan GPU (shaders/reduce.glsl) against the
// CPU backend: integer, bool, min/max and arg results byte for byte, float
// sums and products within a tolerance of the dtype (the GPU adds in
// another order). Strided, broadcast, transposed, empty inputs; rows short
// and long (one invocation vs one workgroup per output, split reductions).
// Runs on lavapipe (MLX_VULKAN_DEVICE=cpu, set by tests/vulkan/CMakeLists.txt).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <vector>

#include "gpu_test_utils.h"
#include "mlx/mlx.h"

namespace mx = mlx::core;
using namespace gpu_test;

namespace {

// Relative tolerance of a float sum for the dtype (a few ulps of the
// result: the orders of addition differ).
double tolerance(mx::Dtype t) {
  if (t == mx::float16) {
    return 2e-3;
  }
  if (t == mx::bfloat16) {
    return 1.6e-2;
  }
  if (t == mx::float32) {
    return 2e-5;
  }
  return 1e-12;
}

// Float results within the dtype's tolerance (NaNs in the same places),
// anything else byte for byte.
void expect_close(const mx::array& gpu, const mx::array& cpu) {
  if (!mx::issubdtype(cpu.dtype(), mx::floating)) {
    expect_same(gpu, cpu);
    return;
  }
  mx::eval(gpu);
  mx::eval(cpu);
  ASSERT_EQ(gpu.shape(), cpu.shape());
  ASSERT_EQ(gpu.dtype(), cpu.dtype());
  mx::array g = mx::astype(gpu, mx::float64, kCpu);
  mx::array c = mx::astype(cpu, mx::float64, kCpu);
  mx::eval(g);
  mx::eval(c);
  double rtol = tolerance(cpu.dtype());
  for (size_t i = 0; i < c.size(); ++i) {
    double x = g.data<double>()[i], y = c.data<double>()[i];
    if (std::isnan(y) || std::isinf(y)) {
      EXPECT_TRUE(std::isnan(y) ? std::isnan(x) : x == y) << i;
    } else {
      EXPECT_NEAR(x, y, rtol * (1 + std::abs(y))) << i;
    }
  }
}

// Values (i * 7) % 100 - 50 (unsigned: % 100; bool: i % 3 == 0).
mx::array values(mx::Dtype dtype, mx::Shape shape, int mod = 100) {
  size_t n = 1;
  for (auto s : shape) {
    n *= s;
  }
  std::vector<int32_t> v(n);
  bool sign = mx::issubdtype(dtype, mx::signedinteger) ||
              mx::issubdtype(dtype, mx::floating);
  for (size_t i = 0; i < n; ++i) {
    int32_t x = int32_t((i * 7) % mod);
    v[i] = dtype == mx::bool_ ? int32_t(i % 3 == 0) : (sign ? x - mod / 2 : x);
  }
  return mx::astype(mx::array(v.data(), shape, mx::int32), dtype, kCpu);
}

using ReduceFn = std::function<mx::array(
    const mx::array&, const std::vector<int>&, bool, mx::StreamOrDevice)>;

struct NamedReduce {
  const char* name;
  ReduceFn fn;
  bool exact; // bit-exact whatever the dtype
};

// (prod is checked on small values only: products of large ones overflow,
// and inf times 0 depends on the order.)
const std::vector<NamedReduce> kReduces = {
    {"sum",
     [](auto& a, auto& ax, bool k, auto s) { return mx::sum(a, ax, k, s); },
     false},
    {"max",
     [](auto& a, auto& ax, bool k, auto s) { return mx::max(a, ax, k, s); },
     true},
    {"min",
     [](auto& a, auto& ax, bool k, auto s) { return mx::min(a, ax, k, s); },
     true},
    {"all",
     [](auto& a, auto& ax, bool k, auto s) { return mx::all(a, ax, k, s); },
     true},
    {"any",
     [](auto& a, auto& ax, bool k, auto s) { return mx::any(a, ax, k, s); },
     true},
};

void check_all_reduces(const mx::array& a, const std::vector<int>& axes) {
  for (auto& r : kReduces) {
    SCOPED_TRACE(r.name);
    mx::array g = r.fn(a, axes, false, kGpu);
    mx::array c = r.fn(a, axes, false, kCpu);
    if (r.exact) {
      expect_same(g, c);
    } else {
      expect_close(g, c);
    }
  }
}

} // namespace

TEST(VulkanReduce, EveryReductionAndDtypeOverEachAxisAndAll) {
  REQUIRE_GPU();
  for (auto dtype : kRealDtypes) {
    SCOPED_TRACE(::testing::Message() << dtype);
    // Products stay small with values in -1..1 (0..2 unsigned).
    mx::array a = values(dtype, {3, 37});
    mx::array small = values(dtype, {3, 37}, 3);
    for (auto axes : std::vector<std::vector<int>>{{1}, {0}, {0, 1}, {-1}}) {
      SCOPED_TRACE(::testing::Message() << "axes " << axes[0]);
      check_all_reduces(a, axes);
      expect_close(
          mx::prod(small, axes, false, kGpu),
          mx::prod(small, axes, false, kCpu));
    }
  }
}

TEST(VulkanReduce, StridedBroadcastAndSlicedInputs) {
  REQUIRE_GPU();
  for (auto dtype : {mx::float32, mx::int32, mx::float16, mx::uint8}) {
    SCOPED_TRACE(::testing::Message() << dtype);
    mx::array a = values(dtype, {4, 5, 6});
    mx::array t = mx::transpose(a, {2, 0, 1});
    mx::array s = mx::slice(a, {1, 0, 1}, {4, 5, 6}, {2, 2, 3});
    mx::array b =
        mx::broadcast_to(mx::slice(a, {0, 0, 0}, {1, 5, 1}), {3, 5, 4});
    mx::array p = mx::transpose(values(dtype, {4, 5, 6}, 3), {1, 2, 0});
    for (auto axes : std::vector<std::vector<int>>{
             {0}, {1}, {2}, {0, 2}, {1, 2}, {0, 1, 2}}) {
      mx::array f = mx::flip(a, std::vector<int>{0, 2}); // negative strides
      for (auto& x : {t, s, b, f}) {
        check_all_reduces(x, axes);
      }
      expect_close(
          mx::prod(p, axes, false, kGpu), mx::prod(p, axes, false, kCpu));
    }
  }
}

TEST(VulkanReduce, LongRowsAndColumnsAreSplit) {
  REQUIRE_GPU();
  // A long contiguous row (workgroups, chunked), a column reduction over
  // many outputs (invocations, chunked), a few long strided columns.
  mx::array row = values(mx::float32, {70001});
  expect_close(mx::sum(row, kGpu), mx::sum(row, kCpu));
  expect_same(mx::max(row, kGpu), mx::max(row, kCpu));
  mx::array irow = values(mx::int32, {70001});
  expect_same(mx::sum(irow, kGpu), mx::sum(irow, kCpu));
  mx::array cols = values(mx::int16, {600, 65});
  expect_same(mx::sum(cols, 0, false, kGpu), mx::sum(cols, 0, false, kCpu));
  expect_same(mx::min(cols, 0, false, kGpu), mx::min(cols, 0, false, kCpu));
  mx::array few = values(mx::float32, {9000, 3});
  expect_close(mx::sum(few, 0, false, kGpu), mx::sum(few, 0, false, kCpu));
  mx::array h = values(mx::float16, {2, 5000});
  expect_close(mx::sum(h, 1, false, kGpu), mx::sum(h, 1, false, kCpu));
  mx::array b = values(mx::bool_, {20000});
  expect_same(mx::sum(b, kGpu), mx::sum(b, kCpu)); // int32 count
  expect_same(mx::any(b, kGpu), mx::any(b, kCpu));
  expect_same(mx::all(b, kGpu), mx::all(b, kCpu));
}

TEST(VulkanReduce, LongFloat32RowsAndTheirViewsMatchTheCpu) {
  REQUIRE_GPU();
  // Rows of 4096, a NaN in one row, views starting at columns 4 and 1, and
  // a long row split into chunks.
  mx::array a = values(mx::float32, {6, 4096});
  mx::array nan_row = mx::concatenate(
      {mx::full({1, 4096}, NAN), mx::slice(a, {1, 0}, {6, 4096})}, 0);
  mx::array at4 = mx::slice(a, {0, 4}, {6, 4096});
  mx::array at1 = mx::slice(a, {0, 1}, {6, 4093});
  mx::array rows = mx::reshape(values(mx::float32, {1 << 20}), {2, 1 << 19});
  for (auto& x : {a, nan_row, at4, at1, rows}) {
    expect_close(mx::sum(x, 1, false, kGpu), mx::sum(x, 1, false, kCpu));
    expect_same(mx::max(x, 1, false, kGpu), mx::max(x, 1, false, kCpu));
    expect_same(mx::min(x, 1, false, kGpu), mx::min(x, 1, false, kCpu));
  }
  // Products of values near 1 (four elements per load, like the sums).
  mx::array near_one =
      mx::add(mx::array(1.0f), mx::multiply(a, mx::array(1e-3f)));
  expect_close(
      mx::prod(near_one, 1, false, kGpu), mx::prod(near_one, 1, false, kCpu));
  // One aligned row whose length is not a multiple of 4: the last
  // elements are read one at a time.
  mx::array odd = mx::reshape(values(mx::float32, {4099}), {1, 4099});
  expect_close(mx::sum(odd, 1, false, kGpu), mx::sum(odd, 1, false, kCpu));
  expect_same(mx::max(odd, 1, false, kGpu), mx::max(odd, 1, false, kCpu));
  expect_same(mx::min(odd, 1, false, kGpu), mx::min(odd, 1, false, kCpu));
}

TEST(VulkanReduce, ManyDimensionsUseTheMetadataBuffer) {
  REQUIRE_GPU();
  // 7 axes of 2, reversed: nothing merges, more than the 4 pushed dims.
  mx::array a = values(mx::int32, mx::Shape(7, 3));
  mx::array t = mx::transpose(a, {6, 5, 4, 3, 2, 1, 0});
  check_all_reduces(t, {0, 2, 4, 6});
  check_all_reduces(t, {1, 3, 5});
}

TEST(VulkanReduce, NanPropagatesAndIntegerLimits) {
  REQUIRE_GPU();
  float nan = std::numeric_limits<float>::quiet_NaN();
  float inf = std::numeric_limits<float>::infinity();
  std::vector<float> v = {1, nan, -3, 2, inf, -inf, 5, 0};
  mx::array a(v.data(), {2, 4}, mx::float32);
  for (auto dtype : {mx::float32, mx::float16, mx::bfloat16, mx::float64}) {
    mx::array x = mx::astype(a, dtype, kCpu);
    expect_close(mx::max(x, 1, false, kGpu), mx::max(x, 1, false, kCpu));
    expect_close(mx::min(x, 1, false, kGpu), mx::min(x, 1, false, kCpu));
    expect_close(mx::sum(x, 0, false, kGpu), mx::sum(x, 0, false, kCpu));
  }
  std::vector<uint64_t> big = {~0ull, 1, 1ull << 63, 7};
  mx::array u(big.data(), {4}, mx::uint64);
  expect_same(mx::max(u, kGpu), mx::max(u, kCpu));
  expect_same(mx::min(u, kGpu), mx::min(u, kCpu));
  expect_same(mx::sum(u, kGpu), mx::sum(u, kCpu));
  std::vector<int64_t> sbig = {INT64_MIN, INT64_MAX, -1, 3};
  mx::array s(sbig.data(), {4}, mx::int64);
  expect_same(mx::max(s, kGpu), mx::max(s, kCpu));
  expect_same(mx::min(s, kGpu), mx::min(s, kCpu));
  expect_same(mx::prod(s, kGpu), mx::prod(s, kCpu));
}

TEST(VulkanReduce, EmptyAxesGiveTheIdentity) {
  REQUIRE_GPU();
  mx::array e = mx::reshape(values(mx::float32, {0}), {0, 3});
  expect_same(mx::sum(e, 0, false, kGpu), mx::sum(e, 0, false, kCpu));
  expect_same(mx::prod(e, 0, false, kGpu), mx::prod(e, 0, false, kCpu));
  expect_same(mx::sum(e, 1, false, kGpu), mx::sum(e, 1, false, kCpu));
  mx::array eb = mx::reshape(values(mx::bool_, {0}), {3, 0});
  expect_same(mx::all(eb, 1, false, kGpu), mx::all(eb, 1, false, kCpu));
  expect_same(mx::any(eb, 1, false, kGpu), mx::any(eb, 1, false, kCpu));
  // A 0-d input: axes {} is a copy, no Reduce; a size-1 axis is one.
  mx::array scalar(2.5f);
  expect_same(mx::sum(scalar, kGpu), mx::sum(scalar, kCpu));
  mx::array one = values(mx::int8, {1, 1});
  check_all_reduces(one, {0, 1});
}

TEST(VulkanReduce, ArgMaxArgMinTiesNanAndLayouts) {
  REQUIRE_GPU();
  for (auto dtype : kRealDtypes) {
    SCOPED_TRACE(::testing::Message() << dtype);
    // Values repeat every 10: ties everywhere, first index wins.
    for (mx::Shape shape : {mx::Shape{3, 37}, mx::Shape{2, 700}}) {
      mx::array a = values(dtype, shape, 10);
      for (int axis : {0, 1}) {
        expect_same(
            mx::argmax(a, axis, false, kGpu), mx::argmax(a, axis, false, kCpu));
        expect_same(
            mx::argmin(a, axis, false, kGpu), mx::argmin(a, axis, false, kCpu));
      }
      mx::array t = mx::transpose(a);
      expect_same(mx::argmax(t, 1, false, kGpu), mx::argmax(t, 1, false, kCpu));
      expect_same(mx::argmin(t, kGpu), mx::argmin(t, kCpu));
    }
  }
  float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> v(600, 1.0f);
  v[5] = 7;
  v[300] = nan;
  v[450] = nan;
  v[599] = -7;
  mx::array a(v.data(), {600}, mx::float32);
  for (auto dtype : {mx::float32, mx::float16, mx::float64}) {
    mx::array x = mx::astype(a, dtype, kCpu);
    expect_same(mx::argmax(x, kGpu), mx::argmax(x, kCpu));
    expect_same(mx::argmin(x, kGpu), mx::argmin(x, kCpu));
    mx::array r = mx::reshape(x, {6, 100});
    expect_same(mx::argmax(r, 1, false, kGpu), mx::argmax(r, 1, false, kCpu));
    expect_same(mx::argmin(r, 0, false, kGpu), mx::argmin(r, 0, false, kCpu));
  }
}

TEST(VulkanReduce, Complex64IsAClearError) {
  REQUIRE_GPU();
  mx::array c = mx::astype(values(mx::float32, {4}), mx::complex64, kCpu);
  try {
    mx::eval(mx::sum(c, kGpu));
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(
        std::string(e.what()).find(
            "complex64 is not supported on the Vulkan backend"),
        std::string::npos)
        << e.what();
  }
}

namespace {

// The gradient of sum(reduce(x, axis 1)) with respect to x on device d.
mx::array reduce_grad(const mx::array& x, mx::Device d, bool use_max) {
  std::function<mx::array(const mx::array&)> f = [d,
                                                  use_max](const mx::array& a) {
    mx::array r = use_max ? mx::max(a, 1, false, d) : mx::sum(a, 1, false, d);
    return mx::sum(r, d);
  };
  return mx::grad(f)(x);
}

} // namespace

TEST(VulkanReduce, GradientOfSumMatchesTheCpu) {
  REQUIRE_GPU();
  mx::array x = values(mx::float32, {4, 6});
  expect_same(reduce_grad(x, kGpu, false), reduce_grad(x, kCpu, false));
}

TEST(VulkanReduce, GradientOfMaxMatchesTheCpu) {
  REQUIRE_GPU();
  mx::array x = values(mx::float32, {4, 6});
  try {
    mx::array g = reduce_grad(x, kGpu, true);
    mx::eval(g);
    expect_same(g, reduce_grad(x, kCpu, true));
  } catch (const std::runtime_error& e) {
    // max's rule uses element-wise ops, which may lack GPU kernels yet.
    if (std::string(e.what()).find("Not implemented on GPU") ==
        std::string::npos) {
      throw;
    }
    GTEST_SKIP() << e.what();
  }
}
