#include "mlx/nn/layers/activations.h"

#include <sstream>

#include "mlx/nn/activations.h"
#include "mlx/ops.h"
#include "mlx/utils.h"

namespace mlx::nn {

namespace mx = mlx::core;

namespace {

template <typename T> std::string setting(const char* key, const T& value) {
  std::ostringstream os;
  os << key << "=" << value;
  return os.str();
}

} // namespace

// Qualified calls: mlx::core has functions of the same names (sigmoid,
// tanh, softmax) that argument-dependent lookup would also find.
array HardTanh::operator()(const array& x) {
  return nn::hard_tanh(x);
}
array Hardswish::operator()(const array& x) {
  return nn::hardswish(x);
}
array LogSigmoid::operator()(const array& x) {
  return nn::log_sigmoid(x);
}
array LogSoftmax::operator()(const array& x) {
  return nn::log_softmax(x);
}
array Mish::operator()(const array& x) {
  return nn::mish(x);
}
array ReLU::operator()(const array& x) {
  return nn::relu(x);
}
array ReLU2::operator()(const array& x) {
  return nn::relu2(x);
}
array ReLU6::operator()(const array& x) {
  return nn::relu6(x);
}
array SELU::operator()(const array& x) {
  return nn::selu(x);
}
array SiLU::operator()(const array& x) {
  return nn::silu(x);
}
array Sigmoid::operator()(const array& x) {
  return nn::sigmoid(x);
}
array Softmin::operator()(const array& x) {
  return nn::softmin(x);
}
array Softsign::operator()(const array& x) {
  return nn::softsign(x);
}
array Softmax::operator()(const array& x) {
  return nn::softmax(x);
}
array Softplus::operator()(const array& x) {
  return nn::softplus(x);
}
array Tanh::operator()(const array& x) {
  return nn::tanh(x);
}

std::string CELU::describe() const {
  return setting("alpha", alpha_);
}
array CELU::operator()(const array& x) {
  return nn::celu(x, alpha_);
}

std::string ELU::describe() const {
  return setting("alpha", alpha_);
}
array ELU::operator()(const array& x) {
  return nn::elu(x, alpha_);
}

GELU::GELU(const std::string& approx) : approx_(approx) {
  if (approx != "none" && approx != "precise" && approx != "tanh" &&
      approx != "fast") {
    mx::throw_error(
        "[GELU] The approximation should be one of 'none', 'precise', "
        "'tanh' or 'fast' but '",
        approx,
        "' was given.");
  }
}
std::string GELU::describe() const {
  return setting("approx", approx_);
}
array GELU::operator()(const array& x) {
  if (approx_ == "none") {
    return nn::gelu(x);
  }
  if (approx_ == "fast") {
    return nn::gelu_fast_approx(x);
  }
  return nn::gelu_approx(x); // "precise" and "tanh"
}

std::string GLU::describe() const {
  return setting("axis", axis_);
}
array GLU::operator()(const array& x) {
  return nn::glu(x, axis_);
}

std::string HardShrink::describe() const {
  return setting("lambd", lambd_);
}
array HardShrink::operator()(const array& x) {
  return nn::hard_shrink(x, lambd_);
}

std::string LeakyReLU::describe() const {
  return setting("negative_slope", negative_slope_);
}
array LeakyReLU::operator()(const array& x) {
  return nn::leaky_relu(x, negative_slope_);
}

PReLU::PReLU(int num_parameters, float init) {
  if (num_parameters < 1) {
    mx::throw_error(
        "[PReLU] num_parameters must be positive, got ", num_parameters, ".");
  }
  register_parameter("weight", mx::full({num_parameters}, init));
}
std::string PReLU::describe() const {
  return setting("num_parameters", param("weight").size());
}
array PReLU::operator()(const array& x) {
  const array& w = param("weight");
  if (w.size() != 1 && (x.ndim() == 0 || x.shape(-1) != w.shape(-1))) {
    mx::throw_error(
        "[PReLU] ",
        w.size(),
        " parameters need an input whose last (channel) dimension is ",
        w.size(),
        ", got shape ",
        x.shape(),
        ".");
  }
  return nn::prelu(x, w);
}

std::string Softshrink::describe() const {
  return setting("lambd", lambd_);
}
array Softshrink::operator()(const array& x) {
  return nn::softshrink(x, lambd_);
}

std::string Step::describe() const {
  return setting("threshold", threshold_);
}
array Step::operator()(const array& x) {
  return nn::step(x, threshold_);
}

} // namespace mlx::nn
