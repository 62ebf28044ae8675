// Recurrent layers of mlx.nn: RNN (Elman), GRU and LSTM.
//
// Inputs are sequences of shape (N, L, D) (batched) or (L, D): N the batch,
// L the sequence length, D = input_size. The hidden (and cell) states have
// shape (N, H) or (H,), H = hidden_size; a missing initial state is zero.
// Each layer returns the state after every step, (N, L, H) or (L, H).
//
// Weights are stored input-major as MLX does (x @ Wx, not x @ Wx^T) and
// initialized uniform in [-1/sqrt(H), 1/sqrt(H)) with mlx::core::random.
// The input projection of all L steps is one matrix product; only the
// hidden-state product runs step by step.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "mlx/nn/module.h"

namespace mlx::nn {

/**
 * Elman RNN: h_{t+1} = nonlinearity(x_t Wxh + h_t Whh + bias).
 * Parameters: Wxh (D, H), Whh (H, H), bias (H) when bias is true.
 * nonlinearity defaults (nullptr) to tanh.
 */
class RNN : public Module {
public:
  using Nonlinearity = std::function<array(const array&)>;

  RNN(int input_size,
      int hidden_size,
      bool bias = true,
      Nonlinearity nonlinearity = nullptr);

  std::string name() const override { return "RNN"; }
  std::string describe() const override;

  /** All hidden states from a zero initial state. */
  array operator()(const array& x) override;
  /** All hidden states from `hidden` ((N, H) or (H,)) when given. */
  array operator()(const array& x, const std::optional<array>& hidden);

  int input_size() const { return input_size_; }
  int hidden_size() const { return hidden_size_; }

private:
  int input_size_;
  int hidden_size_;
  bool custom_nonlinearity_;
  Nonlinearity nonlinearity_;
};

/**
 * Gated recurrent unit, gates in the order r, z, n along the 3H axis:
 *   r = sigmoid(x Wx_r + h Wh_r + b_r),  z = sigmoid(x Wx_z + h Wh_z + b_z),
 *   n = tanh(x Wx_n + b_n + r * (h Wh_n + bhn)),  h' = (1 - z) n + z h.
 * Parameters: Wx (D, 3H), Wh (H, 3H), and with bias b (3H), bhn (H).
 */
class GRU : public Module {
public:
  GRU(int input_size, int hidden_size, bool bias = true);

  std::string name() const override { return "GRU"; }
  std::string describe() const override;

  array operator()(const array& x) override;
  array operator()(const array& x, const std::optional<array>& hidden);

  int input_size() const { return input_size_; }
  int hidden_size() const { return hidden_size_; }

private:
  int input_size_;
  int hidden_size_;
};

/**
 * LSTM, gates in the order i, f, g, o along the 4H axis:
 *   [i f g o] = x Wx + h Wh + bias,  c' = sigmoid(f) c + sigmoid(i) tanh(g),
 *   h' = sigmoid(o) tanh(c').
 * Parameters: Wx (D, 4H), Wh (H, 4H), bias (4H) when bias is true.
 */
class LSTM : public Module {
public:
  LSTM(int input_size, int hidden_size, bool bias = true);

  std::string name() const override { return "LSTM"; }
  std::string describe() const override;

  /** The hidden states (N, L, H) or (L, H) from zero initial states; the
   * cell states are dropped (use the three-argument call to get them). */
  array operator()(const array& x) override;
  /** (hidden states, cell states), both (N, L, H) or (L, H), from the
   * given initial hidden and cell states ((N, H) or (H,); zero if absent).
   */
  std::pair<array, array> operator()(
      const array& x,
      const std::optional<array>& hidden,
      const std::optional<array>& cell);

  int input_size() const { return input_size_; }
  int hidden_size() const { return hidden_size_; }

private:
  int input_size_;
  int hidden_size_;
};

} // namespace mlx::nn
