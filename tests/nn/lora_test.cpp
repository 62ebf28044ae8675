// Tests of LoRALinear and nn::lora (nn/layers/lora.h).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "mlx/io.h"
#include "mlx/nn.h"
#include "mlx/random.h"
#include "test_utils.h"

namespace nn = mlx::nn;
namespace fs = std::filesystem;
using mlx::utils::tree_flatten;

namespace {

mx::array f64(const std::vector<double>& v, const mx::Shape& shape) {
  return mx::array(v.begin(), shape, mx::float64);
}

std::vector<std::string> keys_of(const mlx::utils::Tree& tree) {
  std::vector<std::string> keys;
  for (auto& [k, v] : tree_flatten(tree)) {
    keys.push_back(k);
  }
  return keys;
}

// A float64 Linear(3, 4) with fixed weights, and a LoRA layer of rank 2
// around it whose a and b are set to fixed non-zero values.
const std::vector<double> kW = {
    0.1, -0.2, 0.3, 0.4, 0.5, -0.6, -0.7, 0.8, 0.9, 1.0, -1.1, 1.2};
const std::vector<double> kBias = {0.5, -0.25, 0.125, -1.0};
const std::vector<double> kA = {0.3, -0.1, 0.2, 0.4, -0.5, 0.25}; // (3, 2)
const std::vector<double> kB = {
    0.1, 0.2, -0.3, 0.05, -0.4, 0.6, 0.7, -0.2};           // (2, 4)
const std::vector<double> kX = {1., 2., 3., -1., 0.5, 2.}; // (2, 3)
constexpr float kScale = 2.5f;

std::shared_ptr<nn::Linear> base_layer() {
  return std::make_shared<nn::Linear>(f64(kW, {4, 3}), f64(kBias, {4}));
}

std::shared_ptr<nn::LoRALinear> set_adapter(std::shared_ptr<nn::LoRALinear> l) {
  l->set_param("lora_a", f64(kA, {3, 2}));
  l->set_param("lora_b", f64(kB, {2, 4}));
  return l;
}

// x W^T + bias + scale * x a b, by loops in double.
std::vector<double> lora_expected(double scale) {
  std::vector<double> y(2 * 4);
  for (int n = 0; n < 2; ++n) {
    for (int o = 0; o < 4; ++o) {
      double v = kBias[o];
      for (int i = 0; i < 3; ++i) {
        v += kX[n * 3 + i] * kW[o * 3 + i];
        for (int k = 0; k < 2; ++k) {
          v += scale * kX[n * 3 + i] * kA[i * 2 + k] * kB[k * 4 + o];
        }
      }
      y[n * 4 + o] = v;
    }
  }
  return y;
}

std::string temp_path(const std::string& name) {
  auto dir =
      fs::temp_directory_path() / ("mlx_lora_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return (dir / name).string();
}

// A two-layer encoder (dims 8, 2 heads): 4 projections and 2 MLP linears
// per layer.
std::shared_ptr<nn::TransformerEncoder> encoder() {
  mx::random::seed(3);
  return std::make_shared<nn::TransformerEncoder>(2, 8, 2, 16);
}

bool is_projection(const std::string& path, const nn::Linear&) {
  auto ends = [&](const std::string& s) {
    return path.size() >= s.size() &&
           path.compare(path.size() - s.size(), s.size(), s) == 0;
  };
  return ends("query_proj") || ends("value_proj");
}

} // namespace

TEST(LoRALinearTest, AtInitComputesTheBaseLayerExactly) {
  auto base = base_layer();
  auto lora = nn::LoRALinear::from_base(base, 2, 0.0f, kScale);
  EXPECT_EQ(
      keys_of(lora->parameters()),
      (std::vector<std::string>{
          "linear.bias", "linear.weight", "lora_a", "lora_b"}));
  EXPECT_EQ(lora->param("lora_a").shape(), (mx::Shape{3, 2}));
  EXPECT_EQ(lora->param("lora_b").shape(), (mx::Shape{2, 4}));
  EXPECT_EQ(lora->param("lora_a").dtype(), mx::float64);
  double bound = 1.0 / std::sqrt(3.0);
  for (double v : mlx_test::to_doubles(lora->param("lora_a"))) {
    EXPECT_LE(std::abs(v), bound);
  }
  expect_array_eq(lora->param("lora_b"), mx::zeros({2, 4}, mx::float64));
  auto x = f64(kX, {2, 3});
  expect_array_eq((*lora)(x), (*base)(x));
  EXPECT_EQ(lora->rank(), 2);
  EXPECT_EQ(lora->describe(), "input_dims=3, output_dims=4, r=2, scale=2.5");
}

TEST(LoRALinearTest, OutputIsBasePlusScaledLowRankProduct) {
  auto lora =
      set_adapter(nn::LoRALinear::from_base(base_layer(), 2, 0.0f, kScale));
  expect_array_near(
      (*lora)(f64(kX, {2, 3})), lora_expected(kScale), {2, 4}, 1e-12, 1e-12);
  // Leading dimensions pass through.
  auto y = (*lora)(f64(kX, {1, 2, 3}));
  expect_array_near(y, lora_expected(kScale), {1, 2, 4}, 1e-12, 1e-12);
}

TEST(LoRALinearTest, GradientsReachOnlyTheAdaptersAndMatchFiniteDifferences) {
  // A parent whose child is swapped by lora::apply, which freezes the base.
  nn::Sequential model(base_layer());
  auto paths = nn::lora::apply(
      model, [](auto&, auto&) { return true; }, 2, kScale);
  ASSERT_EQ(paths, (std::vector<std::string>{"layers.0"}));
  auto lora =
      std::dynamic_pointer_cast<nn::LoRALinear>(model.child("layers.0"));
  ASSERT_TRUE(lora);
  set_adapter(lora);
  EXPECT_EQ(
      keys_of(model.trainable_parameters()),
      (std::vector<std::string>{"layers.0.lora_a", "layers.0.lora_b"}));

  auto x = f64(kX, {2, 3});
  auto target = f64({1, 0, -1, 2, 0.5, 0.5, -2, 1}, {2, 4});
  auto loss_of = [&]() { return mx::sum(mx::square(model(x) - target)); };
  auto [loss, grads] = nn::value_and_grad(model, loss_of)();
  EXPECT_EQ(
      keys_of(grads),
      (std::vector<std::string>{"layers.0.lora_a", "layers.0.lora_b"}));

  // Central differences of the loss in each adapter element (float64).
  const double eps = 1e-6;
  for (auto& [key, grad] : tree_flatten(grads)) {
    std::string local = key.substr(std::string("layers.0.").size());
    mx::array original = lora->param(local);
    auto values = mlx_test::to_doubles(original);
    std::vector<double> numeric(values.size());
    for (size_t j = 0; j < values.size(); ++j) {
      auto shifted = [&](double delta) {
        auto v = values;
        v[j] += delta;
        lora->set_param(local, f64(v, original.shape()));
        return loss_of().item<double>();
      };
      numeric[j] = (shifted(eps) - shifted(-eps)) / (2 * eps);
    }
    lora->set_param(local, original);
    expect_array_near(grad, numeric, original.shape(), 1e-6, 1e-6);
  }
}

TEST(LoRALinearTest, TrainingLeavesTheFrozenBaseBitIdentical) {
  mx::random::seed(5);
  nn::Sequential model(
      std::make_shared<nn::Linear>(6, 5), std::make_shared<nn::ReLU>());
  auto before = tree_flatten(model.parameters());
  model.freeze();
  nn::lora::apply(
      model, [](auto&, auto&) { return true; }, 3, 1.0f);
  auto x = mx::random::normal({4, 6});
  auto step = nn::value_and_grad(
      model, [&]() { return mx::sum(mx::square(model(x) - 1.0f)); });
  // Plain gradient descent on whatever the gradients hold.
  float first = 0, last = 0;
  for (int i = 0; i < 5; ++i) {
    auto [loss, grads] = step();
    std::map<std::string, mx::array> params;
    for (auto& [key, value] : tree_flatten(model.parameters())) {
      params.emplace(key, value);
    }
    mlx::utils::FlatTree updated;
    for (auto& [key, g] : tree_flatten(grads)) {
      updated.emplace_back(key, params.at(key) - 0.01f * g);
    }
    model.update(mlx::utils::tree_unflatten(updated));
    (i == 0 ? first : last) = loss.item<float>();
  }
  EXPECT_LT(last, first);
  auto lora =
      std::dynamic_pointer_cast<nn::LoRALinear>(model.child("layers.0"));
  ASSERT_TRUE(lora);
  auto base = lora->child("linear");
  for (auto& [key, value] : before) {
    std::string local = key.substr(std::string("layers.0.").size());
    expect_array_eq(base->param(local), value);
  }
  EXPECT_FALSE(
      mx::array_equal(lora->param("lora_b"), mx::zeros({3, 5})).item<bool>());
}

TEST(LoRALinearTest, FuseGivesAPlainLinearWithTheSameOutputs) {
  auto lora =
      set_adapter(nn::LoRALinear::from_base(base_layer(), 2, 0.0f, kScale));
  auto fused = lora->fuse();
  EXPECT_EQ(fused->name(), "Linear");
  // Bias is the base's array itself; the weight is W + scale (a b)^T.
  expect_array_eq(fused->param("bias"), f64(kBias, {4}));
  std::vector<double> w(12);
  for (int o = 0; o < 4; ++o) {
    for (int i = 0; i < 3; ++i) {
      double d = 0;
      for (int k = 0; k < 2; ++k) {
        d += kA[i * 2 + k] * kB[k * 4 + o];
      }
      w[o * 3 + i] = kW[o * 3 + i] + kScale * d;
    }
  }
  expect_array_near(fused->param("weight"), w, {4, 3}, 1e-12, 1e-12);
  expect_array_near(
      (*fused)(f64(kX, {2, 3})), lora_expected(kScale), {2, 4}, 1e-12, 1e-12);

  // float32 with dropout: in eval mode fused and unfused agree to rounding.
  mx::random::seed(9);
  auto lora32 = std::make_shared<nn::LoRALinear>(16, 12, 4, 0.3f, 20.0f, true);
  lora32->set_param("lora_b", mx::random::normal({4, 12}) * 0.1f);
  lora32->eval();
  auto fused32 = lora32->fuse();
  EXPECT_EQ(fused32->param("weight").dtype(), mx::float32);
  auto x = mx::random::normal({5, 16});
  EXPECT_TRUE(
      mx::allclose((*fused32)(x), (*lora32)(x), 1e-5, 1e-5).item<bool>());
  // In training mode dropout makes the adapter path differ.
  lora32->train();
  EXPECT_FALSE(
      mx::allclose((*fused32)(x), (*lora32)(x), 1e-5, 1e-5).item<bool>());
}

TEST(LoRALinearTest, BadArgumentsRaise) {
  auto base = base_layer();
  for (int r : {0, -1, 4}) {
    expect_throws_with_prefix(
        [&] { nn::LoRALinear::from_base(base, r); },
        "[LoRALinear] The rank r must lie in [1, min(input_dims, output_dims)] "
        "= [1, 3]",
        "got r=" + std::to_string(r));
  }
  expect_throws_with_prefix(
      [&] { nn::LoRALinear(3, 4, 2, 1.0f); }, "[LoRALinear] dropout", "got 1");
  expect_throws_with_prefix(
      [&] { nn::LoRALinear(3, 4, 2, 0.0f, NAN); }, "[LoRALinear] scale");
  expect_throws_with_prefix(
      [&] { nn::LoRALinear::from_base(nullptr); },
      "[LoRALinear] The layer to wrap is null");
  auto lora = nn::LoRALinear::from_base(base, 2);
  expect_throws_with_prefix(
      [&] {
        (*lora)(f64({1, 2}, {1, 2}));
      },
      "[LoRALinear] The input's last dimension must be input_dims=3",
      "(1, 2)");
  expect_throws_with_prefix(
      [&] {
        nn::Linear(f64({1, 2}, {2}));
      },
      "[Linear] Expected a weight of shape");
  expect_throws_with_prefix(
      [&] {
        nn::Linear(f64(kW, {4, 3}), f64({1, 2}, {2}));
      },
      "[Linear] Expected a bias of shape (4,)");
}

TEST(LoRAApplyTest, SwapsExactlyTheChosenLayersAndTheForwardUsesThem) {
  auto model = encoder();
  auto x = mx::random::normal({2, 5, 8});
  auto before = (*model)(x);
  auto names_before = keys_of(model->parameters());
  model->freeze();
  auto paths = nn::lora::apply(*model, is_projection, 2, 4.0f);
  EXPECT_EQ(
      paths,
      (std::vector<std::string>{
          "layers.0.attention.query_proj",
          "layers.0.attention.value_proj",
          "layers.1.attention.query_proj",
          "layers.1.attention.value_proj"}));
  std::set<std::string> lora_paths, linear_paths;
  for (auto& [path, m] : model->named_modules()) {
    if (m->name() == "LoRALinear") {
      lora_paths.insert(path);
    } else if (m->name() == "Linear") {
      linear_paths.insert(path);
    }
  }
  EXPECT_EQ(lora_paths, std::set<std::string>(paths.begin(), paths.end()));
  // 6 Linear per layer before; the 4 chosen now sit inside LoRA layers.
  EXPECT_EQ(linear_paths.size(), 12u);
  EXPECT_TRUE(linear_paths.count("layers.0.attention.query_proj.linear"));
  auto trainable = keys_of(model->trainable_parameters());
  EXPECT_EQ(trainable.size(), 8u);
  for (auto& key : trainable) {
    EXPECT_TRUE(key.find(".lora_") != std::string::npos) << key;
  }
  // b = 0: the same outputs; a non-zero b changes them (the forward pass
  // runs the swapped layers).
  expect_array_eq((*model)(x), before);
  auto q = std::dynamic_pointer_cast<nn::LoRALinear>(
      model->child("layers.0")->child("attention")->child("query_proj"));
  ASSERT_TRUE(q);
  q->set_param("lora_b", mx::full({2, 8}, 0.1f));
  auto adapted = (*model)(x);
  EXPECT_FALSE(mx::allclose(adapted, before, 1e-4, 1e-4).item<bool>());
  // Applying again adapts nothing more (the wrapped layers are skipped).
  EXPECT_TRUE(nn::lora::apply(*model, is_projection).empty());

  // Fusing restores the original structure and keeps the outputs.
  auto fused = nn::lora::fuse(*model);
  EXPECT_EQ(fused, paths);
  EXPECT_EQ(keys_of(model->parameters()), names_before);
  EXPECT_TRUE(mx::allclose((*model)(x), adapted, 1e-5, 1e-5).item<bool>());
}

TEST(LoRAAdaptersTest, SaveHoldsOnlyAdaptersAndLoadRestoresThem) {
  auto model = encoder();
  model->freeze();
  nn::lora::apply(*model, is_projection, 2, 4.0f);
  for (auto& [path, value] : nn::lora::adapters(*model)) {
    model->update(mlx::utils::tree_unflatten(
        {{path, mx::random::normal(value.shape())}}));
  }
  auto file = temp_path("adapters.safetensors");
  nn::lora::save_adapters(*model, file);
  auto [arrays, metadata] = mx::load_safetensors(file);
  EXPECT_EQ(arrays.size(), 8u);
  for (auto& [name, value] : arrays) {
    EXPECT_TRUE(
        name.find(".lora_a") != std::string::npos ||
        name.find(".lora_b") != std::string::npos)
        << name;
  }
  EXPECT_EQ(metadata.at("format"), "mlx-lora-adapters");
  EXPECT_EQ(metadata.at("layers.0.attention.query_proj.scale"), "4");

  auto other = encoder();
  nn::lora::apply(*other, is_projection, 2, 4.0f);
  nn::lora::load_adapters(*other, file);
  for (auto& [path, value] : nn::lora::adapters(*model)) {
    expect_array_eq(arrays.at(path), value);
  }
  auto loaded = nn::lora::adapters(*other);
  auto own = nn::lora::adapters(*model);
  ASSERT_EQ(loaded.size(), own.size());
  for (size_t i = 0; i < own.size(); ++i) {
    EXPECT_EQ(loaded[i].first, own[i].first);
    expect_array_eq(loaded[i].second, own[i].second);
  }

  // A different rank, scale or set of layers is refused, naming the file.
  auto rank4 = encoder();
  nn::lora::apply(*rank4, is_projection, 4, 4.0f);
  expect_throws_with_prefix(
      [&] { nn::lora::load_adapters(*rank4, file); },
      "[lora::load_adapters] " + file,
      "\"layers.0.attention.query_proj.lora_a\" has shape (8, 2)");
  auto scale2 = encoder();
  nn::lora::apply(*scale2, is_projection, 2, 2.0f);
  expect_throws_with_prefix(
      [&] { nn::lora::load_adapters(*scale2, file); },
      "[lora::load_adapters]",
      "has scale 2 but the file 4");
  auto fewer = encoder();
  nn::lora::apply(
      *fewer,
      [](auto& p, auto&) { return p == "layers.0.attention.query_proj"; },
      2,
      4.0f);
  expect_throws_with_prefix(
      [&] { nn::lora::load_adapters(*fewer, file); },
      "[lora::load_adapters]",
      "is not an adapter of the model");
  auto plain = temp_path("plain.safetensors");
  mx::save_safetensors(plain, {{"w", mx::zeros({2})}});
  expect_throws_with_prefix(
      [&] { nn::lora::load_adapters(*other, plain); },
      "[lora::load_adapters]",
      "not a LoRA adapters file");
  auto none = encoder();
  expect_throws_with_prefix(
      [&] { nn::lora::save_adapters(*none, file); },
      "[lora::save_adapters] The model has no LoRA layers");
  fs::remove_all(fs::path(file).parent_path());
}
