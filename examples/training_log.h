// What train_mnist and train_lm share to log a run and resume it exactly:
// the JSON-lines log (--log FILE), running loss sums that survive a
// checkpoint, and the checkpoint's file name in --checkpoint DIR.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>

#include "mlx/mlx.h"

namespace examples {

namespace mx = mlx::core;

using Extra = std::map<std::string, std::string>;

// A float as text that strtof turns back into the same bits (9 significant
// digits suffice for float32); non-finite values as Python's json reads them.
inline std::string exact_float(float x) {
  if (std::isnan(x)) {
    return "NaN";
  }
  if (std::isinf(x)) {
    return x > 0 ? "Infinity" : "-Infinity";
  }
  char text[32];
  std::snprintf(text, sizeof(text), "%.9g", x);
  return text;
}

// The value stored under `key` of a checkpoint's extra map; raises naming
// the key when it is missing (a checkpoint from another program).
inline const std::string&
extra_value(const Extra& extra, const std::string& key) {
  auto it = extra.find(key);
  if (it == extra.end()) {
    throw std::runtime_error(
        "[resume] The checkpoint has no \"" + key +
        "\" entry: it was not written by this program.");
  }
  return it->second;
}

// Raises unless the checkpoint's extra map holds `expected`'s values (the
// options that shape the model or the data order: resuming with others
// would not continue the same run).
inline void check_same_options(const Extra& saved, const Extra& expected) {
  for (auto& [key, value] : expected) {
    if (extra_value(saved, key) != value) {
      throw std::invalid_argument(
          "[resume] The checkpoint was written with --" + key + " " +
          saved.at(key) + ", not " + value + ".");
    }
  }
}

// --checkpoint DIR holds one file, rewritten atomically at each save.
inline std::string checkpoint_file(const std::string& dir) {
  std::filesystem::create_directories(dir);
  return dir + "/checkpoint.h5";
}

// A sum of per-step losses (identical on every rank: the losses added are
// already averaged over the ranks) and how many were added. Kept as an
// array so the sum rounds exactly as it would in an uninterrupted run;
// saved into and restored from a checkpoint's extra map bit for bit.
struct LossSum {
  mx::array sum = mx::array(0.0f);
  int count = 0;

  void add(const mx::array& loss) {
    sum = mx::add(sum, loss);
    ++count;
  }
  float mean() const { return count == 0 ? 0.0f : value() / count; }
  float value() const { return mx::array(sum).item<float>(); }
  void reset() {
    sum = mx::array(0.0f);
    count = 0;
  }
  void save(Extra& extra, const std::string& name) const {
    extra[name + "_sum"] = exact_float(value());
    extra[name + "_count"] = std::to_string(count);
  }
  void restore(const Extra& extra, const std::string& name) {
    sum = mx::array(
        std::strtof(extra_value(extra, name + "_sum").c_str(), nullptr));
    count = std::stoi(extra_value(extra, name + "_count"));
  }
};

// --log FILE: one JSON object per line, written by rank 0, appended to (a
// resumed run adds the steps it redoes; a reader keeps the last line of
// each step), flushed line by line so it can be followed while it grows:
//   {"step":10,"loss":2.30258512,"throughput":1843.2,"unit":"samples/s",
//    "lr":0.001,"time":1.52}
// loss is printed exactly (exact_float); time is seconds of training since
// the first step of the run, counting the time before a resume.
class TrainingLog {
public:
  TrainingLog(const std::string& path, bool writer, std::string unit)
      : unit_(std::move(unit)) {
    if (writer && !path.empty()) {
      file_ = std::fopen(path.c_str(), "a");
      if (file_ == nullptr) {
        throw std::runtime_error("[TrainingLog] Cannot open --log " + path);
      }
    }
  }
  TrainingLog(const TrainingLog&) = delete;
  TrainingLog& operator=(const TrainingLog&) = delete;
  ~TrainingLog() {
    if (file_ != nullptr) {
      std::fclose(file_);
    }
  }

  // `items` samples or tokens were processed in the current interval
  // (since the previous entry, the start or the resume, less the pauses).
  // Returns the throughput, items per second. Pauses the clock: resume()
  // once training goes on.
  double write(int step, float loss, double items, float lr) {
    pause();
    double throughput = interval_ > 0 ? items / interval_ : 0.0;
    interval_ = 0;
    if (file_ == nullptr) {
      return throughput;
    }
    std::fprintf(
        file_,
        "{\"step\":%d,\"loss\":%s,\"throughput\":%.6g,\"unit\":\"%s\","
        "\"lr\":%s,\"time\":%.6f}\n",
        step,
        exact_float(loss).c_str(),
        throughput,
        unit_.c_str(),
        exact_float(lr).c_str(),
        elapsed_);
    std::fflush(file_);
    return throughput;
  }

  // The elapsed time goes into checkpoints so a resumed run's times go on.
  void save(Extra& extra) const {
    char text[32];
    std::snprintf(text, sizeof(text), "%.6f", elapsed_);
    extra["log_time"] = text;
  }
  void restore(const Extra& extra) {
    elapsed_ = std::stod(extra_value(extra, "log_time"));
    last_ = std::chrono::steady_clock::now();
  }
  // The training time up to now goes into the current interval.
  void pause() {
    auto now = std::chrono::steady_clock::now();
    double seconds = std::chrono::duration<double>(now - last_).count();
    interval_ += seconds;
    elapsed_ += seconds;
    last_ = now;
  }
  // The time since pause() (an evaluation, a checkpoint: not training) is
  // left out of the throughput; it counts in "time".
  void resume() {
    auto now = std::chrono::steady_clock::now();
    elapsed_ += std::chrono::duration<double>(now - last_).count();
    last_ = now;
  }

private:
  std::string unit_;
  std::FILE* file_ = nullptr;
  double elapsed_ = 0.0;
  // Training seconds of the current interval.
  double interval_ = 0.0;
  std::chrono::steady_clock::time_point last_ =
      std::chrono::steady_clock::now();
};

} // namespace examples
