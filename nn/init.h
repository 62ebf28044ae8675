// Initializers of mlx.nn.init: each call returns a function that maps an
// array to a new array of the same shape (its values are ignored), filled
// with a constant, an identity matrix or random samples drawn with
// mlx::core::random (the global key).
//
//   auto init_fn = nn::init::glorot_uniform();
//   auto w = init_fn(mx::zeros({64, 32}));       // gain 1
//   auto w4 = init_fn(mx::zeros({64, 32}), 4.0f); // gain 4
//
// glorot_* and he_* return callables with optional trailing arguments
// (gain; mode and gain), which also convert to `Initializer`.
#pragma once

#include <functional>
#include <string>
#include <utility>

#include "mlx/array.h"
#include "mlx/dtype.h"

namespace mlx::nn::init {

using core::array;
using core::Dtype;

/** A function from an array to an initialized array of its shape. */
using Initializer = std::function<array(const array&)>;

/** Fills with `value`. */
Initializer constant(float value, Dtype dtype = core::float32);

/** Samples N(mean, stddev^2). */
Initializer
normal(float mean = 0.0f, float stddev = 1.0f, Dtype dtype = core::float32);

/** Samples U[low, high). */
Initializer
uniform(float low = 0.0f, float high = 1.0f, Dtype dtype = core::float32);

/** The identity matrix; the input must be a square matrix. */
Initializer identity(Dtype dtype = core::float32);

/**
 * (fan_in, fan_out) of a weight of shape (out, ..., in), as MLX computes
 * them: fan_in = in * receptive field, fan_out = out * receptive field,
 * where the receptive field is the product of the middle dimensions (1 for
 * a matrix; the kernel size for a conv weight (C_out, K..., C_in)). Needs
 * at least 2 dimensions; `op` names the caller in the error.
 */
std::pair<int64_t, int64_t>
fan_in_and_fan_out(const array& a, const char* op = "init.fan_in_and_fan_out");

/** The two sampling distributions of the fan-scaled initializers. */
enum class Distribution { normal, uniform };

/**
 * Glorot (Xavier) initializer: normal with std gain * sqrt(2 / (fan_in +
 * fan_out)) or uniform on +-gain * sqrt(6 / (fan_in + fan_out)).
 */
class GlorotInitializer {
public:
  GlorotInitializer(Distribution distribution, Dtype dtype)
      : distribution_(distribution), dtype_(dtype) {}
  array operator()(const array& a, float gain = 1.0f) const;

private:
  Distribution distribution_;
  Dtype dtype_;
};

/**
 * He (Kaiming) initializer: with fan = fan_in (mode "fan_in") or fan_out
 * (mode "fan_out"), normal with std gain / sqrt(fan) or uniform on
 * +-gain * sqrt(3 / fan). Any other mode raises std::invalid_argument.
 */
class HeInitializer {
public:
  HeInitializer(Distribution distribution, Dtype dtype)
      : distribution_(distribution), dtype_(dtype) {}
  array operator()(
      const array& a,
      const std::string& mode = "fan_in",
      float gain = 1.0f) const;

private:
  Distribution distribution_;
  Dtype dtype_;
};

/** Glorot normal: fn(a, gain = 1). */
GlorotInitializer glorot_normal(Dtype dtype = core::float32);

/** Glorot uniform: fn(a, gain = 1). */
GlorotInitializer glorot_uniform(Dtype dtype = core::float32);

/** He normal: fn(a, mode = "fan_in", gain = 1). */
HeInitializer he_normal(Dtype dtype = core::float32);

/** He uniform: fn(a, mode = "fan_in", gain = 1). */
HeInitializer he_uniform(Dtype dtype = core::float32);

} // namespace mlx::nn::init
