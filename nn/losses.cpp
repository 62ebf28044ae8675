// Loss functions as compositions of core ops (differentiable through the
// ops' own transform rules).
#include "mlx/nn/losses.h"

#include <cmath>
#include <string>

#include "mlx/dtype.h"
#include "mlx/ops.h"
#include "mlx/utils.h"

namespace mlx::nn::losses {

namespace {

// log(2 pi) / 2, the constant term of the Gaussian negative log likelihood.
constexpr double kHalfLog2Pi = 0.9189385332046727;
// log(2): log(cosh(a)) = logaddexp(a, -a) - log(2).
constexpr double kLog2 = 0.6931471805599453;
// binary_cross_entropy on probabilities clips log(p) below here (as MLX and
// PyTorch do) so that p = 0 or 1 gives a finite loss.
constexpr double kMinLogProbability = -100;

std::string op_name(const char* name) {
  return std::string("losses.") + name;
}

void check_reduction(const char* name, const std::string& reduction) {
  if (reduction != "none" && reduction != "mean" && reduction != "sum") {
    core::throw_error(
        "[",
        op_name(name),
        "] Invalid reduction '",
        reduction,
        "'; must be 'none', 'mean' or 'sum'.");
  }
}

array reduce(const array& loss, const std::string& reduction) {
  if (reduction == "mean") {
    return core::mean(loss);
  }
  if (reduction == "sum") {
    return core::sum(loss);
  }
  return loss;
}

// A scalar in x's floating dtype (float32 for integer x), so constants do
// not promote half-precision inputs.
array constant(double value, const array& x) {
  auto dtype =
      core::issubdtype(x.dtype(), core::floating) ? x.dtype() : core::float32;
  return array(value, dtype);
}

void check_same_shape(
    const char* name,
    const char* a_label,
    const array& a,
    const char* b_label,
    const array& b) {
  if (a.shape() != b.shape()) {
    core::throw_error(
        "[",
        op_name(name),
        "] ",
        a_label,
        " shape ",
        a.shape(),
        " does not match ",
        b_label,
        " shape ",
        b.shape(),
        ".");
  }
}

// Losses that MLX lets broadcast still report bad shapes under their name.
core::Shape check_broadcast(const char* name, const array& a, const array& b) {
  return core::broadcast_shapes(a.shape(), b.shape(), op_name(name).c_str());
}

void check_weights(const char* name, const array& weights, const array& loss) {
  if (weights.shape() != loss.shape()) {
    core::throw_error(
        "[",
        op_name(name),
        "] Weights shape ",
        weights.shape(),
        " does not match the unreduced loss shape ",
        loss.shape(),
        ".");
  }
}

// Class-index targets: integer dtype, the shape of `scores` without `axis`.
void check_class_targets(
    const char* name, const array& scores, const array& targets, int axis) {
  auto expected = scores.shape();
  expected.erase(expected.begin() + axis);
  if (targets.shape() != expected) {
    core::throw_error(
        "[",
        op_name(name),
        "] Class-index targets shape ",
        targets.shape(),
        " does not match shape ",
        scores.shape(),
        " with axis ",
        axis,
        " removed (",
        expected,
        ").");
  }
  if (!core::issubdtype(targets.dtype(), core::integer)) {
    core::throw_error(
        "[",
        op_name(name),
        "] Class-index targets must have an integer dtype, got ",
        targets.dtype(),
        ".");
  }
}

// scores[..., targets[...], ...] along axis.
array pick(const array& scores, const array& targets, int axis) {
  return core::squeeze(
      core::take_along_axis(scores, core::expand_dims(targets, axis), axis),
      axis);
}

} // namespace

array binary_cross_entropy(
    const array& inputs,
    const array& targets,
    const std::optional<array>& weights,
    bool with_logits,
    const std::string& reduction) {
  const char* name = "binary_cross_entropy";
  check_reduction(name, reduction);
  check_same_shape(name, "Inputs", inputs, "targets", targets);
  array loss = inputs;
  if (with_logits) {
    // log(1 + e^x) - x t = -(t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))).
    loss = core::subtract(
        core::logaddexp(constant(0, inputs), inputs),
        core::multiply(inputs, targets));
  } else {
    auto floor = constant(kMinLogProbability, inputs);
    auto log_p = core::maximum(core::log(inputs), floor);
    auto log_not_p = core::maximum(
        core::log(core::subtract(constant(1, inputs), inputs)), floor);
    loss = core::negative(core::add(
        core::multiply(targets, log_p),
        core::multiply(
            core::subtract(constant(1, inputs), targets), log_not_p)));
  }
  if (weights) {
    check_weights(name, *weights, loss);
    loss = core::multiply(loss, *weights);
  }
  return reduce(loss, reduction);
}

array cosine_similarity_loss(
    const array& x1,
    const array& x2,
    int axis,
    float eps,
    const std::string& reduction) {
  const char* name = "cosine_similarity_loss";
  check_reduction(name, reduction);
  auto shape = check_broadcast(name, x1, x2);
  int ax = core::normalize_axis(
      axis, static_cast<int>(shape.size()), op_name(name).c_str());
  auto norm = [ax](const array& x) {
    return core::sqrt(core::sum(core::square(x), ax, true));
  };
  auto dot = core::sum(core::multiply(x1, x2), ax, true);
  auto denominator =
      core::maximum(core::multiply(norm(x1), norm(x2)), constant(eps, x1));
  // Reduce the kept axis only at the end, so x1 and x2 may broadcast on it.
  auto loss = core::squeeze(core::divide(dot, denominator), ax);
  return reduce(loss, reduction);
}

array cross_entropy(
    const array& logits,
    const array& targets,
    const std::optional<array>& weights,
    int axis,
    float label_smoothing,
    const std::string& reduction) {
  const char* name = "cross_entropy";
  check_reduction(name, reduction);
  if (!(label_smoothing >= 0 && label_smoothing < 1)) {
    core::throw_error(
        "[losses.cross_entropy] label_smoothing must be in [0, 1), got ",
        label_smoothing,
        ".");
  }
  int ax = core::normalize_axis(
      axis, static_cast<int>(logits.ndim()), op_name(name).c_str());
  bool targets_are_probabilities = targets.ndim() == logits.ndim();
  array score = logits;
  if (targets_are_probabilities) {
    check_same_shape(name, "Probability targets", targets, "logits", logits);
    score = core::sum(core::multiply(logits, targets), ax);
  } else {
    check_class_targets(name, logits, targets, ax);
    score = pick(logits, targets, ax);
  }
  auto log_normalizer = core::logsumexp(logits, ax);
  auto loss = core::subtract(log_normalizer, score);
  if (label_smoothing > 0) {
    // The smoothed target puts label_smoothing / C on every class:
    // loss = lse - (1 - ls) score - ls mean(logits).
    loss = core::subtract(
        core::subtract(
            log_normalizer,
            core::multiply(constant(1 - label_smoothing, logits), score)),
        core::multiply(
            constant(label_smoothing, logits), core::mean(logits, ax)));
  }
  if (weights) {
    check_weights(name, *weights, loss);
    loss = core::multiply(loss, *weights);
  }
  return reduce(loss, reduction);
}

array gaussian_nll_loss(
    const array& inputs,
    const array& targets,
    const array& vars,
    bool full,
    float eps,
    const std::string& reduction) {
  const char* name = "gaussian_nll_loss";
  check_reduction(name, reduction);
  check_same_shape(name, "Inputs", inputs, "targets", targets);
  check_same_shape(name, "Inputs", inputs, "vars", vars);
  auto clamped_vars = core::maximum(vars, constant(eps, inputs));
  auto loss = core::multiply(
      constant(0.5, inputs),
      core::add(
          core::log(clamped_vars),
          core::divide(
              core::square(core::subtract(targets, inputs)), clamped_vars)));
  if (full) {
    loss = core::add(loss, constant(kHalfLog2Pi, inputs));
  }
  return reduce(loss, reduction);
}

array hinge_loss(
    const array& inputs, const array& targets, const std::string& reduction) {
  const char* name = "hinge_loss";
  check_reduction(name, reduction);
  check_broadcast(name, inputs, targets);
  auto margin =
      core::subtract(constant(1, inputs), core::multiply(inputs, targets));
  return reduce(core::maximum(margin, constant(0, inputs)), reduction);
}

array huber_loss(
    const array& inputs,
    const array& targets,
    float delta,
    const std::string& reduction) {
  const char* name = "huber_loss";
  check_reduction(name, reduction);
  check_broadcast(name, inputs, targets);
  auto abs_errors = core::abs(core::subtract(inputs, targets));
  // |a| = quadratic + linear with quadratic = min(|a|, delta).
  auto quadratic = core::minimum(abs_errors, constant(delta, inputs));
  auto linear = core::subtract(abs_errors, quadratic);
  auto loss = core::add(
      core::multiply(constant(0.5, inputs), core::square(quadratic)),
      core::multiply(constant(delta, inputs), linear));
  return reduce(loss, reduction);
}

array kl_div_loss(
    const array& inputs,
    const array& targets,
    int axis,
    const std::string& reduction) {
  const char* name = "kl_div_loss";
  check_reduction(name, reduction);
  auto shape = check_broadcast(name, inputs, targets);
  int ax = core::normalize_axis(
      axis, static_cast<int>(shape.size()), op_name(name).c_str());
  auto loss = core::sum(
      core::multiply(core::exp(targets), core::subtract(targets, inputs)), ax);
  return reduce(loss, reduction);
}

array l1_loss(
    const array& predictions,
    const array& targets,
    const std::string& reduction) {
  const char* name = "l1_loss";
  check_reduction(name, reduction);
  check_same_shape(name, "Predictions", predictions, "targets", targets);
  return reduce(core::abs(core::subtract(predictions, targets)), reduction);
}

array log_cosh_loss(
    const array& inputs, const array& targets, const std::string& reduction) {
  const char* name = "log_cosh_loss";
  check_reduction(name, reduction);
  check_broadcast(name, inputs, targets);
  auto errors = core::subtract(inputs, targets);
  auto loss = core::subtract(
      core::logaddexp(errors, core::negative(errors)), constant(kLog2, inputs));
  return reduce(loss, reduction);
}

array margin_ranking_loss(
    const array& inputs1,
    const array& inputs2,
    const array& targets,
    float margin,
    const std::string& reduction) {
  const char* name = "margin_ranking_loss";
  check_reduction(name, reduction);
  check_same_shape(name, "Inputs1", inputs1, "inputs2", inputs2);
  check_same_shape(name, "Inputs1", inputs1, "targets", targets);
  auto differences = core::subtract(inputs1, inputs2);
  auto loss = core::maximum(
      constant(0, inputs1),
      core::add(
          core::negative(core::multiply(targets, differences)),
          constant(margin, inputs1)));
  return reduce(loss, reduction);
}

array mse_loss(
    const array& predictions,
    const array& targets,
    const std::string& reduction) {
  const char* name = "mse_loss";
  check_reduction(name, reduction);
  check_same_shape(name, "Predictions", predictions, "targets", targets);
  return reduce(core::square(core::subtract(predictions, targets)), reduction);
}

array nll_loss(
    const array& inputs,
    const array& targets,
    int axis,
    const std::string& reduction) {
  const char* name = "nll_loss";
  check_reduction(name, reduction);
  int ax = core::normalize_axis(
      axis, static_cast<int>(inputs.ndim()), op_name(name).c_str());
  check_class_targets(name, inputs, targets, ax);
  return reduce(core::negative(pick(inputs, targets, ax)), reduction);
}

array smooth_l1_loss(
    const array& predictions,
    const array& targets,
    float beta,
    const std::string& reduction) {
  const char* name = "smooth_l1_loss";
  check_reduction(name, reduction);
  check_same_shape(name, "Predictions", predictions, "targets", targets);
  auto diff = core::abs(core::subtract(predictions, targets));
  auto b = constant(beta, predictions);
  auto loss = core::where(
      core::less(diff, b),
      core::divide(
          core::multiply(constant(0.5, predictions), core::square(diff)), b),
      core::subtract(diff, constant(0.5 * beta, predictions)));
  return reduce(loss, reduction);
}

array triplet_loss(
    const array& anchors,
    const array& positives,
    const array& negatives,
    int axis,
    int p,
    float margin,
    float eps,
    const std::string& reduction) {
  const char* name = "triplet_loss";
  check_reduction(name, reduction);
  if (p < 1) {
    core::throw_error(
        "[losses.triplet_loss] The norm degree p must be at least 1, got ",
        p,
        ".");
  }
  auto shape = core::broadcast_shapes(
      check_broadcast(name, anchors, positives),
      negatives.shape(),
      op_name(name).c_str());
  int ax = core::normalize_axis(
      axis, static_cast<int>(shape.size()), op_name(name).c_str());
  auto e = constant(eps, anchors);
  auto distance = [&](const array& other) {
    auto d = core::subtract(anchors, other);
    if (p == 2) {
      return core::sqrt(core::add(core::sum(core::square(d), ax), e));
    }
    auto pth_powers = core::power(core::abs(d), constant(p, anchors));
    return core::power(
        core::add(core::sum(pth_powers, ax), e), constant(1.0 / p, anchors));
  };
  auto loss = core::maximum(
      core::add(
          core::subtract(distance(positives), distance(negatives)),
          constant(margin, anchors)),
      constant(0, anchors));
  return reduce(loss, reduction);
}

} // namespace mlx::nn::losses
