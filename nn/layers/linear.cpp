#include "mlx/nn/layers/linear.h"

#include <cmath>
#include <sstream>

#include "mlx/ops.h"
#include "mlx/random.h"
#include "mlx/utils.h"

namespace mlx::nn {

namespace mx = mlx::core;
using mx::throw_error;

namespace {

// U(-scale, scale) samples, scale = 1 / sqrt(fan_in), MLX's default init.
array uniform_init(const mx::Shape& shape, int fan_in) {
  float scale = 1.0f / std::sqrt(static_cast<float>(fan_in));
  return mx::random::uniform(-scale, scale, shape);
}

void check_dims(const char* layer, std::initializer_list<int> dims) {
  for (int d : dims) {
    if (d < 0) {
      throw_error(
          "[", layer, "] Dimensions must be non-negative, got ", d, ".");
    }
  }
}

} // namespace

Linear::Linear(int input_dims, int output_dims, bool bias) {
  check_dims("Linear", {input_dims, output_dims});
  register_parameter(
      "weight", uniform_init({output_dims, input_dims}, input_dims));
  if (bias) {
    register_parameter("bias", uniform_init({output_dims}, input_dims));
  }
}

Linear::Linear(array weight, std::optional<array> bias) {
  if (weight.ndim() != 2) {
    throw_error(
        "[Linear] Expected a weight of shape (output_dims, input_dims), got ",
        weight.shape(),
        ".");
  }
  if (bias && (bias->ndim() != 1 || bias->shape(0) != weight.shape(0))) {
    throw_error(
        "[Linear] Expected a bias of shape ",
        mx::Shape{weight.shape(0)},
        " for a weight of shape ",
        weight.shape(),
        ", got ",
        bias->shape(),
        ".");
  }
  register_parameter("weight", std::move(weight));
  if (bias) {
    register_parameter("bias", std::move(*bias));
  }
}

std::string Linear::describe() const {
  const array& w = param("weight");
  std::ostringstream os;
  os << "input_dims=" << w.shape(1) << ", output_dims=" << w.shape(0)
     << ", bias=" << (has_param("bias") ? "true" : "false");
  return os.str();
}

array Linear::operator()(const array& x) {
  const array& w = param("weight");
  if (x.ndim() == 0 || x.shape(-1) != w.shape(1)) {
    throw_error(
        "[Linear] The input's last dimension must be input_dims=",
        w.shape(1),
        " but the input has shape ",
        x.shape(),
        " (weight shape ",
        w.shape(),
        ").");
  }
  array wt = mx::transpose(w);
  if (has_param("bias")) {
    return mx::addmm(param("bias"), x, wt);
  }
  return mx::matmul(x, wt);
}

Bilinear::Bilinear(
    int input1_dims, int input2_dims, int output_dims, bool bias) {
  check_dims("Bilinear", {input1_dims, input2_dims, output_dims});
  register_parameter(
      "weight",
      uniform_init({output_dims, input2_dims, input1_dims}, input1_dims));
  if (bias) {
    register_parameter("bias", uniform_init({output_dims}, input1_dims));
  }
}

std::string Bilinear::describe() const {
  const array& w = param("weight");
  std::ostringstream os;
  os << "input1_dims=" << w.shape(2) << ", input2_dims=" << w.shape(1)
     << ", output_dims=" << w.shape(0)
     << ", bias=" << (has_param("bias") ? "true" : "false");
  return os.str();
}

array Bilinear::operator()(const array& x1, const array& x2) {
  const array& w = param("weight");
  int out = w.shape(0);
  int in2 = w.shape(1);
  int in1 = w.shape(2);
  mx::Shape lead1(x1.shape().begin(), x1.shape().end() - (x1.ndim() ? 1 : 0));
  mx::Shape lead2(x2.shape().begin(), x2.shape().end() - (x2.ndim() ? 1 : 0));
  if (x1.ndim() == 0 || x2.ndim() == 0 || x1.shape(-1) != in1 ||
      x2.shape(-1) != in2 || lead1 != lead2) {
    throw_error(
        "[Bilinear] Expected inputs of shapes (..., ",
        in1,
        ") and (..., ",
        in2,
        ") with the same leading dimensions, got ",
        x1.shape(),
        " and ",
        x2.shape(),
        " (weight shape ",
        w.shape(),
        ").");
  }
  int rows = 1;
  for (int d : lead1) {
    rows *= d;
  }
  // (rows, in1) @ (in1, out * in2) gives x1^T W_i for every i at once; the
  // product with x2 then contracts in2.
  array y = mx::matmul(
      mx::reshape(x1, {rows, in1}),
      mx::transpose(mx::reshape(w, {out * in2, in1})));
  y = mx::matmul(
      mx::reshape(y, {rows, out, in2}), mx::reshape(x2, {rows, in2, 1}));
  mx::Shape out_shape = lead1;
  out_shape.push_back(out);
  y = mx::reshape(y, out_shape);
  if (has_param("bias")) {
    y = mx::add(y, param("bias"));
  }
  return y;
}

} // namespace mlx::nn
