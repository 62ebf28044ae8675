// LoRA fine-tuning of a train_lm checkpoint on another text: Debian's
// German fortunes (package fortunes-de, /usr/share/games/fortunes/de) by
// default. The base model is frozen; the attention projections get
// trainable low-rank adapters, trained data-parallel:
//   mlx.launch -n 2 ./finetune_lm --base ckpt/checkpoint.h5 --steps 300 \
//       --adapters adapters.safetensors --fuse fused.h5
// prints the validation loss of the base model and of the fine-tuned one on
// the new text, saves only the adapters (--adapters), and with --fuse
// writes the fused model as a checkpoint like the base's (evaluate it with
// --base fused.h5 --steps 0). --load-adapters starts from saved adapters.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "lm_text.h"
#include "mlx/checkpoint.h"
#include "mlx/distributed/distributed.h"
#include "mlx/distributed/ops.h"
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

struct Options {
  std::string base;
  std::string corpus = "/usr/share/games/fortunes/de";
  int steps = 300;
  int batch_size = 32; // global: sequences per step over all ranks
  float lr = 3e-3f;
  int rank = 8;
  // LoRALinear's default is 20 (MLX's, with learning rates near 1e-5);
  // 2 trains this small model stably at AdamW lr 3e-3.
  float scale = 2.0f;
  float dropout = 0.0f;
  int seed = 0;
  int log_every = 50;
  std::string device = "cpu";
  std::string adapters;
  std::string load_adapters;
  std::string fuse;
};

[[noreturn]] void usage(const std::string& error) {
  std::fprintf(
      stderr,
      "%s\nusage: finetune_lm --base CHECKPOINT [--corpus DIR] [--steps N] "
      "[--batch-size N] [--lr X] [--rank R] [--scale S] [--dropout P] "
      "[--seed N] [--log-every N] [--device cpu|gpu] [--adapters FILE] "
      "[--load-adapters FILE] [--fuse FILE]\n",
      error.c_str());
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage("missing value for " + arg);
      }
      return argv[++i];
    };
    std::map<std::string, std::string*> texts{
        {"--base", &o.base},
        {"--corpus", &o.corpus},
        {"--device", &o.device},
        {"--adapters", &o.adapters},
        {"--load-adapters", &o.load_adapters},
        {"--fuse", &o.fuse}};
    std::map<std::string, int*> ints{
        {"--steps", &o.steps},
        {"--batch-size", &o.batch_size},
        {"--rank", &o.rank},
        {"--seed", &o.seed},
        {"--log-every", &o.log_every}};
    std::map<std::string, float*> floats{
        {"--lr", &o.lr}, {"--scale", &o.scale}, {"--dropout", &o.dropout}};
    if (texts.count(arg)) {
      *texts[arg] = next();
    } else if (ints.count(arg)) {
      *ints[arg] = std::stoi(next());
    } else if (floats.count(arg)) {
      *floats[arg] = std::stof(next());
    } else {
      usage("unknown argument " + arg);
    }
  }
  if (o.base.empty()) {
    usage("--base is required");
  }
  if (o.steps < 0 || o.log_every <= 0) {
    usage("--steps must be >= 0 and --log-every > 0");
  }
  return o;
}

// A size train_lm keeps in the checkpoint's metadata.
int size_of(const nn::CheckpointInfo& info, const std::string& key) {
  auto it = info.extra.find(key);
  if (it == info.extra.end()) {
    throw std::runtime_error(
        "[finetune_lm] The checkpoint has no \"" + key +
        "\" in its metadata: not written by train_lm?");
  }
  return std::stoi(it->second);
}

// LoRA on the attention projections: query, key, value and output.
bool is_attention_projection(const std::string& path, const nn::Linear&) {
  return path.find(".attention.") != std::string::npos;
}

} // namespace

int main(int argc, char** argv) {
  Options opt = parse(argc, argv);
  auto world = dist::init();
  int rank = world.rank();
  int ranks = world.size();
  examples::use_device(opt.device, rank);
  if (opt.batch_size % ranks != 0) {
    usage("--batch-size must be a multiple of the number of ranks");
  }
  int local_batch = opt.batch_size / ranks;

  // The base: sizes from its metadata, then its weights. Its optimizer
  // state is loaded only because load_checkpoint checks it, then dropped.
  auto info = nn::read_checkpoint_info(opt.base);
  int context = size_of(info, "context");
  examples::LanguageModel model(
      context,
      size_of(info, "dims"),
      size_of(info, "heads"),
      size_of(info, "layers"));
  {
    optim::AdamW base_optimizer(0.0f);
    nn::load_checkpoint(opt.base, model, base_optimizer);
  }
  auto corpus =
      examples::read_corpus(opt.corpus, context, "apt-get install fortunes-de");
  auto val_loss = [&]() {
    return examples::validation_loss(model, corpus, context, opt.seed);
  };
  float base_val = val_loss();

  // Every rank draws the same adapters (same seed), as data-parallel
  // training needs identical replicas.
  mx::random::seed(opt.seed);
  model.freeze();
  auto adapted = nn::lora::apply(
      model, is_attention_projection, opt.rank, opt.scale, opt.dropout);
  if (!opt.load_adapters.empty()) {
    nn::lora::load_adapters(model, opt.load_adapters);
  }
  size_t trainable = 0, total = 0;
  for (auto& [path, p] : mu::tree_flatten(model.trainable_parameters())) {
    trainable += p.size();
  }
  for (auto& [path, p] : mu::tree_flatten(model.parameters())) {
    total += p.size();
  }
  if (rank == 0) {
    std::printf(
        "finetune_lm: base %s (step %llu), LoRA rank %d scale %g on %zu "
        "layers: %zu of %zu parameters trainable; %d rank(s), %lld training "
        "bytes of %s, global batch %d x %d, AdamW lr %g\n",
        opt.base.c_str(),
        (unsigned long long)info.step,
        opt.rank,
        opt.scale,
        adapted.size(),
        trainable,
        total,
        ranks,
        (long long)corpus.train_bytes,
        opt.corpus.c_str(),
        opt.batch_size,
        context,
        opt.lr);
    std::printf("base val loss %.4f\n", base_val);
    std::fflush(stdout);
  }

  optim::AdamW optimizer(opt.lr);
  auto step_fn = nn::value_and_grad(model, [&](const mx::array& windows) {
    return examples::next_byte_loss(model, windows, context);
  });
  int64_t shard_lo = corpus.train_bytes * rank / ranks;
  int64_t shard_hi = corpus.train_bytes * (rank + 1) / ranks;
  mx::array loss_sum(0.0f);
  int logged = 0;
  for (int step = 0; step < opt.steps; ++step) {
    // A different stream of windows per rank and step.
    auto key = mx::random::key(
        (uint64_t(opt.seed) << 40) + uint64_t(step) * ranks + rank);
    auto windows = examples::sample_windows(
        corpus.text, shard_lo, shard_hi, local_batch, context, key);
    auto [loss, grads] = step_fn(windows);
    grads = nn::average_gradients(grads, world);
    optimizer.update(model, grads);
    loss_sum = mx::add(loss_sum, loss);
    examples::eval_trees(
        {model.trainable_parameters(), optimizer.state(), mu::Tree(loss_sum)});
    ++logged;
    if ((step + 1) % opt.log_every == 0 || step + 1 == opt.steps) {
      float mean =
          dist::all_sum(loss_sum, world).item<float>() / (logged * ranks);
      float val = val_loss();
      if (rank == 0) {
        std::printf(
            "step %5d  loss %.3f  val loss %.3f\n", step + 1, mean, val);
        std::fflush(stdout);
      }
      loss_sum = mx::array(0.0f);
      logged = 0;
    }
  }
  float tuned_val = val_loss();
  if (rank == 0) {
    std::printf("fine-tuned val loss %.4f (base %.4f)\n", tuned_val, base_val);
    std::fflush(stdout);
  }
  if (rank == 0 && !opt.adapters.empty()) {
    nn::lora::save_adapters(model, opt.adapters);
    std::printf("saved adapters to %s\n", opt.adapters.c_str());
  }

  if (!opt.fuse.empty()) {
    nn::lora::fuse(model);
    float fused_val = val_loss();
    // A plain LanguageModel again, saved as a base checkpoint is (all
    // parameters trainable, a fresh optimizer state), so that it loads
    // wherever the base does.
    model.unfreeze();
    optim::AdamW fresh(opt.lr);
    fresh.init(model.trainable_parameters());
    auto extra = info.extra;
    extra["finetune_corpus"] = opt.corpus;
    nn::save_checkpoint(opt.fuse, model, fresh, extra, world);
    if (rank == 0) {
      std::printf(
          "fused val loss %.4f, saved to %s\n", fused_val, opt.fuse.c_str());
    }
  }
  return 0;
}
