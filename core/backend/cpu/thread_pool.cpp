#include "mlx/backend/cpu/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace mlx::core::cpu {

namespace {

struct Job {
  const std::function<void(size_t, size_t)>* f;
  size_t n;
  size_t chunk;
  size_t num_chunks;
  std::atomic<size_t> next{0};
  std::atomic<size_t> finished{0};
  std::mutex mutex;
  std::condition_variable done;
  std::exception_ptr error;

  // Runs chunks until none are left; returns true if it ran the last one.
  void work() {
    size_t c;
    while ((c = next.fetch_add(1)) < num_chunks) {
      size_t begin = c * chunk;
      size_t end = std::min(n, begin + chunk);
      try {
        (*f)(begin, end);
      } catch (...) {
        std::lock_guard lock(mutex);
        if (!error) {
          error = std::current_exception();
        }
      }
      if (finished.fetch_add(1) + 1 == num_chunks) {
        std::lock_guard lock(mutex);
        done.notify_all();
      }
    }
  }
};

int default_thread_count() {
  if (const char* env = std::getenv("MLX_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) {
      return n;
    }
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

class ThreadPool {
public:
  explicit ThreadPool(int n) : size_(n) {
    for (int i = 1; i < n; ++i) {
      threads_.emplace_back([this] { run(); });
    }
  }

  int size() const { return size_; }

  void submit(const std::shared_ptr<Job>& job) {
    {
      std::lock_guard lock(mutex_);
      jobs_.push_back(job);
    }
    cv_.notify_all();
  }

  void retire(const std::shared_ptr<Job>& job) {
    std::lock_guard lock(mutex_);
    auto it = std::find(jobs_.begin(), jobs_.end(), job);
    if (it != jobs_.end()) {
      jobs_.erase(it);
    }
  }

private:
  void run() {
    while (true) {
      std::shared_ptr<Job> job;
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [this] { return !jobs_.empty(); });
        job = jobs_.front();
        // A job whose chunks are all handed out needs no more helpers.
        if (job->next.load() >= job->num_chunks) {
          jobs_.pop_front();
          continue;
        }
      }
      job->work();
    }
  }

  int size_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> jobs_;
};

ThreadPool& pool() {
  // Never destroyed: stream workers may still run kernels while static
  // objects are torn down at exit (the scheduler joins them then).
  static ThreadPool* p = new ThreadPool(default_thread_count());
  return *p;
}

} // namespace

int num_threads() {
  return pool().size();
}

void parallel_for(
    size_t n, size_t grain, const std::function<void(size_t, size_t)>& f) {
  if (n == 0) {
    return;
  }
  grain = std::max<size_t>(grain, 1);
  size_t threads = static_cast<size_t>(num_threads());
  size_t max_chunks = (n + grain - 1) / grain;
  size_t num_chunks = std::min(threads, max_chunks);
  if (num_chunks <= 1) {
    f(0, n);
    return;
  }
  auto job = std::make_shared<Job>();
  job->f = &f;
  job->n = n;
  job->chunk = (n + num_chunks - 1) / num_chunks;
  job->num_chunks = (n + job->chunk - 1) / job->chunk;
  pool().submit(job);
  job->work();
  {
    std::unique_lock lock(job->mutex);
    job->done.wait(
        lock, [&] { return job->finished.load() == job->num_chunks; });
  }
  pool().retire(job);
  if (job->error) {
    std::rethrow_exception(job->error);
  }
}

} // namespace mlx::core::cpu
