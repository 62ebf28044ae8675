#include "mlx/ops/conv.h"

#include <sstream>

#include "mlx/ops/creation.h"
#include "mlx/ops/shape.h"
#include "mlx/primitives/conv.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

// The parameters of Convolution, as given (before per_dim expands them).
struct ConvParams {
  std::vector<int> stride;
  std::vector<int> padding_lo;
  std::vector<int> padding_hi;
  std::vector<int> kernel_dilation;
  std::vector<int> input_dilation;
  int groups;
  bool flip;
};

// A per-spatial-dim parameter: empty means `fallback` everywhere, one value
// is used for every dim, otherwise there must be one per dim.
std::vector<int> per_dim(
    std::vector<int> values,
    int spatial,
    int fallback,
    const char* param,
    const char* op) {
  if (values.empty()) {
    return std::vector<int>(spatial, fallback);
  }
  if (values.size() == 1) {
    return std::vector<int>(spatial, values[0]);
  }
  if (static_cast<int>(values.size()) != spatial) {
    std::ostringstream what;
    what << spatial << " values of " << param << " (one per spatial dim)";
    throw_error("[", op, "] Expected ", what.str(), " but got ", values, ".");
  }
  return values;
}

void check_at_least(
    const std::vector<int>& values,
    int low,
    const char* param,
    const char* op) {
  for (int v : values) {
    if (v < low) {
      const char* rule =
          low == 0 ? " must be non-negative" : " must be positive";
      throw_error("[", op, "] ", param, rule, " but got ", values, ".");
    }
  }
}

// The extent of `size` elements spread `dilation` apart (0 for none).
int64_t dilated(int64_t size, int dilation) {
  return size == 0 ? 0 : (size - 1) * dilation + 1;
}

void check_channels(
    const array& input, const array& weight, int groups, const char* op) {
  int in_channels = input.shape(-1);
  int out_channels = weight.shape(0);
  if (groups < 1 || in_channels % groups != 0 || out_channels % groups != 0) {
    std::ostringstream msg;
    msg << "groups (" << groups << ") must be positive and divide both the "
        << "input channels (" << in_channels << ") and the output channels ("
        << out_channels << ").";
    throw_error("[", op, "] ", msg.str());
  }
  if (weight.shape(-1) * groups != in_channels) {
    std::ostringstream msg;
    msg << "The weight's last dim times groups must equal the input "
        << "channels: weight shape " << weight.shape() << ", groups " << groups
        << ", input shape " << input.shape() << ".";
    throw_error("[", op, "] ", msg.str());
  }
}

// Checks and normalizes the arguments, promotes the dtypes and builds the
// Convolution. allow_crop: negative padding is accepted (internal callers).
array conv_impl(
    const char* op,
    array input,
    array weight,
    ConvParams p,
    bool allow_crop,
    StreamOrDevice s) {
  int nd = static_cast<int>(input.ndim());
  if (nd < 3) {
    throw_error(
        "[",
        op,
        "] Expected an input (N, spatial..., C_in) with at least one spatial "
        "dim but got shape ",
        input.shape(),
        ".");
  }
  if (static_cast<int>(weight.ndim()) != nd) {
    std::ostringstream msg;
    msg << "The weight must have as many dims as the input: weight shape "
        << weight.shape() << ", input shape " << input.shape() << ".";
    throw_error("[", op, "] ", msg.str());
  }
  int spatial = nd - 2;
  p.stride = per_dim(std::move(p.stride), spatial, 1, "stride", op);
  p.padding_lo = per_dim(std::move(p.padding_lo), spatial, 0, "padding", op);
  p.padding_hi = per_dim(std::move(p.padding_hi), spatial, 0, "padding", op);
  p.kernel_dilation =
      per_dim(std::move(p.kernel_dilation), spatial, 1, "kernel dilation", op);
  p.input_dilation =
      per_dim(std::move(p.input_dilation), spatial, 1, "input dilation", op);
  check_at_least(p.stride, 1, "stride", op);
  check_at_least(p.kernel_dilation, 1, "kernel dilation", op);
  check_at_least(p.input_dilation, 1, "input dilation", op);
  if (!allow_crop) {
    check_at_least(p.padding_lo, 0, "padding", op);
    check_at_least(p.padding_hi, 0, "padding", op);
  }
  check_channels(input, weight, p.groups, op);

  Dtype dtype = promote_types(input.dtype(), weight.dtype());
  if (!issubdtype(dtype, floating)) {
    std::ostringstream msg;
    msg << "Only floating point inputs are supported but got " << input.dtype()
        << " and " << weight.dtype() << ".";
    throw_error("[", op, "] ", msg.str());
  }

  Shape out_shape = input.shape();
  out_shape.back() = weight.shape(0);
  for (int i = 0; i < spatial; ++i) {
    if (weight.shape(i + 1) < 1) {
      throw_error(
          "[",
          op,
          "] Kernel dims must be positive but got weight shape ",
          weight.shape(),
          ".");
    }
    int64_t padded = dilated(input.shape(i + 1), p.input_dilation[i]) +
                     p.padding_lo[i] + p.padding_hi[i];
    int64_t window = dilated(weight.shape(i + 1), p.kernel_dilation[i]);
    if (padded < window) {
      std::ostringstream msg;
      msg << "The padded input (" << padded << " along spatial dim " << i
          << ") is smaller than the dilated kernel (" << window
          << "): input shape " << input.shape() << ", weight shape "
          << weight.shape() << ".";
      throw_error("[", op, "] ", msg.str());
    }
    out_shape[i + 1] = static_cast<int>((padded - window) / p.stride[i] + 1);
  }

  auto stream = to_stream(s);
  input = astype(input, dtype, stream);
  weight = astype(weight, dtype, stream);
  auto primitive = std::make_shared<Convolution>(
      stream,
      std::move(p.stride),
      std::move(p.padding_lo),
      std::move(p.padding_hi),
      std::move(p.kernel_dilation),
      std::move(p.input_dilation),
      p.groups,
      p.flip);
  return array(std::move(out_shape), dtype, primitive, {input, weight});
}

void check_ndim(
    const array& input, const array& weight, int spatial, const char* op) {
  if (static_cast<int>(input.ndim()) != spatial + 2 ||
      static_cast<int>(weight.ndim()) != spatial + 2) {
    std::ostringstream msg;
    msg << "Expected " << spatial + 2 << "-D input and weight but got input "
        << "shape " << input.shape() << " and weight shape " << weight.shape()
        << ".";
    throw_error("[", op, "] ", msg.str());
  }
}

// conv1d/2d/3d: symmetric padding, no input dilation, no flip.
array conv_nd(
    const char* op,
    const array& input,
    const array& weight,
    std::vector<int> stride,
    const std::vector<int>& padding,
    std::vector<int> dilation,
    int groups,
    StreamOrDevice s) {
  int spatial = static_cast<int>(stride.size());
  check_ndim(input, weight, spatial, op);
  ConvParams p{
      std::move(stride),
      padding,
      padding,
      std::move(dilation),
      std::vector<int>(spatial, 1),
      groups,
      false};
  return conv_impl(op, input, weight, std::move(p), false, s);
}

// The transposed convolution as MLX defines it: a stride-1 convolution of
// the input dilated by `stride` with the flipped kernel, padded so that the
// output is the size of the forward convolution's input (plus
// output_padding). Padding wider than the kernel becomes a crop.
array conv_transpose_nd(
    const char* op,
    const array& input,
    const array& weight,
    std::vector<int> stride,
    const std::vector<int>& padding,
    std::vector<int> dilation,
    const std::vector<int>& output_padding,
    int groups,
    StreamOrDevice s) {
  int spatial = static_cast<int>(stride.size());
  check_ndim(input, weight, spatial, op);
  check_at_least(stride, 1, "stride", op);
  check_at_least(dilation, 1, "dilation", op);
  check_at_least(padding, 0, "padding", op);
  check_at_least(output_padding, 0, "output_padding", op);
  std::vector<int> padding_lo(spatial);
  std::vector<int> padding_hi(spatial);
  for (int i = 0; i < spatial; ++i) {
    int window = static_cast<int>(dilated(weight.shape(i + 1), dilation[i]));
    padding_lo[i] = window - 1 - padding[i];
    padding_hi[i] = padding_lo[i] + output_padding[i];
  }
  ConvParams p{
      std::vector<int>(spatial, 1),
      std::move(padding_lo),
      std::move(padding_hi),
      std::move(dilation),
      std::move(stride),
      groups,
      true};
  return conv_impl(op, input, weight, std::move(p), true, s);
}

std::vector<int> vec(const std::pair<int, int>& p) {
  return {p.first, p.second};
}

std::vector<int> vec(const std::tuple<int, int, int>& t) {
  return {std::get<0>(t), std::get<1>(t), std::get<2>(t)};
}

} // namespace

array conv_general(
    array input,
    array weight,
    std::vector<int> stride,
    std::vector<int> padding_lo,
    std::vector<int> padding_hi,
    std::vector<int> kernel_dilation,
    std::vector<int> input_dilation,
    int groups,
    bool flip,
    StreamOrDevice s) {
  ConvParams p{
      std::move(stride),
      std::move(padding_lo),
      std::move(padding_hi),
      std::move(kernel_dilation),
      std::move(input_dilation),
      groups,
      flip};
  return conv_impl(
      "conv_general",
      std::move(input),
      std::move(weight),
      std::move(p),
      false,
      s);
}

array conv1d(
    const array& input,
    const array& weight,
    int stride,
    int padding,
    int dilation,
    int groups,
    StreamOrDevice s) {
  return conv_nd(
      "conv1d", input, weight, {stride}, {padding}, {dilation}, groups, s);
}

array conv2d(
    const array& input,
    const array& weight,
    const std::pair<int, int>& stride,
    const std::pair<int, int>& padding,
    const std::pair<int, int>& dilation,
    int groups,
    StreamOrDevice s) {
  return conv_nd(
      "conv2d",
      input,
      weight,
      vec(stride),
      vec(padding),
      vec(dilation),
      groups,
      s);
}

array conv3d(
    const array& input,
    const array& weight,
    const std::tuple<int, int, int>& stride,
    const std::tuple<int, int, int>& padding,
    const std::tuple<int, int, int>& dilation,
    int groups,
    StreamOrDevice s) {
  return conv_nd(
      "conv3d",
      input,
      weight,
      vec(stride),
      vec(padding),
      vec(dilation),
      groups,
      s);
}

array conv_transpose1d(
    const array& input,
    const array& weight,
    int stride,
    int padding,
    int dilation,
    int output_padding,
    int groups,
    StreamOrDevice s) {
  return conv_transpose_nd(
      "conv_transpose1d",
      input,
      weight,
      {stride},
      {padding},
      {dilation},
      {output_padding},
      groups,
      s);
}

array conv_transpose2d(
    const array& input,
    const array& weight,
    const std::pair<int, int>& stride,
    const std::pair<int, int>& padding,
    const std::pair<int, int>& dilation,
    const std::pair<int, int>& output_padding,
    int groups,
    StreamOrDevice s) {
  return conv_transpose_nd(
      "conv_transpose2d",
      input,
      weight,
      vec(stride),
      vec(padding),
      vec(dilation),
      vec(output_padding),
      groups,
      s);
}

array conv_transpose3d(
    const array& input,
    const array& weight,
    const std::tuple<int, int, int>& stride,
    const std::tuple<int, int, int>& padding,
    const std::tuple<int, int, int>& dilation,
    const std::tuple<int, int, int>& output_padding,
    int groups,
    StreamOrDevice s) {
  return conv_transpose_nd(
      "conv_transpose3d",
      input,
      weight,
      vec(stride),
      vec(padding),
      vec(dilation),
      vec(output_padding),
      groups,
      s);
}

array convolve(
    const array& a, const array& v, const std::string& mode, StreamOrDevice s) {
  if (a.ndim() != 1 || v.ndim() != 1 || a.size() == 0 || v.size() == 0) {
    std::ostringstream msg;
    msg << "Inputs must be 1-D and not empty but got shapes " << a.shape()
        << " and " << v.shape() << ".";
    throw_error("[convolve] ", msg.str());
  }
  // As numpy.convolve, the longer array is the signal.
  const array& signal = a.size() >= v.size() ? a : v;
  const array& filter = a.size() >= v.size() ? v : a;
  int m = filter.shape(0);
  int lo;
  int hi;
  if (mode == "full") {
    lo = hi = m - 1;
  } else if (mode == "same") {
    // numpy keeps the centre of the full output, the extra element of an
    // even filter on the left.
    lo = m / 2;
    hi = m - 1 - lo;
  } else if (mode == "valid") {
    lo = hi = 0;
  } else {
    throw_error(
        "[convolve] mode must be 'full', 'same' or 'valid' but got '",
        mode,
        "'.");
  }
  auto stream = to_stream(s);
  ConvParams p{{1}, {lo}, {hi}, {1}, {1}, 1, /* flip = */ true};
  array out = conv_impl(
      "convolve",
      reshape(signal, {1, signal.shape(0), 1}, stream),
      reshape(filter, {1, m, 1}, stream),
      std::move(p),
      false,
      stream);
  return reshape(out, {out.shape(1)}, stream);
}

namespace detail {

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
    StreamOrDevice s) {
  ConvParams p{
      std::move(stride),
      std::move(padding_lo),
      std::move(padding_hi),
      std::move(kernel_dilation),
      std::move(input_dilation),
      groups,
      flip};
  return conv_impl(op, input, weight, std::move(p), true, s);
}

} // namespace detail

} // namespace mlx::core
