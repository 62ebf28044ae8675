// mlx::nn::losses: values against PyTorch / NumPy, every reduction mode,
// defaults, shape and argument errors, and gradients against finite
// differences.
//
// Expected values: /usr/bin/python3 with torch 1.13 (torch.nn.functional,
// float64) unless a comment says NumPy (for losses torch lacks or defines
// differently).
#include <gtest/gtest.h>

#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "grad_check.h"
#include "mlx/nn/activations.h"
#include "mlx/nn/losses.h"
#include "test_utils.h"

namespace losses = mlx::nn::losses;

namespace {

mx::array vec(std::vector<float> v) {
  return mx::array(v.begin(), {static_cast<int>(v.size())}, mx::float32);
}

mx::array mat(std::vector<float> v, int rows, int cols) {
  return mx::array(v.begin(), {rows, cols}, mx::float32);
}

// Shared inputs (the same numbers are in the reference scripts).
mx::array ce_logits() { // 4 samples x 3 classes
  return mat(
      {1.0, 2.0, 0.5, 0.1, -0.3, 2.2, -1.0, 0.0, 1.0, 3.0, 1.0, -2.0}, 4, 3);
}
mx::array ce_classes() {
  return mx::array({2, 0, 1, 0}, mx::int32);
}
mx::array reg_a() {
  return vec({0.5, -2.0, 1.5, -0.3, 3.0});
}
mx::array reg_b() {
  return vec({0.0, 0.0, 0.0, 0.5, 0.5});
}

} // namespace

// From MLX's reference examples, and torch binary_cross_entropy(_with_logits).
TEST(LossesTest, BinaryCrossEntropy) {
  auto logits = vec({0.105361, 0.223144, 1.20397, 0.916291});
  auto targets = vec({0, 0, 1, 1});
  expect_array_near(
      losses::binary_cross_entropy(logits, targets), {0.539245548}, {});
  expect_array_near(
      losses::binary_cross_entropy(logits, targets, {}, true, "none"),
      {0.747214657, 0.810930465, 0.262364912, 0.33647216},
      {4});
  auto weights = vec({1.0, 2.0, 0.5, 3.0});
  expect_array_near(
      losses::binary_cross_entropy(logits, targets, weights, true, "sum"),
      {3.50967452},
      {});
  // Integer targets give the same loss.
  expect_array_near(
      losses::binary_cross_entropy(logits, mx::array({0, 0, 1, 1})),
      {0.539245548},
      {});
  auto probs = vec({0.1, 0.1, 0.4, 0.4});
  expect_array_near(
      losses::binary_cross_entropy(probs, targets, {}, false),
      {0.510825624},
      {});
  // Probabilities 0 and 1: log clipped at -100, as torch.
  expect_array_near(
      losses::binary_cross_entropy(
          vec({0, 1, 0, 1}), targets, {}, false, "none"),
      {0, 100, 100, 0},
      {4});
  expect_throws_with_prefix(
      [&] {
        losses::binary_cross_entropy(logits, vec({0, 1}));
      },
      "[losses.binary_cross_entropy]",
      "(4,) does not match targets shape (2,)");
  expect_throws_with_prefix(
      [&] {
        losses::binary_cross_entropy(logits, targets, vec({1, 2}));
      },
      "[losses.binary_cross_entropy]",
      "Weights shape (2,)");
}

TEST(LossesTest, CrossEntropyWithClassIndicesAndProbabilities) {
  // MLX's reference examples.
  auto l = mat({2.0, -1.0, -1.0, 2.0}, 2, 2);
  expect_array_near(
      losses::cross_entropy(l, mx::array({0, 1})),
      {0.0485873516, 0.0485873516},
      {2});
  expect_array_near(
      losses::cross_entropy(l, mat({0.9, 0.1, 0.1, 0.9}, 2, 2)),
      {0.348587352, 0.348587352},
      {2});
  // torch cross_entropy(L, idx, reduction='none').
  auto logits = ce_logits();
  expect_array_near(
      losses::cross_entropy(logits, ce_classes()),
      {1.96436878, 2.28609894, 1.40760596, 0.132845234},
      {4});
  // label_smoothing=0.3 (torch's definition, equal to MLX's).
  expect_array_near(
      losses::cross_entropy(logits, ce_classes(), {}, -1, 0.3f),
      {1.76436878, 2.11609894, 1.40760596, 0.832845234},
      {4});
  // Probability targets with label_smoothing=0.2.
  auto probs =
      mat({0.2, 0.3, 0.5, 1.0, 0.0, 0.0, 0.25, 0.25, 0.5, 0.6, 0.1, 0.3}, 4, 3);
  expect_array_near(
      losses::cross_entropy(logits, probs, {}, -1, 0.2f),
      {1.39103545, 2.1727656, 1.20760596, 1.9595119},
      {4});
  // Per-sample weights: torch's unweighted losses times [0.5, 1, 2, 1.5].
  expect_array_near(
      losses::cross_entropy(logits, ce_classes(), vec({0.5, 1.0, 2.0, 1.5})),
      {0.982184392, 2.28609894, 2.81521193, 0.199267851},
      {4});
  // Classes on axis 0 of a transposed (non-contiguous) array.
  expect_array_near(
      losses::cross_entropy(mx::transpose(logits), ce_classes(), {}, 0),
      {1.96436878, 2.28609894, 1.40760596, 0.132845234},
      {4});
  // int64 and uint8 class indices.
  expect_array_near(
      losses::cross_entropy(logits, mx::astype(ce_classes(), mx::uint8)),
      {1.96436878, 2.28609894, 1.40760596, 0.132845234},
      {4});
}

TEST(LossesTest, CrossEntropyErrors) {
  auto logits = ce_logits();
  const std::string prefix = "[losses.cross_entropy]";
  expect_throws_with_prefix(
      [&] {
        losses::cross_entropy(logits, mx::array({0, 1, 2}));
      },
      prefix,
      "(3,) does not match shape (4, 3)");
  expect_throws_with_prefix(
      [&] {
        losses::cross_entropy(logits, mx::zeros({4, 2}));
      },
      prefix,
      "(4, 2) does not match logits shape (4, 3)");
  expect_throws_with_prefix(
      [&] {
        losses::cross_entropy(logits, vec({0, 1, 2, 0}));
      },
      prefix,
      "integer dtype, got float32");
  expect_throws_with_prefix(
      [&] {
        losses::cross_entropy(logits, ce_classes(), vec({1, 2}));
      },
      prefix,
      "Weights shape (2,) does not match the unreduced loss shape (4,)");
  expect_throws_with_prefix(
      [&] { losses::cross_entropy(logits, ce_classes(), {}, -1, 1.0f); },
      prefix,
      "label_smoothing");
  expect_throws_with_prefix(
      [&] { losses::cross_entropy(logits, ce_classes(), {}, -1, -0.1f); },
      prefix,
      "label_smoothing");
  expect_throws_with_prefix(
      [&] { losses::cross_entropy(logits, ce_classes(), {}, 2); },
      prefix,
      "Axis 2");
}

TEST(LossesTest, NllLoss) {
  // torch log_softmax(L, -1), then nll_loss(logp, idx, reduction='none').
  auto logp =
      mat({-1.46436878,
           -0.464368784,
           -1.96436878,
           -2.28609894,
           -2.68609894,
           -0.186098936,
           -2.40760596,
           -1.40760596,
           -0.407605964,
           -0.132845234,
           -2.13284523,
           -5.13284523},
          4,
          3);
  expect_array_near(
      losses::nll_loss(logp, ce_classes()),
      {1.96436878, 2.28609894, 1.40760596, 0.132845234},
      {4});
  expect_array_near(
      losses::nll_loss(mx::transpose(logp), ce_classes(), 0),
      {1.96436878, 2.28609894, 1.40760596, 0.132845234},
      {4});
  expect_throws_with_prefix(
      [&] {
        losses::nll_loss(logp, mx::array({0, 1}));
      },
      "[losses.nll_loss]",
      "(2,) does not match shape (4, 3)");
  expect_throws_with_prefix(
      [&] {
        losses::nll_loss(logp, vec({0, 1, 0, 1}));
      },
      "[losses.nll_loss]",
      "integer dtype");
}

TEST(LossesTest, GaussianNllLoss) {
  auto mu = vec({0.5, -1.0, 2.0, 0.0});
  auto y = vec({0.0, -0.5, 2.5, 1.0});
  // The third variance is below eps = 1e-6 and is clamped to it.
  auto var = vec({0.5, 2.0, 1e-8, 1.5});
  expect_array_near(
      losses::gaussian_nll_loss(mu, y, var, false, 1e-6f, "none"),
      {-0.0965735903, 0.40907359, 124993.092, 0.536065887},
      {4},
      1e-5);
  expect_array_near(
      losses::gaussian_nll_loss(mu, y, var, true, 1e-6f, "none"),
      {0.822364943, 1.32801212, 124994.011, 1.45500442},
      {4},
      1e-5);
  expect_throws_with_prefix(
      [&] {
        losses::gaussian_nll_loss(mu, vec({1, 2}), var);
      },
      "[losses.gaussian_nll_loss]",
      "targets shape (2,)");
  expect_throws_with_prefix(
      [&] { losses::gaussian_nll_loss(mu, y, vec({1})); },
      "[losses.gaussian_nll_loss]",
      "vars shape (1,)");
}

TEST(LossesTest, RegressionLosses) {
  auto a = reg_a();
  auto b = reg_b();
  expect_array_near(
      losses::l1_loss(a, b, "none"), {0.5, 2, 1.5, 0.8, 2.5}, {5});
  expect_array_near(
      losses::mse_loss(a, b, "none"), {0.25, 4, 2.25, 0.64, 6.25}, {5});
  expect_array_near(losses::huber_loss(a, b), {0.125, 1.5, 1, 0.32, 2}, {5});
  expect_array_near(
      losses::huber_loss(a, b, 2.0f), {0.125, 2, 1.125, 0.32, 3}, {5});
  expect_array_near(
      losses::smooth_l1_loss(a, b, 1.0f, "none"),
      {0.125, 1.5, 1, 0.32, 2},
      {5});
  expect_array_near(
      losses::smooth_l1_loss(a, b, 0.5f, "none"),
      {0.25, 1.75, 1.25, 0.55, 2.25},
      {5});
  // NumPy log(cosh(a - b)).
  expect_array_near(
      losses::log_cosh_loss(a, b),
      {0.120114507, 1.32500275, 0.855440171, 0.29075356, 1.81356817},
      {5});
  // log_cosh stays finite where cosh overflows float32 (|a - b| > 89).
  expect_array_near(
      losses::log_cosh_loss(vec({200}), vec({0})), {200 - 0.69314718}, {1});
  // NumPy maximum(0, 1 - x * y).
  expect_array_near(
      losses::hinge_loss(vec({0.5, -2.0, 1.5, -0.3}), vec({1, 1, -1, -1})),
      {0.5, 3, 2.5, 0.7},
      {4});
  for (const char* name : {"l1_loss", "mse_loss", "smooth_l1_loss"}) {
    SCOPED_TRACE(name);
    auto bad = vec({1, 2});
    auto call = [&] {
      std::string n = name;
      if (n == "l1_loss") {
        losses::l1_loss(a, bad);
      } else if (n == "mse_loss") {
        losses::mse_loss(a, bad);
      } else {
        losses::smooth_l1_loss(a, bad);
      }
    };
    expect_throws_with_prefix(
        call,
        std::string("[losses.") + name + "]",
        "Predictions shape (5,) does not match targets shape (2,)");
  }
  // Losses that broadcast (as MLX) still name themselves on a mismatch.
  expect_throws_with_prefix(
      [&] {
        losses::huber_loss(a, vec({1, 2}));
      },
      "[losses.huber_loss]",
      "(5,) and (2,)");
  expect_throws_with_prefix(
      [&] {
        losses::hinge_loss(a, vec({1, 2}));
      },
      "[losses.hinge_loss]");
  expect_throws_with_prefix(
      [&] {
        losses::log_cosh_loss(a, vec({1, 2}));
      },
      "[losses.log_cosh_loss]");
}

// torch kl_div(inputs, targets, log_target=True, reduction='none').sum(-1)
// on log_softmax'ed rows (the inputs below are those log probabilities).
TEST(LossesTest, KlDivLoss) {
  auto inputs =
      mat({-1.24215885,
           -0.542158849,
           -2.04215885,
           -0.250683931,
           -2.15068393,
           -2.25068393},
          2,
          3);
  auto targets =
      mat({-0.59730148,
           -1.59730148,
           -1.39730148,
           -2.87153903,
           -1.37153903,
           -0.371539032},
          2,
          3);
  expect_array_near(
      losses::kl_div_loss(inputs, targets), {0.300705841, 1.3453043}, {2});
  expect_array_near(
      losses::kl_div_loss(
          mx::transpose(inputs), mx::transpose(targets), 0, "sum"),
      {0.300705841 + 1.3453043},
      {});
  // Identical distributions diverge by zero.
  expect_array_near(
      losses::kl_div_loss(inputs, inputs), {0, 0}, {2}, 1e-6, 1e-7);
}

TEST(LossesTest, MarginRankingLoss) {
  auto x1 = vec({-0.573409, -0.765166, -0.0638});
  auto x2 = vec({0.75596, 0.225763, 0.256995});
  auto y = vec({1, 1, -1});
  // The reference's example value (it prints the mean, although the
  // signature's default reduction is 'none', which we follow).
  expect_array_near(
      losses::margin_ranking_loss(x1, x2, y, 0.0f, "mean"), {0.773433}, {});
  expect_array_near(
      losses::margin_ranking_loss(x1, x2, y), {1.329369, 0.990929, 0}, {3});
  expect_array_near(
      losses::margin_ranking_loss(x1, x2, y, 0.5f),
      {1.829369, 1.490929, 0.179205},
      {3});
  expect_throws_with_prefix(
      [&] {
        losses::margin_ranking_loss(x1, vec({1, 2}), y);
      },
      "[losses.margin_ranking_loss]",
      "inputs2 shape (2,)");
  expect_throws_with_prefix(
      [&] { losses::margin_ranking_loss(x1, x2, vec({1})); },
      "[losses.margin_ranking_loss]",
      "targets shape (1,)");
}

// NumPy: (u * v).sum(ax) / maximum(|u| |v|, eps).
TEST(LossesTest, CosineSimilarityLoss) {
  auto c1 = mat({1.0, 2.0, 3.0, 0.5, -1.0, 0.0}, 2, 3);
  auto c2 = mat({2.0, 0.0, 1.0, -1.0, 2.0, 0.0}, 2, 3);
  expect_array_near(
      losses::cosine_similarity_loss(c1, c2), {0.597614305, -1}, {2});
  expect_array_near(
      losses::cosine_similarity_loss(c1, c2, 0), {0.6, -0.447213595, 1}, {3});
  // A zero vector: the denominator is clamped at eps, the loss is 0.
  expect_array_near(
      losses::cosine_similarity_loss(
          mx::zeros({1, 3}), mx::slice(c2, {0, 0}, {1, 3})),
      {0},
      {1});
  // x2 broadcast over the rows of x1.
  expect_array_near(
      losses::cosine_similarity_loss(c1, mx::slice(c2, {0, 0}, {1, 3})),
      {0.597614305, 0.5 * 2 / (std::sqrt(1.25) * std::sqrt(5.0))},
      {2});
  expect_throws_with_prefix(
      [&] {
        losses::cosine_similarity_loss(c1, mx::zeros({2, 4}));
      },
      "[losses.cosine_similarity_loss]",
      "(2, 3) and (2, 4)");
  expect_throws_with_prefix(
      [&] {
        losses::cosine_similarity_loss(vec({1, 2}), vec({1, 2}));
      },
      "[losses.cosine_similarity_loss]",
      "Axis 1");
}

// NumPy: maximum((|A-P|^p).sum(-1) + eps)^(1/p) - (... N ...) + margin, 0).
// For p = 2, torch triplet_margin_loss agrees to 1e-6 (it adds eps to the
// difference instead: [0, 1.75505003]).
TEST(LossesTest, TripletLoss) {
  auto a = mat({0.0, 1.0, 2.0, 1.0, -1.0, 0.5}, 2, 3);
  auto p = mat({0.5, 1.0, 1.0, 1.0, 0.0, 0.5}, 2, 3);
  auto n = mat({3.0, 1.0, 2.0, 1.2, -1.1, 0.4}, 2, 3);
  expect_array_near(losses::triplet_loss(a, p, n), {0, 1.75504948}, {2});
  expect_array_near(losses::triplet_loss(a, p, n, -1, 1, 0.5f), {0, 1.1}, {2});
  expect_array_near(
      losses::triplet_loss(
          mx::transpose(a), mx::transpose(p), mx::transpose(n), 0),
      {0, 1.75504948},
      {2});
  expect_throws_with_prefix(
      [&] { losses::triplet_loss(a, p, n, -1, 0); },
      "[losses.triplet_loss]",
      "got 0");
  expect_throws_with_prefix(
      [&] {
        losses::triplet_loss(a, p, mx::zeros({3, 3}));
      },
      "[losses.triplet_loss]",
      "(2, 3) and (3, 3)");
}

namespace {

using LossFn = std::function<mx::array(const std::string& reduction)>;

struct LossCase {
  std::string name;
  LossFn fn;
};

// Each loss on the inputs above, parameterized by its reduction.
std::vector<LossCase> loss_cases() {
  auto a = reg_a();
  auto b = reg_b();
  auto m = mat({0.5, -1.0, 2.0, 0.25, 1.5, 0.0}, 2, 3);
  auto m2 = mat({1.0, 0.5, -0.5, 2.0, -1.0, 0.75}, 2, 3);
  auto m3 = mat({0.0, 0.3, 1.0, -1.0, 2.0, 1.0}, 2, 3);
  auto signs = vec({1, -1, 1, -1, 1});
  auto probs = vec({0.2, 0.9, 0.4, 0.6, 0.5});
  auto bits = vec({0, 1, 1, 0, 1});
  return {
      {"binary_cross_entropy",
       [=](auto& r) {
         return losses::binary_cross_entropy(a, bits, {}, true, r);
       }},
      {"cosine_similarity_loss",
       [=](auto& r) {
         return losses::cosine_similarity_loss(m, m2, 1, 1e-8f, r);
       }},
      {"cross_entropy",
       [=](auto& r) {
         return losses::cross_entropy(ce_logits(), ce_classes(), {}, -1, 0, r);
       }},
      {"gaussian_nll_loss",
       [=](auto& r) {
         return losses::gaussian_nll_loss(a, b, probs, false, 1e-6f, r);
       }},
      {"hinge_loss", [=](auto& r) { return losses::hinge_loss(a, signs, r); }},
      {"huber_loss",
       [=](auto& r) { return losses::huber_loss(a, b, 1.0f, r); }},
      {"kl_div_loss",
       [=](auto& r) {
         return losses::kl_div_loss(
             mlx::nn::log_softmax(m), mlx::nn::log_softmax(m2), -1, r);
       }},
      {"l1_loss", [=](auto& r) { return losses::l1_loss(a, b, r); }},
      {"log_cosh_loss",
       [=](auto& r) { return losses::log_cosh_loss(a, b, r); }},
      {"margin_ranking_loss",
       [=](auto& r) {
         return losses::margin_ranking_loss(a, b, signs, 0.1f, r);
       }},
      {"mse_loss", [=](auto& r) { return losses::mse_loss(a, b, r); }},
      {"nll_loss",
       [=](auto& r) {
         return losses::nll_loss(
             mlx::nn::log_softmax(ce_logits()), ce_classes(), -1, r);
       }},
      {"smooth_l1_loss",
       [=](auto& r) { return losses::smooth_l1_loss(a, b, 1.0f, r); }},
      {"triplet_loss",
       [=](auto& r) {
         return losses::triplet_loss(m, m2, m3, -1, 2, 1.0f, 1e-6f, r);
       }},
  };
}

} // namespace

TEST(LossesTest, EveryReductionMode) {
  auto cases = loss_cases();
  EXPECT_EQ(cases.size(), 14u); // every loss of the reference page
  for (auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto none = c.fn("none");
    EXPECT_GE(none.ndim(), 1u);
    auto values = mlx_test::to_doubles(none);
    double total = std::accumulate(values.begin(), values.end(), 0.0);
    expect_array_near(c.fn("sum"), {total}, {}, 1e-5, 1e-6);
    expect_array_near(c.fn("mean"), {total / values.size()}, {}, 1e-5, 1e-6);
    expect_throws_with_prefix(
        [&] { c.fn("avg"); }, "[losses." + c.name + "]", "'avg'");
    expect_throws_with_prefix(
        [&] { c.fn("Mean"); }, "[losses." + c.name + "]", "'Mean'");
  }
}

// The defaults of the reference page: mean for binary_cross_entropy,
// gaussian_nll, l1, mse and smooth_l1; none for the others.
TEST(LossesTest, DefaultReductions) {
  auto a = reg_a();
  auto b = reg_b();
  auto bits = vec({0, 1, 1, 0, 1});
  EXPECT_EQ(losses::binary_cross_entropy(a, bits).ndim(), 0u);
  EXPECT_EQ(losses::gaussian_nll_loss(a, b, mx::ones({5})).ndim(), 0u);
  EXPECT_EQ(losses::l1_loss(a, b).ndim(), 0u);
  EXPECT_EQ(losses::mse_loss(a, b).ndim(), 0u);
  EXPECT_EQ(losses::smooth_l1_loss(a, b).ndim(), 0u);
  EXPECT_EQ(losses::hinge_loss(a, b).shape(), (mx::Shape{5}));
  EXPECT_EQ(losses::huber_loss(a, b).shape(), (mx::Shape{5}));
  EXPECT_EQ(losses::log_cosh_loss(a, b).shape(), (mx::Shape{5}));
  EXPECT_EQ(losses::margin_ranking_loss(a, b, bits).shape(), (mx::Shape{5}));
  EXPECT_EQ(
      losses::cross_entropy(ce_logits(), ce_classes()).shape(), (mx::Shape{4}));
  EXPECT_EQ(
      losses::nll_loss(ce_logits(), ce_classes()).shape(), (mx::Shape{4}));
  EXPECT_EQ(
      losses::kl_div_loss(ce_logits(), ce_logits()).shape(), (mx::Shape{4}));
  EXPECT_EQ(
      losses::cosine_similarity_loss(ce_logits(), ce_logits()).shape(),
      (mx::Shape{4}));
  EXPECT_EQ(
      losses::triplet_loss(ce_logits(), ce_logits(), ce_logits()).shape(),
      (mx::Shape{4}));
}

TEST(LossesTest, HalfPrecisionInputsKeepTheirDtype) {
  for (auto dtype : {mx::float16, mx::bfloat16}) {
    auto a = mx::astype(reg_a(), dtype);
    auto b = mx::astype(reg_b(), dtype);
    EXPECT_EQ(losses::mse_loss(a, b).dtype(), dtype);
    EXPECT_EQ(losses::huber_loss(a, b).dtype(), dtype);
    EXPECT_EQ(losses::smooth_l1_loss(a, b).dtype(), dtype);
    EXPECT_EQ(losses::log_cosh_loss(a, b).dtype(), dtype);
    auto ce =
        losses::cross_entropy(mx::astype(ce_logits(), dtype), ce_classes());
    EXPECT_EQ(ce.dtype(), dtype);
    expect_array_near(
        ce, {1.96436878, 2.28609894, 1.40760596, 0.132845234}, {4}, 2e-2, 1e-2);
  }
}

TEST(LossesTest, GradientsMatchFiniteDifferences) {
  using mlx_test::binary;
  using mlx_test::check_grads;
  using mlx_test::random_input;
  using mlx_test::ternary;
  auto a = random_input({3, 4}, 11, -2, 2);
  auto b = random_input({3, 4}, 12, -2, 2);
  auto c = random_input({3, 4}, 13, -2, 2);
  auto unit = random_input({3, 4}, 14, 0.1, 0.9);
  auto positive = random_input({3, 4}, 15, 0.5, 2);
  auto signs = mx::astype(
      mx::where(mx::greater(c, mx::array(0.0)), mx::array(1), mx::array(-1)),
      mx::float64);
  auto classes = mx::array({3, 0, 2}, mx::int32);
  auto weights = random_input({3}, 16, 0, 1);

  check_grads(
      "binary_cross_entropy logits",
      binary([&](auto& x, auto& t) {
        return losses::binary_cross_entropy(x, t, {}, true, "mean");
      }),
      {a, unit});
  check_grads(
      "binary_cross_entropy probabilities",
      binary([&](auto& x, auto& t) {
        return losses::binary_cross_entropy(x, t, {}, false, "sum");
      }),
      {unit, mx::astype(mx::greater(b, mx::array(0.0)), mx::float64)});
  check_grads(
      "cosine_similarity_loss",
      binary([](auto& x, auto& y) {
        return losses::cosine_similarity_loss(x, y);
      }),
      {a, b});
  check_grads(
      "cross_entropy classes + smoothing + weights",
      ternary([&](auto& x, auto& t, auto& w) {
        return losses::cross_entropy(x, t, w, -1, 0.1f, "mean");
      }),
      {a, classes, weights});
  check_grads(
      "cross_entropy probabilities",
      binary(
          [](auto& x, auto& p) { return losses::cross_entropy(x, p, {}, 0); }),
      {a, mlx::nn::softmax(b, 0)});
  check_grads(
      "gaussian_nll_loss",
      ternary([](auto& x, auto& t, auto& v) {
        return losses::gaussian_nll_loss(x, t, v, true);
      }),
      {a, b, positive});
  check_grads(
      "hinge_loss",
      binary([](auto& x, auto& t) { return losses::hinge_loss(x, t); }),
      {a, signs});
  check_grads(
      "huber_loss",
      binary([](auto& x, auto& t) { return losses::huber_loss(x, t, 0.7f); }),
      {a, b});
  check_grads(
      "kl_div_loss",
      binary([](auto& x, auto& t) { return losses::kl_div_loss(x, t); }),
      {mlx::nn::log_softmax(a), mlx::nn::log_softmax(b)});
  check_grads(
      "l1_loss",
      binary([](auto& x, auto& t) { return losses::l1_loss(x, t); }),
      {a, b});
  check_grads(
      "log_cosh_loss",
      binary([](auto& x, auto& t) { return losses::log_cosh_loss(x, t); }),
      {a, b});
  check_grads(
      "margin_ranking_loss",
      ternary([](auto& x, auto& y, auto& t) {
        return losses::margin_ranking_loss(x, y, t, 0.2f);
      }),
      {a, b, signs});
  check_grads(
      "mse_loss",
      binary([](auto& x, auto& t) { return losses::mse_loss(x, t, "sum"); }),
      {a, b});
  check_grads(
      "nll_loss",
      binary([](auto& x, auto& t) { return losses::nll_loss(x, t); }),
      {a, classes});
  check_grads(
      "smooth_l1_loss",
      binary(
          [](auto& x, auto& t) { return losses::smooth_l1_loss(x, t, 0.8f); }),
      {a, b});
  check_grads(
      "triplet_loss p=2",
      ternary([](auto& x, auto& p, auto& n) {
        return losses::triplet_loss(x, p, n, -1, 2, 2.0f);
      }),
      {a, b, c});
  check_grads(
      "triplet_loss p=3",
      ternary([](auto& x, auto& p, auto& n) {
        return losses::triplet_loss(x, p, n, 0, 3, 2.0f);
      }),
      {a, b, c});
}
