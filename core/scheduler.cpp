#include "mlx/scheduler.h"

#include "mlx/backend/gpu/eval.h"
#include "mlx/event.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace mlx::core {

namespace {

class StreamWorker {
public:
  /** `spin`: how long the worker polls for the next task before sleeping. */
  explicit StreamWorker(std::chrono::microseconds spin)
      : spin_(spin), thread_([this] { run(); }) {}

  ~StreamWorker() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

  void enqueue(std::function<void()> task) {
    {
      std::lock_guard lock(mutex_);
      tasks_.push_back(std::move(task));
      ++pending_;
      queued_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_one();
  }

  int pending() {
    std::lock_guard lock(mutex_);
    return pending_;
  }

private:
  void run() {
    while (true) {
      std::function<void()> task;
      // Poll briefly for the next task before sleeping: eval hands over
      // one small graph after another.
      spin_until(
          [&] { return queued_.load(std::memory_order_acquire) != taken_; },
          spin_);
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [this] { return stop_ || !tasks_.empty(); });
        if (tasks_.empty()) {
          return;
        }
        task = std::move(tasks_.front());
        tasks_.pop_front();
        ++taken_;
      }
      task();
      // Release what the task captured before taking the next one, so the
      // next kernel sees its inputs' true reference counts (donation).
      task = nullptr;
      std::lock_guard lock(mutex_);
      --pending_;
    }
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  int pending_{0};
  bool stop_{false};
  // Tasks ever queued (readable without the lock) and ever taken (only
  // by the worker).
  std::atomic<size_t> queued_{0};
  size_t taken_{0};
  const std::chrono::microseconds spin_;
  std::thread thread_;
};

class Scheduler {
public:
  Scheduler()
      : default_device_(gpu::is_default_device() ? Device::gpu : Device::cpu),
        default_streams_{{Device::cpu, Stream(0, Device::cpu)}},
        next_index_(1) {}

  Stream new_stream(const Device& d) {
    check_available(d, "new_stream");
    std::lock_guard lock(mutex_);
    return Stream(next_index_++, d);
  }

  Stream default_stream(const Device& d) {
    check_available(d, "default_stream");
    std::lock_guard lock(mutex_);
    auto it = default_streams_.find(d.type);
    if (it == default_streams_.end()) {
      it = default_streams_.emplace(d.type, Stream(next_index_++, d)).first;
    }
    return it->second;
  }

  void set_default_stream(const Stream& s) {
    check_available(s.device, "set_default_stream");
    std::lock_guard lock(mutex_);
    default_streams_.insert_or_assign(s.device.type, s);
  }

  const Device& default_device() {
    std::lock_guard lock(mutex_);
    return default_device_;
  }

  void set_default_device(const Device& d) {
    check_available(d, "set_default_device");
    std::lock_guard lock(mutex_);
    default_device_ = d;
  }

  StreamWorker& worker(const Stream& s) {
    std::lock_guard lock(mutex_);
    auto& w = workers_[s.index];
    if (!w) {
      // Every stream polls briefly for its next task: on an H100 host,
      // polling 2 ms on GPU streams gained nothing and a third polling
      // thread slowed half of the round trips (benchmarks/RESULTS.md,
      // "Sixth session"). MLX_STREAM_SPIN_US=n overrides it, for tuning.
      w = std::make_unique<StreamWorker>(
          spin_from_env("MLX_STREAM_SPIN_US", kSpinBeforeSleep));
    }
    return *w;
  }

private:
  static void check_available(const Device& d, const char* op) {
    if (!is_available(d)) {
      std::ostringstream msg;
      msg << "[" << op << "] Device " << d
          << " is not available: no GPU backend was built, or it found no "
             "device (MLX_VULKAN_DEVICE chooses one explicitly).";
      throw std::invalid_argument(msg.str());
    }
  }

  std::mutex mutex_;
  Device default_device_;
  std::map<Device::DeviceType, Stream> default_streams_;
  int next_index_;
  std::map<int, std::unique_ptr<StreamWorker>> workers_;
};

Scheduler& the_scheduler() {
  static Scheduler s;
  return s;
}

} // namespace

namespace scheduler {

void enqueue(const Stream& stream, std::function<void()> task) {
  the_scheduler().worker(stream).enqueue(std::move(task));
}

int pending(const Stream& stream) {
  return the_scheduler().worker(stream).pending();
}

} // namespace scheduler

bool operator==(const Device& lhs, const Device& rhs) {
  return lhs.type == rhs.type && lhs.index == rhs.index;
}
bool operator!=(const Device& lhs, const Device& rhs) {
  return !(lhs == rhs);
}

const Device& default_device() {
  return the_scheduler().default_device();
}

void set_default_device(const Device& d) {
  the_scheduler().set_default_device(d);
}

std::ostream& operator<<(std::ostream& os, const Device& d) {
  os << "Device(" << (d.type == Device::cpu ? "cpu" : "gpu") << ", " << d.index
     << ")";
  return os;
}

bool operator==(const Stream& lhs, const Stream& rhs) {
  return lhs.index == rhs.index;
}
bool operator!=(const Stream& lhs, const Stream& rhs) {
  return !(lhs == rhs);
}

Stream default_stream(Device d) {
  return the_scheduler().default_stream(d);
}

void set_default_stream(Stream s) {
  the_scheduler().set_default_stream(s);
}

Stream new_stream(Device d) {
  return the_scheduler().new_stream(d);
}

void synchronize(Stream s) {
  std::promise<void> done;
  auto future = done.get_future();
  // After the stream's queued tasks, the device's work they recorded.
  scheduler::enqueue(s, [&done, s] {
    try {
      if (s.device == Device::gpu) {
        gpu::synchronize(s);
      }
      done.set_value();
    } catch (...) {
      done.set_exception(std::current_exception());
    }
  });
  future.get();
}

void synchronize() {
  synchronize(default_stream(default_device()));
}

Stream to_stream(StreamOrDevice s) {
  if (std::holds_alternative<Stream>(s)) {
    return std::get<Stream>(s);
  }
  if (std::holds_alternative<Device>(s)) {
    return default_stream(std::get<Device>(s));
  }
  return default_stream(default_device());
}

StreamContext::StreamContext(StreamOrDevice s)
    : previous_stream_(default_stream(default_device())),
      previous_device_(default_device()) {
  Stream stream = to_stream(s);
  set_default_device(stream.device);
  set_default_stream(stream);
}

StreamContext::~StreamContext() {
  set_default_device(previous_device_);
  set_default_stream(previous_stream_);
}

std::ostream& operator<<(std::ostream& os, const Stream& s) {
  return os << "Stream(" << s.device << ", " << s.index << ")";
}

} // namespace mlx::core
