// Device memory for the Vulkan backend. Large VkDeviceMemory blocks, each
// with one VkBuffer spanning it, are sub-allocated first-fit (free ranges
// coalesce); a request larger than a block gets a dedicated allocation.
// Memory is host-visible and persistently mapped, so host_ptr() is a plain
// address. Freed buffers are cached by size class, as the CPU allocator does.
//
// Where that memory is not host-cached (device memory behind a PCIe BAR, as
// on NVIDIA's datacenter GPUs) the CPU reads it at a few MB/s: host reads
// then go through a host copy that the GPU's copy engine makes
// (download.h), kept until the GPU writes the buffer again.
// MLX_VULKAN_READ_COPY=1 or 0 forces the choice (tests use it on lavapipe).
#pragma once

#include <vulkan/vulkan.h>

#include <atomic>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "mlx/allocator.h"

namespace mlx::core::vulkan {

struct Block;

/** What a Vulkan allocator::Buffer's ptr() points to. */
struct BufferRecord {
  VkBuffer buffer;     // the block's buffer
  VkDeviceSize offset; // of this sub-allocation in `buffer`
  VkDeviceSize size;   // its size class
  void* mapped;        // host address of its first byte
  Block* block;
  // The host copy of the whole buffer (reads_through_copy), and whether it
  // holds the buffer's current bytes: cleared when the GPU is to write the
  // buffer (Encoder::track) and when the buffer is freed.
  char* copy = nullptr;
  mutable std::atomic<bool> copy_valid{false};
};

class VulkanAllocator : public allocator::Allocator {
public:
  VulkanAllocator();
  ~VulkanAllocator() override;

  allocator::Buffer malloc(size_t size) override;
  void free(allocator::Buffer buffer) override;
  size_t size(allocator::Buffer buffer) const override;
  void* host_ptr(allocator::Buffer buffer) const override;
  const void* host_read_ptr(allocator::Buffer buffer) const override;
  bool reads_through_copy() const override { return read_copy_; }

  size_t get_active_memory() override;
  size_t get_peak_memory() override;
  void reset_peak_memory() override;
  size_t get_cache_memory() override;
  size_t set_memory_limit(size_t limit) override;
  size_t get_memory_limit() override;
  size_t set_cache_limit(size_t limit) override;
  void clear_cache() override;

  /** Live VkDeviceMemory allocations (blocks and dedicated ones). */
  size_t device_memory_count();

  /** The record of one of this allocator's buffers (nullptr when empty). */
  static const BufferRecord* record(const allocator::Buffer& buffer) {
    return static_cast<const BufferRecord*>(buffer.ptr());
  }

private:
  BufferRecord* allocate(size_t size); // caller holds mutex_
  void release(BufferRecord* record);  // caller holds mutex_
  void release_cache(size_t bytes);    // caller holds mutex_
  Block* new_block(VkDeviceSize size); // caller holds mutex_
  void free_block(Block* block);       // caller holds mutex_

  std::mutex mutex_;
  std::vector<std::unique_ptr<Block>> blocks_;
  std::multimap<size_t, BufferRecord*> cache_;
  size_t cache_bytes_{0};
  size_t active_{0};
  size_t peak_{0};
  size_t memory_limit_;
  size_t cache_limit_;
  uint32_t memory_type_{0};
  VkDeviceSize alignment_{64};
  bool read_copy_{false};
  mutable std::mutex copy_mutex_; // makes and refreshes host copies
};

/** The backend's allocator (gpu::allocator() returns it); throws without a
 * device. */
VulkanAllocator& allocator();

/** Whether the buffer was made by the Vulkan allocator. */
bool is_vulkan_buffer(const allocator::Buffer& buffer);

/** Throws "[vulkan] array of N bytes exceeds the device's storage buffer
 * range of M bytes" when a binding of `bytes` is larger than the device's
 * maxStorageBufferRange. */
void check_binding_range(size_t bytes);

} // namespace mlx::core::vulkan
