// The Vulkan device: one instance and one logical device per process,
// created on first use (thread-safe). Which physical device: MLX_VULKAN_DEVICE
// (an index into the usable devices, or "cpu" for the first CPU-type one),
// else the local rank modulo the number of non-CPU devices. CPU-type devices
// (Mesa's lavapipe) are used only when chosen explicitly.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace mlx::core::vulkan {

/** Throws std::runtime_error "[vulkan] <call> failed: <VkResult>" unless the
 * result is VK_SUCCESS. */
void check(VkResult result, const char* call);

/** The name of a VkResult ("VK_ERROR_DEVICE_LOST"). */
const char* result_name(VkResult result);

/** What the backend enabled on the chosen device. */
struct Features {
  bool float16 = false;   // shaderFloat16
  bool int8 = false;      // shaderInt8
  bool int16 = false;     // shaderInt16
  bool int64 = false;     // shaderInt64
  bool float64 = false;   // shaderFloat64
  bool storage8 = false;  // storageBuffer8BitAccess
  bool storage16 = false; // storageBuffer16BitAccess
  bool subgroup_size_control = false;
  bool push_descriptor = false;  // VK_KHR_push_descriptor
  bool subgroup_shuffle = false; // subgroup shuffles in compute shaders
};

struct Device {
  VkInstance instance = VK_NULL_HANDLE;
  VkPhysicalDevice physical = VK_NULL_HANDLE;
  VkDevice device = VK_NULL_HANDLE;
  VkQueue queue = VK_NULL_HANDLE;
  uint32_t queue_family = 0;
  int index = 0; // among the usable devices (gpu::device_info's index)
  VkPhysicalDeviceProperties properties{};
  VkPhysicalDeviceMemoryProperties memory{};
  uint32_t subgroup_size = 0;
  Features features;
  PFN_vkCmdPushDescriptorSetKHR push_descriptor_set = nullptr;

  bool is_cpu() const {
    return properties.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;
  }
  const VkPhysicalDeviceLimits& limits() const { return properties.limits; }

  /** vkQueueSubmit needs the queue externally synchronized; every stream
   * submits to this one queue. */
  std::mutex queue_mutex;
};

/** The process's device, created on first call; throws with the reason when
 * there is none (no driver, MLX_VULKAN_DEVICE out of range, creation failed).
 * The same error is thrown on every later call. */
Device& device();

/** Whether device() succeeds; never throws. */
bool is_available();

/** The choice rule, separate for tests: `env_device` is MLX_VULKAN_DEVICE (or
 * nullptr), `local_rank` the local rank variable (or nullptr), `is_cpu` one
 * entry per usable device. Returns the index, or nullopt when no device may be
 * chosen implicitly; throws std::invalid_argument for a bad or out-of-range
 * MLX_VULKAN_DEVICE, naming the value and the device count. */
std::optional<int> choose_device(
    const char* env_device,
    const char* local_rank,
    const std::vector<bool>& is_cpu);

} // namespace mlx::core::vulkan
