// save_checkpoint / load_checkpoint: round trips (every dtype, bit for
// bit), resumed training equal to uninterrupted training, h5py reading our
// files, atomic replacement (a writer that throws, a writer killed in the
// middle), corrupt and truncated files, and models that do not match.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <complex>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "mlx/checkpoint.h"
#include "mlx/nn.h"
#include "mlx/nn/layers/containers.h"
#include "mlx/nn/layers/linear.h"
#include "mlx/ops.h"
#include "mlx/ops/shape.h"
#include "mlx/optimizers.h"
#include "mlx/random.h"
#include "mlx/transforms.h"

extern char** environ;

namespace mx = mlx::core;
namespace nn = mlx::nn;
namespace optim = mlx::optimizers;
namespace fs = std::filesystem;
using mlx::utils::FlatTree;
using mlx::utils::Tree;

namespace {

std::shared_ptr<nn::Sequential> make_mlp(int hidden = 8) {
  return std::make_shared<nn::Sequential>(
      std::make_shared<nn::Linear>(4, hidden),
      std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(hidden, 3));
}

// One Adam step of mean squared error on a batch drawn from the global
// random key, so that resuming needs the key as well as the weights.
void train_step(nn::Module& model, optim::Optimizer& opt) {
  auto x = mx::random::normal({16, 4});
  auto y = mx::random::normal({16, 3});
  auto loss_and_grad = nn::value_and_grad(model, [&](const mx::array& in) {
    return mx::mean(mx::square(model(in) - y));
  });
  auto [loss, grads] = loss_and_grad(x);
  opt.update(model, grads);
  std::vector<mx::array> outputs;
  for (auto& [path, leaf] : mlx::utils::tree_flatten(model.parameters())) {
    outputs.push_back(leaf);
  }
  for (auto& [path, leaf] : mlx::utils::tree_flatten(opt.state())) {
    outputs.push_back(leaf);
  }
  mx::eval(outputs);
}

std::vector<uint8_t> bytes_of(const mx::array& a) {
  auto c = mx::contiguous(a);
  c.eval();
  auto* p = c.data<uint8_t>();
  return std::vector<uint8_t>(p, p + c.nbytes());
}

// Same paths, dtypes, shapes and bytes (NaNs included).
void expect_identical(const Tree& a, const Tree& b) {
  auto fa = mlx::utils::tree_flatten(a);
  auto fb = mlx::utils::tree_flatten(b);
  ASSERT_EQ(fa.size(), fb.size());
  for (size_t i = 0; i < fa.size(); ++i) {
    SCOPED_TRACE(fa[i].first);
    EXPECT_EQ(fa[i].first, fb[i].first);
    EXPECT_EQ(fa[i].second.dtype(), fb[i].second.dtype());
    EXPECT_EQ(fa[i].second.shape(), fb[i].second.shape());
    EXPECT_EQ(bytes_of(fa[i].second), bytes_of(fb[i].second));
  }
}

// Runs fn and expects a std::runtime_error whose message holds every part.
template <typename F>
void expect_error(F fn, std::initializer_list<std::string> parts) {
  try {
    fn();
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    std::string message = e.what();
    for (auto& part : parts) {
      EXPECT_NE(message.find(part), std::string::npos)
          << "\"" << part << "\" not in: " << message;
    }
  }
}

// One parameter of every dtype, with edge values; the same values are
// written out in h5py_check.py.
class AllDtypes : public nn::Module {
public:
  AllDtypes() {
    float inf = std::numeric_limits<float>::infinity();
    float nan = std::numeric_limits<float>::quiet_NaN();
    register_parameter("f32", mx::array({1.5f, -0.0f, inf, nan}, {2, 2}));
    register_parameter("f16", mx::array({0.5f, -2.0f, 65504.0f}, mx::float16));
    register_parameter(
        "bf16", mx::array({1.0f, -3.5f, 0.0078125f}, mx::bfloat16));
    register_parameter("f64", mx::array({0.1, -1e300}, mx::float64));
    register_parameter("i8", mx::array({-128, 127}, mx::int8));
    register_parameter("i16", mx::array({-32768, 32767}, mx::int16));
    register_parameter(
        "i32", mx::array({std::numeric_limits<int32_t>::min(), 7}));
    register_parameter(
        "i64",
        mx::array(
            {std::numeric_limits<int64_t>::min(),
             std::numeric_limits<int64_t>::max()}));
    register_parameter("u8", mx::array({0, 255}, mx::uint8));
    register_parameter("u16", mx::array({65535}, mx::uint16));
    register_parameter("u32", mx::array({uint32_t{4294967295u}}));
    register_parameter(
        "u64", mx::array({std::numeric_limits<uint64_t>::max()}));
    register_parameter("b", mx::array({true, false, true}));
    register_parameter(
        "c64",
        mx::array({mx::complex64_t(1.0f, 2.0f), mx::complex64_t(-3.0f, 0.5f)}));
    register_parameter("scalar", mx::array(3.0f));
    register_parameter("empty", mx::zeros({0, 3}));
  }
  std::string name() const override { return "AllDtypes"; }
};

class CheckpointTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("mlx_checkpoint_test_" + std::to_string(::getpid()) + "_" +
            info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    nn::detail::set_checkpoint_write_hook({});
  }
  void TearDown() override {
    nn::detail::set_checkpoint_write_hook({});
    fs::remove_all(dir_);
  }

  std::string path(const std::string& name) const {
    return (dir_ / name).string();
  }
  // Files in the folder other than `keep`.
  std::vector<std::string> others(const std::string& keep) const {
    std::vector<std::string> out;
    for (auto& entry : fs::directory_iterator(dir_)) {
      if (entry.path().filename() != keep) {
        out.push_back(entry.path().filename().string());
      }
    }
    return out;
  }

  // An MLP after two Adam steps, saved to `file`.
  void save_trained(const std::string& file) {
    mx::random::seed(7);
    auto model = make_mlp();
    optim::Adam adam(0.01);
    train_step(*model, adam);
    train_step(*model, adam);
    nn::save_checkpoint(file, *model, adam, {{"note", "two steps"}});
  }

  fs::path dir_;
};

std::vector<char> read_bytes(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  return std::vector<char>(
      (std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& file, const std::vector<char>& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), bytes.size());
}

TEST_F(CheckpointTest, RoundTripRestoresModelOptimizerKeyAndMetadata) {
  mx::random::seed(1);
  auto model = make_mlp();
  optim::Adam adam(0.01);
  for (int i = 0; i < 3; ++i) {
    train_step(*model, adam);
  }
  auto key = mx::random::KeySequence::default_().state();
  std::map<std::string, std::string> extra{
      {"dtype", "float32"}, {"note", "héllo, wörld"}, {"empty", ""}};
  nn::save_checkpoint(path("ckpt.h5"), *model, adam, extra);

  mx::random::seed(2);
  auto fresh = make_mlp();
  optim::Adam fresh_adam(0.5);
  auto info = nn::load_checkpoint(path("ckpt.h5"), *fresh, fresh_adam);
  expect_identical(model->parameters(), fresh->parameters());
  expect_identical(adam.state(), fresh_adam.state());
  EXPECT_EQ(
      bytes_of(key), bytes_of(mx::random::KeySequence::default_().state()));
  EXPECT_EQ(info.step, 3u);
  EXPECT_EQ(info.world_size, 1);
  EXPECT_EQ(info.dtype, "float32");
  EXPECT_NE(info.command_line.find("checkpoint_test"), std::string::npos);
  EXPECT_EQ(info.extra, extra);
  EXPECT_TRUE(others("ckpt.h5").empty());
}

TEST_F(CheckpointTest, InfoIsReadWithoutAModel) {
  mx::random::seed(1);
  auto model = make_mlp();
  optim::Adam adam(0.01);
  train_step(*model, adam);
  std::map<std::string, std::string> extra{{"dims", "64"}, {"layers", "2"}};
  nn::save_checkpoint(path("ckpt.h5"), *model, adam, extra);
  auto info = nn::read_checkpoint_info(path("ckpt.h5"));
  EXPECT_EQ(info.step, 1u);
  EXPECT_EQ(info.world_size, 1);
  EXPECT_EQ(info.dtype, "float32");
  EXPECT_EQ(info.extra, extra);
  expect_error(
      [&] { nn::read_checkpoint_info(path("none.h5")); },
      {"[read_checkpoint_info]", path("none.h5")});
}

TEST_F(CheckpointTest, EveryDtypeRoundTripsBitExactly) {
  AllDtypes model;
  model.freeze();
  optim::Adam adam(0.01);
  nn::save_checkpoint(path("dtypes.h5"), model, adam);

  AllDtypes fresh;
  fresh.freeze();
  fresh.apply([](const mx::array& a) { return mx::zeros_like(a); });
  optim::Adam fresh_adam(0.01);
  auto info = nn::load_checkpoint(path("dtypes.h5"), fresh, fresh_adam);
  expect_identical(model.parameters(), fresh.parameters());
  EXPECT_EQ(
      info.dtype,
      "bfloat16,bool,complex64,float16,float32,float64,int16,int32,int64,"
      "int8,uint16,uint32,uint64,uint8");
}

TEST_F(CheckpointTest, ResumedTrainingIsBitIdentical) {
  // Uninterrupted: 6 steps. Resumed: 3 steps, save, load into a fresh
  // model and optimizer (different initialization, key moved on), 3 more.
  mx::random::seed(11);
  auto model = make_mlp();
  optim::Adam adam(0.01);
  for (int i = 0; i < 3; ++i) {
    train_step(*model, adam);
  }
  nn::save_checkpoint(path("step3.h5"), *model, adam);
  for (int i = 0; i < 3; ++i) {
    train_step(*model, adam);
  }

  mx::random::seed(99);
  auto resumed = make_mlp();
  optim::Adam resumed_adam(0.01);
  mx::random::normal({5});
  auto info = nn::load_checkpoint(path("step3.h5"), *resumed, resumed_adam);
  EXPECT_EQ(info.step, 3u);
  for (int i = 0; i < 3; ++i) {
    train_step(*resumed, resumed_adam);
  }
  expect_identical(model->parameters(), resumed->parameters());
  expect_identical(adam.state(), resumed_adam.state());
}

TEST_F(CheckpointTest, H5pyReadsNamesShapesAndValues) {
  if (std::system("/usr/bin/python3 -c 'import h5py' > /dev/null 2>&1") != 0) {
    GTEST_SKIP()
        << "/usr/bin/python3 with h5py (python3-h5py) is not available";
  }
  // Adam keeps state for f32 only: the other parameters are frozen.
  AllDtypes model;
  model.freeze();
  model.unfreeze(true, {"f32"});
  optim::Adam used(0.01);
  used.init(model.trainable_parameters());
  nn::save_checkpoint(path("h5py.h5"), model, used, {{"world", "1"}});
  std::string command = std::string("/usr/bin/python3 ") + MLX_H5PY_CHECK +
                        " " + path("h5py.h5") + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[256];
  while (size_t n = std::fread(buffer, 1, sizeof(buffer), pipe)) {
    output.append(buffer, n);
  }
  int status = ::pclose(pipe);
  EXPECT_EQ(status, 0) << output;
  EXPECT_NE(output.find("h5py check passed"), std::string::npos) << output;
}

TEST_F(CheckpointTest, WriterThatThrowsLeavesOldFileIntact) {
  save_trained(path("ckpt.h5"));
  auto before = read_bytes(path("ckpt.h5"));

  auto model = make_mlp();
  optim::Adam adam(0.01);
  train_step(*model, adam);
  nn::detail::set_checkpoint_write_hook([](const std::string& dataset) {
    if (dataset == "model/layers.2.weight") {
      throw std::runtime_error("disk full (simulated)");
    }
  });
  expect_error(
      [&] { nn::save_checkpoint(path("ckpt.h5"), *model, adam); },
      {"disk full (simulated)"});
  nn::detail::set_checkpoint_write_hook({});

  EXPECT_EQ(read_bytes(path("ckpt.h5")), before);
  EXPECT_TRUE(others("ckpt.h5").empty()); // the temporary file is gone
  auto fresh = make_mlp();
  optim::Adam fresh_adam(0.01);
  EXPECT_EQ(nn::load_checkpoint(path("ckpt.h5"), *fresh, fresh_adam).step, 2u);
}

TEST_F(CheckpointTest, KilledWriterLeavesOldFileLoadable) {
  save_trained(path("ckpt.h5"));
  auto before = read_bytes(path("ckpt.h5"));

  // The writer stops after its first dataset and reports it on its stdout;
  // it is killed then, with the temporary file half written.
  int to_child[2], from_child[2];
  ASSERT_EQ(::pipe(to_child), 0);
  ASSERT_EQ(::pipe(from_child), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, to_child[0], 0);
  posix_spawn_file_actions_adddup2(&actions, from_child[1], 1);
  posix_spawn_file_actions_addclose(&actions, to_child[1]);
  posix_spawn_file_actions_addclose(&actions, from_child[0]);
  std::string target = path("ckpt.h5");
  char* argv[] = {const_cast<char*>(MLX_CRASH_WRITER), target.data(), nullptr};
  pid_t pid;
  ASSERT_EQ(
      ::posix_spawn(&pid, MLX_CRASH_WRITER, &actions, nullptr, argv, environ),
      0);
  posix_spawn_file_actions_destroy(&actions);
  ::close(to_child[0]);
  ::close(from_child[1]);
  char c = 0;
  EXPECT_EQ(::read(from_child[0], &c, 1), 1); // blocks until the stop
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(to_child[1]);
  ::close(from_child[0]);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "writer status " << status;

  EXPECT_EQ(read_bytes(path("ckpt.h5")), before);
  auto left = others("ckpt.h5");
  ASSERT_EQ(left.size(), 1u); // the dead writer's temporary file
  EXPECT_EQ(left[0].rfind(".ckpt.h5.tmp.", 0), 0u) << left[0];
  auto fresh = make_mlp();
  optim::Adam fresh_adam(0.01);
  EXPECT_EQ(nn::load_checkpoint(path("ckpt.h5"), *fresh, fresh_adam).step, 2u);
}

TEST_F(CheckpointTest, TruncatedFileRaisesNamingTheFile) {
  save_trained(path("ckpt.h5"));
  auto bytes = read_bytes(path("ckpt.h5"));
  for (size_t size :
       {size_t{0},
        size_t{7},
        size_t{100},
        bytes.size() / 2,
        bytes.size() - 1}) {
    SCOPED_TRACE(size);
    write_bytes(
        path("cut.h5"), std::vector<char>(bytes.begin(), bytes.begin() + size));
    auto model = make_mlp();
    optim::Adam adam(0.01);
    expect_error(
        [&] { nn::load_checkpoint(path("cut.h5"), *model, adam); },
        {"[load_checkpoint]", path("cut.h5")});
  }
}

TEST_F(CheckpointTest, MissingFileRaisesNamingTheFile) {
  auto model = make_mlp();
  optim::Adam adam(0.01);
  expect_error(
      [&] { nn::load_checkpoint(path("none.h5"), *model, adam); },
      {"[load_checkpoint]", path("none.h5")});
}

TEST_F(CheckpointTest, FlippedDataByteRaisesNamingTheDataset) {
  save_trained(path("ckpt.h5"));
  // Where HDF5 put the bytes of model/layers.0.weight.
  hid_t file = H5Fopen(path("ckpt.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  hid_t ds = H5Dopen2(file, "model/layers.0.weight", H5P_DEFAULT);
  ASSERT_GE(ds, 0);
  haddr_t offset = H5Dget_offset(ds);
  H5Dclose(ds);
  H5Fclose(file);
  ASSERT_NE(offset, HADDR_UNDEF);

  auto bytes = read_bytes(path("ckpt.h5"));
  bytes[offset + 5] ^= 0x10;
  write_bytes(path("ckpt.h5"), bytes);
  auto model = make_mlp();
  optim::Adam adam(0.01);
  expect_error(
      [&] { nn::load_checkpoint(path("ckpt.h5"), *model, adam); },
      {path("ckpt.h5"), "\"model/layers.0.weight\"", "CRC-32"});
}

TEST_F(CheckpointTest, FlippedBytesRaiseOrLeaveTheContentsUnchanged) {
  // Every 4th byte of the file flipped in turn: loading either raises a
  // std::runtime_error naming the file or (a byte HDF5 never reads, or a
  // metadata string) gives the same parameters and state; it never
  // crashes.
  save_trained(path("ckpt.h5"));
  auto good = make_mlp();
  optim::Adam good_adam(0.01);
  nn::load_checkpoint(path("ckpt.h5"), *good, good_adam);
  auto bytes = read_bytes(path("ckpt.h5"));
  int raised = 0;
  for (size_t i = 0; i < bytes.size(); i += 4) {
    auto flipped = bytes;
    flipped[i] ^= 0xff;
    write_bytes(path("flipped.h5"), flipped);
    auto model = make_mlp();
    optim::Adam adam(0.01);
    try {
      nn::load_checkpoint(path("flipped.h5"), *model, adam);
    } catch (const std::runtime_error& e) {
      ++raised;
      EXPECT_NE(
          std::string(e.what()).find(path("flipped.h5")), std::string::npos)
          << "byte " << i << ": " << e.what();
      continue;
    }
    SCOPED_TRACE("byte " + std::to_string(i));
    expect_identical(good->parameters(), model->parameters());
    expect_identical(good_adam.state(), adam.state());
  }
  EXPECT_GT(raised, 0);
}

TEST_F(CheckpointTest, ShapeMismatchNamesDatasetAndBothShapes) {
  save_trained(path("ckpt.h5"));
  auto wider = make_mlp(16);
  auto before = wider->parameters();
  optim::Adam adam(0.01);
  expect_error(
      [&] { nn::load_checkpoint(path("ckpt.h5"), *wider, adam); },
      {path("ckpt.h5"),
       "shape mismatch",
       "\"model/layers.0.bias\"",
       "(8,) in the file",
       "(16,) in the model"});
  expect_identical(before, wider->parameters()); // left as it was
}

TEST_F(CheckpointTest, MissingAndUnexpectedParametersAreNamed) {
  save_trained(path("ckpt.h5"));
  auto deeper = std::make_shared<nn::Sequential>(
      std::make_shared<nn::Linear>(4, 8),
      std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(8, 3),
      std::make_shared<nn::Linear>(3, 3));
  optim::Adam adam(0.01);
  expect_error(
      [&] { nn::load_checkpoint(path("ckpt.h5"), *deeper, adam); },
      {path("ckpt.h5"), "missing dataset \"model/layers.3.bias\""});

  auto no_bias = std::make_shared<nn::Sequential>(
      std::make_shared<nn::Linear>(4, 8),
      std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(8, 3, /* bias */ false));
  expect_error(
      [&] { nn::load_checkpoint(path("ckpt.h5"), *no_bias, adam); },
      {path("ckpt.h5"), "unexpected dataset \"model/layers.2.bias\""});
}

TEST_F(CheckpointTest, DtypeMismatchIsNamed) {
  save_trained(path("ckpt.h5"));
  auto half = make_mlp();
  half->set_dtype(mx::float16);
  optim::Adam adam(0.01);
  expect_error(
      [&] { nn::load_checkpoint(path("ckpt.h5"), *half, adam); },
      {path("ckpt.h5"),
       "dtype mismatch",
       "\"model/layers.0.bias\"",
       "float32 in the file, float16 in the model"});
}

TEST_F(CheckpointTest, OptimizerOfAnotherKindIsRejected) {
  save_trained(path("ckpt.h5"));
  auto model = make_mlp();
  optim::SGD sgd(0.1);
  expect_error(
      [&] { nn::load_checkpoint(path("ckpt.h5"), *model, sgd); },
      {path("ckpt.h5"), "Adam", "SGD"});
}

TEST(CheckpointRandomTest, KeySequenceStateRoundTrips) {
  auto& keys = mx::random::KeySequence::default_();
  keys.seed(5);
  auto saved = keys.state();
  auto first = keys.next();
  keys.set_state(saved);
  EXPECT_EQ(bytes_of(first), bytes_of(keys.next()));
  EXPECT_THROW(keys.set_state(mx::array({1, 2})), std::invalid_argument);
}

} // namespace
