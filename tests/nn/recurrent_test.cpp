// nn::RNN, nn::GRU, nn::LSTM: parameters, values against PyTorch 1.13,
// batching and initial states, gradients against finite differences, and
// errors.
//
// Expected values: PyTorch 1.13 (float64) with the same weights: torch
// keeps weight_ih = Wx^T and weight_hh = Wh^T with MLX's gate orders
// (GRU r z n, LSTM i f g o); bias_ih = MLX's input bias, bias_hh = 0 except
// GRU's n block = bhn. Every tensor is `pattern(shape, offset, amp)` below:
//   amp * sin(0.37 * arange(size) + offset).reshape(shape)
// with N, L, D, H = 2, 3, 3, 2; x = pattern((N, L, D), 0.1, 1.5),
// h0 = pattern((N, H), 0.9), c0 = pattern((N, H), 2.3).
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "grad_check.h"
#include "mlx/mlx.h"
#include "mlx/nn/activations.h"
#include "mlx/nn/layers/recurrent.h"
#include "mlx/nn/module.h"
#include "test_utils.h"

namespace nn = mlx::nn;
using mx::array;

namespace {

constexpr int N = 2, L = 3, D = 3, H = 2;

array pattern(const mx::Shape& shape, double offset, double amp = 0.5) {
  size_t n = 1;
  for (int d : shape) {
    n *= d;
  }
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i) {
    v[i] = amp * std::sin(0.37 * static_cast<double>(i) + offset);
  }
  return array(v.begin(), shape, mx::float64);
}

array input() {
  return pattern({N, L, D}, 0.1, 1.5);
}
array hidden0() {
  return pattern({N, H}, 0.9);
}
array cell0() {
  return pattern({N, H}, 2.3);
}

// Weights shared by every value test: Wx-like (D, G*H) at 0.2, Wh-like
// (H, G*H) at 0.4, input bias (G*H) at 0.6, GRU's bhn (H) at 0.8.
void set_rnn_weights(nn::RNN& rnn) {
  rnn.set_param("Wxh", pattern({D, H}, 0.2));
  rnn.set_param("Whh", pattern({H, H}, 0.4));
  if (rnn.has_param("bias")) {
    rnn.set_param("bias", pattern({H}, 0.6));
  }
}
void set_gru_weights(nn::GRU& gru) {
  gru.set_param("Wx", pattern({D, 3 * H}, 0.2));
  gru.set_param("Wh", pattern({H, 3 * H}, 0.4));
  if (gru.has_param("b")) {
    gru.set_param("b", pattern({3 * H}, 0.6));
    gru.set_param("bhn", pattern({H}, 0.8));
  }
}
void set_lstm_weights(nn::LSTM& lstm) {
  lstm.set_param("Wx", pattern({D, 4 * H}, 0.2));
  lstm.set_param("Wh", pattern({H, 4 * H}, 0.4));
  if (lstm.has_param("bias")) {
    lstm.set_param("bias", pattern({4 * H}, 0.6));
  }
}

constexpr double kTol = 1e-10;

// Expected states, (N, L, H) row-major, from PyTorch as described at the
// top of this file.
// clang-format off
const std::vector<double> kLstmZeroStateHidden = {
    0.197010802734, 0.176264418176, 0.39470775939, 0.353692030286, 0.397707128108, 0.342263830693,
    0.0160410583136, -0.0174365713434, -0.0302478376316, -0.0635327084757, 0.0576205782988, 0.0137830311258};
const std::vector<double> kRnnZeroState = {
    0.809870019002, 0.855577199706, 0.978724869535, 0.993234620812, 0.876000683765, 0.957555721049,
    -0.646448854994, -0.614457691385, -0.903693047706, -0.94572333081, -0.453857282577, -0.623762768361};
const std::vector<double> kRnnHidden = {
    0.889571969304, 0.929030652699, 0.980687539062, 0.994049792368, 0.876175616111, 0.957646189344,
    -0.435329348188, -0.306411173015, -0.864514996554, -0.915812407107, -0.436849181336, -0.606000532207};
const std::vector<double> kRnnNoBiasHidden = {
    0.813587312061, 0.845118594388, 0.962585921775, 0.984510396696, 0.78904021601, 0.903914697796,
    -0.634417399416, -0.62246711135, -0.944222415296, -0.975834005853, -0.660353401389, -0.825141581228};
const std::vector<double> kRnnReluHidden = {
    1.41987080414, 1.65126242378, 2.74660042285, 3.45227697006, 2.81971642848, 3.75821971586,
    0, 0, 0, 0, 0.116067687798, 0.0553935522726};
const std::vector<double> kGruZeroState = {
    0.164954035991, 0.185965258661, 0.328914385887, 0.331102084235, 0.446230329834, 0.428607268661,
    0.214009299076, 0.193711967707, 0.319779975834, 0.290764100503, 0.316920479709, 0.314622878678};
const std::vector<double> kGruHidden = {
    0.377105416692, 0.435295724156, 0.461407313473, 0.48534780606, 0.540855857802, 0.536936951792,
    0.560542681861, 0.500845989591, 0.545557456789, 0.480170899974, 0.454697907423, 0.422849426339};
const std::vector<double> kGruNoBiasHidden = {
    0.0303615683083, 0.11479957512, 0.0413637873936, 0.0906953791801, 0.142092321458, 0.129352468138,
    0.400734391889, 0.303468028924, 0.163130163213, 0.0940064790307, -0.105295759869, -0.0725987580763};
const std::vector<double> kLstmZeroStateCells = {
    0.336762179625, 0.333096288654, 0.697340813687, 0.727080178924, 0.851406611077, 0.830819971006,
    0.0354628454918, -0.0406558314173, -0.071283018157, -0.151770506658, 0.110106133605, 0.0278143512735};
const std::vector<double> kLstmHidden = {
    0.302829959883, 0.230320643942, 0.461039369478, 0.387919282972, 0.43390292569, 0.363135968168,
    0.0327517153489, -0.0491888670141, -0.0164792351686, -0.075507302299, 0.0710415877532, 0.00839456569136};
const std::vector<double> kLstmCells = {
    0.563259608226, 0.45898600386, 0.870857932567, 0.832183940052, 0.979891065803, 0.913172843196,
    0.0733906512753, -0.117588468755, -0.0384694800559, -0.180265523109, 0.135563724733, 0.0169120299261};
// clang-format on

std::string printed(const nn::Module& m) {
  std::ostringstream os;
  os << m;
  return os.str();
}

} // namespace

// ---------------------------------------------------------------- shapes

TEST(RecurrentTest, ParameterNamesShapesAndInitRange) {
  mx::random::seed(3);
  nn::RNN rnn(5, 4);
  EXPECT_EQ(rnn.param("Wxh").shape(), (mx::Shape{5, 4}));
  EXPECT_EQ(rnn.param("Whh").shape(), (mx::Shape{4, 4}));
  EXPECT_EQ(rnn.param("bias").shape(), (mx::Shape{4}));
  EXPECT_EQ(rnn.parameters().size(), 3u);
  EXPECT_FALSE(nn::RNN(5, 4, false).has_param("bias"));

  nn::GRU gru(5, 4);
  EXPECT_EQ(gru.param("Wx").shape(), (mx::Shape{5, 12}));
  EXPECT_EQ(gru.param("Wh").shape(), (mx::Shape{4, 12}));
  EXPECT_EQ(gru.param("b").shape(), (mx::Shape{12}));
  EXPECT_EQ(gru.param("bhn").shape(), (mx::Shape{4}));
  nn::GRU gru_nb(5, 4, false);
  EXPECT_EQ(gru_nb.parameters().size(), 2u);

  nn::LSTM lstm(5, 4);
  EXPECT_EQ(lstm.param("Wx").shape(), (mx::Shape{5, 16}));
  EXPECT_EQ(lstm.param("Wh").shape(), (mx::Shape{4, 16}));
  EXPECT_EQ(lstm.param("bias").shape(), (mx::Shape{16}));
  EXPECT_FALSE(nn::LSTM(5, 4, false).has_param("bias"));

  // U(-1/sqrt(H), 1/sqrt(H)) with H = 4: within +-0.5, float32.
  for (auto& [path, w] : mlx::utils::tree_flatten(lstm.parameters())) {
    EXPECT_EQ(w.dtype(), mx::float32) << path;
    EXPECT_LE(mx::max(mx::abs(w)).item<float>(), 0.5f) << path;
    EXPECT_GT(mx::max(mx::abs(w)).item<float>(), 0.3f) << path;
  }
}

TEST(RecurrentTest, Printing) {
  EXPECT_EQ(
      printed(nn::RNN(3, 2)),
      "RNN(input_dims=3, hidden_size=2, nonlinearity=tanh, bias=true)");
  EXPECT_EQ(
      printed(nn::GRU(3, 2, false)),
      "GRU(input_dims=3, hidden_size=2, bias=false)");
  EXPECT_EQ(
      printed(nn::LSTM(3, 2)), "LSTM(input_dims=3, hidden_size=2, bias=true)");
}

// ---------------------------------------------------------------- values

TEST(RecurrentTest, RNNMatchesTorch) {
  nn::RNN rnn(D, H);
  set_rnn_weights(rnn);
  expect_array_near(rnn(input()), kRnnZeroState, {N, L, H}, kTol, kTol);
  auto out = rnn(input(), hidden0());
  EXPECT_EQ(out.dtype(), mx::float64);
  expect_array_near(out, kRnnHidden, {N, L, H}, kTol, kTol);

  nn::RNN no_bias(D, H, false);
  set_rnn_weights(no_bias);
  expect_array_near(
      no_bias(input(), hidden0()), kRnnNoBiasHidden, {N, L, H}, kTol, kTol);
}

TEST(RecurrentTest, RNNCustomNonlinearity) {
  nn::RNN rnn(D, H, true, [](const array& a) { return nn::relu(a); });
  set_rnn_weights(rnn);
  EXPECT_EQ(
      rnn.describe(),
      "input_dims=3, hidden_size=2, nonlinearity=custom, bias=true");
  // torch.nn.RNN(nonlinearity="relu").
  expect_array_near(
      rnn(input(), hidden0()), kRnnReluHidden, {N, L, H}, kTol, kTol);
}

TEST(RecurrentTest, GRUMatchesTorch) {
  nn::GRU gru(D, H);
  set_gru_weights(gru);
  expect_array_near(gru(input()), kGruZeroState, {N, L, H}, kTol, kTol);
  expect_array_near(gru(input(), hidden0()), kGruHidden, {N, L, H}, kTol, kTol);

  nn::GRU no_bias(D, H, false);
  set_gru_weights(no_bias);
  expect_array_near(
      no_bias(input(), hidden0()), kGruNoBiasHidden, {N, L, H}, kTol, kTol);
}

TEST(RecurrentTest, LSTMMatchesTorch) {
  nn::LSTM lstm(D, H);
  set_lstm_weights(lstm);
  auto [hs, cs] = lstm(input(), std::nullopt, std::nullopt);
  expect_array_near(hs, kLstmZeroStateHidden, {N, L, H}, kTol, kTol);
  expect_array_near(cs, kLstmZeroStateCells, {N, L, H}, kTol, kTol);
  // The one-input call gives the hidden states only.
  expect_array_near(lstm(input()), kLstmZeroStateHidden, {N, L, H}, kTol, kTol);

  auto [hs2, cs2] = lstm(input(), hidden0(), cell0());
  expect_array_near(hs2, kLstmHidden, {N, L, H}, kTol, kTol);
  expect_array_near(cs2, kLstmCells, {N, L, H}, kTol, kTol);
}

// ---------------------------------------------------------------- batching

TEST(RecurrentTest, UnbatchedInputMatchesEachBatchRow) {
  nn::GRU gru(D, H);
  set_gru_weights(gru);
  nn::LSTM lstm(D, H);
  set_lstm_weights(lstm);
  auto batched = gru(input(), hidden0());
  auto [lh, lc] = lstm(input(), hidden0(), cell0());
  for (int n = 0; n < N; ++n) {
    auto x = mx::take(input(), n, 0);
    auto h = mx::take(hidden0(), n, 0);
    auto one = gru(x, h);
    EXPECT_EQ(one.shape(), (mx::Shape{L, H}));
    EXPECT_TRUE(
        mx::allclose(one, mx::take(batched, n, 0), 1e-12, 1e-12).item<bool>());
    auto [h1, c1] = lstm(x, h, mx::take(cell0(), n, 0));
    EXPECT_TRUE(
        mx::allclose(h1, mx::take(lh, n, 0), 1e-12, 1e-12).item<bool>());
    EXPECT_TRUE(
        mx::allclose(c1, mx::take(lc, n, 0), 1e-12, 1e-12).item<bool>());
  }
}

TEST(RecurrentTest, OneDimensionalHiddenBroadcastsOverTheBatch) {
  nn::RNN rnn(D, H);
  set_rnn_weights(rnn);
  auto h = pattern({H}, 0.9);
  auto out = rnn(input(), h);
  auto expected = rnn(input(), mx::broadcast_to(h, {N, H}));
  EXPECT_EQ(out.shape(), (mx::Shape{N, L, H}));
  EXPECT_TRUE(mx::allclose(out, expected, 1e-12, 1e-12).item<bool>());
}

TEST(RecurrentTest, NonContiguousInput) {
  nn::LSTM lstm(D, H);
  set_lstm_weights(lstm);
  // The same values through a transposed view.
  auto x_t = mx::transpose(
      mx::contiguous(mx::transpose(input(), {1, 0, 2})), {1, 0, 2});
  EXPECT_TRUE(
      mx::allclose(lstm(x_t), lstm(input()), 1e-12, 1e-12).item<bool>());
}

TEST(RecurrentTest, EmptySequence) {
  nn::GRU gru(D, H);
  auto out = gru(mx::zeros({N, 0, D}));
  EXPECT_EQ(out.shape(), (mx::Shape{N, 0, H}));
  nn::LSTM lstm(D, H);
  auto [hs, cs] = lstm(mx::zeros({0, D}), std::nullopt, std::nullopt);
  EXPECT_EQ(hs.shape(), (mx::Shape{0, H}));
  EXPECT_EQ(cs.shape(), (mx::Shape{0, H}));
}

TEST(RecurrentTest, Float32WeightsAndInput) {
  nn::GRU gru(D, H);
  set_gru_weights(gru);
  gru.set_dtype(mx::float32);
  auto out = gru(mx::astype(input(), mx::float32));
  EXPECT_EQ(out.dtype(), mx::float32);
  expect_array_near(out, kGruZeroState, {N, L, H}, 1e-5, 1e-6);
}

// ---------------------------------------------------------------- gradients

TEST(RecurrentTest, RNNGradients) {
  nn::RNN rnn(D, H);
  mlx_test::check_grads(
      "RNN",
      [&](const std::vector<array>& a) {
        rnn.set_param("Wxh", a[2]);
        rnn.set_param("Whh", a[3]);
        rnn.set_param("bias", a[4]);
        return std::vector<array>{rnn(a[0], a[1])};
      },
      {input(),
       hidden0(),
       pattern({D, H}, 0.2),
       pattern({H, H}, 0.4),
       pattern({H}, 0.6)});
}

TEST(RecurrentTest, GRUGradients) {
  nn::GRU gru(D, H);
  mlx_test::check_grads(
      "GRU",
      [&](const std::vector<array>& a) {
        gru.set_param("Wx", a[2]);
        gru.set_param("Wh", a[3]);
        gru.set_param("b", a[4]);
        gru.set_param("bhn", a[5]);
        return std::vector<array>{gru(a[0], a[1])};
      },
      {input(),
       hidden0(),
       pattern({D, 3 * H}, 0.2),
       pattern({H, 3 * H}, 0.4),
       pattern({3 * H}, 0.6),
       pattern({H}, 0.8)});
  // Without an initial state (the first step skips the hidden product).
  mlx_test::check_grads(
      "GRU zero state",
      [&](const std::vector<array>& a) {
        gru.set_param("bhn", a[1]);
        return std::vector<array>{gru(a[0])};
      },
      {input(), pattern({H}, 0.8)});
}

TEST(RecurrentTest, LSTMGradients) {
  nn::LSTM lstm(D, H);
  mlx_test::check_grads(
      "LSTM",
      [&](const std::vector<array>& a) {
        lstm.set_param("Wx", a[3]);
        lstm.set_param("Wh", a[4]);
        lstm.set_param("bias", a[5]);
        auto [hs, cs] = lstm(a[0], a[1], a[2]);
        return std::vector<array>{hs, cs};
      },
      {input(),
       hidden0(),
       cell0(),
       pattern({D, 4 * H}, 0.2),
       pattern({H, 4 * H}, 0.4),
       pattern({4 * H}, 0.6)});
}

TEST(RecurrentTest, ValueAndGradOverModel) {
  nn::LSTM lstm(D, H);
  set_lstm_weights(lstm);
  auto weights = pattern({N, L, H}, 1.7);
  auto loss_fn = [&](const array& x) { return mx::sum(lstm(x) * weights); };
  auto [loss, grads] = nn::value_and_grad(lstm, loss_fn)(input());
  EXPECT_EQ(grads.size(), 3u);
  // Reference: the same loss as a function of the recurrent weight alone.
  auto wh = lstm.param("Wh");
  auto expected = mx::grad([&](const array& w) {
    lstm.set_param("Wh", w);
    return mx::sum(lstm(input()) * weights);
  })(wh);
  lstm.set_param("Wh", wh);
  EXPECT_NEAR(loss.item<double>(), loss_fn(input()).item<double>(), 1e-12);
  EXPECT_TRUE(mx::allclose(grads.at("Wh").as_array(), expected, 1e-12, 1e-12)
                  .item<bool>());
  EXPECT_EQ(grads.at("Wx").as_array().shape(), (mx::Shape{D, 4 * H}));
}

// ---------------------------------------------------------------- errors

TEST(RecurrentTest, BadShapesNameTheLayerAndShapes) {
  nn::RNN rnn(D, H);
  nn::GRU gru(D, H);
  nn::LSTM lstm(D, H);
  expect_throws_with_prefix(
      [&] {
        rnn(mx::zeros({2, 3, 4}));
      },
      "[RNN]",
      "(2, 3, 4)");
  expect_throws_with_prefix([&] { gru(mx::zeros({3})); }, "[GRU]");
  expect_throws_with_prefix([&] { lstm(mx::zeros({1, 2, 3, 3})); }, "[LSTM]");
  expect_throws_with_prefix(
      [&] {
        rnn(input(), mx::zeros({N, H + 1}));
      },
      "[RNN]",
      "hidden");
  expect_throws_with_prefix(
      [&] {
        gru(input(), mx::zeros({N + 1, H}));
      },
      "[GRU]",
      "hidden");
  expect_throws_with_prefix(
      [&] {
        lstm(input(), std::nullopt, mx::zeros({1, N, H}));
      },
      "[LSTM]",
      "cell");
  expect_throws_with_prefix([&] { nn::GRU(0, 2); }, "[GRU]");
}
