// Normalization layers: LayerNorm and RMSNorm through the fused kernels of
// mlx::core::fast, the others composed from mean / var ops (so all are
// differentiable through the ops' own rules).
#include "mlx/nn/layers/normalization.h"

#include <sstream>

#include "mlx/fast.h"
#include "mlx/ops.h"
#include "mlx/utils.h"

namespace mlx::nn {

namespace mx = mlx::core;

namespace {

const char* bool_str(bool b) {
  return b ? "true" : "false";
}

// A scalar in `like`'s dtype (float32 for integer arrays), so that
// constants do not promote float16 / bfloat16 computations.
array scalar_like(double value, const array& like) {
  auto dtype =
      mx::issubdtype(like.dtype(), mx::floating) ? like.dtype() : mx::float32;
  return array(static_cast<float>(value), dtype);
}

// (x - mean) / sqrt(var + eps).
array normalize(
    const array& x, const array& mean, const array& var, float eps) {
  return mx::multiply(
      mx::subtract(x, mean), mx::rsqrt(mx::add(var, scalar_like(eps, var))));
}

// y * weight + bias when the layer has them.
array apply_affine(const Module& m, const array& y) {
  if (!m.has_param("weight")) {
    return y;
  }
  auto scaled = mx::multiply(y, m.param("weight"));
  return m.has_param("bias") ? mx::add(scaled, m.param("bias")) : scaled;
}

// Axes first .. last (inclusive).
std::vector<int> axis_range(int first, int last) {
  std::vector<int> axes;
  for (int a = first; a <= last; ++a) {
    axes.push_back(a);
  }
  return axes;
}

void check_positive(const char* layer, const char* what, int value) {
  if (value <= 0) {
    mx::throw_error(
        "[", layer, "] ", what, " must be positive, got ", value, ".");
  }
}

// The feature axis (last) must have `dims` entries.
void check_features(const char* layer, const array& x, int dims) {
  if (x.ndim() == 0 || x.shape(-1) != dims) {
    mx::throw_error(
        "[",
        layer,
        "] Expected an input whose last axis has ",
        dims,
        " features, got shape ",
        x.shape(),
        ".");
  }
}

} // namespace

// ---- LayerNorm

LayerNorm::LayerNorm(int dims, float eps, bool affine, bool bias)
    : dims_(dims), eps_(eps) {
  check_positive("LayerNorm", "dims", dims);
  if (affine) {
    register_parameter("weight", mx::ones({dims}));
    if (bias) {
      register_parameter("bias", mx::zeros({dims}));
    }
  }
}

std::string LayerNorm::describe() const {
  std::ostringstream os;
  os << "dims=" << dims_ << ", eps=" << eps_
     << ", affine=" << bool_str(has_param("weight"))
     << ", bias=" << bool_str(has_param("bias"));
  return os.str();
}

array LayerNorm::operator()(const array& x) {
  std::optional<array> weight, bias;
  if (has_param("weight")) {
    check_features("LayerNorm", x, dims_);
    weight = param("weight");
  }
  if (has_param("bias")) {
    bias = param("bias");
  }
  if (x.ndim() == 0) {
    mx::throw_error("[LayerNorm] Expected an input with at least one axis.");
  }
  return mx::fast::layer_norm(x, weight, bias, eps_);
}

// ---- RMSNorm

RMSNorm::RMSNorm(int dims, float eps) : dims_(dims), eps_(eps) {
  check_positive("RMSNorm", "dims", dims);
  register_parameter("weight", mx::ones({dims}));
}

std::string RMSNorm::describe() const {
  std::ostringstream os;
  os << "dims=" << dims_ << ", eps=" << eps_;
  return os.str();
}

array RMSNorm::operator()(const array& x) {
  check_features("RMSNorm", x, dims_);
  return mx::fast::rms_norm(x, param("weight"), eps_);
}

// ---- GroupNorm

GroupNorm::GroupNorm(
    int num_groups, int dims, float eps, bool affine, bool pytorch_compatible)
    : num_groups_(num_groups), dims_(dims), eps_(eps),
      pytorch_compatible_(pytorch_compatible) {
  check_positive("GroupNorm", "num_groups", num_groups);
  check_positive("GroupNorm", "dims", dims);
  if (dims % num_groups != 0) {
    mx::throw_error(
        "[GroupNorm] dims (",
        dims,
        ") must be a multiple of num_groups (",
        num_groups,
        ").");
  }
  if (affine) {
    register_parameter("weight", mx::ones({dims}));
    register_parameter("bias", mx::zeros({dims}));
  }
}

std::string GroupNorm::describe() const {
  std::ostringstream os;
  os << "num_groups=" << num_groups_ << ", dims=" << dims_ << ", eps=" << eps_
     << ", affine=" << bool_str(has_param("weight"))
     << ", pytorch_compatible=" << bool_str(pytorch_compatible_);
  return os.str();
}

array GroupNorm::operator()(const array& x) {
  if (x.ndim() < 2) {
    mx::throw_error(
        "[GroupNorm] Expected an input of shape (N, ..., ",
        dims_,
        "), got ",
        x.shape(),
        ".");
  }
  check_features("GroupNorm", x, dims_);
  int batch = x.shape(0);
  int spatial = 1;
  for (int a = 1; a + 1 < static_cast<int>(x.ndim()); ++a) {
    spatial *= x.shape(a);
  }
  int groups = num_groups_;
  int group_size = dims_ / groups;
  array y = x;
  if (pytorch_compatible_) {
    // Feature c in group c / group_size: gather each group's values on the
    // last axis and normalize that axis.
    y = mx::reshape(y, {batch, spatial, groups, group_size});
    y = mx::transpose(y, {0, 2, 1, 3});
    y = mx::reshape(y, {batch, groups, spatial * group_size});
    y = mx::fast::layer_norm(y, std::nullopt, std::nullopt, eps_);
    y = mx::reshape(y, {batch, groups, spatial, group_size});
    y = mx::transpose(y, {0, 2, 1, 3});
  } else {
    // Feature c in group c % groups: the groups are the last axis of
    // (N, spatial * group_size, groups).
    y = mx::reshape(y, {batch, spatial * group_size, groups});
    auto mean = mx::mean(y, 1, true);
    auto var = mx::var(y, 1, true);
    y = normalize(y, mean, var, eps_);
  }
  return apply_affine(*this, mx::reshape(y, x.shape()));
}

// ---- InstanceNorm

InstanceNorm::InstanceNorm(int dims, float eps, bool affine)
    : dims_(dims), eps_(eps) {
  check_positive("InstanceNorm", "dims", dims);
  if (affine) {
    register_parameter("weight", mx::ones({dims}));
    register_parameter("bias", mx::zeros({dims}));
  }
}

std::string InstanceNorm::describe() const {
  std::ostringstream os;
  os << "dims=" << dims_ << ", eps=" << eps_
     << ", affine=" << bool_str(has_param("weight"));
  return os.str();
}

array InstanceNorm::operator()(const array& x) {
  int ndim = static_cast<int>(x.ndim());
  if (ndim < 3) {
    mx::throw_error(
        "[InstanceNorm] Expected an input of shape (N, spatial..., ",
        dims_,
        ") with at least one spatial axis, got ",
        x.shape(),
        ".");
  }
  if (has_param("weight")) {
    check_features("InstanceNorm", x, dims_);
  }
  auto axes = axis_range(1, ndim - 2);
  auto mean = mx::mean(x, axes, true);
  auto var = mx::var(x, axes, true);
  return apply_affine(*this, normalize(x, mean, var, eps_));
}

// ---- BatchNorm

BatchNorm::BatchNorm(
    int num_features,
    float eps,
    float momentum,
    bool affine,
    bool track_running_stats)
    : num_features_(num_features), eps_(eps), momentum_(momentum),
      track_running_stats_(track_running_stats) {
  check_positive("BatchNorm", "num_features", num_features);
  if (affine) {
    register_parameter("weight", mx::ones({num_features}));
    register_parameter("bias", mx::zeros({num_features}));
  }
  if (track_running_stats) {
    register_parameter("running_mean", mx::zeros({num_features}));
    register_parameter("running_var", mx::ones({num_features}));
    freeze(false, {"running_mean", "running_var"});
  }
}

std::string BatchNorm::describe() const {
  std::ostringstream os;
  os << "num_features=" << num_features_ << ", eps=" << eps_
     << ", momentum=" << momentum_
     << ", affine=" << bool_str(has_param("weight"))
     << ", track_running_stats=" << bool_str(track_running_stats_);
  return os.str();
}

Module& BatchNorm::unfreeze(
    bool recurse, const std::vector<std::string>& keys, bool strict) {
  Module::unfreeze(recurse, keys, strict);
  if (track_running_stats_) {
    freeze(false, {"running_mean", "running_var"});
  }
  return *this;
}

array BatchNorm::operator()(const array& x) {
  int ndim = static_cast<int>(x.ndim());
  bool has_features = has_param("weight") || track_running_stats_;
  if (ndim < 2 || ndim > 4 || (has_features && x.shape(-1) != num_features_)) {
    mx::throw_error(
        "[BatchNorm] Expected an input of shape (N, C), (N, L, C) or "
        "(N, H, W, C) with C = ",
        num_features_,
        ", got ",
        x.shape(),
        ".");
  }
  array mean = array(0.0f);
  array var = array(0.0f);
  if (training() || !track_running_stats_) {
    auto axes = axis_range(0, ndim - 2);
    mean = mx::mean(x, axes);
    var = mx::var(x, axes);
    if (training() && track_running_stats_) {
      // running = (1 - momentum) * running + momentum * batch statistic.
      auto update = [&](const char* key, const array& batch_stat) {
        const array& running = param(key);
        auto keep = scalar_like(1.0 - momentum_, running);
        auto take = scalar_like(momentum_, running);
        set_param(
            key,
            mx::add(
                mx::multiply(keep, running), mx::multiply(take, batch_stat)));
      };
      update("running_mean", mean);
      update("running_var", var);
    }
  } else {
    mean = param("running_mean");
    var = param("running_var");
  }
  return apply_affine(*this, normalize(x, mean, var, eps_));
}

} // namespace mlx::nn
