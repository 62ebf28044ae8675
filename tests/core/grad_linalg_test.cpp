// Transform rules of the matrix products: every differentiable op of
// core/ops/matmul.h checked with vjp/jvp against central finite
// differences (float64) and vmap against a loop over the batch, with batch
// broadcasting, 1-D operands, non-contiguous inputs, either or both
// operands batched, and second derivatives.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "grad_table.h"

namespace {

using namespace mlx_test;

TEST(GradLinalg, ProductsMatchFiniteDifferencesAndVmap) {
  std::vector<GradCase> cases = {
      {"matmul",
       binary([](auto& a, auto& b) { return mx::matmul(a, b); }),
       {random_input({3, 4}, 1), random_input({4, 2}, 2)},
       {{{0, 0}, {0}}, {{0, -1}, {1}}, {{-1, 2}, {2}}, {{2, 1}, {0}}}},
      {"matmul broadcast batch",
       binary([](auto& a, auto& b) { return mx::matmul(a, b); }),
       {random_input({2, 1, 3, 4}, 3), random_input({5, 4, 2}, 4)},
       {{{0, -1}, {0}}, {{-1, 1}, {2}}, {{4, 3}, {4}}}},
      {"matmul transposed strided",
       binary([](auto& a, auto& b) { return mx::matmul(a, b); }),
       {transposed_layout(random_input({2, 3, 4}, 5)),
        step2_layout(random_input({4, 3}, 6))},
       {{{1, 0}, {0}}, {{3, -1}, {1}}}},
      {"matmul vector @ matrix",
       binary([](auto& a, auto& b) { return mx::matmul(a, b); }),
       {random_input({4}, 7), random_input({2, 4, 3}, 8)},
       {{{0, 0}, {0}}, {{1, -1}, {1}}, {{-1, 3}, {2}}}},
      {"matmul matrix @ vector",
       binary([](auto& a, auto& b) { return mx::matmul(a, b); }),
       {transposed_layout(random_input({3, 4}, 9)), random_input({4}, 10)},
       {{{-1, 0}, {0}}, {{2, 1}, {1}}}},
      {"matmul vector @ vector",
       binary([](auto& a, auto& b) { return mx::matmul(a, b); }),
       {random_input({4}, 11), step2_layout(random_input({4}, 12))},
       {{{0, 0}, {0}}, {{0, -1}, {0}}}},
      {"addmm",
       ternary([](auto& c, auto& a, auto& b) {
         return mx::addmm(c, a, b, 0.5f, 2.0f);
       }),
       {random_input({3, 2}, 13),
        random_input({3, 4}, 14),
        random_input({4, 2}, 15)},
       {{{0, 0, 0}, {0}},
        {{-1, 0, -1}, {1}},
        {{0, -1, -1}, {0}},
        {{2, -1, -1}, {2}},
        {{-1, -1, 1}, {1}}}},
      {"addmm broadcast c, batched a",
       ternary([](auto& c, auto& a, auto& b) { return mx::addmm(c, a, b); }),
       {random_input({2}, 16),
        random_input({2, 3, 4}, 17),
        transposed_layout(random_input({4, 2}, 18))},
       {{{0, -1, 0}, {0}}, {{-1, 3, -1}, {1}}}},
      {"addmm vector a",
       ternary([](auto& c, auto& a, auto& b) {
         return mx::addmm(c, a, b, 2.0f, -1.0f);
       }),
       {random_input({1}, 19), random_input({4}, 20), random_input({4, 2}, 21)},
       {{{0, 0, 0}, {0}}, {{-1, 1, -1}, {1}}}},
      {"inner",
       binary([](auto& a, auto& b) { return mx::inner(a, b); }),
       {random_input({3, 4}, 22), transposed_layout(random_input({2, 4}, 23))},
       {{{0, 0}, {0}}, {{-1, 1}, {2}}}},
      {"inner vectors",
       binary([](auto& a, auto& b) { return mx::inner(a, b); }),
       {random_input({4}, 24), random_input({4}, 25)},
       {{{0, -1}, {0}}}},
      {"outer",
       binary([](auto& a, auto& b) { return mx::outer(a, b); }),
       {random_input({3}, 26), step2_layout(random_input({4}, 27))},
       {{{0, 0}, {0}}, {{-1, 0}, {1}}}},
      {"tensordot 1",
       binary([](auto& a, auto& b) { return mx::tensordot(a, b, 1); }),
       {random_input({3, 4}, 28), random_input({4, 2}, 29)},
       {{{0, 0}, {0}}, {{2, -1}, {2}}}},
      {"tensordot 2",
       binary([](auto& a, auto& b) { return mx::tensordot(a, b, 2); }),
       {transposed_layout(random_input({2, 3, 4}, 30)),
        random_input({3, 4, 2}, 31)},
       {{{1, 0}, {1}}}},
      {"tensordot axes",
       binary([](auto& a, auto& b) {
         return mx::tensordot(a, b, {0, 2}, {1, 0});
       }),
       {random_input({3, 4, 2}, 32), random_input({2, 3}, 33)},
       {{{0, 2}, {0}}, {{-1, 0}, {1}}}},
      {"kron",
       binary([](auto& a, auto& b) { return mx::kron(a, b); }),
       {random_input({2, 3}, 34), step2_layout(random_input({3, 2}, 35))},
       {{{0, 0}, {0}}, {{1, -1}, {2}}}},
  };
  check_cases(cases);
}

TEST(GradLinalg, SecondDerivativesAndPerExampleGradients) {
  // vjp/jvp of the gradient of sum((a @ b)^2) with respect to both.
  auto loss = [](const std::vector<mx::array>& v) {
    return mx::sum(mx::square(mx::addmm(v[2], v[0], v[1], 0.5f, 2.0f)));
  };
  auto grads = mx::grad(loss, std::vector<int>{0, 1, 2});
  Fn grad_fn = [grads](const std::vector<mx::array>& v) { return grads(v); };
  std::vector<mx::array> inputs = {
      random_input({2, 3, 4}, 40),
      random_input({4, 2}, 41),
      random_input({3, 2}, 42)};
  check_grads("grad of addmm loss", grad_fn, inputs);

  // Per-example gradients of a shared weight: vmap(grad) over the batch of
  // inputs only, against a loop.
  auto example_loss = [](const std::vector<mx::array>& v) {
    return mx::sum(mx::square(mx::matmul(v[0], v[1])));
  };
  auto weight_grad = mx::grad(example_loss, 1);
  Fn per_example = [weight_grad](const std::vector<mx::array>& v) {
    return weight_grad(v);
  };
  check_vmap(
      "per-example weight gradient",
      per_example,
      {random_input({5, 3, 4}, 43), random_input({4, 2}, 44)},
      {0, -1},
      {0});
}

} // namespace
