// RNN, GRU and LSTM: one matrix product projects the whole input sequence,
// then a loop over time applies the hidden-state product and the gates.
#include "mlx/nn/layers/recurrent.h"

#include <cmath>
#include <sstream>
#include <vector>

#include "mlx/ops.h"
#include "mlx/random.h"
#include "mlx/utils.h"

namespace mlx::nn {

namespace mx = mlx::core;

namespace {

// MLX's initialization of every recurrent weight: U(-1/sqrt(H), 1/sqrt(H)).
array init_uniform(int hidden_size, const mx::Shape& shape) {
  float scale = 1.0f / std::sqrt(static_cast<float>(hidden_size));
  return mx::random::uniform(-scale, scale, shape);
}

void check_sizes(const char* layer, int input_size, int hidden_size) {
  if (input_size <= 0 || hidden_size <= 0) {
    mx::throw_error(
        "[",
        layer,
        "] input_size and hidden_size must be positive, got input_size=",
        input_size,
        " and hidden_size=",
        hidden_size,
        ".");
  }
}

// x must be (N, L, D) or (L, D) with D = input_size.
void check_input(const char* layer, const array& x, int input_size) {
  if ((x.ndim() != 2 && x.ndim() != 3) || x.shape(-1) != input_size) {
    mx::throw_error(
        "[",
        layer,
        "] Expected an input of shape (N, L, ",
        input_size,
        ") or (L, ",
        input_size,
        "), got ",
        x.shape(),
        ".");
  }
}

// Shape of one step's state: the input's shape without the time axis and
// with H features, broadcast with the initial states' shapes.
mx::Shape step_shape(
    const char* layer,
    const array& x,
    int hidden_size,
    std::initializer_list<std::pair<const char*, const std::optional<array>*>>
        states) {
  mx::Shape shape(x.shape().begin(), x.shape().end() - 2);
  shape.push_back(hidden_size);
  for (auto& [what, state] : states) {
    if (!state->has_value()) {
      continue;
    }
    const array& s = **state;
    bool ok = (s.ndim() == 1 || s.ndim() == 2) && s.shape(-1) == hidden_size;
    if (ok && s.ndim() == 2 && shape.size() == 2) {
      ok = s.shape(0) == shape[0] || s.shape(0) == 1;
    }
    if (!ok) {
      mx::throw_error(
          "[",
          layer,
          "] Expected the initial ",
          what,
          " state of shape (",
          hidden_size,
          ") or (N, ",
          hidden_size,
          ") matching the input ",
          x.shape(),
          ", got ",
          s.shape(),
          ".");
    }
    shape = mx::broadcast_shapes(shape, s.shape(), layer);
  }
  return shape;
}

// x @ W (+ b): the input projection of every time step at once.
array project_inputs(const array& x, const array& w, const array* b) {
  return b ? mx::addmm(*b, x, w) : mx::matmul(x, w);
}

// The states of all steps stacked along the time axis; an empty sequence
// gives (..., 0, H) zeros.
array stack_steps(
    const std::vector<array>& steps, const array& x, int hidden_size) {
  if (steps.empty()) {
    mx::Shape shape(x.shape().begin(), x.shape().end() - 1);
    shape.push_back(hidden_size);
    return mx::zeros(shape, x.dtype());
  }
  return mx::stack(steps, -2);
}

} // namespace

// ---------------------------------------------------------------- RNN

RNN::RNN(int input_size, int hidden_size, bool bias, Nonlinearity nonlinearity)
    : input_size_(input_size), hidden_size_(hidden_size),
      custom_nonlinearity_(static_cast<bool>(nonlinearity)),
      nonlinearity_(
          nonlinearity
              ? std::move(nonlinearity)
              : Nonlinearity([](const array& a) { return mx::tanh(a); })) {
  check_sizes("RNN", input_size, hidden_size);
  register_parameter(
      "Wxh", init_uniform(hidden_size, {input_size, hidden_size}));
  register_parameter(
      "Whh", init_uniform(hidden_size, {hidden_size, hidden_size}));
  if (bias) {
    register_parameter("bias", init_uniform(hidden_size, {hidden_size}));
  }
}

std::string RNN::describe() const {
  std::ostringstream os;
  os << "input_dims=" << input_size_ << ", hidden_size=" << hidden_size_
     << ", nonlinearity=" << (custom_nonlinearity_ ? "custom" : "tanh")
     << ", bias=" << (has_param("bias") ? "true" : "false");
  return os.str();
}

array RNN::operator()(const array& x) {
  return (*this)(x, std::nullopt);
}

array RNN::operator()(const array& x, const std::optional<array>& hidden) {
  check_input("RNN", x, input_size_);
  auto shape = step_shape("RNN", x, hidden_size_, {{"hidden", &hidden}});
  const array* b = has_param("bias") ? &param("bias") : nullptr;
  array xw = project_inputs(x, param("Wxh"), b);
  const array& whh = param("Whh");
  int time_axis = x.ndim() - 2;
  int length = x.shape(time_axis);

  std::optional<array> h;
  if (hidden) {
    h = mx::broadcast_to(*hidden, shape);
  }
  std::vector<array> steps;
  steps.reserve(length);
  for (int t = 0; t < length; ++t) {
    array xt = mx::take(xw, t, time_axis);
    // A zero initial state contributes nothing: skip its product.
    h = nonlinearity_(h ? mx::addmm(xt, *h, whh) : xt);
    steps.push_back(*h);
  }
  return stack_steps(steps, x, hidden_size_);
}

// ---------------------------------------------------------------- GRU

GRU::GRU(int input_size, int hidden_size, bool bias)
    : input_size_(input_size), hidden_size_(hidden_size) {
  check_sizes("GRU", input_size, hidden_size);
  register_parameter(
      "Wx", init_uniform(hidden_size, {input_size, 3 * hidden_size}));
  register_parameter(
      "Wh", init_uniform(hidden_size, {hidden_size, 3 * hidden_size}));
  if (bias) {
    register_parameter("b", init_uniform(hidden_size, {3 * hidden_size}));
    register_parameter("bhn", init_uniform(hidden_size, {hidden_size}));
  }
}

std::string GRU::describe() const {
  std::ostringstream os;
  os << "input_dims=" << input_size_ << ", hidden_size=" << hidden_size_
     << ", bias=" << (has_param("b") ? "true" : "false");
  return os.str();
}

array GRU::operator()(const array& x) {
  return (*this)(x, std::nullopt);
}

array GRU::operator()(const array& x, const std::optional<array>& hidden) {
  check_input("GRU", x, input_size_);
  auto shape = step_shape("GRU", x, hidden_size_, {{"hidden", &hidden}});
  bool bias = has_param("b");
  // b holds the r, z and n input biases; bhn sits inside r * (...).
  array xw = project_inputs(x, param("Wx"), bias ? &param("b") : nullptr);
  const array& wh = param("Wh");
  int time_axis = x.ndim() - 2;
  int length = x.shape(time_axis);
  int H = hidden_size_;
  // Column blocks [r z | n] of the projected inputs, for all steps.
  auto parts = mx::split(xw, mx::Shape{2 * H}, -1);
  array x_rz = parts[0];
  array x_n = parts[1];

  std::optional<array> h;
  if (hidden) {
    h = mx::broadcast_to(*hidden, shape);
  }
  std::vector<array> steps;
  steps.reserve(length);
  for (int t = 0; t < length; ++t) {
    array rz = mx::take(x_rz, t, time_axis);
    array n = mx::take(x_n, t, time_axis);
    std::optional<array> h_n; // h Wh_n + bhn
    if (h) {
      auto h_proj = mx::split(mx::matmul(*h, wh), mx::Shape{2 * H}, -1);
      rz = rz + h_proj[0];
      h_n = h_proj[1];
    }
    if (bias) {
      h_n = h_n ? *h_n + param("bhn") : param("bhn");
    }
    auto r_z = mx::split(mx::sigmoid(rz), 2, -1);
    const array& r = r_z[0];
    const array& z = r_z[1];
    if (h_n) {
      n = n + r * *h_n;
    }
    n = mx::tanh(n);
    // (1 - z) n + z h, written without a constant that would change dtype.
    h = h ? n + z * (*h - n) : n - z * n;
    steps.push_back(*h);
  }
  return stack_steps(steps, x, hidden_size_);
}

// ---------------------------------------------------------------- LSTM

LSTM::LSTM(int input_size, int hidden_size, bool bias)
    : input_size_(input_size), hidden_size_(hidden_size) {
  check_sizes("LSTM", input_size, hidden_size);
  register_parameter(
      "Wx", init_uniform(hidden_size, {input_size, 4 * hidden_size}));
  register_parameter(
      "Wh", init_uniform(hidden_size, {hidden_size, 4 * hidden_size}));
  if (bias) {
    register_parameter("bias", init_uniform(hidden_size, {4 * hidden_size}));
  }
}

std::string LSTM::describe() const {
  std::ostringstream os;
  os << "input_dims=" << input_size_ << ", hidden_size=" << hidden_size_
     << ", bias=" << (has_param("bias") ? "true" : "false");
  return os.str();
}

array LSTM::operator()(const array& x) {
  return (*this)(x, std::nullopt, std::nullopt).first;
}

std::pair<array, array> LSTM::operator()(
    const array& x,
    const std::optional<array>& hidden,
    const std::optional<array>& cell) {
  check_input("LSTM", x, input_size_);
  auto shape = step_shape(
      "LSTM", x, hidden_size_, {{"hidden", &hidden}, {"cell", &cell}});
  const array* b = has_param("bias") ? &param("bias") : nullptr;
  array xw = project_inputs(x, param("Wx"), b);
  const array& wh = param("Wh");
  int time_axis = x.ndim() - 2;
  int length = x.shape(time_axis);

  std::optional<array> h;
  std::optional<array> c;
  if (hidden) {
    h = mx::broadcast_to(*hidden, shape);
  }
  if (cell) {
    c = mx::broadcast_to(*cell, shape);
  }
  std::vector<array> hiddens;
  std::vector<array> cells;
  hiddens.reserve(length);
  cells.reserve(length);
  for (int t = 0; t < length; ++t) {
    array xt = mx::take(xw, t, time_axis);
    auto ifgo = mx::split(h ? mx::addmm(xt, *h, wh) : xt, 4, -1);
    array i = mx::sigmoid(ifgo[0]);
    array f = mx::sigmoid(ifgo[1]);
    array g = mx::tanh(ifgo[2]);
    array o = mx::sigmoid(ifgo[3]);
    c = c ? f * *c + i * g : i * g;
    h = o * mx::tanh(*c);
    hiddens.push_back(*h);
    cells.push_back(*c);
  }
  return {
      stack_steps(hiddens, x, hidden_size_),
      stack_steps(cells, x, hidden_size_)};
}

} // namespace mlx::nn
