// Convolution: one primitive for every convolution op (conv1d/2d/3d,
// conv_general, the transposed convolutions and convolve), channels-last as
// MLX: input (N, spatial..., C_in), weight (C_out, kernel..., C_in / groups),
// output (N, out_spatial..., C_out). Inputs share the output's float dtype.
#pragma once

#include "mlx/primitives/primitive.h"

namespace mlx::core {

/**
 * out[n, o, c] = sum over kernel positions k and the input channels of c's
 * group of xp[n, o * stride + k * kernel_dilation, ci] * w[c, k', ci], where
 * xp is the input dilated by input_dilation (zeros between elements) and
 * padded by padding_lo/padding_hi zeros (negative padding crops), and
 * k' = k (cross-correlation) or K - 1 - k when flip (true convolution).
 */
class Convolution : public UnaryPrimitive {
public:
  Convolution(
      Stream stream,
      std::vector<int> stride,
      std::vector<int> padding_lo,
      std::vector<int> padding_hi,
      std::vector<int> kernel_dilation,
      std::vector<int> input_dilation,
      int groups,
      bool flip)
      : UnaryPrimitive(stream), stride_(std::move(stride)),
        padding_lo_(std::move(padding_lo)), padding_hi_(std::move(padding_hi)),
        kernel_dilation_(std::move(kernel_dilation)),
        input_dilation_(std::move(input_dilation)), groups_(groups),
        flip_(flip) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override { return "Convolution"; }
  bool is_equivalent(const Primitive& other) const override;

  const std::vector<int>& stride() const { return stride_; }
  const std::vector<int>& padding_lo() const { return padding_lo_; }
  const std::vector<int>& padding_hi() const { return padding_hi_; }
  const std::vector<int>& kernel_dilation() const { return kernel_dilation_; }
  const std::vector<int>& input_dilation() const { return input_dilation_; }
  int groups() const { return groups_; }
  bool flip() const { return flip_; }

private:
  std::vector<int> stride_;
  std::vector<int> padding_lo_;
  std::vector<int> padding_hi_;
  std::vector<int> kernel_dilation_;
  std::vector<int> input_dilation_;
  int groups_;
  bool flip_;
};

} // namespace mlx::core
