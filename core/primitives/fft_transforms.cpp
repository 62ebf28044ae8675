// jvp, vjp and vmap of the FFT primitive. The transforms are linear, so a
// tangent goes through the same transform. A cotangent of complex values
// holds dL/dRe - i dL/dIm (the convention of the Real and Imag rules in
// unary_transforms.cpp, under which holomorphic rules need no conjugate):
// the vjp of a linear map is then its transpose, and the DFT matrix is
// symmetric, so a complex transform's vjp is the same transform. Real
// transforms weigh the bins strictly between the zero frequency and the
// last (Nyquist, for even n) twice: each stands for itself and its
// conjugate.
#include "mlx/primitives/fft.h"

#include "mlx/fft.h"
#include "mlx/ops.h"

namespace mlx::core {

namespace {

// `inner` on the bins 0 < k < end of `axis` (of `bins`), 1 elsewhere, shaped
// to broadcast against an array of `ndim` dimensions.
array interior_weights(
    int bins, int end, int axis, int ndim, float inner, Stream s) {
  Shape shape(ndim, 1);
  shape[axis] = bins;
  array k = reshape(arange(0, bins, s), shape, s);
  array interior = logical_and(
      greater(k, array(0, k.dtype()), s), less(k, array(end, k.dtype()), s), s);
  return where(interior, array(inner, float32), array(1.0f, float32), s);
}

} // namespace

std::vector<array> FFT::jvp(
    const std::vector<array>&,
    const std::vector<array>& tangents,
    const std::vector<int>&) {
  const array& t = tangents[0];
  Stream s = stream();
  if (real_ && inverse_) {
    Shape n;
    for (int ax : axes_) {
      n.push_back(t.shape(ax));
    }
    n.back() = real_length_;
    return {fft::irfftn(t, n, axes_, fft::FFTNorm::Backward, s)};
  }
  if (real_) {
    return {fft::rfftn(t, axes_, fft::FFTNorm::Backward, s)};
  }
  return {
      inverse_ ? fft::ifftn(t, axes_, fft::FFTNorm::Backward, s)
               : fft::fftn(t, axes_, fft::FFTNorm::Backward, s)};
}

std::vector<array> FFT::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>&,
    const std::vector<array>&) {
  const array& c = cotangents[0];
  const array& x = primals[0];
  Stream s = stream();
  // FFTNorm::Forward leaves inverses unscaled and scales forwards by 1/n.
  auto unscaled = fft::FFTNorm::Forward;
  int last = axes_.back();
  if (real_ && inverse_) {
    // x_j = (1/n) Re sum_k m_k X_k e^{2 pi i jk/n}, m_k the bin weights.
    int bins = x.shape(last);
    int end = bins - 1 + real_length_ % 2;
    array g = multiply(
        fft::rfftn(c, axes_, unscaled, s),
        interior_weights(bins, end, last, x.ndim(), 2.0f, s),
        s);
    return {conjugate(g, s)};
  }
  if (real_) {
    // dL/dx_j = Re sum_k conj(c_k) e^{2 pi i jk/n}, each interior bin
    // counted once: an unscaled irfft of the halved conj(c).
    int bins = c.shape(last);
    int end = bins - 1 + real_length_ % 2;
    Shape n;
    for (int ax : axes_) {
      n.push_back(x.shape(ax));
    }
    array halved = multiply(
        conjugate(c, s),
        interior_weights(bins, end, last, x.ndim(), 0.5f, s),
        s);
    return {fft::irfftn(halved, n, axes_, unscaled, s)};
  }
  return {
      inverse_ ? fft::ifftn(c, axes_, fft::FFTNorm::Backward, s)
               : fft::fftn(c, axes_, fft::FFTNorm::Backward, s)};
}

std::pair<std::vector<array>, std::vector<int>>
FFT::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  const array& x = inputs[0];
  int vmapped = axes[0];
  std::vector<int> fft_axes = axes_;
  if (vmapped >= 0) {
    for (auto& ax : fft_axes) {
      ax += ax >= vmapped ? 1 : 0;
    }
  }
  Shape out_shape = x.shape();
  if (real_) {
    out_shape[fft_axes.back()] = inverse_ ? real_length_ : real_length_ / 2 + 1;
  }
  array out(
      out_shape,
      real_ && inverse_ ? float32 : complex64,
      std::make_shared<FFT>(stream(), fft_axes, inverse_, real_, real_length_),
      {x});
  return {{out}, {vmapped}};
}

} // namespace mlx::core
