// RoPE (through mlx::core::fast::rope), sinusoidal encodings and ALiBi
// biases, composed from core ops.
#include "mlx/nn/layers/positional_encoding.h"

#include <cmath>
#include <sstream>

#include "mlx/fast.h"
#include "mlx/ops.h"
#include "mlx/utils.h"

namespace mlx::nn {

namespace mx = mlx::core;

namespace {

const char* bool_str(bool b) {
  return b ? "true" : "false";
}

constexpr double kPi = 3.14159265358979323846;

} // namespace

// ---- RoPE

RoPE::RoPE(int dims, bool traditional, float base, float scale)
    : dims_(dims), traditional_(traditional), base_(base), scale_(scale) {
  if (dims <= 0 || dims % 2 != 0) {
    mx::throw_error("[RoPE] dims must be positive and even, got ", dims, ".");
  }
}

std::string RoPE::describe() const {
  std::ostringstream os;
  os << "dims=" << dims_ << ", traditional=" << bool_str(traditional_)
     << ", base=" << base_ << ", scale=" << scale_;
  return os.str();
}

array RoPE::operator()(const array& x, int offset) {
  if (x.ndim() < 3 || x.shape(-1) < dims_) {
    mx::throw_error(
        "[RoPE] Expected an input of shape (B, ..., T, D) with D >= dims = ",
        dims_,
        ", got ",
        x.shape(),
        ".");
  }
  return mx::fast::rope(x, dims_, traditional_, base_, scale_, offset);
}

// ---- SinusoidalPositionalEncoding

SinusoidalPositionalEncoding::SinusoidalPositionalEncoding(
    int dims,
    float min_freq,
    float max_freq,
    std::optional<float> scale,
    bool cos_first,
    bool full_turns)
    : dims_(dims), cos_first_(cos_first), sigmas_(array(0.0f)) {
  // MLX spaces the frequencies with 1 / (dims / 2 - 1): fewer than two
  // frequencies would divide by zero, and an odd dims would silently give
  // dims - 1 features.
  if (dims < 4 || dims % 2 != 0) {
    mx::throw_error(
        "[SinusoidalPositionalEncoding] dims must be even and at least 4, "
        "got ",
        dims,
        ".");
  }
  if (!(min_freq > 0) || !(max_freq > 0)) {
    mx::throw_error(
        "[SinusoidalPositionalEncoding] min_freq and max_freq must be "
        "positive, got ",
        min_freq,
        " and ",
        max_freq,
        ".");
  }
  // f_i = exp(log_max + t_i (log_min - log_max)), t_i = i / (half - 1):
  // from max_freq (i = 0) down to min_freq (i = half - 1).
  int half = dims / 2;
  double log_min = std::log(static_cast<double>(min_freq));
  double log_max = std::log(static_cast<double>(max_freq));
  std::vector<float> sigmas(half);
  for (int i = 0; i < half; ++i) {
    double one_zero = 1.0 - static_cast<double>(i) / (half - 1);
    double f = std::exp(one_zero * (log_max - log_min) + log_min);
    sigmas[i] = static_cast<float>(full_turns ? f * 2 * kPi : f);
  }
  sigmas_ = array(sigmas.begin(), {half}, mx::float32);
  // MLX's `scale or sqrt(2 / dims)`: an explicit 0 also takes the default.
  scale_ = (scale.has_value() && *scale != 0.0f)
               ? *scale
               : static_cast<float>(std::sqrt(2.0 / dims));
}

std::string SinusoidalPositionalEncoding::describe() const {
  std::ostringstream os;
  os << "dims=" << dims_ << ", scale=" << scale_
     << ", cos_first=" << bool_str(cos_first_);
  return os.str();
}

array SinusoidalPositionalEncoding::operator()(const array& x) {
  if (mx::issubdtype(x.dtype(), mx::complexfloating)) {
    mx::throw_error(
        "[SinusoidalPositionalEncoding] Positions must be real, got ",
        x.dtype(),
        ".");
  }
  auto y = mx::multiply(mx::expand_dims(x, -1), sigmas_);
  auto cosy = mx::cos(y);
  auto siny = mx::sin(y);
  y = cos_first_ ? mx::concatenate({cosy, siny}, -1)
                 : mx::concatenate({siny, cosy}, -1);
  if (scale_ != 1.0f) {
    y = mx::multiply(y, array(scale_, y.dtype()));
  }
  return y;
}

// ---- ALiBi

std::vector<double> ALiBi::alibi_slopes(int num_heads) {
  if (num_heads <= 0) {
    mx::throw_error("[ALiBi] num_heads must be positive, got ", num_heads, ".");
  }
  // For n a power of two the slopes are 2^(-8 (i + 1) / n), i < n
  // (Press et al., "Train Short, Test Long", 2021).
  auto power_of_two_slopes = [](int n) {
    std::vector<double> s(n);
    for (int i = 0; i < n; ++i) {
      s[i] = std::pow(2.0, -8.0 * (i + 1) / n);
    }
    return s;
  };
  int closest = 1;
  while (closest * 2 <= num_heads) {
    closest *= 2;
  }
  auto slopes = power_of_two_slopes(closest);
  if (closest != num_heads) {
    // The rest interleave between these: every other slope of 2 * closest.
    auto finer = power_of_two_slopes(2 * closest);
    for (int i = 0; static_cast<int>(slopes.size()) < num_heads; i += 2) {
      slopes.push_back(finer[i]);
    }
  }
  return slopes;
}

array ALiBi::create_alibi_slope(int num_heads, mx::Dtype dtype) {
  auto slopes = alibi_slopes(num_heads);
  return mx::astype(
      array(slopes.begin(), {num_heads, 1, 1}, mx::float64), dtype);
}

array ALiBi::create_alibi_matrix(
    int q_sequence_length,
    int k_sequence_length,
    int num_heads,
    int offset,
    mx::Dtype dtype) {
  auto queries = mx::arange(offset, q_sequence_length);
  auto keys = mx::arange(0, k_sequence_length);
  auto distance = mx::negative(mx::abs(
      mx::subtract(mx::expand_dims(queries, 1), mx::expand_dims(keys, 0))));
  distance = mx::expand_dims(distance, {0, 1});
  auto slope = create_alibi_slope(num_heads, dtype);
  return mx::astype(mx::multiply(distance, slope), dtype);
}

array ALiBi::operator()(
    const array& attention_scores,
    int offset,
    const std::optional<array>& mask) {
  const auto& s = attention_scores;
  if (s.ndim() != 4) {
    mx::throw_error(
        "[ALiBi] Expected attention scores of shape (B, H, T_q, T_k), got ",
        s.shape(),
        ".");
  }
  if (offset < 0) {
    mx::throw_error("[ALiBi] offset must be non-negative, got ", offset, ".");
  }
  auto bias = create_alibi_matrix(
      s.shape(2) + offset, s.shape(3), s.shape(1), offset, s.dtype());
  if (mask) {
    bias = mx::add(bias, *mask);
  }
  return mx::add(s, bias);
}

} // namespace mlx::nn
