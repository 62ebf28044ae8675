// Convolutions, channels-last as MLX: input (N, spatial..., C_in), weight
// (C_out, kernel..., C_in / groups), output (N, out_spatial..., C_out).
// Inputs must be floating point (float16, bfloat16, float32, float64); the
// two are promoted to a common type.
#pragma once

#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "mlx/array.h"
#include "mlx/stream.h"

namespace mlx::core {

/** General convolution. Each vector holds one value per spatial dim, or a
 * single value used for every dim, or is empty for the default (stride and
 * dilations 1, padding 0). input_dilation inserts zeros between input
 * elements (the transposed convolutions use it); flip turns the
 * cross-correlation into a true convolution. */
array conv_general(
    array input,
    array weight,
    std::vector<int> stride = {},
    std::vector<int> padding_lo = {},
    std::vector<int> padding_hi = {},
    std::vector<int> kernel_dilation = {},
    std::vector<int> input_dilation = {},
    int groups = 1,
    bool flip = false,
    StreamOrDevice s = {});

/** General convolution with the same padding on both sides. */
inline array conv_general(
    const array& input,
    const array& weight,
    std::vector<int> stride = {},
    std::vector<int> padding = {},
    std::vector<int> kernel_dilation = {},
    std::vector<int> input_dilation = {},
    int groups = 1,
    bool flip = false,
    StreamOrDevice s = {}) {
  return conv_general(
      input,
      weight,
      std::move(stride),
      padding,
      padding,
      std::move(kernel_dilation),
      std::move(input_dilation),
      groups,
      flip,
      s);
}

/** 1-D convolution: input (N, L, C_in), weight (C_out, K, C_in / groups). */
array conv1d(
    const array& input,
    const array& weight,
    int stride = 1,
    int padding = 0,
    int dilation = 1,
    int groups = 1,
    StreamOrDevice s = {});

/** 2-D convolution: input (N, H, W, C_in), weight (C_out, KH, KW, C_in /
 * groups). */
array conv2d(
    const array& input,
    const array& weight,
    const std::pair<int, int>& stride = {1, 1},
    const std::pair<int, int>& padding = {0, 0},
    const std::pair<int, int>& dilation = {1, 1},
    int groups = 1,
    StreamOrDevice s = {});

/** 3-D convolution: input (N, D, H, W, C_in), weight (C_out, KD, KH, KW,
 * C_in / groups). */
array conv3d(
    const array& input,
    const array& weight,
    const std::tuple<int, int, int>& stride = {1, 1, 1},
    const std::tuple<int, int, int>& padding = {0, 0, 0},
    const std::tuple<int, int, int>& dilation = {1, 1, 1},
    int groups = 1,
    StreamOrDevice s = {});

/** 1-D transposed convolution (the adjoint of conv1d with the same
 * parameters): input (N, L, C_in), weight (C_out, K, C_in / groups), output
 * length (L - 1) * stride - 2 * padding + dilation * (K - 1) +
 * output_padding + 1. */
array conv_transpose1d(
    const array& input,
    const array& weight,
    int stride = 1,
    int padding = 0,
    int dilation = 1,
    int output_padding = 0,
    int groups = 1,
    StreamOrDevice s = {});

/** 2-D transposed convolution. */
array conv_transpose2d(
    const array& input,
    const array& weight,
    const std::pair<int, int>& stride = {1, 1},
    const std::pair<int, int>& padding = {0, 0},
    const std::pair<int, int>& dilation = {1, 1},
    const std::pair<int, int>& output_padding = {0, 0},
    int groups = 1,
    StreamOrDevice s = {});

/** 3-D transposed convolution. */
array conv_transpose3d(
    const array& input,
    const array& weight,
    const std::tuple<int, int, int>& stride = {1, 1, 1},
    const std::tuple<int, int, int>& padding = {0, 0, 0},
    const std::tuple<int, int, int>& dilation = {1, 1, 1},
    const std::tuple<int, int, int>& output_padding = {0, 0, 0},
    int groups = 1,
    StreamOrDevice s = {});

/** Discrete convolution of two 1-D arrays as numpy.convolve: mode "full"
 * (length n + m - 1), "same" (length max(n, m)) or "valid" (length
 * max(n, m) - min(n, m) + 1); the shorter array is the filter. */
array convolve(
    const array& a,
    const array& v,
    const std::string& mode = "full",
    StreamOrDevice s = {});

namespace detail {

/** conv_general that also accepts negative padding, which crops the
 * (dilated) input: the transposed convolutions and the gradient rules need
 * it. Errors name `op`. */
array conv_general_with_crop(
    const array& input,
    const array& weight,
    std::vector<int> stride,
    std::vector<int> padding_lo,
    std::vector<int> padding_hi,
    std::vector<int> kernel_dilation,
    std::vector<int> input_dilation,
    int groups,
    bool flip,
    const char* op,
    StreamOrDevice s = {});

} // namespace detail

} // namespace mlx::core
