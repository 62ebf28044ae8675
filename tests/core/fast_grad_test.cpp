// Transform rules of the fused ops (mlx/fast.h): vjp and jvp against
// central finite differences in float64 (also on strided inputs), vmap
// against a loop over the batch for several in/out axes (the fused fast
// paths and the composed fallbacks), and second derivatives.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "grad_table.h"
#include "mlx/fast.h"

namespace {

using namespace mlx_test;
namespace fast = mx::fast;
using Arrays = std::vector<mx::array>;

TEST(FastGrad, NormsMatchFiniteDifferencesAndVmap) {
  check_cases({
      {"rms_norm weight",
       binary([](auto& x, auto& w) { return fast::rms_norm(x, w, 1e-5f); }),
       {random_input({3, 5}, 1), random_input({5}, 2)},
       // Defaults plus x alone batched on its last axis.
       {{{0, 0}, {0}}, {{1, -1}, {1}}, {{2, -1}, {0}}, {{-1, 0}, {1}}}},
      {"rms_norm",
       unary([](auto& x) { return fast::rms_norm(x, std::nullopt, 1e-5f); }),
       {random_input({2, 3, 6}, 3)}},
      {"layer_norm weight bias",
       ternary([](auto& x, auto& w, auto& b) {
         return fast::layer_norm(x, w, b, 1e-5f);
       }),
       {random_input({4, 6}, 4), random_input({6}, 5), random_input({6}, 6)}},
      {"layer_norm bias",
       binary([](auto& x, auto& b) {
         return fast::layer_norm(x, std::nullopt, b, 1e-5f);
       }),
       {random_input({3, 5}, 7), random_input({5}, 8)},
       {{{0, -1}, {0}}, {{2, -1}, {2}}, {{-1, 0}, {1}}}},
      {"layer_norm",
       unary([](auto& x) {
         return fast::layer_norm(x, std::nullopt, std::nullopt, 1e-5f);
       }),
       {random_input({2, 7}, 9)}},
  });
}

TEST(FastGrad, RopeMatchesFiniteDifferencesAndVmap) {
  check_cases({
      {"rope dims < D",
       unary([](auto& x) { return fast::rope(x, 6, false, 100.0f, 0.5f, 2); }),
       {random_input({2, 3, 4, 8}, 10)}},
      {"rope traditional per-batch offsets",
       binary([](auto& x, auto& off) {
         return fast::rope(x, 8, true, 1e4f, 1.0f, off);
       }),
       {random_input({2, 2, 3, 8}, 11), mx::array({3, 1})}},
      {"rope freqs",
       binary([](auto& x, auto& f) {
         return fast::rope(x, 4, false, std::nullopt, 1.0f, 1, f);
       }),
       {random_input({1, 2, 3, 6}, 12), random_input({2}, 13, 0.5, 2.0)}},
  });
}

TEST(FastGrad, SdpaMatchesFiniteDifferencesAndVmap) {
  auto keep = mx::array(
      {true,
       false,
       true,
       true,
       false,
       false,
       true,
       true,
       true,
       true,
       true,
       false,
       false,
       true,
       true},
      {1, 1, 3, 5});
  check_cases({
      {"sdpa grouped heads",
       ternary([](auto& q, auto& k, auto& v) {
         return fast::scaled_dot_product_attention(q, k, v, 0.6f);
       }),
       {random_input({1, 4, 3, 4}, 20),
        random_input({1, 2, 5, 4}, 21),
        random_input({1, 2, 5, 3}, 22)}},
      {"sdpa causal, more queries than keys",
       ternary([](auto& q, auto& k, auto& v) {
         return fast::scaled_dot_product_attention(q, k, v, 0.8f, "causal");
       }),
       {random_input({2, 2, 4, 3}, 23),
        random_input({2, 1, 3, 3}, 24),
        random_input({2, 1, 3, 2}, 25)}},
      {"sdpa additive mask and sinks",
       [](const Arrays& in) {
         return Arrays{fast::scaled_dot_product_attention(
             in[0], in[1], in[2], 0.5f, "array", in[3], in[4])};
       },
       {random_input({1, 2, 3, 4}, 26),
        random_input({1, 2, 5, 4}, 27),
        random_input({1, 2, 5, 4}, 28),
        random_input({3, 5}, 29),
        random_input({2}, 30)},
       {{{0, 0, 0, 0, 0}, {0}},
        {{1, -1, -1, 0, -1}, {2}},
        {{-1, 4, -1, -1, -1}, {0}},
        {{-1, -1, -1, -1, 0}, {1}}}},
      {"sdpa boolean mask",
       [keep](const Arrays& in) {
         return Arrays{fast::scaled_dot_product_attention(
             in[0], in[1], in[2], 0.5f, "array", in[3])};
       },
       {random_input({1, 2, 3, 4}, 31),
        random_input({1, 1, 5, 4}, 32),
        random_input({1, 1, 5, 4}, 33),
        keep},
       {{{0, 0, 0, -1}, {0}}, {{-1, -1, -1, 0}, {0}}, {{3, -1, 2, 1}, {4}}}},
  });
}

// Gradients of gradients: the vjp rules are built from differentiable ops.
TEST(FastGrad, SecondDerivativesMatchFiniteDifferences) {
  auto c = random_input({2, 3, 4, 6}, 40);
  auto grad_of = [](std::function<mx::array(const Arrays&)> f, int n) {
    std::vector<int> argnums;
    for (int i = 0; i < n; ++i) {
      argnums.push_back(i);
    }
    auto g = mx::grad(f, argnums);
    return Fn([g](const Arrays& in) { return g(in); });
  };
  check_grads(
      "grad rms_norm",
      grad_of(
          [c](const Arrays& in) {
            return mx::sum(fast::rms_norm(in[0], in[1], 1e-5f) * c);
          },
          2),
      {random_input({2, 3, 4, 6}, 41), random_input({6}, 42)});
  check_grads(
      "grad layer_norm",
      grad_of(
          [c](const Arrays& in) {
            return mx::sum(fast::layer_norm(in[0], in[1], in[2], 1e-5f) * c);
          },
          3),
      {random_input({2, 3, 4, 6}, 43),
       random_input({6}, 44),
       random_input({6}, 45)});
  check_grads(
      "grad rope",
      grad_of(
          [](const Arrays& in) {
            return mx::sum(mx::sin(fast::rope(in[0], 4, true, 10.0f, 1.0f, 1)));
          },
          1),
      {random_input({2, 3, 4, 6}, 46)});
  auto co = random_input({1, 2, 3, 4}, 47);
  check_grads(
      "grad sdpa",
      grad_of(
          [co](const Arrays& in) {
            return mx::sum(
                fast::scaled_dot_product_attention(
                    in[0], in[1], in[2], 0.7f, "causal") *
                co);
          },
          3),
      {random_input({1, 2, 3, 4}, 48),
       random_input({1, 1, 4, 4}, 49),
       random_input({1, 1, 4, 4}, 50)});
}

} // namespace
