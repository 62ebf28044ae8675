// Convolution layers of mlx.nn: Conv1d/2d/3d and ConvTranspose1d/2d/3d.
//
// Channels last, as MLX: inputs (N, spatial..., C_in), outputs
// (N, out_spatial..., C_out). Parameters: weight (C_out, kernel...,
// C_in / groups) and, with bias, bias (C_out). The weight starts uniform in
// [-s, s) with s = sqrt(1 / (C_in * prod(kernel))) (mlx::core::random, the
// global key), the bias at zero.
//
// Spatial settings (kernel_size, stride, padding, dilation, output_padding)
// take one int for every spatial axis or one value per axis:
//   nn::Conv2d conv(3, 16, 3);                      // 3x3 kernel
//   nn::Conv2d conv(3, 16, {3, 5}, /*stride=*/{2, 1});
#pragma once

#include <initializer_list>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "mlx/nn/module.h"

namespace mlx::nn {

/** One int (used for every spatial axis) or one int per spatial axis. */
struct SpatialArg {
  SpatialArg(int value) : values{value} {}
  SpatialArg(std::initializer_list<int> v) : values(v) {}
  SpatialArg(std::vector<int> v) : values(std::move(v)) {}
  SpatialArg(const std::pair<int, int>& v) : values{v.first, v.second} {}
  SpatialArg(const std::tuple<int, int, int>& v)
      : values{std::get<0>(v), std::get<1>(v), std::get<2>(v)} {}
  std::vector<int> values;
};

namespace detail {

// What the six layers share: settings, parameters, checks and printing.
// The forward pass dispatches on the number of spatial axes.
class ConvLayer : public Module {
public:
  std::string describe() const override;
  array operator()(const array& x) override;

  int in_channels() const { return in_channels_; }
  int out_channels() const { return out_channels_; }
  const std::vector<int>& kernel_size() const { return kernel_size_; }
  const std::vector<int>& stride() const { return stride_; }
  const std::vector<int>& padding() const { return padding_; }
  const std::vector<int>& dilation() const { return dilation_; }
  int groups() const { return groups_; }

protected:
  ConvLayer(
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
      bool transposed = false,
      const SpatialArg& output_padding = 0);

  int spatial_dims_;
  int in_channels_;
  int out_channels_;
  std::vector<int> kernel_size_;
  std::vector<int> stride_;
  std::vector<int> padding_;
  std::vector<int> dilation_;
  int groups_;
  bool transposed_;
  // Transposed layers only: extra size on the high side of each axis.
  std::vector<int> output_padding_;
};

} // namespace detail

/** 1-D convolution over (N, L, C_in). */
class Conv1d : public detail::ConvLayer {
public:
  Conv1d(
      int in_channels,
      int out_channels,
      int kernel_size,
      int stride = 1,
      int padding = 0,
      int dilation = 1,
      int groups = 1,
      bool bias = true);
  std::string name() const override { return "Conv1d"; }
};

/** 2-D convolution over (N, H, W, C_in). */
class Conv2d : public detail::ConvLayer {
public:
  Conv2d(
      int in_channels,
      int out_channels,
      const SpatialArg& kernel_size,
      const SpatialArg& stride = 1,
      const SpatialArg& padding = 0,
      const SpatialArg& dilation = 1,
      int groups = 1,
      bool bias = true);
  std::string name() const override { return "Conv2d"; }
};

/** 3-D convolution over (N, D, H, W, C_in). MLX's Python Conv3d has no
 * groups argument; here it sits where Conv1d/Conv2d have it. */
class Conv3d : public detail::ConvLayer {
public:
  Conv3d(
      int in_channels,
      int out_channels,
      const SpatialArg& kernel_size,
      const SpatialArg& stride = 1,
      const SpatialArg& padding = 0,
      const SpatialArg& dilation = 1,
      int groups = 1,
      bool bias = true);
  std::string name() const override { return "Conv3d"; }
};

/**
 * Transposed convolutions (the adjoints of the convolutions with the same
 * settings; no groups, as MLX). Output length per axis:
 * (L - 1) * stride - 2 * padding + dilation * (kernel - 1) +
 * output_padding + 1.
 */
class ConvTranspose1d : public detail::ConvLayer {
public:
  ConvTranspose1d(
      int in_channels,
      int out_channels,
      int kernel_size,
      int stride = 1,
      int padding = 0,
      int dilation = 1,
      int output_padding = 0,
      bool bias = true);
  std::string name() const override { return "ConvTranspose1d"; }
};

class ConvTranspose2d : public detail::ConvLayer {
public:
  ConvTranspose2d(
      int in_channels,
      int out_channels,
      const SpatialArg& kernel_size,
      const SpatialArg& stride = 1,
      const SpatialArg& padding = 0,
      const SpatialArg& dilation = 1,
      const SpatialArg& output_padding = 0,
      bool bias = true);
  std::string name() const override { return "ConvTranspose2d"; }
};

class ConvTranspose3d : public detail::ConvLayer {
public:
  ConvTranspose3d(
      int in_channels,
      int out_channels,
      const SpatialArg& kernel_size,
      const SpatialArg& stride = 1,
      const SpatialArg& padding = 0,
      const SpatialArg& dilation = 1,
      const SpatialArg& output_padding = 0,
      bool bias = true);
  std::string name() const override { return "ConvTranspose3d"; }
};

} // namespace mlx::nn
