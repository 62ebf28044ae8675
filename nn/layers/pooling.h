// Max and average pooling of mlx.nn over channels-last inputs:
// (N, L, C), (N, H, W, C) and (N, D, H, W, C).
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "mlx/nn/module.h"

namespace mlx::nn {

/**
 * The shared pooling layer: extracts the sliding windows (kernel_size,
 * stride, symmetric padding per spatial axis) as a strided view and reduces
 * them with max or mean, so it is differentiable through those ops.
 * Max pooling pads with -inf (the lowest value for integers); average
 * pooling pads with 0 and divides by the full window size, padding
 * included (as MLX).
 */
class Pool : public Module {
public:
  enum class Kind { Max, Avg };

  std::string name() const override { return layer_; }
  /** "kernel_size=(2, 2), stride=(2, 2), padding=(0, 0)". */
  std::string describe() const override;
  /** x: (N, spatial..., C) with one spatial axis per kernel entry ->
   * (N, (size + 2 padding - kernel) / stride + 1 ..., C). */
  array operator()(const array& x) override;

  const std::vector<int>& kernel_size() const { return kernel_size_; }
  const std::vector<int>& stride() const { return stride_; }
  const std::vector<int>& padding() const { return padding_; }

protected:
  // Empty stride means stride = kernel_size, empty padding means 0. Each
  // non-empty list must have `dims` entries.
  Pool(
      const char* layer,
      Kind kind,
      int dims,
      std::vector<int> kernel_size,
      std::vector<int> stride,
      std::vector<int> padding);
  // The same value on every spatial axis.
  Pool(
      const char* layer,
      Kind kind,
      int dims,
      int kernel_size,
      std::optional<int> stride,
      int padding);

private:
  const char* layer_;
  Kind kind_;
  std::vector<int> kernel_size_;
  std::vector<int> stride_;
  std::vector<int> padding_;
};

// Each pooling class takes either one int for every spatial axis or one
// value per axis: MaxPool2d(2), MaxPool2d(3, 2, 1), MaxPool2d({3, 2}, {2, 1},
// {1, 0}). stride defaults to kernel_size, padding to 0.
#define MLX_NN_POOL_LAYER(Class, kind, dims)                                   \
  class Class : public Pool {                                                  \
  public:                                                                      \
    explicit Class(                                                            \
        int kernel_size,                                                       \
        std::optional<int> stride = std::nullopt,                              \
        int padding = 0)                                                       \
        : Pool(#Class, kind, dims, kernel_size, stride, padding) {}            \
    explicit Class(                                                            \
        std::vector<int> kernel_size,                                          \
        std::vector<int> stride = {},                                          \
        std::vector<int> padding = {})                                         \
        : Pool(                                                                \
              #Class,                                                          \
              kind,                                                            \
              dims,                                                            \
              std::move(kernel_size),                                          \
              std::move(stride),                                               \
              std::move(padding)) {}                                           \
    /* Without this, Class({2, 2}) would also match the (deleted) copy         \
     * constructor through Class(int, stride) and be ambiguous. */             \
    explicit Class(std::initializer_list<int> kernel_size)                     \
        : Class(std::vector<int>(kernel_size)) {}                              \
  };

/** Max over windows of (N, L, C). */
MLX_NN_POOL_LAYER(MaxPool1d, Pool::Kind::Max, 1)
/** Max over windows of (N, H, W, C). */
MLX_NN_POOL_LAYER(MaxPool2d, Pool::Kind::Max, 2)
/** Max over windows of (N, D, H, W, C). */
MLX_NN_POOL_LAYER(MaxPool3d, Pool::Kind::Max, 3)
/** Mean over windows of (N, L, C). */
MLX_NN_POOL_LAYER(AvgPool1d, Pool::Kind::Avg, 1)
/** Mean over windows of (N, H, W, C). */
MLX_NN_POOL_LAYER(AvgPool2d, Pool::Kind::Avg, 2)
/** Mean over windows of (N, D, H, W, C). */
MLX_NN_POOL_LAYER(AvgPool3d, Pool::Kind::Avg, 3)

#undef MLX_NN_POOL_LAYER

} // namespace mlx::nn
