// Module::save_weights / load_weights in .safetensors and .npz.
#include <filesystem>
#include <fstream>

#include "mlx/nn.h"
#include "test_utils.h"

namespace nn = mlx::nn;
namespace mu = mlx::utils;
namespace fs = std::filesystem;

namespace {

std::shared_ptr<nn::Sequential> make_model() {
  return std::make_shared<nn::Sequential>(
      std::make_shared<nn::Linear>(3, 4),
      std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(4, 2));
}

std::string temp_path(const std::string& name) {
  auto dir = fs::temp_directory_path() /
             ("mlx_module_io_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return (dir / name).string();
}

void expect_same_parameters(nn::Module& a, nn::Module& b) {
  auto fa = mu::tree_flatten(a.parameters());
  auto fb = mu::tree_flatten(b.parameters());
  ASSERT_EQ(fa.size(), fb.size());
  for (size_t i = 0; i < fa.size(); ++i) {
    EXPECT_EQ(fa[i].first, fb[i].first);
    expect_array_eq(fa[i].second, fb[i].second);
  }
}

} // namespace

TEST(ModuleIoTest, RoundTripsInBothFormats) {
  for (std::string ext : {".safetensors", ".npz"}) {
    SCOPED_TRACE(ext);
    mx::random::seed(1);
    auto saved = make_model();
    auto path = temp_path("weights" + ext);
    saved->save_weights(path);
    mx::random::seed(2);
    auto loaded = make_model();
    loaded->load_weights(path);
    expect_same_parameters(*saved, *loaded);
    // The loaded model computes the same function.
    auto x = mx::random::normal({5, 3});
    expect_array_eq((*loaded)(x), (*saved)(x));
  }
}

TEST(ModuleIoTest, FileHoldsFlatDotNames) {
  auto model = make_model();
  auto path = temp_path("names.safetensors");
  model->save_weights(path);
  auto [arrays, metadata] = mx::load_safetensors(path);
  std::set<std::string> names;
  for (auto& [name, a] : arrays) {
    names.insert(name);
  }
  EXPECT_EQ(
      names,
      (std::set<std::string>{
          "layers.0.bias",
          "layers.0.weight",
          "layers.2.bias",
          "layers.2.weight"}));
}

TEST(ModuleIoTest, StrictChecksNamesAndShapes) {
  auto model = make_model();
  auto w = model->parameters();
  mu::FlatTree all = mu::tree_flatten(w);
  mu::FlatTree missing(all.begin() + 1, all.end());
  expect_throws_with_prefix(
      [&] { model->load_weights(missing); },
      "[Sequential.load_weights]",
      "lack \"layers.0.bias\"");
  // Not strict: the names given are loaded, the rest kept.
  auto before =
      model->parameters().at("layers").at(size_t(0)).at("bias").as_array();
  mu::FlatTree one = {{"layers.2.bias", mx::array({5.0f, 6.0f})}};
  model->load_weights(one, false);
  expect_array_near(
      model->parameters().at("layers").at(size_t(2)).at("bias").as_array(),
      {5, 6},
      {2});
  EXPECT_EQ(
      model->parameters().at("layers").at(size_t(0)).at("bias").as_array().id(),
      before.id());

  mu::FlatTree extra = all;
  extra.emplace_back("layers.1.weight", mx::zeros({1}));
  expect_throws_with_prefix(
      [&] { model->load_weights(extra); },
      "[Sequential.load_weights]",
      "layers.1.weight");
  model->load_weights(extra, false); // ignored when not strict

  mu::FlatTree wrong_shape = all;
  wrong_shape[0].second = mx::zeros({3});
  for (bool strict : {true, false}) {
    expect_throws_with_prefix(
        [&] { model->load_weights(wrong_shape, strict); },
        "[Sequential.load_weights]",
        "(4,)");
  }
}

TEST(ModuleIoTest, BadFilesRaise) {
  auto model = make_model();
  expect_throws_with_prefix(
      [&] { model->save_weights(temp_path("w.bin")); },
      "[Sequential.save_weights]",
      "w.bin");
  expect_throws_with_prefix(
      [&] { model->load_weights(temp_path("w.txt")); },
      "[Sequential.load_weights]",
      "w.txt");
  auto path = temp_path("corrupt.safetensors");
  model->save_weights(path);
  fs::resize_file(path, fs::file_size(path) - 7);
  EXPECT_THROW(model->load_weights(path), std::runtime_error);
  EXPECT_THROW(
      model->load_weights(temp_path("absent.npz")), std::runtime_error);
}
