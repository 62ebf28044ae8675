// Discrete Fourier transforms (MLX's mlx.core.fft): complex (fft, ifft and
// their 2-D / n-D forms), real-input (rfft*) and their inverses (irfft*),
// over any lengths, plus fftshift/ifftshift and the sample frequencies.
// Transforms compute in float32 (complex64 in and out; rfft takes float32,
// irfft returns float32), as MLX. `n` (or `s`) pads with zeros or crops
// each transformed axis before the transform (for irfft*, it is the length
// of the real output). The CPU kernel is our own (core/backend/cpu/fft*.cpp).
#pragma once

#include <vector>

#include "mlx/array.h"
#include "mlx/device.h"
#include "mlx/stream.h"

namespace mlx::core::fft {

/** Scaling: Backward (forward unscaled, inverse by 1/n), Ortho (both by
 * 1/sqrt(n)), Forward (forward by 1/n, inverse unscaled). */
enum class FFTNorm {
  Backward,
  Ortho,
  Forward,
};

/** The n-dimensional transform over `axes`, each padded/cropped to n. */
array fftn(
    const array& a,
    const Shape& n,
    const std::vector<int>& axes,
    FFTNorm norm = FFTNorm::Backward,
    StreamOrDevice s = {});
array fftn(
    const array& a,
    const std::vector<int>& axes,
    FFTNorm norm = FFTNorm::Backward,
    StreamOrDevice s = {});
array fftn(
    const array& a, FFTNorm norm = FFTNorm::Backward, StreamOrDevice s = {});

/** The n-dimensional inverse transform. */
array ifftn(
    const array& a,
    const Shape& n,
    const std::vector<int>& axes,
    FFTNorm norm = FFTNorm::Backward,
    StreamOrDevice s = {});
array ifftn(
    const array& a,
    const std::vector<int>& axes,
    FFTNorm norm = FFTNorm::Backward,
    StreamOrDevice s = {});
array ifftn(
    const array& a, FFTNorm norm = FFTNorm::Backward, StreamOrDevice s = {});

/** The one-dimensional transform. */
inline array
fft(const array& a,
    int n,
    int axis,
    FFTNorm norm = FFTNorm::Backward,
    StreamOrDevice s = {}) {
  return fftn(a, {n}, {axis}, norm, s);
}
inline array
fft(const array& a,
    int axis = -1,
    FFTNorm norm = FFTNorm::Backward,
    StreamOrDevice s = {}) {
  return fftn(a, {axis}, norm, s);
}

/** The one-dimensional inverse transform. */
inline array ifft(
    const array& a,
    int n,
    int axis,
    FFTNorm norm = FFTNorm::Backward,
    StreamOrDevice s = {}) {
  return ifftn(a, {n}, {axis}, norm, s);
}
inline array ifft(
    const array& a,
    int axis = -1,
    FFTNorm norm = FFTNorm::Backward,
    StreamOrDevice s = {}) {
  return ifftn(a, {axis}, norm, s);
}

/** The two-dimensional transform. */
inline array fft2(
    const array& a,
    const Shape& n,
    const std::vector<int>& axes,
    FFTNorm norm = FFTNorm::Backward,
    StreamOrDevice s = {}) {
  return fftn(a, n, axes, norm, s);
}
inline array fft2(
    const array& a,
    const std::vector<int>& axes = {-2, -1},
    FFTNorm norm = FFTNorm::Backward,
    StreamOrDevice s = {}) {
  return fftn(a, axes, norm, s);
}

/** The two-dimensional inverse transform. */
inline array ifft2(
    const array& a,
    const Shape& n,
    const std::vector<int>& axes,
    FFTNorm norm = FFTNorm::Backward,
    StreamOrDevice s = {}) {
  return ifftn(a, n, axes, norm, s);
}
inline array ifft2(
    const array& a,
    const std::vector<int>& axes = {-2, -1},
    FFTNorm norm = FFTNorm::Backward,
    StreamOrDevice s = {}) {
  return ifftn(a, axes, norm, s);
}

/** The n-dimensional transform of a real input: the last axis keeps its
 * n / 2 + 1 non-negative frequencies. */
array rfftn(
    const array& a,
    const Shape& n,
    const std::vector<int>& axes,
    FFTNorm norm = FFTNorm::Backward,
    StreamOrDevice s = {});
array rfftn(
    const array& a,
    const std::vector<int>& axes,
    FFTNorm norm = FFTNorm::Backward,
    StreamOrDevice s = {});
array rfftn(
    const array& a, FFTNorm norm = FFTNorm::Backward, StreamOrDevice s = {});

/** The inverse of rfftn: n is the real output's shape over `axes` (by
 * default 2 * (m - 1) on the last axis, m its input length). */
array irfftn(
    const array& a,
    const Shape& n,
    const std::vector<int>& axes,
    FFTNorm norm = FFTNorm::Backward,
    StreamOrDevice s = {});
array irfftn(
    const array& a,
    const std::vector<int>& axes,
    FFTNorm norm = FFTNorm::Backward,
    StreamOrDevice s = {});
array irfftn(
    const array& a, FFTNorm norm = FFTNorm::Backward, StreamOrDevice s = {});

/** The one-dimensional transform of a real input. */
inline array rfft(
    const array& a,
    int n,
    int axis,
    FFTNorm norm = FFTNorm::Backward,
    StreamOrDevice s = {}) {
  return rfftn(a, {n}, {axis}, norm, s);
}
inline array rfft(
    const array& a,
    int axis = -1,
    FFTNorm norm = FFTNorm::Backward,
    StreamOrDevice s = {}) {
  return rfftn(a, {axis}, norm, s);
}

/** The one-dimensional inverse of rfft. */
inline array irfft(
    const array& a,
    int n,
    int axis,
    FFTNorm norm = FFTNorm::Backward,
    StreamOrDevice s = {}) {
  return irfftn(a, {n}, {axis}, norm, s);
}
inline array irfft(
    const array& a,
    int axis = -1,
    FFTNorm norm = FFTNorm::Backward,
    StreamOrDevice s = {}) {
  return irfftn(a, {axis}, norm, s);
}

/** The two-dimensional transform of a real input. */
inline array rfft2(
    const array& a,
    const Shape& n,
    const std::vector<int>& axes,
    FFTNorm norm = FFTNorm::Backward,
    StreamOrDevice s = {}) {
  return rfftn(a, n, axes, norm, s);
}
inline array rfft2(
    const array& a,
    const std::vector<int>& axes = {-2, -1},
    FFTNorm norm = FFTNorm::Backward,
    StreamOrDevice s = {}) {
  return rfftn(a, axes, norm, s);
}

/** The two-dimensional inverse of rfft2. */
inline array irfft2(
    const array& a,
    const Shape& n,
    const std::vector<int>& axes,
    FFTNorm norm = FFTNorm::Backward,
    StreamOrDevice s = {}) {
  return irfftn(a, n, axes, norm, s);
}
inline array irfft2(
    const array& a,
    const std::vector<int>& axes = {-2, -1},
    FFTNorm norm = FFTNorm::Backward,
    StreamOrDevice s = {}) {
  return irfftn(a, axes, norm, s);
}

/** Sample frequencies of an n-point transform with spacing d (float32):
 * [0, 1, ..., (n - 1) / 2, -(n / 2), ..., -1] / (d n). */
array fftfreq(int n, double d = 1.0, StreamOrDevice s = {});

/** Sample frequencies of rfft: [0, 1, ..., n / 2] / (d n). */
array rfftfreq(int n, double d = 1.0, StreamOrDevice s = {});

/** Move the zero frequency to the center (roll by size / 2) of every axis,
 * or of `axes`. */
array fftshift(const array& a, StreamOrDevice s = {});
array fftshift(
    const array& a, const std::vector<int>& axes, StreamOrDevice s = {});

/** The inverse of fftshift (roll by -(size / 2)). */
array ifftshift(const array& a, StreamOrDevice s = {});
array ifftshift(
    const array& a, const std::vector<int>& axes, StreamOrDevice s = {});

} // namespace mlx::core::fft
