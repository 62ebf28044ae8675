// Normalization layers of mlx.nn: LayerNorm, RMSNorm, GroupNorm,
// InstanceNorm and BatchNorm. Features are the last axis (channels last).
// Every layer computes y = (x - mean) / sqrt(var + eps) (RMSNorm:
// x / sqrt(mean(x^2) + eps)) over its own set of axes, variance without
// Bessel's correction, then with `affine` y * weight + bias, weight starting
// at 1 and bias at 0 (float32, shape (dims,)).
#pragma once

#include <string>
#include <vector>

#include "mlx/nn/module.h"

namespace mlx::nn {

/** Normalizes over the last axis (mlx.core.fast.layer_norm). Parameters:
 * weight (affine) and bias (affine and bias). */
class LayerNorm : public Module {
public:
  explicit LayerNorm(
      int dims, float eps = 1e-5f, bool affine = true, bool bias = true);
  std::string name() const override { return "LayerNorm"; }
  std::string describe() const override;
  array operator()(const array& x) override;

  int dims() const { return dims_; }
  float eps() const { return eps_; }

private:
  int dims_;
  float eps_;
};

/** Root-mean-square normalization over the last axis
 * (mlx.core.fast.rms_norm). Parameter: weight. */
class RMSNorm : public Module {
public:
  explicit RMSNorm(int dims, float eps = 1e-5f);
  std::string name() const override { return "RMSNorm"; }
  std::string describe() const override;
  array operator()(const array& x) override;

  int dims() const { return dims_; }
  float eps() const { return eps_; }

private:
  int dims_;
  float eps_;
};

/**
 * Normalizes each sample (axis 0) over its spatial axes (1 .. ndim - 2)
 * and one group of features. As MLX, feature c belongs to group
 * c % num_groups; with pytorch_compatible, to group c / (dims / num_groups)
 * (contiguous groups, as torch.nn.GroupNorm). dims must be a multiple of
 * num_groups. Parameters: weight, bias (affine).
 */
class GroupNorm : public Module {
public:
  GroupNorm(
      int num_groups,
      int dims,
      float eps = 1e-5f,
      bool affine = true,
      bool pytorch_compatible = false);
  std::string name() const override { return "GroupNorm"; }
  std::string describe() const override;
  array operator()(const array& x) override;

  int num_groups() const { return num_groups_; }
  int dims() const { return dims_; }
  float eps() const { return eps_; }
  bool pytorch_compatible() const { return pytorch_compatible_; }

private:
  int num_groups_;
  int dims_;
  float eps_;
  bool pytorch_compatible_;
};

/** Normalizes each sample and feature over the spatial axes: inputs
 * (N, spatial..., C) with at least one spatial axis. Parameters: weight,
 * bias (affine, off by default). */
class InstanceNorm : public Module {
public:
  explicit InstanceNorm(int dims, float eps = 1e-5f, bool affine = false);
  std::string name() const override { return "InstanceNorm"; }
  std::string describe() const override;
  array operator()(const array& x) override;

  int dims() const { return dims_; }
  float eps() const { return eps_; }

private:
  int dims_;
  float eps_;
};

/**
 * Batch normalization of inputs (N, C), (N, L, C) or (N, H, W, C) over all
 * axes but the last. Parameters: weight, bias (affine) and running_mean
 * (zeros), running_var (ones) with track_running_stats; the running
 * statistics are always frozen (unfreeze keeps them so) and so never
 * trained.
 *
 * Training mode normalizes with the batch statistics and, tracking, replaces
 * running_x by (1 - momentum) * running_x + momentum * batch_x (the
 * variance without Bessel's correction, as MLX; PyTorch uses the corrected
 * one here). Eval mode normalizes with the running statistics when tracked,
 * with the batch statistics otherwise.
 */
class BatchNorm : public Module {
public:
  explicit BatchNorm(
      int num_features,
      float eps = 1e-5f,
      float momentum = 0.1f,
      bool affine = true,
      bool track_running_stats = true);
  std::string name() const override { return "BatchNorm"; }
  std::string describe() const override;
  array operator()(const array& x) override;

  /** Module::unfreeze, then re-freezes running_mean and running_var. */
  Module& unfreeze(
      bool recurse = true,
      const std::vector<std::string>& keys = {},
      bool strict = false) override;

  int num_features() const { return num_features_; }
  float eps() const { return eps_; }
  float momentum() const { return momentum_; }
  bool track_running_stats() const { return track_running_stats_; }

private:
  int num_features_;
  float eps_;
  float momentum_;
  bool track_running_stats_;
};

} // namespace mlx::nn
