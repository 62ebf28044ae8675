// Device memory. Every array buffer comes from the allocator of its device
// (one per device), which keeps freed buffers in a cache for reuse and
// accounts for the bytes in use. A buffer remembers the allocator that made
// it: its size and its release go back there, whichever device frees it.
#pragma once

#include <cstddef>

namespace mlx::core {
struct Device;
} // namespace mlx::core

namespace mlx::core::allocator {

class Allocator;

/** An opaque handle of the allocator that made it. Only that allocator
 * knows what `ptr()` points to (host memory for the CPU allocator, a device
 * buffer record for a GPU allocator). */
class Buffer {
public:
  Buffer() = default;
  Buffer(void* ptr, Allocator* allocator) : ptr_(ptr), allocator_(allocator) {}

  /** The allocator's handle (nullptr for empty buffers). */
  void* ptr() const { return ptr_; }
  /** The allocator that made the buffer (nullptr for empty buffers). */
  Allocator* allocator() const { return allocator_; }
  /** Host address of the first byte, or nullptr when the buffer is empty
   * or the host cannot address its memory. */
  void* raw_ptr() const;
  /** Where the host reads the bytes (Allocator::host_read_ptr). */
  const void* read_ptr() const;
  /** Allocator::reads_through_copy of the allocator that made it. */
  bool reads_through_copy() const;

private:
  void* ptr_{nullptr};
  Allocator* allocator_{nullptr};
};

class Allocator {
public:
  virtual ~Allocator() = default;
  virtual Buffer malloc(size_t size) = 0;
  virtual void free(Buffer buffer) = 0;
  /** Bytes reserved for the buffer (its size class, at least its request). */
  virtual size_t size(Buffer buffer) const = 0;
  /** Host address of the buffer's first byte (mapped memory for a GPU
   * allocator), or nullptr when the host cannot address it. */
  virtual void* host_ptr(Buffer buffer) const = 0;
  /** Host address to read the buffer's bytes from: host_ptr(), or, where
   * the host reads the allocator's memory slowly (uncached device memory
   * behind a PCIe BAR), a host copy made on first use. */
  virtual const void* host_read_ptr(Buffer buffer) const {
    return host_ptr(buffer);
  }
  /** Whether host_read_ptr() may be a copy: host writes through host_ptr()
   * would then not reach later reads, so host kernels must not write (take
   * by donation) such buffers. */
  virtual bool reads_through_copy() const { return false; }

  virtual size_t get_active_memory() = 0;
  virtual size_t get_peak_memory() = 0;
  virtual void reset_peak_memory() = 0;
  virtual size_t get_cache_memory() = 0;
  virtual size_t set_memory_limit(size_t limit) = 0;
  virtual size_t get_memory_limit() = 0;
  virtual size_t set_cache_limit(size_t limit) = 0;
  virtual void clear_cache() = 0;
};

inline void* Buffer::raw_ptr() const {
  return allocator_ ? allocator_->host_ptr(*this) : nullptr;
}

inline const void* Buffer::read_ptr() const {
  return allocator_ ? allocator_->host_read_ptr(*this) : nullptr;
}

inline bool Buffer::reads_through_copy() const {
  return allocator_ && allocator_->reads_through_copy();
}

/** The allocator of the CPU device (host memory). */
Allocator& cpu_allocator();

/** The allocator of a device (the GPU's when a GPU backend is built). */
Allocator& allocator(const Device& device);

/** Host memory for CPU kernels' outputs and arrays made from host data. */
Buffer malloc(size_t size);

/** Returns the buffer to the allocator that made it. */
void free(Buffer buffer);

} // namespace mlx::core::allocator
