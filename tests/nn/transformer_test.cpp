// nn::MultiHeadAttention and the transformer layers: parameter names,
// values against PyTorch 1.13 (transformer_reference.h says how they were
// obtained), masks, gradients against finite differences, checkpointing,
// dropout, custom encoders and errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "grad_check.h"
#include "mlx/mlx.h"
#include "mlx/nn/activations.h"
#include "mlx/nn/layers/transformer.h"
#include "mlx/nn/module.h"
#include "test_utils.h"
#include "transformer_reference.h"

namespace nn = mlx::nn;
namespace ref = transformer_reference;
using mx::array;

namespace {

constexpr int B = 2, L = 3, S = 4, E = 8, HEADS = 2, MLP = 16;
constexpr double kTol = 1e-9;

array pattern(const mx::Shape& shape, double offset, double amp) {
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

// The deterministic value of the parameter at `path` (see the header).
array param_value(const std::string& path, const mx::Shape& shape) {
  long sum = 0;
  for (size_t i = 0; i < path.size(); ++i) {
    sum += static_cast<long>(i + 1) * static_cast<unsigned char>(path[i]);
  }
  double offset = (sum % 997) * 0.01;
  if (shape.size() == 2) {
    return pattern(shape, offset, 1.5 / std::sqrt(double(shape[1])));
  }
  auto last_dot = path.rfind('.');
  auto prev_dot = path.rfind('.', last_dot - 1);
  std::string owner = path.substr(
      prev_dot == std::string::npos ? 0 : prev_dot + 1,
      last_dot - (prev_dot == std::string::npos ? 0 : prev_dot + 1));
  if (owner.rfind("ln", 0) == 0 && path.substr(last_dot + 1) == "weight") {
    return 1.0 + pattern(shape, offset, 0.2);
  }
  return pattern(shape, offset, 0.2);
}

void load_reference_weights(nn::Module& m) {
  mlx::utils::FlatTree flat;
  for (auto& [path, w] : mlx::utils::tree_flatten(m.parameters())) {
    flat.emplace_back(path, param_value(path, w.shape()));
  }
  m.update(mlx::utils::tree_unflatten(flat));
}

array queries() {
  return pattern({B, L, E}, 0.1, 1.0);
}
array memory() {
  return pattern({B, S, E}, 1.3, 1.0);
}
array causal(int n) {
  return nn::MultiHeadAttention::create_additive_causal_mask(n, mx::float64);
}
// (L, S): -1e9 where (i + 2 j) % 3 == 0 and j > 0.
array cross_mask() {
  std::vector<double> v;
  for (int i = 0; i < L; ++i) {
    for (int j = 0; j < S; ++j) {
      v.push_back((i + 2 * j) % 3 == 0 && j > 0 ? -1e9 : 0.0);
    }
  }
  return array(v.begin(), {L, S}, mx::float64);
}

bool all_close(const array& a, const array& b, double tol = 1e-12) {
  return a.shape() == b.shape() && mx::allclose(a, b, tol, tol).item<bool>();
}

mx::Shape shape_of(const nn::Module& m, const std::string& path) {
  for (auto& [p, w] : mlx::utils::tree_flatten(m.parameters())) {
    if (p == path) {
      return w.shape();
    }
  }
  ADD_FAILURE() << "no parameter " << path;
  return {};
}

// An encoder that returns its input: a stand-in custom encoder.
class IdentityEncoder : public nn::TransformerEncoderBase {
public:
  using nn::TransformerEncoderBase::operator();
  array operator()(const array& x, const std::optional<array>&) override {
    return x;
  }
};

} // namespace

// ------------------------------------------------------ MultiHeadAttention

TEST(MultiHeadAttentionTest, ParameterNamesAndShapes) {
  nn::MultiHeadAttention mha(E, HEADS);
  EXPECT_EQ(mha.parameters().num_leaves(), 4u); // no biases by default
  EXPECT_EQ(shape_of(mha, "query_proj.weight"), (mx::Shape{E, E}));
  EXPECT_EQ(shape_of(mha, "out_proj.weight"), (mx::Shape{E, E}));
  EXPECT_EQ(mha.num_heads(), HEADS);

  nn::MultiHeadAttention custom(4, 2, 3, 5, 6, 6, 7, true);
  EXPECT_EQ(custom.parameters().num_leaves(), 8u);
  EXPECT_EQ(shape_of(custom, "query_proj.weight"), (mx::Shape{4, 3}));
  EXPECT_EQ(shape_of(custom, "key_proj.weight"), (mx::Shape{4, 5}));
  EXPECT_EQ(shape_of(custom, "value_proj.weight"), (mx::Shape{6, 6}));
  EXPECT_EQ(shape_of(custom, "out_proj.weight"), (mx::Shape{7, 6}));
  EXPECT_EQ(shape_of(custom, "out_proj.bias"), (mx::Shape{7}));
  // value_input_dims defaults to key_input_dims.
  nn::MultiHeadAttention kv(4, 2, std::nullopt, 5);
  EXPECT_EQ(shape_of(kv, "value_proj.weight"), (mx::Shape{4, 5}));
}

TEST(MultiHeadAttentionTest, MatchesTorch) {
  nn::MultiHeadAttention mha(E, HEADS);
  load_reference_weights(mha);
  auto out = mha(queries(), memory(), memory());
  EXPECT_EQ(out.dtype(), mx::float64);
  expect_array_near(out, ref::kMhaNoMask, {B, L, E}, kTol, kTol);
  expect_array_near(
      mha(queries(), memory(), memory(), cross_mask()),
      ref::kMhaCrossMask,
      {B, L, E},
      kTol,
      kTol);
  // A boolean mask (true = attend) masks the same keys.
  expect_array_near(
      mha(queries(), memory(), memory(), mx::equal(cross_mask(), array(0.0))),
      ref::kMhaCrossMask,
      {B, L, E},
      kTol,
      kTol);
  expect_array_near(
      mha(queries(), queries(), queries(), causal(L)),
      ref::kMhaSelfCausal,
      {B, L, E},
      kTol,
      kTol);
}

TEST(MultiHeadAttentionTest, CustomDimsMatchTorch) {
  nn::MultiHeadAttention mha(4, 2, 3, 5, 6, 6, 7, true);
  load_reference_weights(mha);
  expect_array_near(
      mha(pattern({B, L, 3}, 0.2, 1.0),
          pattern({B, S, 5}, 0.4, 1.0),
          pattern({B, S, 6}, 0.6, 1.0)),
      ref::kMhaCustomDims,
      {B, L, 7},
      // The attention scale 1/sqrt(2) reaches the kernel as a float (as in
      // MLX), which bounds the agreement with a float64 reference.
      1e-7,
      1e-7);
}

TEST(MultiHeadAttentionTest, AdditiveCausalMask) {
  double lo = std::numeric_limits<float>::lowest();
  auto mask = nn::MultiHeadAttention::create_additive_causal_mask(3);
  EXPECT_EQ(mask.dtype(), mx::float32);
  expect_array_values(mask, {3, 3}, {0, lo, lo, 0, 0, lo, 0, 0, 0});
  auto half =
      nn::MultiHeadAttention::create_additive_causal_mask(2, mx::float16);
  EXPECT_EQ(half.dtype(), mx::float16);
  expect_array_values(half, {2, 2}, {0, -65504, 0, 0});
  // Matches a manual causal mask: query i sees keys j <= i.
  nn::MultiHeadAttention mha(E, HEADS);
  auto x = mx::astype(queries(), mx::float32);
  auto manual = mx::where(
      mx::greater(
          mx::expand_dims(mx::arange(L), 0), mx::expand_dims(mx::arange(L), 1)),
      array(-1e9f),
      array(0.0f));
  EXPECT_TRUE(all_close(
      mha(x, x, x, nn::MultiHeadAttention::create_additive_causal_mask(L)),
      mha(x, x, x, manual),
      1e-6));
}

TEST(MultiHeadAttentionTest, Gradients) {
  nn::MultiHeadAttention mha(4, 2);
  auto mask = cross_mask();
  mlx_test::check_grads(
      "MultiHeadAttention",
      [&](const std::vector<array>& a) {
        mha.update(mlx::utils::tree_unflatten(
            {{"query_proj.weight", a[3]},
             {"key_proj.weight", a[4]},
             {"value_proj.weight", a[5]},
             {"out_proj.weight", a[6]}}));
        return std::vector<array>{mha(a[0], a[1], a[2], mask)};
      },
      {pattern({B, L, 4}, 0.1, 1.0),
       pattern({B, S, 4}, 0.5, 1.0),
       pattern({B, S, 4}, 0.9, 1.0),
       pattern({4, 4}, 0.2, 0.7),
       pattern({4, 4}, 0.4, 0.7),
       pattern({4, 4}, 0.6, 0.7),
       pattern({4, 4}, 0.8, 0.7)});
}

TEST(MultiHeadAttentionTest, Errors) {
  expect_throws_with_prefix(
      [] { nn::MultiHeadAttention(8, 3); }, "[MultiHeadAttention]", "3");
  expect_throws_with_prefix(
      [] {
        nn::MultiHeadAttention(
            8, 2, std::nullopt, std::nullopt, std::nullopt, 5);
      },
      "[MultiHeadAttention]");
  nn::MultiHeadAttention mha(E, HEADS);
  auto q = queries();
  expect_throws_with_prefix(
      [&] {
        mha(mx::zeros({L, E}), q, q);
      },
      "[MultiHeadAttention]",
      "(3, 8)");
  expect_throws_with_prefix(
      [&] { mha(q, memory(), q); }, "[MultiHeadAttention]", "(2, 4, 8)");
  expect_throws_with_prefix(
      [&] {
        mha(q, mx::zeros({B, S, 5}), mx::zeros({B, S, 5}));
      },
      "[MultiHeadAttention]");
}

// ------------------------------------------------------------- layers

TEST(TransformerTest, EncoderLayerMatchesTorch) {
  nn::TransformerEncoderLayer pre(E, HEADS, MLP);
  load_reference_weights(pre);
  EXPECT_EQ(shape_of(pre, "attention.query_proj.weight"), (mx::Shape{E, E}));
  EXPECT_EQ(shape_of(pre, "linear1.weight"), (mx::Shape{MLP, E}));
  EXPECT_EQ(shape_of(pre, "ln2.bias"), (mx::Shape{E}));
  expect_array_near(
      pre(queries(), causal(L)),
      ref::kEncoderLayerNormFirst,
      {B, L, E},
      kTol,
      kTol);
  nn::TransformerEncoderLayer post(E, HEADS, MLP, 0.0f, nullptr, false);
  load_reference_weights(post);
  expect_array_near(
      post(queries(), causal(L)),
      ref::kEncoderLayerNormLast,
      {B, L, E},
      kTol,
      kTol);
  // The one-input call is the unmasked call; mlp_dims defaults to 4 dims.
  EXPECT_TRUE(all_close(pre(queries()), pre(queries(), std::nullopt)));
  EXPECT_EQ(
      shape_of(nn::TransformerEncoderLayer(E, HEADS), "linear1.weight"),
      (mx::Shape{4 * E, E}));
}

TEST(TransformerTest, DecoderLayerMatchesTorchAndMLXFormula) {
  nn::TransformerDecoderLayer pre(E, HEADS, MLP);
  load_reference_weights(pre);
  EXPECT_EQ(
      shape_of(pre, "cross_attention.key_proj.weight"), (mx::Shape{E, E}));
  EXPECT_EQ(shape_of(pre, "ln3.weight"), (mx::Shape{E}));
  expect_array_near(
      pre(queries(), memory(), causal(L), cross_mask()),
      ref::kDecoderLayerNormFirst,
      {B, L, E},
      kTol,
      kTol);
  nn::TransformerDecoderLayer post(E, HEADS, MLP, 0.0f, nullptr, false);
  load_reference_weights(post);
  expect_array_near(
      post(queries(), memory(), causal(L), cross_mask()),
      ref::kDecoderLayerNormLast,
      {B, L, E},
      kTol,
      kTol);
}

TEST(TransformerTest, TransformerMatchesTorch) {
  nn::Transformer model(E, HEADS, 2, 1, MLP);
  load_reference_weights(model);
  EXPECT_EQ(
      shape_of(model, "encoder.layers.1.linear2.weight"), (mx::Shape{E, MLP}));
  EXPECT_EQ(shape_of(model, "encoder.ln.weight"), (mx::Shape{E}));
  EXPECT_EQ(
      shape_of(model, "decoder.layers.0.cross_attention.out_proj.weight"),
      (mx::Shape{E, E}));
  // 2 encoder layers (4 + 4 LN + 4 MLP arrays), 1 decoder layer (8 + 6 +
  // 4) and the two final norms.
  EXPECT_EQ(model.parameters().num_leaves(), 2u * 12 + 18 + 4);
  expect_array_near(
      model(memory(), queries(), causal(S), causal(L), cross_mask()),
      ref::kTransformer,
      {B, L, E},
      kTol,
      kTol);
}

TEST(TransformerTest, CustomActivationIsUsed) {
  int calls = 0;
  nn::TransformerEncoder encoder(2, E, HEADS, MLP, 0.0f, [&](const array& x) {
    ++calls;
    return nn::gelu(x);
  });
  encoder(queries());
  EXPECT_EQ(calls, 2);
}

TEST(TransformerTest, CustomEncoder) {
  nn::Transformer model(
      E, HEADS, 6, 1, MLP, 0.0f, nullptr, std::make_shared<IdentityEncoder>());
  load_reference_weights(model);
  EXPECT_EQ(model.parameters().at("encoder").size(), 0u);
  nn::TransformerDecoder decoder(1, E, HEADS, MLP);
  // Paths differ ("decoder." prefix), so give the decoder the model's own.
  decoder.update(model.parameters().at("decoder"));
  EXPECT_TRUE(all_close(
      model(memory(), queries(), std::nullopt, causal(L), std::nullopt),
      decoder(queries(), memory(), causal(L), std::nullopt)));
}

TEST(TransformerTest, DropoutOnlyInTraining) {
  mx::random::seed(7);
  nn::TransformerEncoderLayer with(E, HEADS, MLP, 0.5f);
  nn::TransformerEncoderLayer without(E, HEADS, MLP, 0.0f);
  load_reference_weights(with);
  load_reference_weights(without);
  EXPECT_TRUE(with.training());
  EXPECT_FALSE(all_close(with(queries()), without(queries()), 1e-6));
  with.eval();
  EXPECT_TRUE(all_close(with(queries()), without(queries())));
}

// ------------------------------------------------------------- gradients

TEST(TransformerTest, EncoderLayerGradients) {
  nn::TransformerEncoderLayer layer(4, 2, 8);
  load_reference_weights(layer);
  auto mask = causal(3);
  const char* names[] = {
      "attention.query_proj.weight",
      "attention.value_proj.weight",
      "ln1.weight",
      "linear1.weight",
      "linear2.bias"};
  std::vector<array> inputs = {pattern({1, 3, 4}, 0.3, 1.0)};
  for (auto* n : names) {
    inputs.push_back(param_value(n, shape_of(layer, n)));
  }
  mlx_test::check_grads(
      "TransformerEncoderLayer",
      [&](const std::vector<array>& a) {
        mlx::utils::FlatTree flat;
        for (size_t i = 0; i < 5; ++i) {
          flat.emplace_back(names[i], a[i + 1]);
        }
        layer.update(mlx::utils::tree_unflatten(flat));
        return std::vector<array>{layer(a[0], mask)};
      },
      inputs);
}

TEST(TransformerTest, CheckpointGivesTheSameValuesAndGradients) {
  auto weights = pattern({B, L, E}, 2.1, 1.0);
  auto run = [&](bool checkpoint) {
    nn::Transformer model(
        E, HEADS, 2, 2, MLP, 0.0f, nullptr, nullptr, nullptr, true, checkpoint);
    load_reference_weights(model);
    auto loss_fn = [&](const array& src, const array& tgt) {
      return mx::sum(
          model(src, tgt, causal(S), causal(L), cross_mask()) * weights);
    };
    auto [loss, grads] =
        nn::value_and_grad(model, loss_fn)(memory(), queries());
    // The model's own arrays are back in place after the call.
    EXPECT_TRUE(all_close(
        model.parameters()
            .at("encoder")
            .at("layers")
            .as_list()[0]
            .at("linear1")
            .at("weight")
            .as_array(),
        param_value("encoder.layers.0.linear1.weight", {MLP, E})));
    return std::make_pair(loss, mlx::utils::tree_flatten(grads));
  };
  auto [loss, grads] = run(false);
  auto [loss_ckpt, grads_ckpt] = run(true);
  EXPECT_NEAR(loss.item<double>(), loss_ckpt.item<double>(), 1e-10);
  ASSERT_EQ(grads.size(), grads_ckpt.size());
  for (size_t i = 0; i < grads.size(); ++i) {
    EXPECT_EQ(grads[i].first, grads_ckpt[i].first);
    EXPECT_TRUE(all_close(grads[i].second, grads_ckpt[i].second, 1e-10))
        << grads[i].first;
  }
}

// ------------------------------------------------------------- errors

TEST(TransformerTest, BadShapesNameTheLayer) {
  nn::TransformerEncoderLayer enc(E, HEADS, MLP);
  expect_throws_with_prefix(
      [&] {
        enc(mx::zeros({B, L, E + 1}));
      },
      "[TransformerEncoderLayer]",
      "(2, 3, 9)");
  nn::TransformerDecoderLayer dec(E, HEADS, MLP);
  expect_throws_with_prefix(
      [&] {
        dec(queries(), mx::zeros({S, E}), std::nullopt, std::nullopt);
      },
      "[TransformerDecoderLayer]",
      "memory");
  expect_throws_with_prefix(
      [] { nn::TransformerEncoder(-1, E, HEADS); }, "[TransformerEncoder]");
}
