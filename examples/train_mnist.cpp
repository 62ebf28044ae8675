// Trains a classifier on Fashion-MNIST: the reference's MLP (--model mlp)
// or a small CNN (--model cnn). Runs on one process, or data-parallel:
//   mlx.launch -n 2 ./train_mnist --epochs 10              (TCP ring)
//   mlx.launch --backend mpi -n 4 ./train_mnist --model cnn
// Every rank takes its share of each global batch (--batch-size is the
// global size), gradients are averaged with nn::average_gradients, and the
// parameters stay identical on every rank. Rank 0 prints one line per
// epoch and appends a JSON line per --log-every steps to --log FILE.
// --checkpoint DIR saves DIR/checkpoint.h5 at the end of each epoch and
// every --checkpoint-every steps; --resume continues from it, mid-epoch
// too, and the losses of every later step are those of an uninterrupted
// run, bit for bit (an epoch's shuffle is a function of the seed and the
// epoch; the loss sums being logged are saved with the checkpoint).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "fashion_mnist.h"
#include "mlx/checkpoint.h"
#include "mlx/distributed/distributed.h"
#include "mlx/distributed/ops.h"
#include "mlx/mlx.h"
#include "mlx/nn.h"
#include "mlx/optimizers.h"
#include "models.h"
#include "training_log.h"

namespace mx = mlx::core;
namespace nn = mlx::nn;
namespace optim = mlx::optimizers;
namespace dist = mlx::core::distributed;
namespace mu = mlx::utils;

namespace {

using examples::Cnn;
using examples::eval_trees;
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
  int checkpoint_every = 0;
  bool resume = false;
  std::string log;
  int log_every = 1;
};

[[noreturn]] void usage(const char* error) {
  std::fprintf(
      stderr,
      "%s\nusage: train_mnist [--model mlp|cnn] [--epochs N] [--steps N] "
      "[--batch-size N] [--lr X] [--hidden N] [--seed N] [--device cpu|gpu] "
      "[--data DIR] [--log FILE] [--log-every N] [--checkpoint DIR] "
      "[--checkpoint-every N] [--resume]\n"
      "  --log FILE            append a JSON line every --log-every steps\n"
      "                        (step, loss, throughput, unit, lr, time)\n"
      "  --checkpoint DIR      save DIR/checkpoint.h5 (HDF5) every epoch\n"
      "  --checkpoint-every N  and every N steps\n"
      "  --resume              continue from DIR/checkpoint.h5: the later\n"
      "                        losses equal an uninterrupted run's exactly\n",
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
    } else if (arg == "--checkpoint-every") {
      o.checkpoint_every = std::stoi(value());
    } else if (arg == "--resume") {
      o.resume = true;
    } else if (arg == "--log") {
      o.log = value();
    } else if (arg == "--log-every") {
      o.log_every = std::stoi(value());
    } else {
      usage(("unknown argument " + arg).c_str());
    }
  }
  if (o.model != "mlp" && o.model != "cnn") {
    usage("--model is mlp or cnn");
  }
  if (o.log_every < 1 || o.checkpoint_every < 0) {
    usage("--log-every must be >= 1 and --checkpoint-every >= 0");
  }
  if (o.checkpoint.empty() && (o.resume || o.checkpoint_every > 0)) {
    usage("--resume and --checkpoint-every need --checkpoint DIR");
  }
  return o;
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

  examples::TrainingLog log(opt.log, rank == 0, "samples/s");
  // The losses (each averaged over the ranks) since the last log line, and
  // since the start of the epoch.
  examples::LossSum window, epoch_loss;
  examples::Extra options = {
      {"model", opt.model},
      {"hidden", std::to_string(opt.hidden)},
      {"seed", std::to_string(opt.seed)},
      {"batch-size", std::to_string(opt.batch_size)}};
  int first_step = 0;
  if (opt.resume) {
    auto info = nn::load_checkpoint(
        examples::checkpoint_file(opt.checkpoint), *model, optimizer);
    examples::check_same_options(info.extra, options);
    first_step = int(info.step);
    window.restore(info.extra, "window");
    epoch_loss.restore(info.extra, "epoch");
    log.restore(info.extra);
  }
  auto save = [&]() {
    auto extra = options;
    window.save(extra, "window");
    epoch_loss.save(extra, "epoch");
    log.save(extra);
    nn::save_checkpoint(
        examples::checkpoint_file(opt.checkpoint),
        *model,
        optimizer,
        extra,
        world);
  };

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
  int total_steps = opt.epochs * steps_per_epoch;
  if (opt.steps > 0) {
    total_steps = std::min(total_steps, opt.steps);
  }
  mx::array order(0);
  int order_epoch = -1;
  auto epoch_start = std::chrono::steady_clock::now();
  int epoch_steps = 0; // run by this process (for samples/s)
  for (int step = first_step; step < total_steps; ++step) {
    int epoch = step / steps_per_epoch;
    int b = step % steps_per_epoch;
    if (epoch != order_epoch) {
      // The same shuffle on every rank, and in a resumed run: a function of
      // the seed and the epoch. Each rank takes a slice of every batch.
      order = mx::random::permutation(
          num_train,
          mx::random::key(uint64_t(opt.seed) * 1000 + epoch),
          mx::Device::cpu);
      mx::eval(order);
      order_epoch = epoch;
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
    auto global_loss =
        mx::divide(dist::all_sum(loss, world), mx::array(float(ranks)));
    window.add(global_loss);
    epoch_loss.add(global_loss);
    eval_trees(
        {model->parameters(),
         optimizer.state(),
         mu::Tree(window.sum),
         mu::Tree(epoch_loss.sum)});
    ++epoch_steps;

    bool last = step + 1 == total_steps;
    if ((step + 1) % opt.log_every == 0 || last) {
      log.write(
          step + 1,
          window.mean(),
          window.count * double(opt.batch_size),
          optimizer.learning_rate().item<float>());
      window.reset();
      log.resume();
    }
    bool epoch_end = b + 1 == steps_per_epoch;
    if (epoch_end || last) {
      double seconds = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - epoch_start)
                           .count();
      log.pause();
      float acc = accuracy();
      if (rank == 0) {
        std::printf(
            "epoch %2d  loss %.4f  test accuracy %.4f  %.0f samples/s  "
            "(%.1f s)\n",
            epoch + 1,
            epoch_loss.mean(),
            acc,
            epoch_steps * opt.batch_size / seconds,
            seconds);
        std::fflush(stdout);
      }
      epoch_loss.reset();
      epoch_steps = 0;
      log.resume();
    }
    if (!opt.checkpoint.empty() &&
        ((opt.checkpoint_every > 0 && (step + 1) % opt.checkpoint_every == 0) ||
         epoch_end || last)) {
      log.pause();
      save();
      log.resume();
    }
    if (epoch_end) {
      epoch_start = std::chrono::steady_clock::now();
    }
  }
  return 0;
}
