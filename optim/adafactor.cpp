#include "mlx/optimizers/adafactor.h"

#include "mlx/ops.h"
#include "mlx/utils.h"

namespace mlx::optimizers {

namespace mx = mlx::core;
using detail::scalar;
using mx::throw_error;

namespace {

array rms(const array& x) {
  return mx::sqrt(mx::mean(mx::square(x)));
}

} // namespace

Adafactor::Adafactor(
    std::optional<ScalarOrSchedule> learning_rate,
    std::array<double, 2> eps,
    double clip_threshold,
    double decay_rate,
    std::optional<double> beta_1,
    double weight_decay,
    bool scale_parameter,
    bool relative_step,
    bool warmup_init)
    : eps(eps), clip_threshold(clip_threshold), decay_rate(decay_rate),
      beta_1(beta_1), weight_decay(weight_decay),
      scale_parameter(scale_parameter), relative_step(relative_step),
      warmup_init(warmup_init) {
  if (!relative_step && !learning_rate) {
    throw_error(
        "[Adafactor] relative_step=false uses the learning rate, but none "
        "was given.");
  }
  if (eps[0] < 0 || eps[1] < 0) {
    throw_error(
        "[Adafactor] eps should be >= 0, (",
        eps[0],
        ", ",
        eps[1],
        ") was provided instead.");
  }
  if (!(clip_threshold > 0)) {
    throw_error(
        "[Adafactor] clip_threshold should be > 0, ",
        clip_threshold,
        " was provided instead.");
  }
  if (beta_1 && !(*beta_1 >= 0 && *beta_1 < 1)) {
    throw_error(
        "[Adafactor] beta_1 should be in [0, 1), ",
        *beta_1,
        " was provided instead.");
  }
  if (learning_rate) {
    maybe_schedule("learning_rate", *learning_rate);
  }
}

void Adafactor::init_single(const array& parameter, Tree& state) {
  auto& shape = parameter.shape();
  auto dtype = parameter.dtype();
  if (parameter.ndim() >= 2) {
    mx::Shape row(shape.begin(), shape.end() - 1);
    mx::Shape col(shape.begin(), shape.end() - 2);
    col.push_back(shape.back());
    state["exp_avg_sq_row"] = Tree(mx::zeros(row, dtype));
    state["exp_avg_sq_col"] = Tree(mx::zeros(col, dtype));
  } else {
    state["exp_avg_sq"] = Tree(mx::zeros_like(parameter));
  }
  if (beta_1) {
    state["exp_avg"] = Tree(mx::zeros_like(parameter));
  }
}

array Adafactor::apply_single(
    const array& gradient, const array& parameter, Tree& state) {
  auto parameter_rms = rms(parameter);
  auto dtype = parameter_rms.dtype();
  auto one = scalar(1.0, dtype);
  // Step-dependent factors are computed in float32 (MLX's uint64 step
  // combined with Python floats), then cast.
  auto t = mx::astype(step(), mx::float32);

  array relative_step_size =
      relative_step
          ? mx::minimum(
                warmup_init ? array(1e-6f) * t : array(1e-2f), mx::rsqrt(t))
          : state_.at("learning_rate").as_array();
  auto learning_rate = mx::astype(relative_step_size, dtype);
  if (scale_parameter) {
    learning_rate =
        mx::maximum(scalar(eps[1], dtype), parameter_rms) * learning_rate;
  }
  auto beta_2 =
      one -
      mx::astype(mx::power(t, array(static_cast<float>(decay_rate))), dtype);
  auto one_minus_beta_2 = one - beta_2;

  array update = mx::square(gradient) + scalar(eps[0], dtype);
  if (gradient.ndim() >= 2) {
    auto row = beta_2 * state.at("exp_avg_sq_row").as_array() +
               one_minus_beta_2 * mx::mean(update, -1);
    auto col = beta_2 * state.at("exp_avg_sq_col").as_array() +
               one_minus_beta_2 * mx::mean(update, -2);
    state["exp_avg_sq_row"] = Tree(row);
    state["exp_avg_sq_col"] = Tree(col);
    // The outer product of the row and column factors. MLX writes it as a
    // matmul, which agrees for 2-D parameters; broadcasting also handles
    // the batch dims of > 2-D ones.
    auto row_factor = mx::rsqrt(row / mx::mean(row, -1, true));
    auto col_factor = mx::rsqrt(col);
    update = mx::expand_dims(row_factor, -1) * mx::expand_dims(col_factor, -2) *
             gradient;
  } else {
    auto v =
        beta_2 * state.at("exp_avg_sq").as_array() + one_minus_beta_2 * update;
    state["exp_avg_sq"] = Tree(v);
    update = mx::rsqrt(v) * gradient;
  }
  update =
      update / mx::maximum(one, rms(update) / scalar(clip_threshold, dtype));
  update = learning_rate * update;

  if (beta_1) {
    auto exp_avg = scalar(*beta_1, dtype) * state.at("exp_avg").as_array() +
                   scalar(1.0 - *beta_1, dtype) * update;
    state["exp_avg"] = Tree(exp_avg);
    update = exp_avg;
  }
  array p = parameter;
  if (weight_decay != 0) {
    p = p + p * (scalar(-weight_decay, dtype) * learning_rate);
  }
  return p - update;
}

} // namespace mlx::optimizers
