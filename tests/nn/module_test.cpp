// nn::Module: registration, trees of parameters, freezing, update,
// traversal, modes, dtype and nn::value_and_grad.
#include "mlx/nn/module.h"

#include "mlx/mlx.h"
#include "test_utils.h"

namespace nn = mlx::nn;
namespace mu = mlx::utils;
using mu::Tree;

namespace {

// y = x W^T + b with fixed, easy values.
class Affine : public nn::Module {
public:
  Affine(int in, int out) {
    register_parameter(
        "weight", mx::reshape(mx::arange(float(in * out)), {out, in}));
    register_parameter("bias", mx::ones({out}));
  }
  std::string name() const override { return "Affine"; }
  std::string describe() const override {
    return "in=" + std::to_string(param("weight").shape(1));
  }
  mx::array operator()(const mx::array& x) override {
    return mx::add(
        mx::matmul(x, mx::transpose(param("weight"))), param("bias"));
  }
};

// No parameters of its own: only children.
class Net : public nn::Module {
public:
  Net() {
    first = register_module("first", std::make_shared<Affine>(2, 3));
    layers = register_modules(
        "layers",
        std::vector<std::shared_ptr<Affine>>{
            std::make_shared<Affine>(3, 3), std::make_shared<Affine>(3, 1)});
  }
  std::string name() const override { return "Net"; }
  mx::array operator()(const mx::array& x) override {
    auto y = (*first)(x);
    for (auto& l : layers) {
      y = (*l)(y);
    }
    return y;
  }
  std::shared_ptr<Affine> first;
  std::vector<std::shared_ptr<Affine>> layers;
};

std::vector<std::string> flat_keys(const Tree& t) {
  std::vector<std::string> out;
  for (auto& [k, v] : mu::tree_flatten(t)) {
    out.push_back(k);
  }
  return out;
}

} // namespace

TEST(ModuleTest, ParametersAreNamedByPath) {
  Net net;
  EXPECT_EQ(
      flat_keys(net.parameters()),
      (std::vector<std::string>{
          "first.bias",
          "first.weight",
          "layers.0.bias",
          "layers.0.weight",
          "layers.1.bias",
          "layers.1.weight"}));
  EXPECT_EQ(net.parameters().at("layers").size(), 2u);
  EXPECT_EQ(net.first->param("weight").shape(), (mx::Shape{3, 2}));
}

TEST(ModuleTest, RegistrationRejectsDuplicatesAndDots) {
  struct Bad : nn::Module {
    explicit Bad(const std::string& second) {
      register_parameter("w", mx::array(1.0f));
      register_parameter(second, mx::array(2.0f));
    }
  };
  expect_throws_with_prefix([] { Bad b("w"); }, "[Module]", "already used");
  expect_throws_with_prefix([] { Bad b("a.b"); }, "[Module]", "a.b");
  Net net;
  expect_throws_with_prefix(
      [&] { net.first->param("nope"); }, "[Affine]", "nope");
  expect_throws_with_prefix(
      [&] { net.first->set_param("nope", mx::array(1)); }, "[Affine]", "nope");
}

TEST(ModuleTest, FreezeAndUnfreeze) {
  Net net;
  net.freeze();
  EXPECT_TRUE(flat_keys(net.trainable_parameters()).empty());
  EXPECT_EQ(flat_keys(net.parameters()).size(), 6u);
  net.unfreeze(true, {"bias"});
  EXPECT_EQ(
      flat_keys(net.trainable_parameters()),
      (std::vector<std::string>{
          "first.bias", "layers.0.bias", "layers.1.bias"}));
  net.unfreeze();
  net.first->freeze(false, {"weight"});
  EXPECT_EQ(flat_keys(net.trainable_parameters()).size(), 5u);
  EXPECT_TRUE(net.first->is_frozen("weight"));
  // Non-recursive freeze of a parameter-less parent touches nothing below.
  net.unfreeze();
  net.freeze(false);
  EXPECT_EQ(flat_keys(net.trainable_parameters()).size(), 6u);
  // strict: the key must exist in the module itself.
  expect_throws_with_prefix(
      [&] { net.first->freeze(true, {"gamma"}, true); },
      "[Affine.freeze]",
      "gamma");
  expect_throws_with_prefix(
      [&] { net.first->unfreeze(true, {"gamma"}, true); },
      "[Affine.unfreeze]",
      "gamma");
}

TEST(ModuleTest, UpdateReplacesByPathAndIsStrict) {
  Net net;
  Tree t;
  t["layers"] =
      Tree(Tree::List{Tree(), Tree{{"bias", Tree(mx::array({7.0f}))}}});
  net.update(t);
  expect_array_near(net.layers[1]->param("bias"), {7.0}, {1});
  expect_array_near(net.layers[0]->param("bias"), {1, 1, 1}, {3});

  Tree unknown{{"first", Tree{{"gamma", Tree(mx::array(1.0f))}}}};
  expect_throws_with_prefix(
      [&] { net.update(unknown); }, "[Affine.update]", "gamma");
  net.update(unknown, false); // ignored when not strict
  Tree leaf_for_module{{"first", Tree(mx::array(1.0f))}};
  expect_throws_with_prefix(
      [&] { net.update(leaf_for_module); }, "[Net.update]", "first");
  Tree too_long;
  too_long["layers"] = Tree(Tree::List{Tree(), Tree(), Tree()});
  expect_throws_with_prefix(
      [&] { net.update(too_long); }, "[Net.update]", "layers");
}

TEST(ModuleTest, UpdateModulesSwapsChildren) {
  Net net;
  auto replacement = std::make_shared<Affine>(3, 3);
  replacement->set_param("bias", mx::zeros({3}));
  net.update_modules({{"layers.0", replacement}});
  expect_array_near(
      net.parameters().at("layers").at(size_t(0)).at("bias").as_array(),
      {0, 0, 0},
      {3});
  auto first = std::make_shared<Affine>(2, 3);
  net.update_modules({{"first", first}});
  EXPECT_EQ(net.children()[0].second, first.get());
  expect_throws_with_prefix(
      [&] {
        net.update_modules({{"layers.5", first}});
      },
      "[Net.update_modules]",
      "layers.5");
}

TEST(ModuleTest, Traversal) {
  Net net;
  auto children = net.children();
  ASSERT_EQ(children.size(), 3u);
  EXPECT_EQ(children[0].first, "first");
  EXPECT_EQ(children[2].first, "layers.1");
  auto named = net.named_modules();
  ASSERT_EQ(named.size(), 4u);
  EXPECT_EQ(named[0].first, "");
  EXPECT_EQ(named[0].second, &net);
  EXPECT_EQ(named[3].first, "layers.1");
  EXPECT_EQ(net.modules().size(), 4u);
  EXPECT_EQ(net.leaf_modules().size(), 3u);
  std::vector<std::string> visited;
  net.apply_to_modules([&](const std::string& path, nn::Module& m) {
    visited.push_back(path + ":" + m.name());
  });
  EXPECT_EQ(
      visited,
      (std::vector<std::string>{
          ":Net", "first:Affine", "layers.0:Affine", "layers.1:Affine"}));
  std::ostringstream os;
  os << net;
  EXPECT_EQ(
      os.str(),
      "Net(\n  (first): Affine(in=2)\n  (layers.0): Affine(in=3)\n"
      "  (layers.1): Affine(in=3)\n)");
}

TEST(ModuleTest, ApplyAndFilterAndMap) {
  Net net;
  net.first->freeze(false, {"weight"});
  auto doubled = net.filter_and_map(
      nn::trainable_parameter_filter,
      [](const mx::array& a) { return mx::multiply(a, mx::array(2.0f)); });
  EXPECT_EQ(flat_keys(doubled).size(), 5u);
  expect_array_near(doubled.at("first").at("bias").as_array(), {2, 2, 2}, {3});
  // apply changes the model in place, only where the filter says.
  net.apply(
      [](const mx::array& a) { return mx::zeros_like(a); },
      [](const nn::Module&, const std::string& key, const mx::array&) {
        return key == "bias";
      });
  expect_array_near(net.first->param("bias"), {0, 0, 0}, {3});
  expect_array_near(net.first->param("weight"), {0, 1, 2, 3, 4, 5}, {3, 2});
}

TEST(ModuleTest, TrainEvalPropagates) {
  Net net;
  EXPECT_TRUE(net.training());
  net.eval();
  EXPECT_FALSE(net.training());
  EXPECT_FALSE(net.layers[1]->training());
  net.train();
  EXPECT_TRUE(net.first->training());
}

TEST(ModuleTest, SetDtypeCastsFloatingParameters) {
  struct Mixed : nn::Module {
    Mixed() {
      register_parameter("w", mx::ones({2}));
      register_parameter("index", mx::array({1, 2}));
    }
  } m;
  m.set_dtype(mx::float16);
  EXPECT_EQ(m.param("w").dtype(), mx::float16);
  EXPECT_EQ(m.param("index").dtype(), mx::int32);
  m.set_dtype(mx::float64, [](mx::Dtype) { return true; });
  EXPECT_EQ(m.param("index").dtype(), mx::float64);
}

TEST(ModuleTest, OneInputCallOnMultiInputModuleThrows) {
  nn::Module plain;
  expect_throws_with_prefix(
      [&] { plain(mx::array(1.0f)); }, "[Module]", "single input");
}

TEST(ModuleTest, ValueAndGradGivesTrainableGradients) {
  Affine layer(2, 2);
  // loss = sum(x W^T + b) over a batch of two rows: dL/dW[i][j] = sum_n
  // x[n][j], dL/db = batch size.
  mx::array x({1.0f, 2.0f, 3.0f, 5.0f}, {2, 2});
  auto loss_fn = [&](const mx::array& in) { return mx::sum(layer(in)); };
  auto [loss, grads] = nn::value_and_grad(layer, loss_fn)(x);
  // W = [[0,1],[2,3]], b = 1: outputs [3,9],[5,22]... computed by hand:
  // row 1: [0*1+1*2+1, 2*1+3*2+1] = [3, 9]; row 2: [0*3+1*5+1, 2*3+3*5+1] = [6,
  // 22].
  EXPECT_FLOAT_EQ(loss.item<float>(), 3 + 9 + 6 + 22);
  expect_array_near(grads.at("weight").as_array(), {4, 7, 4, 7}, {2, 2});
  expect_array_near(grads.at("bias").as_array(), {2, 2}, {2});
  // The model holds its own arrays again, not the traced ones.
  EXPECT_FALSE(layer.param("weight").is_tracer());

  layer.freeze(false, {"weight"});
  auto [loss2, grads2] = nn::value_and_grad(layer, loss_fn)(x);
  EXPECT_EQ(flat_keys(grads2), (std::vector<std::string>{"bias"}));
}

TEST(ModuleTest, ValueAndGradWithAuxiliaryOutputs) {
  Affine layer(2, 1);
  mx::array x({1.0f, 1.0f}, {1, 2});
  auto fn = [&](const mx::array& in) {
    auto y = layer(in);
    return std::vector<mx::array>{mx::sum(mx::square(y)), y};
  };
  auto [values, grads] = nn::value_and_grad(layer, fn)(x);
  ASSERT_EQ(values.size(), 2u);
  // y = 0 + 1 + 1 = 2; loss = y^2; dL/db = 2y = 4, dL/dW = 2y x = [4, 4].
  EXPECT_FLOAT_EQ(values[0].item<float>(), 4.0f);
  EXPECT_FLOAT_EQ(values[1].item<float>(), 2.0f);
  expect_array_near(grads.at("weight").as_array(), {4, 4}, {1, 2});
  expect_array_near(grads.at("bias").as_array(), {4}, {1});
}

TEST(ModuleTest, ValueAndGradRestoresParametersOnError) {
  Affine layer(2, 1);
  auto before = layer.param("weight");
  auto failing = [&](const mx::array& in) -> mx::array {
    layer(in);
    throw std::runtime_error("user error");
  };
  EXPECT_THROW(
      nn::value_and_grad(layer, failing)(mx::ones({1, 2})), std::runtime_error);
  EXPECT_EQ(layer.param("weight").id(), before.id());
}
