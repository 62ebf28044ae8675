// The convolution layers: argument checks and initialization shared in
// ConvLayer, the computation delegated to mlx::core's conv ops.
#include "mlx/nn/layers/convolution.h"

#include <cmath>
#include <sstream>

#include "mlx/ops.h"
#include "mlx/ops/conv.h"
#include "mlx/random.h"
#include "mlx/utils.h"

namespace mlx::nn {

namespace mx = mlx::core;

namespace {

// `arg` as one value per spatial axis (a single value is repeated).
std::vector<int> expand(
    const char* layer,
    const char* what,
    const SpatialArg& arg,
    int spatial_dims,
    int min_value) {
  std::vector<int> v = arg.values;
  if (v.size() == 1) {
    v.assign(spatial_dims, v[0]);
  }
  if (static_cast<int>(v.size()) != spatial_dims) {
    mx::throw_error(
        "[",
        layer,
        "] ",
        what,
        " needs 1 or ",
        spatial_dims,
        " values, got ",
        arg.values,
        ".");
  }
  for (int x : v) {
    if (x < min_value) {
      mx::throw_error(
          "[",
          layer,
          "] ",
          what,
          " must be at least ",
          min_value,
          ", got ",
          arg.values,
          ".");
    }
  }
  return v;
}

// "3" for one axis, "(3, 5)" for more.
std::string format(const std::vector<int>& v) {
  using mx::operator<<;
  std::ostringstream os;
  if (v.size() == 1) {
    os << v[0];
  } else {
    os << v;
  }
  return os.str();
}

// Spatial axis names for error messages: "L", "H, W", "D, H, W".
const char* spatial_names(int spatial_dims) {
  switch (spatial_dims) {
  case 1:
    return "L";
  case 2:
    return "H, W";
  default:
    return "D, H, W";
  }
}

std::pair<int, int> as_pair(const std::vector<int>& v) {
  return {v[0], v[1]};
}

std::tuple<int, int, int> as_tuple(const std::vector<int>& v) {
  return {v[0], v[1], v[2]};
}

} // namespace

namespace detail {

ConvLayer::ConvLayer(
    const char* layer,
    int spatial_dims,
    int in_channels,
    int out_channels,
    const SpatialArg& kernel_size,
    const SpatialArg& stride,
    const SpatialArg& padding,
    const SpatialArg& dilation,
    int groups,
    bool bias,
    bool transposed,
    const SpatialArg& output_padding)
    : spatial_dims_(spatial_dims), in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_size_(expand(layer, "kernel_size", kernel_size, spatial_dims, 1)),
      stride_(expand(layer, "stride", stride, spatial_dims, 1)),
      padding_(expand(layer, "padding", padding, spatial_dims, 0)),
      dilation_(expand(layer, "dilation", dilation, spatial_dims, 1)),
      groups_(groups), transposed_(transposed),
      output_padding_(
          expand(layer, "output_padding", output_padding, spatial_dims, 0)) {
  if (in_channels <= 0 || out_channels <= 0 || groups <= 0) {
    mx::throw_error(
        "[",
        layer,
        "] in_channels, out_channels and groups must be positive, "
        "got in_channels=",
        in_channels,
        ", out_channels=",
        out_channels,
        ", groups=",
        groups,
        ".");
  }
  if (in_channels % groups != 0 || out_channels % groups != 0) {
    mx::throw_error(
        "[",
        layer,
        "] in_channels (",
        in_channels,
        ") and out_channels (",
        out_channels,
        ") must be divisible by groups (",
        groups,
        ").");
  }
  // MLX's scale: fan-in counted with all input channels, not per group.
  double fan_in = in_channels;
  mx::Shape weight_shape = {out_channels};
  for (int k : kernel_size_) {
    fan_in *= k;
    weight_shape.push_back(k);
  }
  weight_shape.push_back(in_channels / groups);
  float scale = static_cast<float>(std::sqrt(1.0 / fan_in));
  register_parameter(
      "weight", mx::random::uniform(-scale, scale, weight_shape));
  if (bias) {
    register_parameter("bias", mx::zeros({out_channels}));
  }
}

std::string ConvLayer::describe() const {
  std::ostringstream os;
  os << "in_channels=" << in_channels_ << ", out_channels=" << out_channels_
     << ", kernel_size=" << format(kernel_size_)
     << ", stride=" << format(stride_) << ", padding=" << format(padding_)
     << ", dilation=" << format(dilation_);
  if (transposed_) {
    os << ", output_padding=" << format(output_padding_);
  } else {
    os << ", groups=" << groups_;
  }
  os << ", bias=" << (has_param("bias") ? "true" : "false");
  return os.str();
}

array ConvLayer::operator()(const array& x) {
  const array& w = param("weight");
  int channels = w.shape(-1) * groups_;
  if (static_cast<int>(x.ndim()) != spatial_dims_ + 2 ||
      x.shape(-1) != channels) {
    mx::throw_error(
        "[",
        name(),
        "] Expected an input of shape (N, ",
        spatial_names(spatial_dims_),
        ", ",
        channels,
        "), got ",
        x.shape(),
        ".");
  }
  array y = x;
  const auto &s = stride_, &p = padding_, &d = dilation_;
  const auto& op = output_padding_;
  switch (spatial_dims_ * 2 + (transposed_ ? 1 : 0)) {
  case 2:
    y = mx::conv1d(x, w, s[0], p[0], d[0], groups_);
    break;
  case 3:
    y = mx::conv_transpose1d(x, w, s[0], p[0], d[0], op[0], groups_);
    break;
  case 4:
    y = mx::conv2d(x, w, as_pair(s), as_pair(p), as_pair(d), groups_);
    break;
  case 5:
    y = mx::conv_transpose2d(
        x, w, as_pair(s), as_pair(p), as_pair(d), as_pair(op), groups_);
    break;
  case 6:
    y = mx::conv3d(x, w, as_tuple(s), as_tuple(p), as_tuple(d), groups_);
    break;
  default:
    y = mx::conv_transpose3d(
        x, w, as_tuple(s), as_tuple(p), as_tuple(d), as_tuple(op), groups_);
    break;
  }
  return has_param("bias") ? mx::add(y, param("bias")) : y;
}

} // namespace detail

Conv1d::Conv1d(
    int in_channels,
    int out_channels,
    int kernel_size,
    int stride,
    int padding,
    int dilation,
    int groups,
    bool bias)
    : ConvLayer(
          "Conv1d",
          1,
          in_channels,
          out_channels,
          kernel_size,
          stride,
          padding,
          dilation,
          groups,
          bias) {}

Conv2d::Conv2d(
    int in_channels,
    int out_channels,
    const SpatialArg& kernel_size,
    const SpatialArg& stride,
    const SpatialArg& padding,
    const SpatialArg& dilation,
    int groups,
    bool bias)
    : ConvLayer(
          "Conv2d",
          2,
          in_channels,
          out_channels,
          kernel_size,
          stride,
          padding,
          dilation,
          groups,
          bias) {}

Conv3d::Conv3d(
    int in_channels,
    int out_channels,
    const SpatialArg& kernel_size,
    const SpatialArg& stride,
    const SpatialArg& padding,
    const SpatialArg& dilation,
    int groups,
    bool bias)
    : ConvLayer(
          "Conv3d",
          3,
          in_channels,
          out_channels,
          kernel_size,
          stride,
          padding,
          dilation,
          groups,
          bias) {}

ConvTranspose1d::ConvTranspose1d(
    int in_channels,
    int out_channels,
    int kernel_size,
    int stride,
    int padding,
    int dilation,
    int output_padding,
    bool bias)
    : ConvLayer(
          "ConvTranspose1d",
          1,
          in_channels,
          out_channels,
          kernel_size,
          stride,
          padding,
          dilation,
          1,
          bias,
          true,
          output_padding) {}

ConvTranspose2d::ConvTranspose2d(
    int in_channels,
    int out_channels,
    const SpatialArg& kernel_size,
    const SpatialArg& stride,
    const SpatialArg& padding,
    const SpatialArg& dilation,
    const SpatialArg& output_padding,
    bool bias)
    : ConvLayer(
          "ConvTranspose2d",
          2,
          in_channels,
          out_channels,
          kernel_size,
          stride,
          padding,
          dilation,
          1,
          bias,
          true,
          output_padding) {}

ConvTranspose3d::ConvTranspose3d(
    int in_channels,
    int out_channels,
    const SpatialArg& kernel_size,
    const SpatialArg& stride,
    const SpatialArg& padding,
    const SpatialArg& dilation,
    const SpatialArg& output_padding,
    bool bias)
    : ConvLayer(
          "ConvTranspose3d",
          3,
          in_channels,
          out_channels,
          kernel_size,
          stride,
          padding,
          dilation,
          1,
          bias,
          true,
          output_padding) {}

} // namespace mlx::nn
