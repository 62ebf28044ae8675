#include "mlx/nn/layers/upsample.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <sstream>

#include "mlx/ops.h"
#include "mlx/utils.h"

namespace mlx::nn {

namespace mx = mlx::core;
using mx::throw_error;

namespace {

// One interpolation tap along an axis: for every output position, the
// source index it reads and the weight it gets.
struct Tap {
  std::vector<int32_t> index;
  std::vector<float> weight;
};

// Keys' cubic convolution coefficient (the OpenCV / PyTorch bicubic value).
constexpr float kCubicA = -0.75f;

int output_size(int n, double scale) {
  return static_cast<int>(scale * n); // truncation, as Python's int()
}

// Source coordinate of each output position, in float32 arithmetic as MLX
// computes it (arange in float32 times Python scalars).
std::vector<float> source_coordinates(int n, double scale, bool align_corners) {
  int m = output_size(n, scale);
  std::vector<float> coords(m);
  if (align_corners) {
    float step =
        static_cast<float>((n - 1) / static_cast<double>(std::max(m - 1, 1)));
    for (int i = 0; i < m; ++i) {
      coords[i] = static_cast<float>(i) * step;
    }
  } else {
    // Output sample centers map onto input sample centers.
    double step = 1.0 / scale;
    double start = ((m - 1) * step - n + 1) / 2;
    for (int i = 0; i < m; ++i) {
      coords[i] = static_cast<float>(i) * static_cast<float>(step) -
                  static_cast<float>(start);
    }
  }
  return coords;
}

int32_t clip_index(float i, int n) {
  return static_cast<int32_t>(std::clamp(i, 0.0f, static_cast<float>(n - 1)));
}

std::vector<Tap> linear_taps(int n, double scale, bool align_corners) {
  auto coords = source_coordinates(n, scale, align_corners);
  std::vector<Tap> taps(2);
  for (float c : coords) {
    c = std::clamp(c, 0.0f, static_cast<float>(n - 1));
    float left = std::floor(c);
    float w = c - left;
    taps[0].index.push_back(static_cast<int32_t>(left));
    taps[0].weight.push_back(1.0f - w);
    taps[1].index.push_back(static_cast<int32_t>(std::ceil(c)));
    taps[1].weight.push_back(w);
  }
  return taps;
}

std::vector<Tap> cubic_taps(int n, double scale, bool align_corners) {
  auto coords = source_coordinates(n, scale, align_corners);
  // Kernel at distance x: 1 - (a+3) x^2 + (a+2) x^3 for x <= 1 (the two
  // nearest samples), a (x^3 - 5 x^2 + 8 x - 4) for 1 < x < 2.
  auto near = [](float x) {
    return ((kCubicA + 2.0f) * x - (kCubicA + 3.0f)) * x * x + 1.0f;
  };
  auto far = [](float x) {
    return (((x - 5.0f) * x + 8.0f) * x - 4.0f) * kCubicA;
  };
  std::vector<Tap> taps(4);
  for (float c : coords) {
    float l1 = std::floor(c);
    float r1 = std::floor(c + 1.0f);
    float grids[4] = {l1 - 1.0f, l1, r1, r1 + 1.0f};
    for (int k = 0; k < 4; ++k) {
      float x = std::abs(c - grids[k]);
      taps[k].index.push_back(clip_index(grids[k], n));
      taps[k].weight.push_back(k == 1 || k == 2 ? near(x) : far(x));
    }
  }
  return taps;
}

void check_scales(
    const char* op, const array& x, const std::vector<double>& scale_factor) {
  int dims = static_cast<int>(x.ndim()) - 2;
  if (dims <= 0) {
    throw_error(
        "[",
        op,
        "] The input should have at least 1 spatial dimension, "
        "i.e. be at least 3-D (N, spatial..., C), but has shape ",
        x.shape(),
        ".");
  }
  if (static_cast<int>(scale_factor.size()) != dims) {
    throw_error(
        "[",
        op,
        "] One scale per spatial dimension is required, but got ",
        scale_factor.size(),
        " scale(s) for an input of shape ",
        x.shape(),
        " (",
        dims,
        " spatial dimension(s)).");
  }
}

// Sum over taps of take(y, index, axis) * weight, axis by axis.
array interpolate(
    const array& x,
    const std::vector<double>& scale_factor,
    bool align_corners,
    std::vector<Tap> (*taps_of)(int, double, bool)) {
  array y = x;
  int ndim = static_cast<int>(x.ndim());
  for (int axis = 1; axis < ndim - 1; ++axis) {
    auto taps = taps_of(x.shape(axis), scale_factor[axis - 1], align_corners);
    int m = static_cast<int>(taps[0].index.size());
    mx::Shape weight_shape(ndim, 1);
    weight_shape[axis] = m;
    std::optional<array> sum;
    for (auto& tap : taps) {
      array index(tap.index.begin(), {m}, mx::int32);
      array weight(tap.weight.begin(), weight_shape, mx::float32);
      array term = mx::multiply(mx::take(y, index, axis), weight);
      sum = sum ? mx::add(*sum, term) : term;
    }
    y = *sum;
  }
  return y;
}

} // namespace

array upsample_nearest(
    const array& x, const std::vector<double>& scale_factor) {
  check_scales("upsample_nearest", x, scale_factor);
  int dims = static_cast<int>(scale_factor.size());
  bool integer_scales =
      std::all_of(scale_factor.begin(), scale_factor.end(), [](double s) {
        return s == std::floor(s);
      });
  if (integer_scales) {
    // Repeat by broadcasting a size-1 axis after each spatial axis.
    mx::Shape expanded = {x.shape(0)};
    mx::Shape repeated = {x.shape(0)};
    mx::Shape result = {x.shape(0)};
    for (int d = 0; d < dims; ++d) {
      int n = x.shape(d + 1);
      int s = static_cast<int>(scale_factor[d]);
      expanded.insert(expanded.end(), {n, 1});
      repeated.insert(repeated.end(), {n, s});
      result.push_back(n * s);
    }
    for (auto* shape : {&expanded, &repeated, &result}) {
      shape->push_back(x.shape(-1));
    }
    return mx::reshape(
        mx::broadcast_to(mx::reshape(x, expanded), repeated), result);
  }
  array y = x;
  for (int d = 0; d < dims; ++d) {
    int n = x.shape(d + 1);
    int m = output_size(n, scale_factor[d]);
    float ratio = static_cast<float>(static_cast<double>(n) / m);
    std::vector<int32_t> index(m);
    for (int i = 0; i < m; ++i) {
      float c =
          m > n ? std::nearbyint((static_cast<float>(i) + 0.5f) * ratio - 0.5f)
                : static_cast<float>(i) * ratio;
      index[i] = static_cast<int32_t>(c);
    }
    y = mx::take(y, array(index.begin(), {m}, mx::int32), d + 1);
  }
  return y;
}

array upsample_linear(
    const array& x,
    const std::vector<double>& scale_factor,
    bool align_corners) {
  check_scales("upsample_linear", x, scale_factor);
  return interpolate(x, scale_factor, align_corners, linear_taps);
}

array upsample_cubic(
    const array& x,
    const std::vector<double>& scale_factor,
    bool align_corners) {
  check_scales("upsample_cubic", x, scale_factor);
  return interpolate(x, scale_factor, align_corners, cubic_taps);
}

Upsample::Upsample(
    double scale_factor, const std::string& mode, bool align_corners)
    : Upsample(std::vector<double>{scale_factor}, mode, align_corners) {
  single_scale_ = true;
}

Upsample::Upsample(
    std::vector<double> scale_factor,
    const std::string& mode,
    bool align_corners)
    : scale_factor_(std::move(scale_factor)), single_scale_(false), mode_(mode),
      align_corners_(align_corners) {
  if (mode != "nearest" && mode != "linear" && mode != "cubic") {
    throw_error(
        "[Upsample] Got unsupported upsampling algorithm: '",
        mode,
        "' (expected 'nearest', 'linear' or 'cubic').");
  }
  if (scale_factor_.empty()) {
    throw_error("[Upsample] scale_factor must not be empty.");
  }
  for (double s : scale_factor_) {
    if (!(s > 0) || !std::isfinite(s)) {
      throw_error("[Upsample] scale_factor must be positive, got ", s, ".");
    }
  }
}

std::string Upsample::describe() const {
  std::ostringstream os;
  os << "scale_factor=";
  if (single_scale_) {
    os << scale_factor_[0];
  } else {
    os << "(";
    for (size_t i = 0; i < scale_factor_.size(); ++i) {
      os << (i ? ", " : "") << scale_factor_[i];
    }
    os << ")";
  }
  os << ", mode='" << mode_
     << "', align_corners=" << (align_corners_ ? "true" : "false");
  return os.str();
}

array Upsample::operator()(const array& x) {
  int dims = static_cast<int>(x.ndim()) - 2;
  if (dims <= 0) {
    throw_error(
        "[Upsample] The input should have at least 1 spatial dimension, "
        "i.e. be at least 3-D (N, spatial..., C), but has shape ",
        x.shape(),
        ".");
  }
  std::vector<double> scales = scale_factor_;
  if (single_scale_) {
    scales.assign(dims, scale_factor_[0]);
  } else if (static_cast<int>(scales.size()) != dims) {
    throw_error(
        "[Upsample] One scale per spatial dimension is required, but got ",
        scales.size(),
        " scale(s) for an input of shape ",
        x.shape(),
        " (",
        dims,
        " spatial dimension(s)).");
  }
  if (mode_ == "nearest") {
    return upsample_nearest(x, scales);
  }
  if (mode_ == "linear") {
    return upsample_linear(x, scales, align_corners_);
  }
  return upsample_cubic(x, scales, align_corners_);
}

} // namespace mlx::nn
