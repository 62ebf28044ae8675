// Samplers of mlx::core::random built on uniform, normal and gumbel:
// randint, bernoulli, categorical, permutation and multivariate_normal.
#include <memory>

#include "mlx/ops.h"
#include "mlx/primitives/linalg.h"
#include "mlx/random.h"
#include "mlx/random_impl.h"
#include "mlx/utils.h"

namespace mlx::core::random {

using namespace detail;

array randint(
    const array& low,
    const array& high,
    const Shape& shape,
    Dtype dtype,
    const std::optional<array>& key,
    StreamOrDevice s) {
  if (!issubdtype(dtype, integer) && dtype != bool_) {
    throw_error(
        "[randint] Expected an integer or bool dtype, got ", dtype, ".");
  }
  if (low.dtype() == complex64 || high.dtype() == complex64) {
    throw_error("[randint] Bounds must be real, got complex64.");
  }
  auto bounds_shape = broadcast_shapes(low.shape(), high.shape(), "randint");
  check_broadcasts_to(bounds_shape, shape, "randint", "low/high");
  auto stream = to_stream(s);
  // The integers in [low, high) are ceil(low) ... ceil(high) - 1. With 53
  // random bits, floor(u * span) is uniform on [0, span) up to a relative
  // bias of span / 2^53, and exact in float64 for |bounds| < 2^53.
  auto lo = ceil(astype(low, float64, stream), stream);
  auto hi = ceil(astype(high, float64, stream), stream);
  auto span = maximum(subtract(hi, lo, stream), array(0.0, float64), stream);
  auto u = unit_uniform(shape, float64, next_key(key), stream);
  auto offset = floor(multiply(u, span, stream), stream);
  return astype(add(lo, offset, stream), dtype, stream);
}

array bernoulli(
    const array& p,
    const Shape& shape,
    const std::optional<array>& key,
    StreamOrDevice s) {
  if (!issubdtype(p.dtype(), floating)) {
    throw_error(
        "[bernoulli] The probability p must have a real floating point "
        "dtype, got ",
        p.dtype(),
        ".");
  }
  check_broadcasts_to(p.shape(), shape, "bernoulli", "p");
  auto stream = to_stream(s);
  return less(uniform(shape, p.dtype(), key, stream), p, stream);
}

array bernoulli(
    const array& p, const std::optional<array>& key, StreamOrDevice s) {
  return bernoulli(p, p.shape(), key, s);
}

array bernoulli(const std::optional<array>& key, StreamOrDevice s) {
  return bernoulli(array(0.5f), Shape{}, key, s);
}

namespace {

void check_logits(const array& logits) {
  if (!issubdtype(logits.dtype(), floating)) {
    throw_error(
        "[categorical] Expected logits of a real floating point dtype, got ",
        logits.dtype(),
        ".");
  }
}

} // namespace

// Gumbel-max: argmax(logits + g) with g standard Gumbel is distributed as
// softmax(logits) along the axis.
array categorical(
    const array& logits,
    int axis,
    const Shape& shape,
    const std::optional<array>& key,
    StreamOrDevice s) {
  int ax = normalize_axis(axis, static_cast<int>(logits.ndim()), "categorical");
  check_logits(logits);
  Shape reduced = logits.shape();
  reduced.erase(reduced.begin() + ax);
  check_broadcasts_to(reduced, shape, "categorical", "logits without axis");
  // `shape` may add leading dims: the class axis sits that much further in.
  int offset = ax + static_cast<int>(shape.size() - reduced.size());
  Shape noise_shape = shape;
  noise_shape.insert(noise_shape.begin() + offset, logits.shape(ax));
  auto stream = to_stream(s);
  auto noise = gumbel(noise_shape, logits.dtype(), key, stream);
  return argmax(add(logits, noise, stream), offset, false, stream);
}

array categorical(
    const array& logits_,
    int axis,
    int num_samples,
    const std::optional<array>& key,
    StreamOrDevice s) {
  int ax =
      normalize_axis(axis, static_cast<int>(logits_.ndim()), "categorical");
  check_logits(logits_);
  if (num_samples < 0) {
    throw_error(
        "[categorical] num_samples must be non-negative, got ",
        num_samples,
        ".");
  }
  // Draws go to a new last axis; the class axis keeps its position.
  auto stream = to_stream(s);
  auto logits = expand_dims(logits_, -1, stream);
  Shape noise_shape = logits_.shape();
  noise_shape.push_back(num_samples);
  auto noise = gumbel(noise_shape, logits.dtype(), key, stream);
  return argmax(add(logits, noise, stream), ax, false, stream);
}

array categorical(
    const array& logits,
    int axis,
    const std::optional<array>& key,
    StreamOrDevice s) {
  int ax = normalize_axis(axis, static_cast<int>(logits.ndim()), "categorical");
  Shape reduced = logits.shape();
  reduced.erase(reduced.begin() + ax);
  return categorical(logits, ax, reduced, key, s);
}

array permutation(
    const array& x,
    int axis,
    const std::optional<array>& key,
    StreamOrDevice s) {
  int ax = normalize_axis(axis, static_cast<int>(x.ndim()), "permutation");
  auto stream = to_stream(s);
  // Sorting random words gives a uniform permutation (up to ties between
  // equal words, which argsort keeps in order: probability ~n^2 / 2^33).
  auto sort_keys = bits({x.shape(ax)}, 4, key, stream);
  return take(x, argsort(sort_keys, stream), ax, stream);
}

array permutation(int x, const std::optional<array>& key, StreamOrDevice s) {
  if (x < 0) {
    throw_error("[permutation] Expected a non-negative size, got ", x, ".");
  }
  return permutation(arange(x, s), 0, key, s);
}

array multivariate_normal(
    const array& mean,
    const array& cov,
    const Shape& shape,
    Dtype dtype,
    const std::optional<array>& key,
    StreamOrDevice s) {
  auto stream = to_stream(s);
  if (stream.device == Device::gpu) {
    throw std::invalid_argument(
        "[multivariate_normal] Not supported on the GPU: the covariance is "
        "factored with LAPACK on the CPU. Pass a CPU stream (Device::cpu).");
  }
  if (dtype != float32) {
    throw_error(
        "[multivariate_normal] The only supported dtype is float32, got ",
        dtype,
        ".");
  }
  if (mean.ndim() < 1 || cov.ndim() < 2) {
    throw_error(
        "[multivariate_normal] Expected mean (..., n) and cov (..., n, n), "
        "got shapes ",
        mean.shape(),
        " and ",
        cov.shape(),
        ".");
  }
  int n = mean.shape(-1);
  if (cov.shape(-1) != cov.shape(-2) || cov.shape(-1) != n) {
    throw_error(
        "[multivariate_normal] cov must be square with the size of mean's "
        "last axis: got mean ",
        mean.shape(),
        " and cov ",
        cov.shape(),
        ".");
  }
  for (const array& a : {mean, cov}) {
    if (!issubdtype(a.dtype(), floating) && !issubdtype(a.dtype(), integer)) {
      throw_error(
          "[multivariate_normal] mean and cov must be real, got ",
          a.dtype(),
          ".");
    }
  }
  Shape mean_batch(mean.shape().begin(), mean.shape().end() - 1);
  Shape cov_batch(cov.shape().begin(), cov.shape().end() - 2);
  Shape out_shape = broadcast_shapes(
      broadcast_shapes(shape, mean_batch, "multivariate_normal"),
      cov_batch,
      "multivariate_normal");
  out_shape.push_back(n);

  // The PSD square root of cov, Q sqrt(max(w, 0)) Q^T from cov = Q diag(w)
  // Q^T: for a PSD matrix it equals U sqrt(S) V^T of the SVD MLX uses, and
  // z @ root is N(0, cov) for z ~ N(0, I). Eigenvalues a hair below 0 from
  // rounding are clamped.
  Shape values_shape = cov_batch;
  values_shape.push_back(n);
  auto eig = array::make_arrays(
      {values_shape, cov.shape()},
      {float32, float32},
      std::make_shared<Eigh>(stream, 'L'),
      {astype(cov, float32, stream)});
  auto root_w = sqrt(maximum(eig[0], array(0.0f), stream), stream);
  auto q = eig[1];
  auto root = matmul(
      multiply(q, expand_dims(root_w, -2, stream), stream),
      swapaxes(q, -1, -2, stream),
      stream);

  auto z = normal(out_shape, float32, std::nullopt, std::nullopt, key, stream);
  array scaled = z;
  if (cov.ndim() == 2) {
    // One GEMM over all draws: (draws, n) @ (n, n).
    int draws = n == 0 ? 0 : static_cast<int>(z.size() / n);
    scaled = reshape(
        matmul(reshape(z, {draws, n}, stream), root, stream),
        out_shape,
        stream);
  } else {
    // Batched (1, n) @ (n, n) products, batch dims broadcast.
    scaled =
        squeeze(matmul(expand_dims(z, -2, stream), root, stream), -2, stream);
  }
  return add(astype(mean, float32, stream), scaled, stream);
}

} // namespace mlx::core::random
