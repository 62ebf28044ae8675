#include "mlx/backend/vulkan/allocator.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include "mlx/backend/vulkan/device.h"
#include "mlx/backend/vulkan/download.h"

namespace mlx::core::vulkan {

namespace {

// 64 MiB blocks: large enough that a model's arrays take a few dozen
// allocations (drivers cap their number: maxMemoryAllocationCount is 4096 on
// many), small enough that a small program does not reserve much. VMA uses
// 256 MiB for large heaps, ncnn 16 MiB.
constexpr VkDeviceSize kBlockSize = VkDeviceSize(64) << 20;

// Offsets at least cache-line aligned, as the CPU allocator's: CPU kernels
// read mapped buffers with vector loads.
constexpr VkDeviceSize kMinAlignment = 64;

constexpr VkBufferUsageFlags kUsage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
                                      VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                      VK_BUFFER_USAGE_TRANSFER_DST_BIT;

// Size classes as the CPU allocator's: fine steps for small buffers, 16 KiB
// multiples for large ones, so a freed buffer serves the next request of
// about its size.
size_t size_class(size_t n, size_t alignment) {
  constexpr size_t kSmall = 256, kMedium = 64 * 1024, kPage = 16 * 1024;
  auto round = [](size_t v, size_t to) { return (v + to - 1) / to * to; };
  size_t c = n <= kSmall    ? round(n, 16)
             : n <= kMedium ? round(n, 256)
                            : round(n, kPage);
  return round(c, alignment);
}

VkBuffer create_buffer(VkDevice dev, VkDeviceSize size) {
  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = size;
  info.usage = kUsage;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  VkBuffer buffer;
  check(vkCreateBuffer(dev, &info, nullptr, &buffer), "vkCreateBuffer");
  return buffer;
}

// Host-visible and coherent memory, device-local when the device exposes
// (most of) its memory so (NVIDIA datacenter GPUs, resizable BAR, integrated
// GPUs, lavapipe); else system memory the GPU reads over PCIe.
uint32_t choose_memory_type(const Device& d, uint32_t allowed) {
  const auto& m = d.memory;
  VkDeviceSize largest_local = 0;
  for (uint32_t h = 0; h < m.memoryHeapCount; ++h) {
    if (m.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) {
      largest_local = std::max(largest_local, m.memoryHeaps[h].size);
    }
  }
  constexpr VkMemoryPropertyFlags host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                         VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  auto find = [&](VkMemoryPropertyFlags want, VkDeviceSize min_heap) {
    for (uint32_t t = 0; t < m.memoryTypeCount; ++t) {
      const auto& type = m.memoryTypes[t];
      if ((allowed & (1u << t)) && (type.propertyFlags & want) == want &&
          m.memoryHeaps[type.heapIndex].size >= min_heap) {
        return int(t);
      }
    }
    return -1;
  };
  // A device-local window of 256 MiB (BAR without resizing) is too small to
  // hold arrays: require half of the device's memory.
  int t = find(host | VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, largest_local / 2);
  if (t < 0) {
    t = find(host | VK_MEMORY_PROPERTY_HOST_CACHED_BIT, 0);
  }
  if (t < 0) {
    t = find(host, 0);
  }
  if (t < 0) {
    throw std::runtime_error(
        "[vulkan] the device has no host-visible coherent memory type");
  }
  return uint32_t(t);
}

// Uncached memory is read by the host through a copy (see allocator.h).
bool reads_need_copy(const VkMemoryType& type) {
  if (const char* env = std::getenv("MLX_VULKAN_READ_COPY")) {
    std::string v = env;
    if (v == "0" || v == "1") {
      return v == "1";
    }
    throw std::invalid_argument(
        "[vulkan] MLX_VULKAN_READ_COPY is 0 or 1, not '" + v + "'");
  }
  return (type.propertyFlags & VK_MEMORY_PROPERTY_HOST_CACHED_BIT) == 0;
}

// Buffers up to this size are read in place even through a copy: a copy
// costs a submission and a wait, a few mapped words cost less.
constexpr VkDeviceSize kReadInPlaceBytes = 4096;

} // namespace

struct Block {
  VkDeviceMemory memory = VK_NULL_HANDLE;
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceSize size = 0;
  char* mapped = nullptr;
  bool dedicated = false;
  VkDeviceSize used = 0;
  std::map<VkDeviceSize, VkDeviceSize> free; // offset -> size, coalesced
};

VulkanAllocator::VulkanAllocator() {
  auto& d = device();
  alignment_ = std::max<VkDeviceSize>(
      kMinAlignment, d.limits().minStorageBufferOffsetAlignment);
  VkBuffer probe = create_buffer(d.device, kMinAlignment);
  VkMemoryRequirements req;
  vkGetBufferMemoryRequirements(d.device, probe, &req);
  vkDestroyBuffer(d.device, probe, nullptr);
  memory_type_ = choose_memory_type(d, req.memoryTypeBits);
  alignment_ = std::max(alignment_, req.alignment);
  read_copy_ = reads_need_copy(d.memory.memoryTypes[memory_type_]);
  memory_limit_ =
      d.memory.memoryHeaps[d.memory.memoryTypes[memory_type_].heapIndex].size;
  cache_limit_ = memory_limit_;
}

VulkanAllocator::~VulkanAllocator() {
  std::lock_guard lock(mutex_);
  release_cache(cache_bytes_);
  for (auto& b : blocks_) {
    auto* block = b.get();
    b.release();
    free_block(block);
  }
}

Block* VulkanAllocator::new_block(VkDeviceSize size) {
  auto& d = device();
  auto block = std::make_unique<Block>();
  block->size = size;
  block->buffer = create_buffer(d.device, size);
  VkMemoryRequirements req;
  vkGetBufferMemoryRequirements(d.device, block->buffer, &req);
  VkMemoryAllocateInfo info{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  info.allocationSize = req.size;
  info.memoryTypeIndex = memory_type_;
  VkResult r = vkAllocateMemory(d.device, &info, nullptr, &block->memory);
  if (r == VK_SUCCESS) {
    r = vkBindBufferMemory(d.device, block->buffer, block->memory, 0);
  }
  void* mapped = nullptr;
  if (r == VK_SUCCESS) {
    r = vkMapMemory(d.device, block->memory, 0, VK_WHOLE_SIZE, 0, &mapped);
  }
  if (r != VK_SUCCESS) {
    if (block->memory) {
      vkFreeMemory(d.device, block->memory, nullptr);
    }
    vkDestroyBuffer(d.device, block->buffer, nullptr);
    return nullptr;
  }
  block->mapped = static_cast<char*>(mapped);
  block->free.emplace(0, size);
  blocks_.push_back(std::move(block));
  return blocks_.back().get();
}

void VulkanAllocator::free_block(Block* block) {
  auto& d = device();
  {
    // A buffer goes back to the cache as soon as no array holds it, which
    // may be before the device has finished writing it (an output nobody
    // reads): memory returns to the driver only once the queue is idle.
    std::lock_guard lock(d.queue_mutex);
    vkQueueWaitIdle(d.queue);
  }
  vkDestroyBuffer(d.device, block->buffer, nullptr);
  vkFreeMemory(d.device, block->memory, nullptr); // also unmaps
  auto it = std::find_if(blocks_.begin(), blocks_.end(), [&](auto& b) {
    return b.get() == block;
  });
  if (it != blocks_.end()) {
    blocks_.erase(it);
  } else {
    delete block;
  }
}

BufferRecord* VulkanAllocator::allocate(size_t cls) {
  Block* block = nullptr;
  VkDeviceSize offset = 0;
  if (cls > kBlockSize) {
    block = new_block(cls);
    if (block) {
      block->dedicated = true;
    }
  } else {
    for (auto& b : blocks_) {
      if (b->dedicated) {
        continue;
      }
      for (auto it = b->free.begin(); it != b->free.end(); ++it) {
        if (it->second >= cls) {
          block = b.get();
          offset = it->first;
          break;
        }
      }
      if (block) {
        break;
      }
    }
    if (!block) {
      block = new_block(kBlockSize);
    }
  }
  if (!block) {
    return nullptr;
  }
  // Take [offset, offset + cls) from the free range starting at offset.
  auto it = block->free.find(offset);
  VkDeviceSize rest = it->second - cls;
  block->free.erase(it);
  if (rest > 0) {
    block->free.emplace(offset + cls, rest);
  }
  block->used += cls;
  return new BufferRecord{
      block->buffer, offset, cls, block->mapped + offset, block};
}

void VulkanAllocator::release(BufferRecord* rec) {
  Block* block = rec->block;
  VkDeviceSize offset = rec->offset, size = rec->size;
  std::free(rec->copy);
  delete rec;
  block->used -= size;
  if (block->used == 0) {
    // An empty block goes back unless it is the last shared one (keeps a
    // loop that allocates and frees from reallocating 64 MiB each time).
    size_t shared = std::count_if(
        blocks_.begin(), blocks_.end(), [](auto& b) { return !b->dedicated; });
    if (block->dedicated || shared > 1) {
      free_block(block);
      return;
    }
    block->free.clear();
    block->free.emplace(0, block->size);
    return;
  }
  auto next = block->free.lower_bound(offset);
  if (next != block->free.end() && offset + size == next->first) {
    size += next->second;
    next = block->free.erase(next);
  }
  if (next != block->free.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == offset) {
      prev->second += size;
      return;
    }
  }
  block->free.emplace(offset, size);
}

void VulkanAllocator::release_cache(size_t bytes) {
  // Largest first: fewest releases for the requested bytes.
  size_t released = 0;
  while (released < bytes && !cache_.empty()) {
    auto it = std::prev(cache_.end());
    released += it->first;
    cache_bytes_ -= it->first;
    release(it->second);
    cache_.erase(it);
  }
}

allocator::Buffer VulkanAllocator::malloc(size_t size) {
  if (size == 0) {
    return allocator::Buffer(nullptr, this);
  }
  size_t cls = size_class(size, alignment_);
  std::lock_guard lock(mutex_);
  BufferRecord* rec = nullptr;
  if (auto it = cache_.find(cls); it != cache_.end()) {
    rec = it->second;
    cache_.erase(it);
    cache_bytes_ -= cls;
  } else {
    if (active_ + cache_bytes_ + cls > memory_limit_) {
      release_cache(cache_bytes_);
    }
    rec = allocate(cls);
    if (!rec) { // out of memory: give the cache back and try once more
      release_cache(cache_bytes_);
      rec = allocate(cls);
    }
    if (!rec) {
      std::ostringstream msg;
      msg << "[vulkan] unable to allocate " << size << " bytes of device memory"
          << " (" << active_ << " bytes in use)";
      throw std::runtime_error(msg.str());
    }
  }
  active_ += cls;
  peak_ = std::max(peak_, active_);
  return allocator::Buffer(rec, this);
}

void VulkanAllocator::free(allocator::Buffer buffer) {
  auto* rec = static_cast<BufferRecord*>(buffer.ptr());
  if (rec == nullptr) {
    return;
  }
  rec->copy_valid = false; // its next owner writes new bytes
  std::lock_guard lock(mutex_);
  active_ -= rec->size;
  if (cache_limit_ == 0) {
    release(rec);
    return;
  }
  cache_.emplace(rec->size, rec);
  cache_bytes_ += rec->size;
  if (cache_bytes_ > cache_limit_) {
    release_cache(cache_bytes_ - cache_limit_);
  }
}

size_t VulkanAllocator::size(allocator::Buffer buffer) const {
  auto* rec = record(buffer);
  return rec ? rec->size : 0;
}

void* VulkanAllocator::host_ptr(allocator::Buffer buffer) const {
  auto* rec = record(buffer);
  return rec ? rec->mapped : nullptr;
}

const void* VulkanAllocator::host_read_ptr(allocator::Buffer buffer) const {
  auto* rec = const_cast<BufferRecord*>(record(buffer));
  if (!rec || !read_copy_ || rec->size <= kReadInPlaceBytes) {
    return rec ? rec->mapped : nullptr;
  }
  std::lock_guard lock(copy_mutex_);
  if (!rec->copy_valid) {
    if (!rec->copy) {
      rec->copy =
          static_cast<char*>(std::aligned_alloc(kMinAlignment, rec->size));
      if (!rec->copy) {
        throw std::bad_alloc();
      }
    }
    download(rec->buffer, rec->offset, rec->size, rec->copy);
    rec->copy_valid = true;
  }
  return rec->copy;
}

size_t VulkanAllocator::get_active_memory() {
  std::lock_guard lock(mutex_);
  return active_;
}
size_t VulkanAllocator::get_peak_memory() {
  std::lock_guard lock(mutex_);
  return peak_;
}
void VulkanAllocator::reset_peak_memory() {
  std::lock_guard lock(mutex_);
  peak_ = 0;
}
size_t VulkanAllocator::get_cache_memory() {
  std::lock_guard lock(mutex_);
  return cache_bytes_;
}
size_t VulkanAllocator::set_memory_limit(size_t limit) {
  std::lock_guard lock(mutex_);
  return std::exchange(memory_limit_, limit);
}
size_t VulkanAllocator::get_memory_limit() {
  std::lock_guard lock(mutex_);
  return memory_limit_;
}
size_t VulkanAllocator::set_cache_limit(size_t limit) {
  std::lock_guard lock(mutex_);
  size_t previous = std::exchange(cache_limit_, limit);
  if (cache_bytes_ > cache_limit_) {
    release_cache(cache_bytes_ - cache_limit_);
  }
  return previous;
}
void VulkanAllocator::clear_cache() {
  std::lock_guard lock(mutex_);
  release_cache(cache_bytes_);
}

size_t VulkanAllocator::device_memory_count() {
  std::lock_guard lock(mutex_);
  return blocks_.size();
}

VulkanAllocator& allocator() {
  // Leaked on purpose: buffers may be freed by static arrays during exit.
  static auto* a = new VulkanAllocator();
  return *a;
}

bool is_vulkan_buffer(const allocator::Buffer& buffer) {
  return vulkan::is_available() && buffer.allocator() == &allocator();
}

void check_binding_range(size_t bytes) {
  size_t range = device().limits().maxStorageBufferRange;
  if (bytes > range) {
    std::ostringstream msg;
    msg << "[vulkan] array of " << bytes
        << " bytes exceeds the device's storage buffer range of " << range
        << " bytes";
    throw std::length_error(msg.str());
  }
}

} // namespace mlx::core::vulkan
