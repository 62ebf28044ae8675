// Front ends of mlx::core::fft: argument checks, the n / axes defaults, the
// padding or cropping to n, the casts, and the norm's scale. The transform
// itself is the FFT primitive.
#include "mlx/fft.h"

#include <cmath>
#include <numeric>

#include "mlx/ops.h"
#include "mlx/primitives/fft.h"
#include "mlx/utils.h"

namespace mlx::core::fft {

namespace {

const char* op_name(bool real, bool inverse) {
  if (real) {
    return inverse ? "irfftn" : "rfftn";
  }
  return inverse ? "ifftn" : "fftn";
}

// The scale the norm asks for on top of the primitive's (1 for forward,
// 1 / n for inverse), n the product of the transform lengths.
double norm_scale(const Shape& n, FFTNorm norm, bool inverse) {
  double size = std::accumulate(n.begin(), n.end(), 1.0, std::multiplies<>());
  switch (norm) {
  case FFTNorm::Backward:
    return 1.0;
  case FFTNorm::Ortho:
    return inverse ? std::sqrt(size) : 1.0 / std::sqrt(size);
  case FFTNorm::Forward:
    return inverse ? size : 1.0 / size;
  }
  return 1.0;
}

array fft_impl(
    const array& a,
    const Shape& n,
    const std::vector<int>& axes,
    bool real,
    bool inverse,
    FFTNorm norm,
    StreamOrDevice s) {
  const char* op = op_name(real, inverse);
  if (a.ndim() < 1) {
    throw_error("[", op, "] Requires an array with at least one dimension.");
  }
  if (n.size() != axes.size()) {
    throw_error(
        "[", op, "] Got ", n.size(), " lengths n for ", axes.size(), " axes.");
  }
  if (axes.empty()) {
    return a;
  }
  // Validated (range, duplicates); the transform keeps the given order.
  normalize_axes(axes, a.ndim(), op);
  std::vector<int> fft_axes;
  for (int ax : axes) {
    fft_axes.push_back(normalize_axis(ax, a.ndim(), op));
  }
  for (int len : n) {
    if (len <= 0) {
      throw_error("[", op, "] Invalid FFT lengths n ", n, ": must be > 0.");
    }
  }
  if (real && !inverse && issubdtype(a.dtype(), complexfloating)) {
    throw_error("[", op, "] Requires a real input, got ", a.dtype(), ".");
  }

  // The input's shape over the axes: n, except the bins of irfft's last.
  Shape in_shape = a.shape();
  for (size_t i = 0; i < fft_axes.size(); ++i) {
    in_shape[fft_axes[i]] = n[i];
  }
  int last = fft_axes.back();
  if (real && inverse) {
    in_shape[last] = n.back() / 2 + 1;
  }
  array in = astype(a, real && !inverse ? float32 : complex64, s);
  Shape crop = in.shape();
  for (size_t d = 0; d < crop.size(); ++d) {
    crop[d] = std::min(crop[d], in_shape[d]);
  }
  if (crop != in.shape()) {
    in = slice(in, Shape(in.ndim(), 0), crop, s);
  }
  if (crop != in_shape) {
    std::vector<int> pad_axes;
    Shape low, high;
    for (int d = 0; d < static_cast<int>(in.ndim()); ++d) {
      if (in_shape[d] > crop[d]) {
        pad_axes.push_back(d);
        low.push_back(0);
        high.push_back(in_shape[d] - crop[d]);
      }
    }
    in = pad(in, pad_axes, low, high, array(0, in.dtype()), "constant", s);
  }

  Shape out_shape = in_shape;
  if (real) {
    out_shape[last] = inverse ? n.back() : n.back() / 2 + 1;
  }
  array out(
      out_shape,
      real && inverse ? float32 : complex64,
      std::make_shared<FFT>(
          to_stream(s), fft_axes, inverse, real, real ? n.back() : 0),
      {in});
  double scale = norm_scale(n, norm, inverse);
  if (scale != 1.0) {
    out = multiply(out, array(scale, float32), s);
  }
  return out;
}

// n defaults to the input's lengths over the axes (2 * (m - 1) for
// irfft's last axis of m bins).
array fft_impl(
    const array& a,
    const std::vector<int>& axes,
    bool real,
    bool inverse,
    FFTNorm norm,
    StreamOrDevice s) {
  const char* op = op_name(real, inverse);
  Shape n;
  for (int ax : axes) {
    n.push_back(a.shape(normalize_axis(ax, a.ndim(), op)));
  }
  if (real && inverse && !n.empty()) {
    n.back() = 2 * (n.back() - 1);
    if (n.back() <= 0) {
      throw_error(
          "[",
          op,
          "] The last axis has ",
          a.shape(axes.back()),
          " bins: pass n for a transform of length 1.");
    }
  }
  return fft_impl(a, n, axes, real, inverse, norm, s);
}

std::vector<int> all_axes(const array& a) {
  std::vector<int> axes(a.ndim());
  std::iota(axes.begin(), axes.end(), 0);
  return axes;
}

array shift_impl(
    const char* op,
    const array& a,
    const std::vector<int>& axes,
    bool inverse,
    StreamOrDevice s) {
  if (axes.empty()) {
    return a;
  }
  Shape shifts;
  for (int ax : axes) {
    int half = a.shape(normalize_axis(ax, a.ndim(), op)) / 2;
    shifts.push_back(inverse ? -half : half);
  }
  return roll(a, shifts, axes, s);
}

void check_freq_args(const char* op, int n, double d) {
  if (n <= 0) {
    throw_error("[", op, "] n must be greater than 0, got ", n, ".");
  }
  if (d == 0.0) {
    throw_error("[", op, "] d must be non-zero.");
  }
}

} // namespace

array fftn(
    const array& a,
    const Shape& n,
    const std::vector<int>& axes,
    FFTNorm norm,
    StreamOrDevice s) {
  return fft_impl(a, n, axes, false, false, norm, s);
}
array fftn(
    const array& a,
    const std::vector<int>& axes,
    FFTNorm norm,
    StreamOrDevice s) {
  return fft_impl(a, axes, false, false, norm, s);
}
array fftn(const array& a, FFTNorm norm, StreamOrDevice s) {
  return fft_impl(a, all_axes(a), false, false, norm, s);
}

array ifftn(
    const array& a,
    const Shape& n,
    const std::vector<int>& axes,
    FFTNorm norm,
    StreamOrDevice s) {
  return fft_impl(a, n, axes, false, true, norm, s);
}
array ifftn(
    const array& a,
    const std::vector<int>& axes,
    FFTNorm norm,
    StreamOrDevice s) {
  return fft_impl(a, axes, false, true, norm, s);
}
array ifftn(const array& a, FFTNorm norm, StreamOrDevice s) {
  return fft_impl(a, all_axes(a), false, true, norm, s);
}

array rfftn(
    const array& a,
    const Shape& n,
    const std::vector<int>& axes,
    FFTNorm norm,
    StreamOrDevice s) {
  return fft_impl(a, n, axes, true, false, norm, s);
}
array rfftn(
    const array& a,
    const std::vector<int>& axes,
    FFTNorm norm,
    StreamOrDevice s) {
  return fft_impl(a, axes, true, false, norm, s);
}
array rfftn(const array& a, FFTNorm norm, StreamOrDevice s) {
  return fft_impl(a, all_axes(a), true, false, norm, s);
}

array irfftn(
    const array& a,
    const Shape& n,
    const std::vector<int>& axes,
    FFTNorm norm,
    StreamOrDevice s) {
  return fft_impl(a, n, axes, true, true, norm, s);
}
array irfftn(
    const array& a,
    const std::vector<int>& axes,
    FFTNorm norm,
    StreamOrDevice s) {
  return fft_impl(a, axes, true, true, norm, s);
}
array irfftn(const array& a, FFTNorm norm, StreamOrDevice s) {
  return fft_impl(a, all_axes(a), true, true, norm, s);
}

array fftfreq(int n, double d, StreamOrDevice s) {
  check_freq_args("fftfreq", n, d);
  array pos = arange(0, (n + 1) / 2, float32, s);
  array neg = arange(-(n / 2), 0, float32, s);
  return multiply(
      concatenate({pos, neg}, 0, s), array(float(1.0 / (n * d)), float32), s);
}

array rfftfreq(int n, double d, StreamOrDevice s) {
  check_freq_args("rfftfreq", n, d);
  return multiply(
      arange(0, n / 2 + 1, float32, s),
      array(float(1.0 / (n * d)), float32),
      s);
}

array fftshift(const array& a, StreamOrDevice s) {
  return shift_impl("fftshift", a, all_axes(a), false, s);
}
array fftshift(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  return shift_impl("fftshift", a, axes, false, s);
}
array ifftshift(const array& a, StreamOrDevice s) {
  return shift_impl("ifftshift", a, all_axes(a), true, s);
}
array ifftshift(
    const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  return shift_impl("ifftshift", a, axes, true, s);
}

} // namespace mlx::core::fft
