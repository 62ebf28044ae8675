// Test-only stand-in for a train_lm run: builds a LanguageModel, trains it
// --steps steps on the fortunes text (one process, AdamW) and saves it with
// nn::save_checkpoint to DIR/checkpoint.h5 with the metadata train_lm
// writes ("context", "dims", "heads", "layers", "seed", "corpus"), for
// finetune_lm's tests and measurements.
//   make_lm_checkpoint --checkpoint DIR [--context N] [--dims N] [--heads N]
//       [--layers N] [--steps N] [--batch-size N] [--lr X] [--seed N]
//       [--corpus DIR]
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>

#include "lm_text.h"
#include "mlx/checkpoint.h"
#include "mlx/mlx.h"
#include "mlx/nn.h"
#include "mlx/optimizers.h"
#include "models.h"

namespace mx = mlx::core;
namespace nn = mlx::nn;

int main(int argc, char** argv) {
  std::map<std::string, std::string> o{
      {"--checkpoint", ""},
      {"--context", "32"},
      {"--dims", "32"},
      {"--heads", "2"},
      {"--layers", "2"},
      {"--steps", "0"},
      {"--batch-size", "16"},
      {"--lr", "0.001"},
      {"--seed", "0"},
      {"--corpus", "/usr/share/games/fortunes"}};
  for (int i = 1; i < argc; ++i) {
    if (!o.count(argv[i]) || i + 1 >= argc) {
      std::fprintf(stderr, "make_lm_checkpoint: bad argument %s\n", argv[i]);
      return 2;
    }
    o[argv[i]] = argv[i + 1];
    ++i;
  }
  if (o["--checkpoint"].empty()) {
    std::fprintf(stderr, "make_lm_checkpoint: --checkpoint DIR is required\n");
    return 2;
  }
  int context = std::stoi(o["--context"]);
  int steps = std::stoi(o["--steps"]);
  int batch = std::stoi(o["--batch-size"]);
  int seed = std::stoi(o["--seed"]);
  auto corpus =
      examples::read_corpus(o["--corpus"], context, "apt-get install fortunes");

  mx::random::seed(seed);
  examples::LanguageModel model(
      context,
      std::stoi(o["--dims"]),
      std::stoi(o["--heads"]),
      std::stoi(o["--layers"]));
  mlx::optimizers::AdamW optimizer(std::stof(o["--lr"]));
  // The state a first update makes: a checkpoint needs the step.
  optimizer.init(model.trainable_parameters());
  auto step_fn = nn::value_and_grad(model, [&](const mx::array& windows) {
    return examples::next_byte_loss(model, windows, context);
  });
  for (int step = 0; step < steps; ++step) {
    auto windows = examples::sample_windows(
        corpus.text,
        0,
        corpus.train_bytes,
        batch,
        context,
        mx::random::key((uint64_t(seed) << 40) + step));
    auto [loss, grads] = step_fn(windows);
    optimizer.update(model, grads);
    examples::eval_trees(
        {model.parameters(), optimizer.state(), mlx::utils::Tree(loss)});
    if ((step + 1) % 100 == 0 || step + 1 == steps) {
      std::printf("step %d loss %.3f\n", step + 1, loss.item<float>());
      std::fflush(stdout);
    }
  }
  std::printf(
      "val loss on %s: %.4f\n",
      o["--corpus"].c_str(),
      examples::validation_loss(model, corpus, context, seed));
  std::filesystem::create_directories(o["--checkpoint"]);
  std::map<std::string, std::string> extra;
  for (const char* key :
       {"context", "dims", "heads", "layers", "seed", "corpus"}) {
    extra[key] = o[std::string("--") + key];
  }
  nn::save_checkpoint(
      o["--checkpoint"] + "/checkpoint.h5", model, optimizer, extra);
  std::printf("saved %s/checkpoint.h5\n", o["--checkpoint"].c_str());
  return 0;
}
