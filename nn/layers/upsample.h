// mlx.nn.Upsample and its functional forms: nearest, linear and cubic
// interpolation over the spatial axes 1 .. ndim-2 of a channels-last input
// (N, spatial..., C), any number of spatial axes.
#pragma once

#include <string>
#include <vector>

#include "mlx/nn/module.h"

namespace mlx::nn {

/**
 * Each spatial size n becomes int(scale * n). Integer scales repeat each
 * element (keeping x's dtype); other scales pick the nearest source index
 * (MLX's rule: round((i + 0.5) n / m - 0.5) when enlarging, floor(i n / m)
 * when shrinking).
 */
array upsample_nearest(const array& x, const std::vector<double>& scale_factor);

/**
 * Linear interpolation per spatial axis (bilinear, trilinear, ...). With
 * align_corners the first and last samples of input and output coincide;
 * otherwise sample centers are mapped (source index clipped to [0, n-1]).
 * The result has x's dtype promoted with float32 (int and float16 inputs
 * give float32), as MLX.
 */
array upsample_linear(
    const array& x,
    const std::vector<double>& scale_factor,
    bool align_corners = false);

/** Cubic convolution interpolation (Keys kernel, a = -0.75, edge values
 * repeated), otherwise as upsample_linear. */
array upsample_cubic(
    const array& x,
    const std::vector<double>& scale_factor,
    bool align_corners = false);

/**
 * Upsample(scale_factor, mode = "nearest" | "linear" | "cubic",
 * align_corners = false). A single scale applies to every spatial axis;
 * a list needs one entry per spatial axis of the input.
 */
class Upsample : public Module {
public:
  explicit Upsample(
      double scale_factor,
      const std::string& mode = "nearest",
      bool align_corners = false);
  explicit Upsample(
      std::vector<double> scale_factor,
      const std::string& mode = "nearest",
      bool align_corners = false);

  std::string name() const override { return "Upsample"; }
  std::string describe() const override;
  /** x: (N, spatial..., C), at least one spatial axis. */
  array operator()(const array& x) override;

private:
  std::vector<double> scale_factor_;
  bool single_scale_;
  std::string mode_;
  bool align_corners_;
};

} // namespace mlx::nn
