// Matmul and AddMM on the Vulkan GPU (shaders/matmul.comp) against the CPU
// backend (OpenBLAS): shapes that do not divide the tiles, batches with
// broadcast, transposed and sliced operands read in place, empty products,
// K = 0, alpha/beta, half types, and every tile shape (forced with
// MLX_VULKAN_MATMUL_TILE); gather_mm, composed of take and matmul on the
// GPU. Runs on lavapipe (MLX_VULKAN_DEVICE=cpu).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "gpu_test_utils.h"
#include "mlx/backend/vulkan/allocator.h"
#include "mlx/mlx.h"

namespace mx = mlx::core;
using namespace gpu_test;

namespace {

// tol grows with the number of products summed (k), as float32 rounding
// does.
double tol_for(int k) {
  return 1e-6 * (4 + k);
}

void check_matmul(const mx::array& a, const mx::array& b) {
  int k = a.shape(-1);
  expect_close(mx::matmul(a, b, kGpu), mx::matmul(a, b, kCpu), tol_for(k));
}

// Runs f once per tile shape, the environment variable restored after.
template <typename F> void for_each_tile(F&& f) {
  for (const char* tile : {"small", "medium", "large"}) {
    SCOPED_TRACE(tile);
    setenv("MLX_VULKAN_MATMUL_TILE", tile, 1);
    f();
  }
  unsetenv("MLX_VULKAN_MATMUL_TILE");
}

} // namespace

TEST(VulkanMatmul, ShapesThatDoNotDivideTheTiles) {
  REQUIRE_GPU();
  for_each_tile([] {
    for (auto [m, k, n] : std::vector<std::array<int, 3>>{
             {1, 1, 1}, {3, 5, 7}, {65, 33, 129}, {4, 64, 4}, {130, 9, 2}}) {
      SCOPED_TRACE(::testing::Message() << m << "x" << k << "x" << n);
      check_matmul(lcg_values({m, k}, 1), lcg_values({k, n}, 2));
    }
  });
}

TEST(VulkanMatmul, TuningTilesAreCheckedAndWork) {
  REQUIRE_GPU();
  mx::array a = lcg_values({70, 40}, 5), b = lcg_values({40, 50}, 6);
  mx::array big_a = lcg_values({136, 64}, 7), big_b = lcg_values({64, 264}, 8);
  // 8 x 4, 8 x 8 and 8 x 16 register blocks in small tiles, and the layout
  // bits (1: lanes 4 x 8, 2: loads along M / N, 3: both).
  for (const char* tile :
       {"32,32,16,8,4",
        "32,32,16,8,8",
        "64,64,16,8,8",
        "64,64,16,8,16",
        "32,128,16,8,16,1",
        "32,64,16,8,8,3",
        "64,64,16,4,4,2",
        "32,128,8,8,16,3"}) {
    SCOPED_TRACE(tile);
    setenv("MLX_VULKAN_MATMUL_TILE", tile, 1);
    check_matmul(a, b);
    check_matmul(mx::transpose(b), mx::transpose(a));
    // Several tiles each way and several steps along K, vec4-aligned.
    check_matmul(big_a, big_b);
  }
  // 4 x 8 and 8 x 12 blocks are not compiled; 64 x 64 x 4 leaves
  // invocations idle; 8 x 4 blocks of 8 x 8 do not make 4 x 8 lanes; layout
  // bits beyond the two.
  for (const char* bad :
       {"64,64,16,4,8",
        "64,96,16,8,12",
        "64,64,4,4,4",
        "64,32,16,8,8,1",
        "64,64,16,8,8,4"}) {
    SCOPED_TRACE(bad);
    setenv("MLX_VULKAN_MATMUL_TILE", bad, 1);
    try {
      mx::eval(mx::matmul(a, b, kGpu));
      ADD_FAILURE() << "no error";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
  unsetenv("MLX_VULKAN_MATMUL_TILE");
}

TEST(VulkanMatmul, TransposedOperandsAreReadInPlace) {
  REQUIRE_GPU();
  for_each_tile([] {
    mx::array a = lcg_values({33, 65}, 3); // a.T is 65 x 33, column-major
    mx::array b = lcg_values({40, 33}, 4); // b.T is 33 x 40, column-major
    mx::array at = mx::transpose(a), bt = mx::transpose(b);
    check_matmul(at, bt);
    check_matmul(at, lcg_values({33, 17}, 5));
    check_matmul(lcg_values({9, 40}, 6), b);
    // Vector-aligned sizes (the vec4 loads).
    check_matmul(
        mx::transpose(lcg_values({64, 32}, 7)), lcg_values({64, 128}, 8));
    check_matmul(
        lcg_values({32, 64}, 9), mx::transpose(lcg_values({128, 64}, 10)));
  });
}

TEST(VulkanMatmul, SlicedViewsAndStridedCopies) {
  REQUIRE_GPU();
  mx::array big = lcg_values({50, 70}, 11);
  // Rows and columns of a larger matrix: leading dimension 70.
  mx::array a = mx::slice(big, {3, 5}, {40, 30});
  mx::array b = mx::slice(big, {1, 2}, {26, 69});
  check_matmul(a, b);
  // A step in the last dim is no matrix the kernel reads: copied first.
  mx::array s = mx::slice(big, {0, 0}, {25, 70}, {1, 2});
  check_matmul(s, lcg_values({35, 6}, 12));
  // Unaligned offset into a GPU-made buffer.
  mx::array g = mx::astype(big, mx::float32, kGpu);
  mx::eval(g);
  check_matmul(mx::slice(g, {1, 1}, {20, 22}), mx::slice(g, {2, 3}, {23, 9}));
}

TEST(VulkanMatmul, BatchedWithBroadcastBatchDims) {
  REQUIRE_GPU();
  for_each_tile([] {
    mx::array a = lcg_values({2, 1, 7, 12}, 13);
    mx::array b = lcg_values({3, 12, 5}, 14);
    check_matmul(a, b); // batch (2, 3), a repeats along 3, b along 2
    // Batched transposed operand (a swapaxes of the last two dims).
    check_matmul(
        mx::swapaxes(lcg_values({4, 12, 7}, 15), -1, -2),
        lcg_values({4, 12, 9}, 16));
    // Matrix-vector and vector-matrix (1-D operands).
    check_matmul(lcg_values({6, 11}, 17), lcg_values({11}, 18));
    check_matmul(lcg_values({11}, 19), lcg_values({11, 6}, 20));
  });
}

TEST(VulkanMatmul, EmptyProductsAndZeroK) {
  REQUIRE_GPU();
  check_matmul(lcg_values({0, 4}, 21), lcg_values({4, 3}, 22));
  check_matmul(lcg_values({3, 4}, 23), lcg_values({4, 0}, 24));
  // K = 0: zeros; addmm gives beta * c.
  mx::array a = lcg_values({3, 0}, 25), b = lcg_values({0, 5}, 26);
  check_matmul(a, b);
  mx::array c = lcg_values({3, 5}, 27);
  expect_close(
      mx::addmm(c, a, b, 2.0f, 0.5f, kGpu),
      mx::addmm(c, a, b, 2.0f, 0.5f, kCpu),
      1e-6);
}

TEST(VulkanMatmul, AddMMAlphaBetaAndBroadcastC) {
  REQUIRE_GPU();
  mx::array a = lcg_values({37, 29}, 28), b = lcg_values({29, 45}, 29);
  for (auto [alpha, beta] : std::vector<std::pair<float, float>>{
           {1.0f, 1.0f}, {0.5f, -2.0f}, {-1.5f, 0.0f}}) {
    SCOPED_TRACE(::testing::Message() << alpha << " " << beta);
    mx::array c = lcg_values({37, 45}, 30);
    expect_close(
        mx::addmm(c, a, b, alpha, beta, kGpu),
        mx::addmm(c, a, b, alpha, beta, kCpu),
        tol_for(29));
    mx::array bias = lcg_values({45}, 31); // broadcast over rows (stride 0)
    expect_close(
        mx::addmm(bias, a, b, alpha, beta, kGpu),
        mx::addmm(bias, a, b, alpha, beta, kCpu),
        tol_for(29));
  }
  // Batched, c transposed.
  mx::array ab = lcg_values({2, 8, 6}, 32), bb = lcg_values({2, 6, 8}, 33);
  mx::array ct = mx::swapaxes(lcg_values({2, 8, 8}, 34), -1, -2);
  expect_close(
      mx::addmm(ct, ab, bb, 1.0f, 3.0f, kGpu),
      mx::addmm(ct, ab, bb, 1.0f, 3.0f, kCpu),
      tol_for(6));
}

TEST(VulkanMatmul, HalfTypesAccumulateInFloat32) {
  REQUIRE_GPU();
  for (auto dtype : {mx::float16, mx::bfloat16}) {
    SCOPED_TRACE(::testing::Message() << dtype);
    mx::array a = lcg_values({19, 23}, 35, dtype),
              b = lcg_values({23, 13}, 36, dtype);
    // One rounding of a float32 sum: at most an ulp of the half type apart
    // when the float32 sums differ slightly.
    double tol = dtype == mx::float16 ? 2e-3 : 1.6e-2;
    expect_close(mx::matmul(a, b, kGpu), mx::matmul(a, b, kCpu), tol);
    expect_close(
        mx::matmul(mx::transpose(b), mx::transpose(a), kGpu),
        mx::matmul(mx::transpose(b), mx::transpose(a), kCpu),
        tol);
    mx::array c = lcg_values({19, 13}, 37, dtype);
    expect_close(
        mx::addmm(c, a, b, 0.5f, 2.0f, kGpu),
        mx::addmm(c, a, b, 0.5f, 2.0f, kCpu),
        tol);
  }
}

TEST(VulkanMatmul, GradientsOfAProductRunOnTheGpu) {
  REQUIRE_GPU();
  // vjp with an explicit cotangent: only matmuls and views on the GPU.
  mx::array a = lcg_values({7, 10}, 38), b = lcg_values({10, 5}, 39);
  mx::array g = lcg_values({7, 5}, 40);
  auto grads = [&](mx::Device d) {
    auto f = [d](const std::vector<mx::array>& x) {
      return std::vector<mx::array>{mx::matmul(x[0], x[1], d)};
    };
    return mx::vjp(f, {a, b}, {g}).second;
  };
  auto on_gpu = grads(kGpu), on_cpu = grads(kCpu);
  expect_close(on_gpu[0], on_cpu[0], tol_for(5));
  expect_close(on_gpu[1], on_cpu[1], tol_for(7));
}

TEST(VulkanMatmul, Float64IsAClearError) {
  REQUIRE_GPU();
  mx::array a = mx::astype(lcg_values({2, 2}, 41), mx::float64, kCpu);
  try {
    mx::eval(mx::matmul(a, a, kGpu));
    FAIL() << "expected an exception";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("[Matmul]"), std::string::npos)
        << e.what();
  }
}

TEST(VulkanMatmul, MoreBatchesThanOneDispatchDimensionHolds) {
  REQUIRE_GPU();
  // 70000 > 65535 workgroups in z: the kernel loops over the rest.
  check_matmul(lcg_values({70000, 1, 2}, 42), lcg_values({70000, 2, 3}, 43));
}

TEST(VulkanMatmul, DeepProductsBeyondLavapipesLoopLimit) {
  REQUIRE_GPU();
  // 20,000 deep: more depth tiles than lavapipe runs loop iterations per
  // invocation, so the GEMM runs there as depth slices adding into out; in
  // place and transposed operands, addmm's beta * C only once, half types
  // accumulating in float32 across the slices.
  mx::array a = lcg_values({5, 20000}, 40), b = lcg_values({20000, 7}, 41);
  check_matmul(a, b);
  check_matmul(
      mx::transpose(lcg_values({20000, 5}, 42)),
      mx::transpose(lcg_values({7, 20000}, 43)));
  mx::array c = lcg_values({5, 7}, 44);
  expect_close(
      mx::addmm(c, a, b, 0.5f, 2.0f, kGpu),
      mx::addmm(c, a, b, 0.5f, 2.0f, kCpu),
      tol_for(20000));
  mx::array ah = mx::astype(a, mx::float16, kCpu);
  mx::array bh = mx::astype(b, mx::float16, kCpu);
  auto gpu = mx::astype(mx::matmul(ah, bh, kGpu), mx::float32, kCpu);
  auto cpu = mx::astype(mx::matmul(ah, bh, kCpu), mx::float32, kCpu);
  mx::eval(gpu, cpu);
  auto g = floats_of(gpu), r = floats_of(cpu);
  for (size_t i = 0; i < g.size(); ++i) {
    EXPECT_NEAR(g[i], r[i], 2e-3 * (1.0 + std::abs(r[i]))) << "element " << i;
  }
}

TEST(VulkanMatmul, GatherMMRunsThroughTakeAndMatmul) {
  // No GatherMM kernel on the GPU: gather_mm builds take + matmul there.
  REQUIRE_GPU();
  mx::array a = lcg_values({3, 4, 5}, 30), b = lcg_values({2, 5, 6}, 31);
  mx::array lhs = mx::array({2, 0, -1}, {3, 1});
  mx::array rhs = mx::array({1, 0});
  expect_close(
      mx::gather_mm(a, b, lhs, rhs, false, kGpu),
      mx::gather_mm(a, b, lhs, rhs, false, kCpu),
      tol_for(5));
}
