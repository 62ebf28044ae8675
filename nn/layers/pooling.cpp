#include "mlx/nn/layers/pooling.h"

#include <limits>
#include <sstream>

#include "mlx/ops.h"
#include "mlx/utils.h"

namespace mlx::nn {

namespace mx = mlx::core;
using mx::throw_error;

namespace {

std::string tuple_str(const std::vector<int>& v) {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < v.size(); ++i) {
    os << (i ? ", " : "") << v[i];
  }
  os << (v.size() == 1 ? ",)" : ")");
  return os.str();
}

// The value max pooling pads with: -inf, or the lowest integer.
array lowest_value(mx::Dtype dtype) {
  return mx::detail::dispatch_dtype(dtype, [&](auto tag) -> array {
    using T = decltype(tag);
    if constexpr (std::is_integral_v<T>) {
      return array(std::numeric_limits<T>::lowest(), dtype);
    } else {
      return mx::astype(array(-std::numeric_limits<float>::infinity()), dtype);
    }
  });
}

} // namespace

Pool::Pool(
    const char* layer,
    Kind kind,
    int dims,
    std::vector<int> kernel_size,
    std::vector<int> stride,
    std::vector<int> padding)
    : layer_(layer), kind_(kind), kernel_size_(std::move(kernel_size)),
      stride_(stride.empty() ? kernel_size_ : std::move(stride)),
      padding_(
          padding.empty() ? std::vector<int>(dims, 0) : std::move(padding)) {
  // One value stands for every axis, so that MaxPool2d{2} (brace
  // initialization picks the list constructor) means MaxPool2d(2).
  for (auto* v : {&kernel_size_, &stride_, &padding_}) {
    if (v->size() == 1 && dims > 1) {
      v->assign(dims, v->front());
    }
  }
  auto check_length = [&](const char* key, const std::vector<int>& v) {
    if (static_cast<int>(v.size()) != dims) {
      throw_error(
          "[",
          layer_,
          "] '",
          key,
          "' must be an integer or a tuple of ",
          dims,
          dims == 1 ? " integer" : " integers",
          " but got ",
          tuple_str(v),
          ".");
    }
  };
  check_length("kernel_size", kernel_size_);
  check_length("stride", stride_);
  check_length("padding", padding_);
  for (auto [key, values] :
       {std::pair{"kernel_size", &kernel_size_},
        std::pair{"stride", &stride_}}) {
    for (int v : *values) {
      if (v <= 0) {
        throw_error(
            "[",
            layer_,
            "] '",
            key,
            "' must be positive but got ",
            tuple_str(*values),
            ".");
      }
    }
  }
  for (int p : padding_) {
    if (p < 0) {
      throw_error(
          "[",
          layer_,
          "] 'padding' must be non-negative but got ",
          tuple_str(padding_),
          ".");
    }
  }
}

Pool::Pool(
    const char* layer,
    Kind kind,
    int dims,
    int kernel_size,
    std::optional<int> stride,
    int padding)
    : Pool(
          layer,
          kind,
          dims,
          std::vector<int>(dims, kernel_size),
          std::vector<int>(dims, stride.value_or(kernel_size)),
          std::vector<int>(dims, padding)) {}

std::string Pool::describe() const {
  return "kernel_size=" + tuple_str(kernel_size_) +
         ", stride=" + tuple_str(stride_) + ", padding=" + tuple_str(padding_);
}

array Pool::operator()(const array& x) {
  int dims = static_cast<int>(kernel_size_.size());
  if (static_cast<int>(x.ndim()) != dims + 2) {
    throw_error(
        "[",
        layer_,
        "] Expected a ",
        dims + 2,
        "-D input (N, spatial..., C) with ",
        dims,
        " spatial dimension(s), got shape ",
        x.shape(),
        ".");
  }
  array y = x;
  bool padded = false;
  for (int p : padding_) {
    padded |= p > 0;
  }
  if (padded) {
    std::vector<int> axes(dims);
    for (int i = 0; i < dims; ++i) {
      axes[i] = i + 1;
    }
    array value =
        kind_ == Kind::Max ? lowest_value(x.dtype()) : array(0, x.dtype());
    y = mx::pad(y, axes, padding_, padding_, value);
  }

  mx::Shape out_sizes(dims);
  bool non_overlapping = true;
  for (int i = 0; i < dims; ++i) {
    int size = y.shape(i + 1);
    if (size < kernel_size_[i]) {
      throw_error(
          "[",
          layer_,
          "] The window ",
          tuple_str(kernel_size_),
          " is larger than the padded input's spatial size along axis ",
          i + 1,
          " (input shape ",
          x.shape(),
          ", padding ",
          tuple_str(padding_),
          ").");
    }
    out_sizes[i] = (size - kernel_size_[i]) / stride_[i] + 1;
    non_overlapping &=
        kernel_size_[i] == stride_[i] && size % kernel_size_[i] == 0;
  }

  std::vector<int> window_axes;
  if (non_overlapping) {
    // Windows tile the input: (N, s1/k1, k1, s2/k2, k2, ..., C) is a plain
    // reshape, and the window axes are 2, 4, ...
    mx::Shape shape = {y.shape(0)};
    for (int i = 0; i < dims; ++i) {
      shape.push_back(out_sizes[i]);
      shape.push_back(kernel_size_[i]);
      window_axes.push_back(2 + 2 * i);
    }
    shape.push_back(y.shape(-1));
    y = mx::reshape(y, shape);
  } else {
    // (N, out..., kernel..., C) over the row-contiguous padded input.
    mx::Strides in_strides(y.ndim());
    int64_t step = 1;
    for (int d = static_cast<int>(y.ndim()) - 1; d >= 0; --d) {
      in_strides[d] = step;
      step *= y.shape(d);
    }
    mx::Shape shape = {y.shape(0)};
    mx::Strides strides = {in_strides[0]};
    for (int i = 0; i < dims; ++i) {
      shape.push_back(out_sizes[i]);
      strides.push_back(in_strides[i + 1] * stride_[i]);
    }
    for (int i = 0; i < dims; ++i) {
      shape.push_back(kernel_size_[i]);
      strides.push_back(in_strides[i + 1]);
      window_axes.push_back(1 + dims + i);
    }
    shape.push_back(y.shape(-1));
    strides.push_back(1);
    y = mx::as_strided(y, shape, strides, 0);
  }
  return kind_ == Kind::Max ? mx::max(y, window_axes)
                            : mx::mean(y, window_axes);
}

} // namespace mlx::nn
