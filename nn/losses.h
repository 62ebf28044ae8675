// Loss functions of mlx.nn.losses, with MLX's parameters and defaults.
// Written with core ops, so they are differentiable.
//
// `reduction` is "none" (the per-element or per-sample losses), "mean" (the
// mean of all of them) or "sum"; any other value raises
// std::invalid_argument("[losses.<name>] ..."). Shape errors raise
// std::invalid_argument naming the shapes. Constants take the floating
// dtype of the first input (a float16 input gives a float16 loss).
#pragma once

#include <optional>
#include <string>

#include "mlx/array.h"

namespace mlx::nn::losses {

using core::array;

/**
 * Binary cross entropy. With `with_logits`, `inputs` are logits and the
 * loss is log(1 + e^x) - x t; otherwise they are probabilities and the loss
 * is -(t log p + (1 - t) log(1 - p)) with each log clipped below at -100.
 * `inputs`, `targets` (and `weights`) must have the same shape.
 */
array binary_cross_entropy(
    const array& inputs,
    const array& targets,
    const std::optional<array>& weights = std::nullopt,
    bool with_logits = true,
    const std::string& reduction = "mean");

/** x1 . x2 / max(|x1| |x2|, eps) along `axis` (the similarity itself). */
array cosine_similarity_loss(
    const array& x1,
    const array& x2,
    int axis = 1,
    float eps = 1e-8f,
    const std::string& reduction = "none");

/**
 * logsumexp(logits) - score along `axis`. `targets` are class indices
 * (integer dtype, shape of `logits` without `axis`) or probabilities (same
 * shape as `logits`). `label_smoothing` in [0, 1) mixes the score with the
 * mean logit. `weights` must have the shape of the unreduced loss.
 */
array cross_entropy(
    const array& logits,
    const array& targets,
    const std::optional<array>& weights = std::nullopt,
    int axis = -1,
    float label_smoothing = 0.0f,
    const std::string& reduction = "none");

/** 0.5 (log(max(vars, eps)) + (inputs - targets)^2 / max(vars, eps)),
 * plus 0.5 log(2 pi) when `full`. All three shapes must be equal. */
array gaussian_nll_loss(
    const array& inputs,
    const array& targets,
    const array& vars,
    bool full = false,
    float eps = 1e-6f,
    const std::string& reduction = "mean");

/** max(0, 1 - inputs * targets); targets are -1 or 1. */
array hinge_loss(
    const array& inputs,
    const array& targets,
    const std::string& reduction = "none");

/** 0.5 a^2 for |a| <= delta, delta (|a| - 0.5 delta) beyond, a = inputs -
 * targets. */
array huber_loss(
    const array& inputs,
    const array& targets,
    float delta = 1.0f,
    const std::string& reduction = "none");

/** sum(exp(targets) * (targets - inputs), axis): inputs and targets are log
 * probabilities. */
array kl_div_loss(
    const array& inputs,
    const array& targets,
    int axis = -1,
    const std::string& reduction = "none");

/** |predictions - targets|; the shapes must be equal. */
array l1_loss(
    const array& predictions,
    const array& targets,
    const std::string& reduction = "mean");

/** log(cosh(inputs - targets)), computed stably. */
array log_cosh_loss(
    const array& inputs,
    const array& targets,
    const std::string& reduction = "none");

/** max(0, -targets * (inputs1 - inputs2) + margin); targets are -1 or 1 and
 * the three shapes must be equal. */
array margin_ranking_loss(
    const array& inputs1,
    const array& inputs2,
    const array& targets,
    float margin = 0.0f,
    const std::string& reduction = "none");

/** (predictions - targets)^2; the shapes must be equal. */
array mse_loss(
    const array& predictions,
    const array& targets,
    const std::string& reduction = "mean");

/** -inputs[targets] along `axis`: inputs are log probabilities, targets
 * class indices (integer dtype, the shape of inputs without `axis`). */
array nll_loss(
    const array& inputs,
    const array& targets,
    int axis = -1,
    const std::string& reduction = "none");

/** 0.5 d^2 / beta for d = |predictions - targets| < beta, d - 0.5 beta
 * beyond; the shapes must be equal. */
array smooth_l1_loss(
    const array& predictions,
    const array& targets,
    float beta = 1.0f,
    const std::string& reduction = "mean");

/**
 * max(|A - P|_p - |A - N|_p + margin, 0) with the p-norm along `axis`
 * computed as (sum |d|^p + eps)^(1/p) (for p = 2, MLX's
 * sqrt(sum d^2 + eps)). p must be at least 1.
 */
array triplet_loss(
    const array& anchors,
    const array& positives,
    const array& negatives,
    int axis = -1,
    int p = 2,
    float margin = 1.0f,
    float eps = 1e-6f,
    const std::string& reduction = "none");

} // namespace mlx::nn::losses
