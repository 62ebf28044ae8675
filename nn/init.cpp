// Initializers: closures over their parameters that build a new array of
// the input's shape.
#include "mlx/nn/init.h"

#include <cmath>

#include "mlx/ops.h"
#include "mlx/random.h"
#include "mlx/utils.h"

namespace mlx::nn::init {

namespace {

// Samples of `shape` with standard deviation `stddev` (normal), or within
// +-`limit` (uniform), in `dtype`.
array sample_scaled(
    Distribution distribution,
    const core::Shape& shape,
    double scale,
    Dtype dtype) {
  if (distribution == Distribution::normal) {
    return core::random::normal(shape, dtype, 0.0f, static_cast<float>(scale));
  }
  return core::random::uniform(
      static_cast<float>(-scale), static_cast<float>(scale), shape, dtype);
}

} // namespace

Initializer constant(float value, Dtype dtype) {
  return [value, dtype](const array& a) {
    return core::full(a.shape(), value, dtype);
  };
}

Initializer normal(float mean, float stddev, Dtype dtype) {
  return [mean, stddev, dtype](const array& a) {
    return core::random::normal(a.shape(), dtype, mean, stddev);
  };
}

Initializer uniform(float low, float high, Dtype dtype) {
  return [low, high, dtype](const array& a) {
    return core::random::uniform(low, high, a.shape(), dtype);
  };
}

Initializer identity(Dtype dtype) {
  return [dtype](const array& a) {
    if (a.ndim() != 2 || a.shape(0) != a.shape(1)) {
      core::throw_error(
          "[init.identity] The input array must be a square matrix but got "
          "shape ",
          a.shape(),
          ".");
    }
    return core::identity(a.shape(0), dtype);
  };
}

std::pair<int64_t, int64_t> fan_in_and_fan_out(const array& a, const char* op) {
  if (a.ndim() < 2) {
    core::throw_error(
        "[",
        op,
        "] Glorot / He initialization needs an array of at least 2 "
        "dimensions, got shape ",
        a.shape(),
        ".");
  }
  // Weights are laid out (out, ..., in): a conv kernel's spatial dimensions
  // sit in the middle and multiply both fans.
  int64_t receptive_field = 1;
  for (size_t d = 1; d + 1 < a.ndim(); ++d) {
    receptive_field *= a.shape(static_cast<int>(d));
  }
  int64_t fan_in = static_cast<int64_t>(a.shape().back()) * receptive_field;
  int64_t fan_out = static_cast<int64_t>(a.shape()[0]) * receptive_field;
  return {fan_in, fan_out};
}

array GlorotInitializer::operator()(const array& a, float gain) const {
  const char* op = distribution_ == Distribution::normal
                       ? "init.glorot_normal"
                       : "init.glorot_uniform";
  auto [fan_in, fan_out] = fan_in_and_fan_out(a, op);
  // Variance 2 / (fan_in + fan_out); a uniform on +-L has variance L^2 / 3.
  double numerator = distribution_ == Distribution::normal ? 2.0 : 6.0;
  double scale =
      gain * std::sqrt(numerator / static_cast<double>(fan_in + fan_out));
  return sample_scaled(distribution_, a.shape(), scale, dtype_);
}

array HeInitializer::operator()(
    const array& a, const std::string& mode, float gain) const {
  const char* op = distribution_ == Distribution::normal ? "init.he_normal"
                                                         : "init.he_uniform";
  auto [fan_in, fan_out] = fan_in_and_fan_out(a, op);
  int64_t fan = 0;
  if (mode == "fan_in") {
    fan = fan_in;
  } else if (mode == "fan_out") {
    fan = fan_out;
  } else {
    core::throw_error(
        "[", op, "] Invalid mode '", mode, "'; must be 'fan_in' or 'fan_out'.");
  }
  // Variance 1 / fan (times gain^2); a uniform on +-L has variance L^2 / 3.
  double numerator = distribution_ == Distribution::normal ? 1.0 : 3.0;
  double scale = gain * std::sqrt(numerator / static_cast<double>(fan));
  return sample_scaled(distribution_, a.shape(), scale, dtype_);
}

GlorotInitializer glorot_normal(Dtype dtype) {
  return GlorotInitializer(Distribution::normal, dtype);
}

GlorotInitializer glorot_uniform(Dtype dtype) {
  return GlorotInitializer(Distribution::uniform, dtype);
}

HeInitializer he_normal(Dtype dtype) {
  return HeInitializer(Distribution::normal, dtype);
}

HeInitializer he_uniform(Dtype dtype) {
  return HeInitializer(Distribution::uniform, dtype);
}

} // namespace mlx::nn::init
