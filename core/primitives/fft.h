// The discrete Fourier transform behind mlx/fft.h. The front ends
// (core/fft.cpp) pad or crop the input to the transform's lengths and cast
// it (complex64, or float32 for rfft); scaling other than the inverse's
// 1 / n is applied by the front ends with a multiply.
#pragma once

#include <vector>

#include "mlx/primitives/primitive.h"

namespace mlx::core {

/** The transform over `axes` (distinct, in [0, ndim)), as successive 1-D
 * transforms. Complex (complex64 -> complex64) unless `real`: then forward
 * is float32 -> complex64 keeping the last axis of `axes` at n / 2 + 1
 * bins, and inverse is complex64 (n / 2 + 1 bins) -> float32 of length n.
 * `real_length` is that n (0 for complex transforms). Inverses are scaled
 * by 1 / n. */
class FFT : public UnaryPrimitive {
public:
  FFT(Stream stream,
      std::vector<int> axes,
      bool inverse,
      bool real,
      int real_length)
      : UnaryPrimitive(stream), axes_(std::move(axes)), inverse_(inverse),
        real_(real), real_length_(real_length) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override { return "FFT"; }
  bool is_equivalent(const Primitive& other) const override;
  const std::vector<int>& axes() const { return axes_; }
  bool inverse() const { return inverse_; }
  bool real() const { return real_; }
  int real_length() const { return real_length_; }

private:
  std::vector<int> axes_;
  bool inverse_;
  bool real_;
  int real_length_;
};

} // namespace mlx::core
