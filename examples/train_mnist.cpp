// Trains a classifier on Fashion-MNIST: the reference's MLP (--model mlp)
// or a small CNN (--model cnn). Runs on one process, or data-parallel:
//   mlx.launch -n 2 ./train_mnist --epochs 10              (TCP ring)
//   mlx.launch --backend mpi -n 4 ./train_mnist --model cnn
// Every rank takes its share of each global batch (--batch-size is the
// global size), gradients are averaged with nn::average_gradients, and the
// parameters stay identical on every rank. Rank 0 prints one line per
// epoch and writes checkpoints (--checkpoint DIR; --resume continues).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "fashion_mnist.h"
#include "mlx/distributed/distributed.h"
#include "mlx/distributed/ops.h"
#include "mlx/io.h"
#include "mlx/mlx.h"
#include "mlx/nn.h"
#include "mlx/optimizers.h"
#include "models.h"

namespace mx = mlx::core;
namespace nn = mlx::nn;
namespace optim = mlx::optimizers;
namespace dist = mlx::core::distributed;
namespace mu = mlx::utils;

namespace {

using examples::eval_trees;
using examples::Cnn;
using examples::Mlp;

struct Options {
  std::string model = "mlp";
  int epochs = 10;
  int steps = 0; // > 0: stop after this many steps
  int batch_size = 256;
  float lr = 1e-3f;
  int hidden = 512;
  int seed = 0;
  std::string device = "cpu";
  std::string data = fashion_mnist::kDefaultDir;
  std::string checkpoint;
  bool resume = false;
};

[[noreturn]] void usage(const char* error) {
  std::fprintf(
      stderr,
      "%s\nusage: train_mnist [--model mlp|cnn] [--epochs N] [--steps N] "
      "[--batch-size N] [--lr X] [--hidden N] [--seed N] [--device cpu|gpu] "
      "[--data DIR] "
      "[--checkpoint DIR] [--resume]\n",
      error);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage(("missing value for " + arg).c_str());
      }
      return argv[++i];
    };
    if (arg == "--model") {
      o.model = value();
    } else if (arg == "--epochs") {
      o.epochs = std::stoi(value());
    } else if (arg == "--steps") {
      o.steps = std::stoi(value());
    } else if (arg == "--batch-size") {
      o.batch_size = std::stoi(value());
    } else if (arg == "--lr") {
      o.lr = std::stof(value());
    } else if (arg == "--hidden") {
      o.hidden = std::stoi(value());
    } else if (arg == "--device") {
      o.device = value();
    } else if (arg == "--seed") {
      o.seed = std::stoi(value());
    } else if (arg == "--data") {
      o.data = value();
    } else if (arg == "--checkpoint") {
      o.checkpoint = value();
    } else if (arg == "--resume") {
      o.resume = true;
    } else {
      usage(("unknown argument " + arg).c_str());
    }
  }
  if (o.model != "mlp" && o.model != "cnn") {
    usage("--model is mlp or cnn");
  }
  return o;
}

void save_checkpoint(
    const std::string& dir,
    const nn::Module& model,
    const optim::Optimizer& optimizer,
    int epoch) {
  std::filesystem::create_directories(dir);
  model.save_weights(dir + "/model.safetensors");
  std::unordered_map<std::string, mx::array> state;
  for (auto& [path, value] : mu::tree_flatten(optimizer.state())) {
    state.emplace(path, value);
  }
  mx::save_safetensors(
      dir + "/optimizer.safetensors",
      state,
      {{"epoch", std::to_string(epoch)}});
}

int load_checkpoint(
    const std::string& dir, nn::Module& model, optim::Optimizer& optimizer) {
  model.load_weights(dir + "/model.safetensors");
  auto [arrays, metadata] =
      mx::load_safetensors(dir + "/optimizer.safetensors");
  mu::FlatTree flat(arrays.begin(), arrays.end());
  optimizer.set_state(mu::tree_unflatten(flat));
  return std::stoi(metadata.at("epoch"));
}

} // namespace

int main(int argc, char** argv) {
  Options opt = parse(argc, argv);
  auto world = dist::init();
  int rank = world.rank();
  examples::use_device(opt.device, rank);
  int ranks = world.size();
  if (opt.batch_size % ranks != 0) {
    usage("--batch-size must be a multiple of the number of ranks");
  }
  int local_batch = opt.batch_size / ranks;

  auto train = fashion_mnist::load("train", opt.data);
  auto test = fashion_mnist::load("t10k", opt.data);
  int num_train = train.images.shape(0);

  // The same initial parameters on every rank: the same seed.
  mx::random::seed(opt.seed);
  std::shared_ptr<nn::Module> model;
  if (opt.model == "mlp") {
    model = std::make_shared<Mlp>(2, 28 * 28, opt.hidden, 10);
  } else {
    model = std::make_shared<Cnn>(28, 32, 64, 128);
  }
  eval_trees({model->parameters()});
  optim::Adam optimizer(opt.lr);

  int first_epoch = 0;
  if (opt.resume) {
    first_epoch = load_checkpoint(opt.checkpoint, *model, optimizer);
  }

  auto loss_fn = [&](const mx::array& x, const mx::array& y) {
    return nn::losses::cross_entropy(
        (*model)(x), y, std::nullopt, -1, 0.0f, "mean");
  };
  auto step_fn = nn::value_and_grad(*model, loss_fn);

  auto accuracy = [&]() {
    // Each rank scores its share of the test set; the counts are summed.
    model->eval();
    int n = test.images.shape(0);
    int lo = n * rank / ranks, hi = n * (rank + 1) / ranks;
    mx::array correct(0.0f);
    for (int b = lo; b < hi; b += 1000) {
      int e = std::min(hi, b + 1000);
      auto x = mx::slice(test.images, {b, 0, 0, 0}, {e, 28, 28, 1});
      auto y = mx::slice(test.labels, {b}, {e});
      auto hits = mx::equal(mx::argmax((*model)(x), 1), y);
      correct = mx::add(correct, mx::sum(mx::astype(hits, mx::float32)));
    }
    model->train();
    return dist::all_sum(correct, world).item<float>() / n;
  };

  if (rank == 0) {
    std::printf(
        "train_mnist: %s, %d rank(s), global batch %d, Adam lr %g, %d train "
        "images\n",
        opt.model.c_str(),
        ranks,
        opt.batch_size,
        opt.lr,
        num_train);
  }
  int steps_per_epoch = num_train / opt.batch_size;
  int step = first_epoch * steps_per_epoch;
  for (int epoch = first_epoch; epoch < opt.epochs; ++epoch) {
    auto start = std::chrono::steady_clock::now();
    // The same shuffle on every rank; each takes a slice of every batch.
    auto order = mx::random::permutation(
        num_train,
        mx::random::key(uint64_t(opt.seed) * 1000 + epoch),
        mx::Device::cpu);
    mx::eval(order);
    mx::array loss_sum(0.0f);
    int batches = 0;
    for (int b = 0; b < steps_per_epoch; ++b) {
      if (opt.steps > 0 && step >= opt.steps) {
        break;
      }
      int begin = b * opt.batch_size + rank * local_batch;
      auto idx = mx::slice(order, {begin}, {begin + local_batch});
      // The dataset lives in host memory: the batch is gathered there (a
      // host data pipeline) and only the batch reaches a GPU.
      auto x = mx::take(train.images, idx, 0, mx::Device::cpu);
      auto y = mx::take(train.labels, idx, 0, mx::Device::cpu);
      auto [loss, grads] = step_fn(x, y);
      grads = nn::average_gradients(grads, world);
      optimizer.update(*model, grads);
      loss_sum = mx::add(loss_sum, loss);
      eval_trees({model->parameters(), optimizer.state(), mu::Tree(loss_sum)});
      ++batches;
      ++step;
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    auto mean_loss = dist::all_sum(loss_sum, world).item<float>() /
                     std::max(1, batches * ranks);
    float acc = accuracy();
    if (rank == 0) {
      std::printf(
          "epoch %2d  loss %.4f  test accuracy %.4f  %.0f samples/s  "
          "(%.1f s)\n",
          epoch + 1,
          mean_loss,
          acc,
          batches * opt.batch_size / seconds,
          seconds);
      std::fflush(stdout);
    }
    if (!opt.checkpoint.empty() && rank == 0) {
      save_checkpoint(opt.checkpoint, *model, optimizer, epoch + 1);
    }
    if (opt.steps > 0 && step >= opt.steps) {
      break;
    }
  }
  return 0;
}
