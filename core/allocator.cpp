#include "mlx/allocator.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "mlx/backend/gpu/eval.h"
#include "mlx/device.h"
#include "mlx/memory.h"

namespace mlx::core::allocator {

namespace {

// Every block starts with a header recording its size class; the data
// follows, aligned for any SIMD load (64 bytes, one cache line).
constexpr size_t kAlignment = 64;
constexpr size_t kHeader = kAlignment;

// Size classes: fine steps for small buffers, page multiples for large ones,
// so a freed buffer is found again by the next request of about its size.
size_t size_class(size_t n) {
  constexpr size_t kSmall = 256, kMedium = 64 * 1024, kPage = 16 * 1024;
  auto round = [](size_t v, size_t to) { return (v + to - 1) / to * to; };
  if (n <= kSmall) {
    return round(n, 16);
  }
  if (n <= kMedium) {
    return round(n, 256);
  }
  return round(n, kPage);
}

// aligned_alloc wants a multiple of the alignment.
size_t allocation_size(size_t block) {
  return (kHeader + block + kAlignment - 1) / kAlignment * kAlignment;
}

size_t physical_memory() {
  long pages = sysconf(_SC_PHYS_PAGES);
  long page_size = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_size <= 0) {
    return size_t(1) << 34; // unknown: assume 16 GiB
  }
  return static_cast<size_t>(pages) * static_cast<size_t>(page_size);
}

class HostAllocator : public Allocator {
public:
  HostAllocator()
      : memory_limit_(physical_memory()), cache_limit_(memory_limit_) {}

  Buffer malloc(size_t size) override {
    if (size == 0) {
      return Buffer();
    }
    size_t block = size_class(size);
    std::unique_lock lock(mutex_);
    void* base = take_from_cache(block);
    if (base == nullptr) {
      if (active_ + cache_bytes_ + block > memory_limit_) {
        release_cache(cache_bytes_);
      }
      lock.unlock();
      base = std::aligned_alloc(kAlignment, allocation_size(block));
      if (base == nullptr) {
        lock.lock();
        release_cache(cache_bytes_);
        lock.unlock();
        base = std::aligned_alloc(kAlignment, allocation_size(block));
      }
      if (base == nullptr) {
        std::ostringstream msg;
        msg << "[malloc] Unable to allocate " << size << " bytes.";
        throw std::runtime_error(msg.str());
      }
      *static_cast<size_t*>(base) = block;
      lock.lock();
    }
    active_ += block;
    peak_ = std::max(peak_, active_);
    return Buffer(static_cast<char*>(base) + kHeader, this);
  }

  void free(Buffer buffer) override {
    if (buffer.ptr() == nullptr) {
      return;
    }
    void* base = static_cast<char*>(buffer.ptr()) - kHeader;
    size_t block = *static_cast<size_t*>(base);
    std::lock_guard lock(mutex_);
    active_ -= block;
    if (cache_limit_ == 0) {
      std::free(base);
      return;
    }
    cache_.emplace(block, base);
    cache_bytes_ += block;
    if (cache_bytes_ > cache_limit_) {
      release_cache(cache_bytes_ - cache_limit_);
    }
  }

  size_t size(Buffer buffer) const override {
    if (buffer.ptr() == nullptr) {
      return 0;
    }
    return *reinterpret_cast<size_t*>(
        static_cast<char*>(buffer.ptr()) - kHeader);
  }

  void* host_ptr(Buffer buffer) const override { return buffer.ptr(); }

  size_t get_active_memory() override {
    std::lock_guard lock(mutex_);
    return active_;
  }
  size_t get_peak_memory() override {
    std::lock_guard lock(mutex_);
    return peak_;
  }
  void reset_peak_memory() override {
    std::lock_guard lock(mutex_);
    peak_ = 0;
  }
  size_t get_cache_memory() override {
    std::lock_guard lock(mutex_);
    return cache_bytes_;
  }
  size_t set_memory_limit(size_t limit) override {
    std::lock_guard lock(mutex_);
    return std::exchange(memory_limit_, limit);
  }
  size_t get_memory_limit() override {
    std::lock_guard lock(mutex_);
    return memory_limit_;
  }
  size_t set_cache_limit(size_t limit) override {
    std::lock_guard lock(mutex_);
    size_t previous = std::exchange(cache_limit_, limit);
    if (cache_bytes_ > cache_limit_) {
      release_cache(cache_bytes_ - cache_limit_);
    }
    return previous;
  }
  void clear_cache() override {
    std::lock_guard lock(mutex_);
    release_cache(cache_bytes_);
  }

private:
  // Caller holds mutex_.
  void* take_from_cache(size_t block) {
    auto it = cache_.find(block);
    if (it == cache_.end()) {
      return nullptr;
    }
    void* base = it->second;
    cache_.erase(it);
    cache_bytes_ -= block;
    return base;
  }

  // Caller holds mutex_. Frees the largest blocks first: fewest calls to
  // release the requested bytes.
  void release_cache(size_t bytes) {
    size_t released = 0;
    while (released < bytes && !cache_.empty()) {
      auto it = std::prev(cache_.end());
      released += it->first;
      cache_bytes_ -= it->first;
      std::free(it->second);
      cache_.erase(it);
    }
  }

  std::mutex mutex_;
  std::multimap<size_t, void*> cache_;
  size_t cache_bytes_{0};
  size_t active_{0};
  size_t peak_{0};
  size_t memory_limit_;
  size_t cache_limit_;
};

} // namespace

Allocator& cpu_allocator() {
  // Leaked on purpose: buffers may be freed by static arrays during exit.
  static auto* allocator = new HostAllocator();
  return *allocator;
}

Allocator& allocator(const Device& device) {
  return device == Device::cpu ? cpu_allocator() : gpu::allocator();
}

Buffer malloc(size_t size) {
  return cpu_allocator().malloc(size);
}

void free(Buffer buffer) {
  if (auto* owner = buffer.allocator()) {
    owner->free(buffer);
  }
}

} // namespace mlx::core::allocator

namespace mlx::core {

// The memory functions act on the allocator of the default device, as
// MLX's act on the GPU's when it has one.
namespace {
allocator::Allocator& current() {
  return allocator::allocator(default_device());
}
} // namespace

size_t get_active_memory() {
  return current().get_active_memory();
}
size_t get_peak_memory() {
  return current().get_peak_memory();
}
void reset_peak_memory() {
  current().reset_peak_memory();
}
size_t get_cache_memory() {
  return current().get_cache_memory();
}
size_t set_memory_limit(size_t limit) {
  return current().set_memory_limit(limit);
}
size_t get_memory_limit() {
  return current().get_memory_limit();
}
size_t set_cache_limit(size_t limit) {
  return current().set_cache_limit(limit);
}
void clear_cache() {
  current().clear_cache();
}

size_t set_wired_limit(size_t limit) {
  static std::atomic<size_t> wired_limit{0};
  return wired_limit.exchange(limit);
}

} // namespace mlx::core
