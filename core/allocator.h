// Device memory. Every array buffer comes from the allocator of its device,
// which keeps freed buffers in a cache for reuse and accounts for the bytes
// in use. Kernels call allocator::malloc for their outputs.
#pragma once

#include <cstddef>

namespace mlx::core::allocator {

class Buffer {
public:
  Buffer() = default;
  explicit Buffer(void* ptr) : ptr_(ptr) {}

  /** Opaque handle owned by the allocator. */
  void* ptr() const { return ptr_; }
  /** Host address of the first byte (nullptr for empty buffers). */
  void* raw_ptr() const { return ptr_; }

private:
  void* ptr_{nullptr};
};

class Allocator {
public:
  virtual ~Allocator() = default;
  virtual Buffer malloc(size_t size) = 0;
  virtual void free(Buffer buffer) = 0;
  /** Bytes reserved for the buffer (its size class, at least its request). */
  virtual size_t size(Buffer buffer) const = 0;

  virtual size_t get_active_memory() = 0;
  virtual size_t get_peak_memory() = 0;
  virtual void reset_peak_memory() = 0;
  virtual size_t get_cache_memory() = 0;
  virtual size_t set_memory_limit(size_t limit) = 0;
  virtual size_t get_memory_limit() = 0;
  virtual size_t set_cache_limit(size_t limit) = 0;
  virtual void clear_cache() = 0;
};

/** The allocator of the CPU device (host memory). */
Allocator& cpu_allocator();

/** The allocator kernels use for outputs (the host allocator until a GPU
 * backend with its own memory is built). */
Allocator& allocator();

Buffer malloc(size_t size);
void free(Buffer buffer);

} // namespace mlx::core::allocator
