// Transform rules of the convolutions: every differentiable op of
// core/ops/conv.h checked with vjp/jvp against central finite differences
// (float64, on contiguous and transposed-storage inputs) and vmap against a
// loop over the batch (input, weight or both batched, on several axes),
// with stride, padding (including padding wider than the kernel, whose
// gradient needs a crop), dilation, groups, input dilation and flip; and
// second derivatives.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "grad_table.h"
#include "mlx/ops/conv.h"

namespace {

using namespace mlx_test;

TEST(GradConv, ConvolutionsMatchFiniteDifferencesAndVmap) {
  std::vector<GradCase> cases = {
      {"conv1d stride padding dilation groups",
       binary([](auto& x, auto& w) { return mx::conv1d(x, w, 2, 1, 2, 2); }),
       {random_input({2, 9, 4}, 1), random_input({6, 3, 2}, 2)}},
      {"conv1d padding wider than the kernel",
       binary([](auto& x, auto& w) { return mx::conv1d(x, w, 3, 3); }),
       {random_input({1, 5, 2}, 3), random_input({2, 2, 2}, 4)}},
      {"conv2d stride padding dilation groups",
       binary([](auto& x, auto& w) {
         return mx::conv2d(x, w, {2, 1}, {1, 2}, {1, 2}, 2);
       }),
       {random_input({2, 5, 4, 4}, 5), random_input({4, 2, 2, 2}, 6)}},
      {"conv2d depthwise",
       binary([](auto& x, auto& w) {
         return mx::conv2d(x, w, {1, 2}, {1, 1}, {1, 1}, 3);
       }),
       {random_input({1, 4, 5, 3}, 7), random_input({3, 3, 2, 1}, 8)}},
      {"conv2d pointwise",
       binary([](auto& x, auto& w) { return mx::conv2d(x, w); }),
       {random_input({2, 3, 3, 4}, 9), random_input({3, 1, 1, 4}, 10)}},
      {"conv3d stride padding",
       binary([](auto& x, auto& w) {
         return mx::conv3d(x, w, {2, 1, 1}, {0, 1, 1}, {1, 1, 2});
       }),
       {random_input({1, 4, 3, 4, 2}, 11), random_input({2, 2, 2, 2, 2}, 12)}},
      {"conv_general input dilation asymmetric padding flip",
       binary([](auto& x, auto& w) {
         return mx::conv_general(
             x, w, {1, 2}, {2, 0}, {0, 1}, {1, 2}, {2, 1}, 1, true);
       }),
       {random_input({1, 4, 4, 2}, 13), random_input({2, 2, 3, 2}, 14)}},
      {"conv_transpose1d stride padding output_padding groups",
       binary([](auto& x, auto& w) {
         return mx::conv_transpose1d(x, w, 2, 1, 1, 1, 2);
       }),
       {random_input({2, 4, 4}, 15), random_input({4, 3, 2}, 16)}},
      {"conv_transpose2d dilation",
       binary([](auto& x, auto& w) {
         return mx::conv_transpose2d(x, w, {2, 1}, {1, 0}, {1, 2}, {0, 0});
       }),
       {random_input({1, 3, 2, 2}, 17), random_input({3, 2, 2, 2}, 18)}},
      {"conv_transpose1d padding wider than the kernel",
       binary(
           [](auto& x, auto& w) { return mx::conv_transpose1d(x, w, 2, 2); }),
       {random_input({1, 5, 2}, 27), random_input({2, 2, 2}, 28)}},
      {"conv_transpose3d",
       binary([](auto& x, auto& w) {
         return mx::conv_transpose3d(
             x, w, {2, 1, 1}, {1, 0, 0}, {1, 1, 1}, {1, 0, 0});
       }),
       {random_input({1, 2, 2, 2, 1}, 19), random_input({2, 2, 2, 2, 1}, 20)}},
      {"convolve full",
       binary([](auto& a, auto& v) { return mx::convolve(a, v); }),
       {random_input({6}, 21), random_input({3}, 22)},
       {{{0, 0}, {0}}, {{-1, 0}, {1}}, {{0, -1}, {0}}}},
      {"convolve same (even filter first)",
       binary([](auto& a, auto& v) { return mx::convolve(a, v, "same"); }),
       {random_input({4}, 23), random_input({7}, 24)},
       {{{0, 0}, {0}}, {{0, -1}, {1}}}},
      {"convolve valid",
       binary([](auto& a, auto& v) { return mx::convolve(a, v, "valid"); }),
       {random_input({7}, 25), random_input({3}, 26)},
       {{{0, 0}, {0}}, {{-1, 0}, {0}}}},
  };
  check_cases(cases);
}

TEST(GradConv, SecondDerivatives) {
  // vjp/jvp of the gradients of sum(conv(x, w)^2) with respect to both.
  auto check_second =
      [](const std::string& name,
         std::function<mx::array(const mx::array&, const mx::array&)> conv,
         std::vector<mx::array> inputs) {
        auto loss = [conv](const std::vector<mx::array>& v) {
          return mx::sum(mx::square(conv(v[0], v[1])));
        };
        auto grads = mx::grad(loss, std::vector<int>{0, 1});
        Fn grad_fn = [grads](const std::vector<mx::array>& v) {
          return grads(v);
        };
        check_grads(name, grad_fn, inputs);
      };
  check_second(
      "grad of conv2d loss",
      [](auto& x, auto& w) {
        return mx::conv2d(x, w, {2, 1}, {1, 2}, {1, 2}, 2);
      },
      {random_input({1, 5, 4, 4}, 30), random_input({4, 2, 2, 2}, 31)});
  check_second(
      "grad of conv_general loss",
      [](auto& x, auto& w) {
        return mx::conv_general(x, w, {2}, {3}, {0}, {2}, {2}, 1, true);
      },
      {random_input({2, 5, 2}, 32), random_input({3, 2, 2}, 33)});
  check_second(
      "grad of conv_transpose1d loss",
      [](auto& x, auto& w) {
        return mx::conv_transpose1d(x, w, 2, 1, 1, 1, 2);
      },
      {random_input({1, 3, 4}, 34), random_input({2, 3, 2}, 35)});
}

TEST(GradConv, PerExampleWeightGradients) {
  // vmap(grad) with the weight shared: the batch folds into N in the
  // forward pass and into the channels of the weight-gradient convolution.
  auto loss = [](const std::vector<mx::array>& v) {
    return mx::sum(mx::square(mx::conv2d(v[0], v[1], {1, 1}, {1, 1})));
  };
  auto weight_grad = mx::grad(loss, 1);
  Fn per_example = [weight_grad](const std::vector<mx::array>& v) {
    return weight_grad(v);
  };
  check_vmap(
      "per-example weight gradient",
      per_example,
      {random_input({3, 1, 4, 4, 2}, 40), random_input({3, 3, 3, 2}, 41)},
      {0, -1},
      {0});
}

} // namespace
