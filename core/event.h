// Completion of a scheduled array: waited on by the caller of eval and by
// kernels on other streams. Carries the error a kernel raised.
#pragma once

#include <condition_variable>
#include <exception>
#include <mutex>

namespace mlx::core {

class Event {
public:
  void signal(std::exception_ptr error = nullptr) {
    {
      std::lock_guard lock(mutex_);
      error_ = error;
      done_ = true;
    }
    cv_.notify_all();
  }

  /** Block until signalled. Does not throw. */
  void wait() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return done_; });
  }

  bool is_signaled() {
    std::lock_guard lock(mutex_);
    return done_;
  }

  /** The error of the producing kernel (after wait()), or nullptr. */
  std::exception_ptr error() {
    std::lock_guard lock(mutex_);
    return error_;
  }

private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_{false};
  std::exception_ptr error_;
};

} // namespace mlx::core
