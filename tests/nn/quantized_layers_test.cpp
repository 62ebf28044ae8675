// Tests of QuantizedLinear, QuantizedEmbedding and nn::quantize
// (nn/layers/quantized.h). Expected values come from the float layers
// holding the dequantized weights (mx::dequantize, itself checked against
// hand-packed words in tests/core/quantized_test.cpp).
#include <gtest/gtest.h>

#include "mlx/nn.h"
#include "mlx/random.h"
#include "test_utils.h"

namespace nn = mlx::nn;
using mlx::utils::tree_flatten;

namespace {

std::vector<std::string> keys_of(const mlx::utils::Tree& tree) {
  std::vector<std::string> keys;
  for (auto& [k, v] : tree_flatten(tree)) {
    keys.push_back(k);
  }
  return keys;
}

// The weight a quantized layer computes with.
mx::array dequantized_weight(const nn::Module& q, int gs, int bits) {
  return mx::dequantize(
      q.param("weight"), q.param("scales"), q.param("biases"), gs, bits);
}

} // namespace

TEST(QuantizedLinearTest, FromLinearMatchesLinearWithDequantizedWeight) {
  mx::random::seed(3);
  nn::Linear linear(64, 6);
  auto q = nn::QuantizedLinear::from_linear(linear, 32, 4);
  EXPECT_EQ(
      keys_of(q->parameters()),
      (std::vector<std::string>{"bias", "biases", "scales", "weight"}));
  EXPECT_EQ(q->param("weight").shape(), (mx::Shape{6, 8}));
  // Only the float bias trains; the quantized parameters are frozen, also
  // after unfreeze (as MLX).
  q->unfreeze();
  EXPECT_EQ(
      keys_of(q->trainable_parameters()), std::vector<std::string>{"bias"});

  mx::array x = mx::random::normal({3, 64});
  mx::array want = mx::addmm(
      linear.param("bias"), x, mx::transpose(dequantized_weight(*q, 32, 4)));
  expect_array_near((*q)(x), mlx_test::to_doubles(want), {3, 6}, 1e-5, 1e-5);
  EXPECT_EQ(
      q->describe(),
      "input_dims=64, output_dims=6, bias=true, group_size=32, bits=4, "
      "mode=affine");

  auto no_bias = nn::QuantizedLinear(64, 6, false, 64, 8);
  EXPECT_FALSE(no_bias.has_param("bias"));
  EXPECT_EQ(no_bias(x).shape(), (mx::Shape{3, 6}));
}

TEST(QuantizedEmbeddingTest, LookupAndAsLinearUseDequantizedTable) {
  mx::random::seed(4);
  nn::Embedding emb(10, 32);
  auto q = nn::QuantizedEmbedding::from_embedding(emb, 32, 6);
  mx::array table = dequantized_weight(*q, 32, 6);
  mx::array ids = mx::array({3, 0, 9, 3, 7, 1}, {2, 3});
  expect_array_near(
      (*q)(ids),
      mlx_test::to_doubles(mx::take(table, ids, 0)),
      {2, 3, 32},
      0,
      0);
  mx::array x = mx::random::normal({4, 32});
  expect_array_near(
      q->as_linear(x),
      mlx_test::to_doubles(mx::matmul(x, mx::transpose(table))),
      {4, 10},
      1e-5,
      1e-5);
  EXPECT_EQ(q->describe(), "10, 32, group_size=32, bits=6, mode=affine");
  expect_throws_with_prefix(
      [&] { (*q)(mx::array({0.5f}, {1})); }, "[QuantizedEmbedding]", "float32");
}

TEST(QuantizeModelTest, SwapsLinearAndEmbeddingLeaves) {
  mx::random::seed(5);
  auto model = std::make_shared<nn::Sequential>(
      std::make_shared<nn::Linear>(64, 32),
      std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(32, 4));
  mx::array x = mx::random::normal({2, 64});
  mx::array before = (*model)(x);
  nn::quantize(*model, 32, 8);
  EXPECT_EQ((*model)[0].name(), "QuantizedLinear");
  EXPECT_EQ((*model)[1].name(), "ReLU");
  EXPECT_EQ((*model)[2].name(), "QuantizedLinear");
  // 8-bit: each weight within half a step of 1/255 of its group's range.
  expect_array_near((*model)(x), mlx_test::to_doubles(before), {2, 4}, 0, 0.05);

  // A predicate that keeps the head in float and picks its own settings.
  auto model2 = std::make_shared<nn::Sequential>(
      std::make_shared<nn::Embedding>(16, 64),
      std::make_shared<nn::Linear>(64, 8));
  nn::quantize(
      *model2,
      64,
      4,
      "affine",
      [](const std::string& path,
         nn::Module&) -> std::variant<bool, nn::QuantizeConfig> {
        if (path == "layers.1") {
          return false;
        }
        return nn::QuantizeConfig{32, 2, "affine"};
      });
  auto* e = dynamic_cast<nn::QuantizedEmbedding*>(&(*model2)[0]);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->bits(), 2);
  EXPECT_EQ(e->group_size(), 32);
  EXPECT_EQ((*model2)[1].name(), "Linear");

  // Selecting a layer that has no quantized form raises.
  expect_throws_with_prefix(
      [&] {
        nn::quantize(
            *model,
            64,
            4,
            "affine",
            [](const std::string&, nn::Module&)
                -> std::variant<bool, nn::QuantizeConfig> { return true; });
      },
      "[quantize]",
      "has no quantized form");
  // Bad settings raise from mx::quantize, naming the value.
  auto model3 =
      std::make_shared<nn::Sequential>(std::make_shared<nn::Linear>(64, 8));
  expect_throws_with_prefix(
      [&] { nn::quantize(*model3, 48, 4); }, "[quantize]", "group size 48");
  expect_throws_with_prefix(
      [&] { nn::quantize(*model3, 64, 7); }, "[quantize]", "bits 7");
}

TEST(QuantizedLinearTest, TrainsInAModelAroundFrozenQuantizedWeights) {
  // A quantized layer inside a model: gradients reach its bias and the
  // float head, never the packed weight; a few SGD steps lower the loss.
  mx::random::seed(6);
  auto model = std::make_shared<nn::Sequential>(
      std::make_shared<nn::Linear>(64, 16),
      std::make_shared<nn::Tanh>(),
      std::make_shared<nn::Linear>(16, 1));
  nn::quantize(
      *model,
      64,
      4,
      "affine",
      [](const std::string& path,
         nn::Module&) -> std::variant<bool, nn::QuantizeConfig> {
        return path == "layers.0";
      });
  mx::array x = mx::random::normal({32, 64});
  mx::array y = mx::sum(x, {1}, true) * mx::array(0.1f);
  auto loss_fn = nn::value_and_grad(*model, [&](const mx::array& in) {
    return mx::mean(mx::square((*model)(in)-y));
  });
  auto [loss0, grads] = loss_fn(x);
  EXPECT_EQ(
      keys_of(grads),
      (std::vector<std::string>{
          "layers.0.bias", "layers.2.bias", "layers.2.weight"}));
  float first = loss0.item<float>();
  float last = first;
  for (int step = 0; step < 20; ++step) {
    auto [loss, g] = loss_fn(x);
    last = loss.item<float>();
    model->update(mlx::utils::tree_map(
        [](const std::vector<mx::array>& pd) {    // {grad, param}
          return pd[1] - mx::array(0.1f) * pd[0]; // param - lr * grad
        },
        g,
        {model->trainable_parameters()}));
  }
  EXPECT_LT(last, 0.8f * first);
}
