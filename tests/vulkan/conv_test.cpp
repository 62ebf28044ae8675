// Convolution on the Vulkan GPU (shaders/conv.comp + the tiled GEMM) against
// the CPU backend: conv2d with strides, padding, dilation and groups, the
// general form (input dilation, flip, asymmetric padding), other spatial
// ranks, half types, and both gradients through mx::vjp (which run as more
// convolutions with crops, flips and swapped channel axes). Runs on lavapipe
// (MLX_VULKAN_DEVICE=cpu): small shapes.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "gpu_test_utils.h"
#include "mlx/backend/vulkan/allocator.h"
#include "mlx/mlx.h"

namespace mx = mlx::core;
using namespace gpu_test;

namespace {

// float32 sums of up to a few hundred products.
constexpr double kTol = 2e-5;

struct Case {
  std::vector<int> stride, pad_lo, pad_hi, kdil, idil;
  int groups;
  bool flip;
};

mx::array
conv(const mx::array& x, const mx::array& w, const Case& c, mx::Device d) {
  return mx::conv_general(
      x, w, c.stride, c.pad_lo, c.pad_hi, c.kdil, c.idil, c.groups, c.flip, d);
}

// The forward pass and both cotangents (through mx::vjp with a fixed
// cotangent: only convolutions and views run) on each device.
void check_case(const mx::Shape& xs, const mx::Shape& ws, const Case& c) {
  mx::array x = lcg_values(xs, 1), w = lcg_values(ws, 2);
  mx::array y = conv(x, w, c, kCpu);
  expect_close(conv(x, w, c, kGpu), y, kTol);
  mx::array g = lcg_values(y.shape(), 3);
  auto grads = [&](mx::Device d) {
    auto f = [&, d](const std::vector<mx::array>& in) {
      return std::vector<mx::array>{conv(in[0], in[1], c, d)};
    };
    return mx::vjp(f, {x, w}, {g}).second;
  };
  auto on_gpu = grads(kGpu), on_cpu = grads(kCpu);
  {
    SCOPED_TRACE("input gradient");
    expect_close(on_gpu[0], on_cpu[0], kTol);
  }
  {
    SCOPED_TRACE("weight gradient");
    expect_close(on_gpu[1], on_cpu[1], kTol);
  }
}

} // namespace

TEST(VulkanConv, Conv2dForwardAndGradients) {
  REQUIRE_GPU();
  // (N, H, W, C_in), (C_out, KH, KW, C_in / groups).
  std::vector<std::tuple<mx::Shape, mx::Shape, Case>> cases = {
      {{2, 6, 7, 3},
       {4, 3, 3, 3},
       {{1, 1}, {0, 0}, {0, 0}, {1, 1}, {1, 1}, 1, false}},
      {{2, 8, 8, 3},
       {5, 3, 3, 3},
       {{2, 2}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, 1, false}},
      {{1, 9, 7, 2},
       {3, 3, 2, 2},
       {{1, 2}, {2, 0}, {1, 3}, {2, 1}, {1, 1}, 1, false}},
      {{2, 5, 6, 4},
       {6, 3, 3, 2},
       {{1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, 2, false}},
      {{1, 6, 6, 4},
       {4, 3, 3, 1},
       {{2, 1}, {1, 1}, {1, 1}, {1, 2}, {1, 1}, 4, false}},
      {{1, 5, 5, 8},
       {16, 1, 1, 8},
       {{1, 1}, {0, 0}, {0, 0}, {1, 1}, {1, 1}, 1, false}},
      // 1x1 kernels (the GEMM reads the input in place), grouped too.
      {{2, 4, 3, 4},
       {6, 1, 1, 2},
       {{1, 1}, {0, 0}, {0, 0}, {1, 1}, {1, 1}, 2, false}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(::testing::Message() << "case " << i);
    auto& [xs, ws, c] = cases[i];
    check_case(xs, ws, c);
  }
}

TEST(VulkanConv, GeneralFormInputDilationFlipAndCrop) {
  REQUIRE_GPU();
  std::vector<std::tuple<mx::Shape, mx::Shape, Case>> cases = {
      // Input dilation (a transposed convolution's pattern), flip.
      {{1, 4, 5, 3},
       {2, 3, 3, 3},
       {{1, 1}, {2, 2}, {2, 2}, {1, 1}, {2, 2}, 1, true}},
      {{2, 5, 4, 2},
       {4, 2, 3, 1},
       {{2, 1}, {1, 0}, {0, 2}, {1, 2}, {3, 1}, 2, true}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(::testing::Message() << "case " << i);
    auto& [xs, ws, c] = cases[i];
    mx::array x = lcg_values(xs, 4), w = lcg_values(ws, 5);
    expect_close(conv(x, w, c, kGpu), conv(x, w, c, kCpu), kTol);
  }
  // Negative padding is internal (the vjp's crop): through the gradients.
  check_case(
      {1, 7, 6, 2},
      {3, 3, 2, 2},
      {{3, 2}, {0, 0}, {0, 0}, {1, 1}, {1, 1}, 1, false});
  check_case(
      {1, 4, 5, 2},
      {2, 3, 3, 2},
      {{2, 1}, {2, 1}, {1, 2}, {1, 2}, {2, 1}, 1, true});
}

TEST(VulkanConv, TransposedConvolution) {
  REQUIRE_GPU();
  mx::array x = lcg_values({2, 4, 5, 3}, 6), w = lcg_values({4, 3, 3, 3}, 7);
  expect_close(
      mx::conv_transpose2d(x, w, {2, 2}, {1, 1}, {1, 1}, {1, 0}, 1, kGpu),
      mx::conv_transpose2d(x, w, {2, 2}, {1, 1}, {1, 1}, {1, 0}, 1, kCpu),
      kTol);
}

TEST(VulkanConv, OtherSpatialRanksAndTransposedInputs) {
  REQUIRE_GPU();
  mx::array x1 = lcg_values({2, 11, 3}, 8), w1 = lcg_values({4, 3, 3}, 9);
  expect_close(
      mx::conv1d(x1, w1, 2, 1, 1, 1, kGpu),
      mx::conv1d(x1, w1, 2, 1, 1, 1, kCpu),
      kTol);
  mx::array x3 = lcg_values({1, 4, 5, 3, 2}, 10),
            w3 = lcg_values({3, 2, 3, 2, 2}, 11);
  expect_close(
      mx::conv3d(x3, w3, {1, 2, 1}, {1, 0, 1}, {1, 1, 1}, 1, kGpu),
      mx::conv3d(x3, w3, {1, 2, 1}, {1, 0, 1}, {1, 1, 1}, 1, kCpu),
      kTol);
  // An input whose channels are strided (a transposed view).
  mx::array xt = mx::transpose(lcg_values({3, 6, 5, 2}, 12), {3, 1, 2, 0});
  mx::array w = lcg_values({2, 2, 2, 3}, 13);
  expect_close(
      mx::conv2d(xt, w, {1, 1}, {0, 0}, {1, 1}, 1, kGpu),
      mx::conv2d(xt, w, {1, 1}, {0, 0}, {1, 1}, 1, kCpu),
      kTol);
}

TEST(VulkanConv, HalfTypes) {
  REQUIRE_GPU();
  for (auto dtype : {mx::float16, mx::bfloat16}) {
    SCOPED_TRACE(::testing::Message() << dtype);
    mx::array x = lcg_values({1, 5, 6, 4}, 14, dtype);
    mx::array w = lcg_values({3, 3, 3, 4}, 15, dtype);
    double tol = dtype == mx::float16 ? 2e-3 : 1.6e-2;
    expect_close(
        mx::conv2d(x, w, {1, 1}, {1, 1}, {1, 1}, 1, kGpu),
        mx::conv2d(x, w, {1, 1}, {1, 1}, {1, 1}, 1, kCpu),
        tol);
  }
}

TEST(VulkanConv, EmptyBatch) {
  REQUIRE_GPU();
  mx::array x = lcg_values({0, 5, 5, 2}, 16), w = lcg_values({3, 3, 3, 2}, 17);
  expect_close(
      mx::conv2d(x, w, {1, 1}, {0, 0}, {1, 1}, 1, kGpu),
      mx::conv2d(x, w, {1, 1}, {0, 0}, {1, 1}, 1, kCpu),
      kTol);
}

TEST(VulkanConv, ImageBatchesBeyondOneScratchChunk) {
  REQUIRE_GPU();
  // 117,600 output rows of 288 im2col columns: more than one 2^25-element
  // scratch chunk, so the gather of the second chunk must wait for the
  // first chunk's GEMM (train_mnist's second conv at batch 150).
  mx::array x = lcg_values({150, 28, 28, 32}, 4);
  mx::array w = lcg_values({8, 3, 3, 32}, 5);
  Case c{{1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, 1, false};
  expect_close(conv(x, w, c, kGpu), conv(x, w, c, kCpu), kTol);
}

TEST(VulkanConv, WeightGradientOverADeepBatch) {
  REQUIRE_GPU();
  // train_mnist's first conv at batch 128: its weight gradient is a
  // product 100,352 deep, beyond the 65,535 loop iterations lavapipe runs
  // per invocation (the GEMM is cut into depth slices there).
  mx::array x = lcg_values({128, 28, 28, 1}, 1);
  mx::array w = lcg_values({32, 3, 3, 1}, 2);
  Case c{{1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, 1, false};
  mx::array g = lcg_values(conv(x, w, c, kCpu).shape(), 3);
  auto weight_grad = [&](mx::Device d) {
    auto f = [&, d](const std::vector<mx::array>& in) {
      return std::vector<mx::array>{conv(x, in[0], c, d)};
    };
    return mx::vjp(f, {w}, {g}).second[0];
  };
  // Sums of 100,352 products of values in [-1, 1], in other orders (the
  // wrong sums that motivated the slices were off by tens).
  expect_close(weight_grad(kGpu), weight_grad(kCpu), 5e-3);
}
