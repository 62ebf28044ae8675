#include "mlx/backend/vulkan/download.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "mlx/backend/vulkan/device.h"

namespace mlx::core::vulkan {

namespace {

// Large enough that a copy is not dominated by its submission, small enough
// to keep resident for the process.
constexpr VkDeviceSize kStagingBytes = VkDeviceSize(32) << 20;

// A minute: a copy of kStagingBytes takes milliseconds; a device that does
// not answer in this time is lost, and the caller gets an error instead of
// a hang.
constexpr uint64_t kTimeoutNs = 60ull * 1000 * 1000 * 1000;

// Host-visible memory, host-cached where there is such (cached reads are
// what this is for), not device-local where there is a choice.
uint32_t staging_memory_type(const Device& d, uint32_t allowed) {
  const auto& m = d.memory;
  auto score = [](VkMemoryPropertyFlags f) {
    if (!(f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT)) {
      return -1;
    }
    return 4 * bool(f & VK_MEMORY_PROPERTY_HOST_CACHED_BIT) +
           2 * !(f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) +
           bool(f & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
  };
  int best = -1, best_score = -1;
  for (uint32_t t = 0; t < m.memoryTypeCount; ++t) {
    int s = score(m.memoryTypes[t].propertyFlags);
    if ((allowed & (1u << t)) && s > best_score) {
      best = int(t);
      best_score = s;
    }
  }
  if (best < 0) {
    throw std::runtime_error("[vulkan] no host-visible memory for downloads");
  }
  return uint32_t(best);
}

class Downloader {
public:
  Downloader() {
    auto& d = device();
    VkCommandPoolCreateInfo pool{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pool.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    pool.queueFamilyIndex = d.queue_family;
    check(
        vkCreateCommandPool(d.device, &pool, nullptr, &pool_),
        "vkCreateCommandPool");
    VkCommandBufferAllocateInfo cmd{
        VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    cmd.commandPool = pool_;
    cmd.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    cmd.commandBufferCount = 1;
    check(
        vkAllocateCommandBuffers(d.device, &cmd, &cmd_),
        "vkAllocateCommandBuffers");
    VkFenceCreateInfo fence{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    check(vkCreateFence(d.device, &fence, nullptr, &fence_), "vkCreateFence");

    VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    info.size = kStagingBytes;
    info.usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    check(
        vkCreateBuffer(d.device, &info, nullptr, &staging_), "vkCreateBuffer");
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(d.device, staging_, &req);
    uint32_t type = staging_memory_type(d, req.memoryTypeBits);
    coherent_ = d.memory.memoryTypes[type].propertyFlags &
                VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    alloc.allocationSize = req.size;
    alloc.memoryTypeIndex = type;
    check(
        vkAllocateMemory(d.device, &alloc, nullptr, &memory_),
        "vkAllocateMemory");
    check(
        vkBindBufferMemory(d.device, staging_, memory_, 0),
        "vkBindBufferMemory");
    void* mapped = nullptr;
    check(
        vkMapMemory(d.device, memory_, 0, VK_WHOLE_SIZE, 0, &mapped),
        "vkMapMemory");
    mapped_ = static_cast<const char*>(mapped);
  }

  void copy(VkBuffer src, VkDeviceSize offset, VkDeviceSize bytes, char* dst) {
    std::lock_guard lock(mutex_);
    for (VkDeviceSize done = 0; done < bytes; done += kStagingBytes) {
      VkDeviceSize n = std::min(kStagingBytes, bytes - done);
      record(src, offset + done, n);
      submit_and_wait();
      if (!coherent_) {
        VkMappedMemoryRange range{VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE};
        range.memory = memory_;
        range.size = VK_WHOLE_SIZE;
        check(
            vkInvalidateMappedMemoryRanges(device().device, 1, &range),
            "vkInvalidateMappedMemoryRanges");
      }
      std::memcpy(dst + done, mapped_, n);
    }
  }

private:
  // The compute and transfer writes of earlier submissions become visible
  // to the copy (barriers reach back over the queue's submission order),
  // and the copy's writes to the host.
  void record(VkBuffer src, VkDeviceSize offset, VkDeviceSize n) {
    check(vkResetCommandBuffer(cmd_, 0), "vkResetCommandBuffer");
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    check(vkBeginCommandBuffer(cmd_, &begin), "vkBeginCommandBuffer");
    VkMemoryBarrier before{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    before.srcAccessMask =
        VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
    before.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT;
    vkCmdPipelineBarrier(
        cmd_,
        VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
        VK_PIPELINE_STAGE_TRANSFER_BIT,
        0,
        1,
        &before,
        0,
        nullptr,
        0,
        nullptr);
    VkBufferCopy region{offset, 0, n};
    vkCmdCopyBuffer(cmd_, src, staging_, 1, &region);
    VkMemoryBarrier after{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    after.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    after.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
    vkCmdPipelineBarrier(
        cmd_,
        VK_PIPELINE_STAGE_TRANSFER_BIT,
        VK_PIPELINE_STAGE_HOST_BIT,
        0,
        1,
        &after,
        0,
        nullptr,
        0,
        nullptr);
    check(vkEndCommandBuffer(cmd_), "vkEndCommandBuffer");
  }

  void submit_and_wait() {
    auto& d = device();
    VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &cmd_;
    {
      std::lock_guard queue_lock(d.queue_mutex);
      check(vkQueueSubmit(d.queue, 1, &submit, fence_), "vkQueueSubmit");
    }
    VkResult r = vkWaitForFences(d.device, 1, &fence_, VK_TRUE, kTimeoutNs);
    if (r == VK_TIMEOUT) {
      throw std::runtime_error(
          "[vulkan] a device-to-host copy did not finish within a minute");
    }
    check(r, "vkWaitForFences");
    check(vkResetFences(d.device, 1, &fence_), "vkResetFences");
  }

  std::mutex mutex_;
  VkCommandPool pool_ = VK_NULL_HANDLE;
  VkCommandBuffer cmd_ = VK_NULL_HANDLE;
  VkFence fence_ = VK_NULL_HANDLE;
  VkBuffer staging_ = VK_NULL_HANDLE;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
  const char* mapped_ = nullptr;
  bool coherent_ = true;
};

} // namespace

void download(
    VkBuffer src, VkDeviceSize offset, VkDeviceSize bytes, void* dst) {
  // Leaked on purpose, as the allocator: arrays may be read during exit.
  static auto* downloader = new Downloader();
  downloader->copy(src, offset, bytes, static_cast<char*>(dst));
}

} // namespace mlx::core::vulkan
