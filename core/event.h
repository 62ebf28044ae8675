// Completion of a scheduled array: waited on by the caller of eval and by
// kernels on other streams. Carries the error a kernel raised.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>

namespace mlx::core {

/** How long a waiter polls before it sleeps: most waits on a small graph
 * end within it, and a thread wake-up costs 5-20 us. */
inline constexpr std::chrono::microseconds kSpinBeforeSleep{50};

/** How long a waiter for a GPU stream's event polls: a GPU kernel often
 * runs for a few hundred microseconds, and a sleeping waiter wakes tens of
 * microseconds after it ends (CUDA's default synchronization spins too
 * when cores are plenty). */
inline constexpr std::chrono::microseconds kGpuSpinBeforeSleep{2000};

/** A polling time from the environment variable `name` in microseconds
 * (a tuning knob; negative counts as 0), else `fallback`. */
inline std::chrono::microseconds
spin_from_env(const char* name, std::chrono::microseconds fallback) {
  if (const char* env = std::getenv(name)) {
    return std::chrono::microseconds(std::max(0, std::atoi(env)));
  }
  return fallback;
}

/** Polls `ready` (yielding the core to runnable threads) for up to `spin`;
 * true when it became true. */
template <typename F>
bool spin_until(F ready, std::chrono::microseconds spin = kSpinBeforeSleep) {
  auto deadline = std::chrono::steady_clock::now() + spin;
  while (!ready()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::yield();
  }
  return true;
}

class Event {
public:
  Event() = default;
  /** An event signalled by the work of the stream with this index. */
  explicit Event(int stream_index, bool on_gpu = false)
      : stream_index_(stream_index), on_gpu_(on_gpu) {}

  /** Index of the producing stream (-1 when none). */
  int stream_index() const { return stream_index_; }

  void signal(std::exception_ptr error = nullptr) {
    {
      std::lock_guard lock(mutex_);
      error_ = error;
      done_.store(true, std::memory_order_release);
    }
    cv_.notify_all();
  }

  /** Block until signalled. Does not throw. */
  void wait() {
    auto spin = on_gpu_ ? kGpuSpinBeforeSleep : kSpinBeforeSleep;
    if (spin_until([this] { return is_signaled(); }, spin)) {
      return;
    }
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return is_signaled(); });
  }

  bool is_signaled() const { return done_.load(std::memory_order_acquire); }

  /** The error of the producing kernel (after wait()), or nullptr. */
  std::exception_ptr error() {
    std::lock_guard lock(mutex_);
    return error_;
  }

private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::atomic<bool> done_{false};
  std::exception_ptr error_;
  int stream_index_{-1};
  bool on_gpu_{false};
};

} // namespace mlx::core
