// A small byte-level transformer language model trained on the text of
// Debian's `fortunes` package (/usr/share/games/fortunes). One process:
//   ./train_lm --steps 1000
// data-parallel (each rank samples its batches from its own shard of the
// corpus; gradients averaged with nn::average_gradients):
//   mlx.launch -n 2 ./train_lm --steps 1000
// Rank 0 prints the loss, tokens/s and a validation loss every --log-every
// steps, and appends them to a JSON-lines log (--log FILE). --checkpoint
// DIR saves DIR/checkpoint.h5 every --checkpoint-every steps and at the
// end; --resume continues from it, and the losses of every later step are
// those of an uninterrupted run, bit for bit (the batches of a step are a
// function of the seed, the step and the rank).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "lm_text.h"
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

using examples::eval_trees;
using examples::LanguageModel;

struct Options {
  int steps = 1000;
  int batch_size = 32; // global: sequences per step over all ranks
  int context = 128;
  int dims = 128;
  int heads = 4;
  int layers = 4;
  float lr = 1e-3f;
  int seed = 0;
  std::string device = "cpu";
  int log_every = 50;
  std::string corpus = "/usr/share/games/fortunes";
  std::string checkpoint;
  int checkpoint_every = 0;
  bool resume = false;
  std::string log;
};

[[noreturn]] void usage(const std::string& error) {
  std::fprintf(
      stderr,
      "%s\nusage: train_lm [--steps N] [--epochs N] [--batch-size N] "
      "[--context N] [--dims N] [--heads N] [--layers N] [--lr X] [--seed N] "
      "[--device cpu|gpu] "
      "[--log-every N] [--log FILE] [--corpus DIR] [--checkpoint DIR] "
      "[--checkpoint-every N] [--resume]\n"
      "  --log FILE            append a JSON line every --log-every steps\n"
      "                        (step, loss, throughput, unit, lr, time)\n"
      "  --checkpoint DIR      save DIR/checkpoint.h5 (HDF5) at the end\n"
      "  --checkpoint-every N  and every N steps\n"
      "  --resume              continue from DIR/checkpoint.h5: the later\n"
      "                        losses equal an uninterrupted run's exactly\n",
      error.c_str());
  std::exit(2);
}

Options parse(int argc, char** argv, int& epochs) {
  Options o;
  epochs = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage("missing value for " + arg);
      }
      return argv[++i];
    };
    if (arg == "--steps") {
      o.steps = std::stoi(next());
    } else if (arg == "--epochs") {
      epochs = std::stoi(next());
    } else if (arg == "--batch-size") {
      o.batch_size = std::stoi(next());
    } else if (arg == "--context") {
      o.context = std::stoi(next());
    } else if (arg == "--dims") {
      o.dims = std::stoi(next());
    } else if (arg == "--heads") {
      o.heads = std::stoi(next());
    } else if (arg == "--layers") {
      o.layers = std::stoi(next());
    } else if (arg == "--lr") {
      o.lr = std::stof(next());
    } else if (arg == "--device") {
      o.device = next();
    } else if (arg == "--seed") {
      o.seed = std::stoi(next());
    } else if (arg == "--log-every") {
      o.log_every = std::stoi(next());
    } else if (arg == "--corpus") {
      o.corpus = next();
    } else if (arg == "--checkpoint") {
      o.checkpoint = next();
    } else if (arg == "--checkpoint-every") {
      o.checkpoint_every = std::stoi(next());
    } else if (arg == "--resume") {
      o.resume = true;
    } else if (arg == "--log") {
      o.log = next();
    } else {
      usage("unknown argument " + arg);
    }
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
  int epochs = 0;
  Options opt = parse(argc, argv, epochs);
  auto world = dist::init();
  int rank = world.rank();
  examples::use_device(opt.device, rank);
  int ranks = world.size();
  if (opt.batch_size % ranks != 0) {
    usage("--batch-size must be a multiple of the number of ranks");
  }
  int local_batch = opt.batch_size / ranks;

  // The last 5% is held out; each rank trains on its own slice of the rest.
  auto corpus = examples::read_corpus(
      opt.corpus, opt.context, "apt-get install fortunes");
  int64_t train_bytes = corpus.train_bytes;
  int64_t shard_lo = train_bytes * rank / ranks;
  int64_t shard_hi = train_bytes * (rank + 1) / ranks;
  if (epochs > 0) {
    // An epoch: as many tokens as the training text holds.
    opt.steps =
        int(epochs * train_bytes / (int64_t(opt.batch_size) * opt.context));
  }

  mx::random::seed(opt.seed);
  LanguageModel model(opt.context, opt.dims, opt.heads, opt.layers);
  eval_trees({model.parameters()});
  // examples/finetune_lm rebuilds the model from these entries and loads
  // the checkpoint with a fresh AdamW.
  optim::AdamW optimizer(opt.lr);
  examples::Extra hyper_parameters = {
      {"context", std::to_string(opt.context)},
      {"dims", std::to_string(opt.dims)},
      {"heads", std::to_string(opt.heads)},
      {"layers", std::to_string(opt.layers)},
      {"seed", std::to_string(opt.seed)},
      {"corpus", opt.corpus}};
  examples::TrainingLog log(opt.log, rank == 0, "tokens/s");
  // The training losses since the last log line.
  examples::LossSum window;
  int first_step = 0;
  if (opt.resume) {
    auto info = nn::load_checkpoint(
        examples::checkpoint_file(opt.checkpoint), model, optimizer);
    auto shape = hyper_parameters;
    shape.erase("corpus"); // the same text may have moved
    examples::check_same_options(info.extra, shape);
    first_step = int(info.step);
    window.restore(info.extra, "window");
    log.restore(info.extra);
  }
  auto save = [&]() {
    auto extra = hyper_parameters;
    window.save(extra, "window");
    log.save(extra);
    nn::save_checkpoint(
        examples::checkpoint_file(opt.checkpoint),
        model,
        optimizer,
        extra,
        world);
  };

  auto loss_fn = [&](const mx::array& windows) {
    return examples::next_byte_loss(model, windows, opt.context);
  };
  auto step_fn = nn::value_and_grad(model, loss_fn);
  auto validation_loss = [&]() {
    return examples::validation_loss(model, corpus, opt.context, opt.seed);
  };

  if (rank == 0) {
    size_t params = 0;
    for (auto& [path, p] : mu::tree_flatten(model.parameters())) {
      params += p.size();
    }
    std::printf(
        "train_lm: %zu parameters, %d rank(s), %lld training bytes, global "
        "batch %d x %d tokens, AdamW lr %g\n",
        params,
        ranks,
        (long long)train_bytes,
        opt.batch_size,
        opt.context,
        opt.lr);
  }
  for (int step = first_step; step < opt.steps; ++step) {
    // A different stream of windows per rank and step.
    auto key = mx::random::key(
        (uint64_t(opt.seed) << 40) + uint64_t(step) * ranks + rank);
    auto windows = examples::sample_windows(
        corpus.text, shard_lo, shard_hi, local_batch, opt.context, key);
    auto [loss, grads] = step_fn(windows);
    grads = nn::average_gradients(grads, world);
    optimizer.update(model, grads);
    // The loss of the global batch, the same on every rank.
    window.add(mx::divide(dist::all_sum(loss, world), mx::array(float(ranks))));
    eval_trees({model.parameters(), optimizer.state(), mu::Tree(window.sum)});
    bool last = step + 1 == opt.steps;
    if ((step + 1) % opt.log_every == 0 || last) {
      float mean = window.mean();
      double tokens = window.count * double(opt.batch_size) * opt.context;
      double throughput = log.write(
          step + 1, mean, tokens, optimizer.learning_rate().item<float>());
      float val = validation_loss();
      if (rank == 0) {
        std::printf(
            "step %5d  loss %.3f  val loss %.3f (%.2f bits/byte)  %.0f "
            "tokens/s\n",
            step + 1,
            mean,
            val,
            val / std::log(2.0f),
            throughput);
        std::fflush(stdout);
      }
      window.reset();
      log.resume();
    }
    if (!opt.checkpoint.empty() &&
        ((opt.checkpoint_every > 0 && (step + 1) % opt.checkpoint_every == 0) ||
         last)) {
      log.pause();
      save();
      log.resume();
    }
  }
  return 0;
}
