// Keys, bits and the continuous samplers of mlx::core::random, built as ops
// on the RandomBits primitive. Where MLX documents (or its tests fix) how a
// sample is made from the bits, the same recipe is used, so that a key
// gives the same numbers here as in MLX.
#include "mlx/random.h"

#include <chrono>
#include <cmath>
#include <limits>

#include "mlx/ops.h"
#include "mlx/primitives/random.h"
#include "mlx/random_impl.h"
#include "mlx/utils.h"

namespace mlx::core::random {

KeySequence::KeySequence(uint64_t seed) {
  this->seed(seed);
}

void KeySequence::seed(uint64_t seed) {
  std::lock_guard lock(mutex_);
  state_[0] = static_cast<uint32_t>(seed >> 32);
  state_[1] = static_cast<uint32_t>(seed);
}

array KeySequence::next() {
  // split(state) computed on the host: the four words of bits({2, 2}) come
  // from counters (0, 2) and (1, 3); words 0, 1 become the new state and
  // words 2, 3 are returned. No graph grows from call to call.
  std::lock_guard lock(mutex_);
  auto [w0, w2] = detail::threefry2x32(state_[0], state_[1], 0, 2);
  auto [w1, w3] = detail::threefry2x32(state_[0], state_[1], 1, 3);
  state_[0] = w0;
  state_[1] = w1;
  return array({w2, w3});
}

array KeySequence::state() {
  std::lock_guard lock(mutex_);
  return array({state_[0], state_[1]});
}

void KeySequence::set_state(const array& key) {
  if (key.dtype() != uint32 || key.shape() != Shape{2}) {
    throw_error(
        "[KeySequence::set_state] Expected a uint32 key of shape (2,), got ",
        key.dtype(),
        " of shape ",
        key.shape(),
        ".");
  }
  array k = key;
  k.eval();
  uint32_t words[2] = {
      k.data<uint32_t>()[0], k.data<uint32_t>()[k.strides()[0]]};
  std::lock_guard lock(mutex_);
  state_[0] = words[0];
  state_[1] = words[1];
}

KeySequence& KeySequence::default_() {
  static KeySequence sequence(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count()));
  return sequence;
}

array key(uint64_t seed) {
  return array(
      {static_cast<uint32_t>(seed >> 32), static_cast<uint32_t>(seed)});
}

void seed(uint64_t seed) {
  KeySequence::default_().seed(seed);
}

namespace detail {

array next_key(const std::optional<array>& key) {
  return key ? *key : KeySequence::default_().next();
}

void check_key(const array& key, const char* op) {
  if (key.dtype() != uint32) {
    throw_error(
        "[", op, "] Expected a key of dtype uint32, got ", key.dtype(), ".");
  }
  if (key.ndim() == 0 || key.shape(-1) != 2) {
    throw_error(
        "[", op, "] Expected a key of shape (..., 2), got ", key.shape(), ".");
  }
}

void check_real_float(Dtype dtype, const char* op) {
  if (!issubdtype(dtype, floating)) {
    throw_error(
        "[", op, "] Expected a real floating point dtype, got ", dtype, ".");
  }
}

void check_broadcasts_to(
    const Shape& param_shape,
    const Shape& shape,
    const char* op,
    const char* param) {
  if (broadcast_shapes(shape, param_shape, op) != shape) {
    throw_error(
        "[",
        op,
        "] Cannot draw samples of shape ",
        shape,
        ": ",
        param,
        " of shape ",
        param_shape,
        " does not broadcast to it.");
  }
}

array unit_uniform(
    const Shape& shape, Dtype dtype, const array& key, Stream s) {
  if (dtype == float64) {
    // 53 random bits from two words: (w1 << 32 | w0) >> 11, scaled by 2^-53.
    Shape pairs = shape;
    pairs.push_back(2);
    auto words = view(bits(pairs, 4, key, s), uint64, s);
    auto top = right_shift(words, array(uint64_t(11)), s);
    auto u = multiply(astype(top, float64, s), array(0x1p-53, float64), s);
    return squeeze(u, -1, s);
  }
  // As MLX: a word as a float, times 2^-32, capped at the largest value
  // below 1 of `dtype` (rounding to float can reach 1).
  float below_one = dtype == float16    ? 1.0f - 0x1p-11f
                    : dtype == bfloat16 ? 1.0f - 0x1p-8f
                                        : 1.0f - 0x1p-24f;
  auto u = multiply(bits(shape, 4, key, s), array(0x1p-32f), s);
  u = minimum(u, array(below_one), s);
  return dtype == float32 ? u : astype(u, dtype, s);
}

} // namespace detail

using namespace detail;

array bits(
    const Shape& shape,
    int width,
    const std::optional<array>& key_,
    StreamOrDevice s) {
  if (width != 1 && width != 2 && width != 4) {
    throw_error("[bits] Width must be 1, 2 or 4 bytes, got ", width, ".");
  }
  Dtype dtype = width == 1 ? uint8 : width == 2 ? uint16 : uint32;
  for (int32_t d : shape) {
    if (d < 0) {
      throw_error("[bits] Negative dimension in shape ", shape, ".");
    }
  }
  if (key_) {
    check_key(*key_, "bits");
  }
  array key = next_key(key_);
  Shape out_shape(key.shape().begin(), key.shape().end() - 1);
  out_shape.insert(out_shape.end(), shape.begin(), shape.end());
  return array(
      std::move(out_shape),
      dtype,
      std::make_shared<RandomBits>(to_stream(s), shape, width),
      {key});
}

array split(const array& key, int num, StreamOrDevice s) {
  check_key(key, "split");
  if (num < 0) {
    throw_error("[split] num must be non-negative, got ", num, ".");
  }
  return bits({num, 2}, 4, key, s);
}

std::pair<array, array> split(const array& key, StreamOrDevice s) {
  auto keys = random::split(key, 2, s);
  return {take(keys, 0, -2, s), take(keys, 1, -2, s)};
}

array uniform(
    const array& low,
    const array& high,
    const Shape& shape,
    Dtype dtype,
    const std::optional<array>& key,
    StreamOrDevice s) {
  check_real_float(dtype, "uniform");
  broadcast_shapes(low.shape(), high.shape(), "uniform");
  auto stream = to_stream(s);
  auto lo = astype(low, dtype, stream);
  auto range = subtract(astype(high, dtype, stream), lo, stream);
  check_broadcasts_to(range.shape(), shape, "uniform", "high - low");
  auto u = unit_uniform(shape, dtype, next_key(key), stream);
  return add(multiply(range, u, stream), lo, stream);
}

array uniform(
    const Shape& shape,
    Dtype dtype,
    const std::optional<array>& key,
    StreamOrDevice s) {
  check_real_float(dtype, "uniform");
  return unit_uniform(shape, dtype, next_key(key), to_stream(s));
}

namespace {

// Samplers of half types compute in float32 and round once at the end.
Dtype compute_dtype(Dtype dtype) {
  return dtype == float64 ? float64 : float32;
}

// The value next to -1 towards 0 in `dtype` (float32 or float64).
array above_minus_one(Dtype dtype) {
  return dtype == float64 ? array(std::nextafter(-1.0, 0.0), float64)
                          : array(std::nextafter(-1.0f, 0.0f));
}

} // namespace

array normal(
    const Shape& shape,
    Dtype dtype,
    const std::optional<array>& loc,
    const std::optional<array>& scale,
    const std::optional<array>& key,
    StreamOrDevice s) {
  check_real_float(dtype, "normal");
  if (loc) {
    check_broadcasts_to(loc->shape(), shape, "normal", "loc");
  }
  if (scale) {
    check_broadcasts_to(scale->shape(), shape, "normal", "scale");
  }
  auto stream = to_stream(s);
  Dtype ct = compute_dtype(dtype);
  // As MLX: sqrt(2) erfinv(u) with u uniform in (-1, 1), u never -1 or 1.
  auto u = uniform(
      above_minus_one(ct), array(1.0, ct), shape, ct, next_key(key), stream);
  auto samples = multiply(array(std::sqrt(2.0), ct), erfinv(u, stream), stream);
  samples = astype(samples, dtype, stream);
  if (scale) {
    samples = multiply(astype(*scale, dtype, stream), samples, stream);
  }
  if (loc) {
    samples = add(astype(*loc, dtype, stream), samples, stream);
  }
  return samples;
}

array truncated_normal(
    const array& lower,
    const array& upper,
    const Shape& shape,
    Dtype dtype,
    const std::optional<array>& key,
    StreamOrDevice s) {
  check_real_float(dtype, "truncated_normal");
  auto bounds_shape =
      broadcast_shapes(lower.shape(), upper.shape(), "truncated_normal");
  check_broadcasts_to(bounds_shape, shape, "truncated_normal", "lower/upper");
  auto stream = to_stream(s);
  Dtype ct = compute_dtype(dtype);
  auto lo = astype(lower, ct, stream);
  auto hi = astype(upper, ct, stream);
  // Inverse CDF on the erf scale: u uniform in [erf(lo/√2), erf(hi/√2)),
  // kept off ±1 where erfinv is infinite, then clipped against rounding.
  auto sqrt2 = array(std::sqrt(2.0), ct);
  auto a = erf(divide(lo, sqrt2, stream), stream);
  auto b = erf(divide(hi, sqrt2, stream), stream);
  auto u = uniform(a, b, shape, ct, next_key(key), stream);
  auto edge = above_minus_one(ct);
  u = clip(u, edge, negative(edge, stream), stream);
  auto out = multiply(sqrt2, erfinv(u, stream), stream);
  out = maximum(minimum(out, hi, stream), lo, stream);
  return astype(out, dtype, stream);
}

array truncated_normal(
    const array& lower,
    const array& upper,
    Dtype dtype,
    const std::optional<array>& key,
    StreamOrDevice s) {
  auto shape =
      broadcast_shapes(lower.shape(), upper.shape(), "truncated_normal");
  return truncated_normal(lower, upper, shape, dtype, key, s);
}

array gumbel(
    const Shape& shape,
    Dtype dtype,
    const std::optional<array>& key,
    StreamOrDevice s) {
  check_real_float(dtype, "gumbel");
  auto stream = to_stream(s);
  Dtype ct = compute_dtype(dtype);
  // As MLX: -log(-log(u)) with u in [smallest normal, 1), both logs finite.
  auto tiny = ct == float64 ? array(std::numeric_limits<double>::min(), ct)
                            : array(std::numeric_limits<float>::min());
  auto u = uniform(tiny, array(1.0, ct), shape, ct, next_key(key), stream);
  auto out = negative(log(negative(log(u, stream), stream), stream), stream);
  return astype(out, dtype, stream);
}

array laplace(
    const Shape& shape,
    Dtype dtype,
    const float loc,
    const float scale,
    const std::optional<array>& key,
    StreamOrDevice s) {
  check_real_float(dtype, "laplace");
  auto stream = to_stream(s);
  Dtype ct = compute_dtype(dtype);
  // As MLX: inverse CDF sign(u) log(1 - |u|) with u uniform in (-1, 1).
  auto u = uniform(
      above_minus_one(ct), array(1.0, ct), shape, ct, next_key(key), stream);
  auto tail = log1p(negative(abs(u, stream), stream), stream);
  auto samples = astype(multiply(sign(u, stream), tail, stream), dtype, stream);
  if (scale != 1.0f) {
    samples = multiply(array(scale, dtype), samples, stream);
  }
  if (loc != 0.0f) {
    samples = add(array(loc, dtype), samples, stream);
  }
  return samples;
}

} // namespace mlx::core::random
