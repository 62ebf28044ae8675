// The byte-level text data of the language-model examples (finetune_lm and
// the test program that writes small LanguageModel checkpoints): a corpus
// folder read as bytes, its held-out tail, random training windows and the
// next-byte loss.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "mlx/mlx.h"
#include "mlx/nn.h"

namespace examples {

namespace mx = mlx::core;
namespace nn = mlx::nn;

// A corpus as int32 bytes; the last 5% is held out for validation.
struct TextCorpus {
  mx::array text = mx::array(0);
  int64_t size = 0;
  int64_t train_bytes = 0;
};

// Every regular file of `dir` (not its sub-folders, .dat indexes or
// symbolic links: the layout of Debian's fortune packages), in name order.
// `hint` says which package provides it when the folder has no text.
inline TextCorpus
read_corpus(const std::string& dir, int context, const std::string& hint) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  if (fs::is_directory(dir)) {
    for (auto& entry : fs::directory_iterator(dir)) {
      if (entry.is_regular_file() && !entry.is_symlink() &&
          entry.path().extension() != ".dat") {
        files.push_back(entry.path());
      }
    }
  }
  std::sort(files.begin(), files.end());
  std::string bytes;
  for (auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(in), {});
  }
  TextCorpus c;
  c.size = int64_t(bytes.size());
  c.train_bytes = c.size * 95 / 100;
  // Both parts must hold a window of context + 1 bytes.
  if (c.size - c.train_bytes <= context + 1) {
    throw std::runtime_error(
        "No text (or too little for --context " + std::to_string(context) +
        ") in " + dir + " (" + hint + ").");
  }
  c.text = mx::astype(
      mx::array(
          reinterpret_cast<const uint8_t*>(bytes.data()),
          {int(bytes.size())},
          mx::uint8),
      mx::int32);
  mx::eval(c.text);
  return c;
}

// `count` random windows of context + 1 bytes from text[lo, hi).
inline mx::array sample_windows(
    const mx::array& text,
    int64_t lo,
    int64_t hi,
    int count,
    int context,
    const mx::array& key) {
  auto starts = mx::random::randint(
      int(lo), int(hi - context - 1), {count, 1}, mx::int32, key);
  auto offsets = mx::reshape(mx::arange(context + 1), {1, context + 1});
  return mx::take(text, mx::add(starts, offsets));
}

// Mean cross-entropy of predicting each window's byte i + 1 from bytes
// 0..i.
inline mx::array
next_byte_loss(nn::Module& model, const mx::array& windows, int context) {
  int n = windows.shape(0);
  auto inputs = mx::slice(windows, {0, 0}, {n, context});
  auto targets = mx::slice(windows, {0, 1}, {n, context + 1});
  return nn::losses::cross_entropy(
      model(inputs), targets, std::nullopt, -1, 0.0f, "mean");
}

// The loss on 64 windows of the held-out tail, the same windows for a given
// seed (so that two models are compared on the same text); eval mode.
inline float validation_loss(
    nn::Module& model, const TextCorpus& c, int context, uint64_t seed) {
  constexpr int kWindows = 64;
  auto windows = sample_windows(
      c.text,
      c.train_bytes,
      c.size,
      kWindows,
      context,
      mx::random::key(seed + 7919));
  bool training = model.training();
  model.eval();
  float loss = next_byte_loss(model, windows, context).item<float>();
  model.train(training);
  return loss;
}

} // namespace examples
