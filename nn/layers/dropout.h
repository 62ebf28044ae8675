// Dropout layers of mlx.nn: element-wise (Dropout) and channel-wise for
// channels-last images (Dropout2d) and volumes (Dropout3d).
#pragma once

#include <string>

#include "mlx/nn/module.h"

namespace mlx::nn {

/**
 * In training mode, zeroes each element with probability p and scales the
 * rest by 1 / (1 - p); in eval mode (or p = 0) returns x unchanged.
 * p must lie in [0, 1). Masks come from mlx::core::random's global key.
 */
class Dropout : public Module {
public:
  explicit Dropout(float p = 0.5f);
  std::string name() const override { return "Dropout"; }
  std::string describe() const override;
  array operator()(const array& x) override;
  float p() const { return p_; }

protected:
  Dropout(const char* layer, float p);
  // x * mask / (1 - p), mask of shape mask_shape (broadcasting against x).
  array apply_mask(const array& x, const mlx::core::Shape& mask_shape) const;

private:
  float p_;
};

/** Zeroes whole channels: input (N, H, W, C) or (H, W, C); the mask has
 * shape (N, 1, 1, C) or (1, 1, C). */
class Dropout2d : public Dropout {
public:
  explicit Dropout2d(float p = 0.5f);
  std::string name() const override { return "Dropout2d"; }
  array operator()(const array& x) override;
};

/** Zeroes whole channels: input (N, D, H, W, C) or (D, H, W, C); the mask
 * has shape (N, 1, 1, 1, C) or (1, 1, 1, C). */
class Dropout3d : public Dropout {
public:
  explicit Dropout3d(float p = 0.5f);
  std::string name() const override { return "Dropout3d"; }
  array operator()(const array& x) override;
};

} // namespace mlx::nn
