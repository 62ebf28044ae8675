// Compute pipelines: one descriptor set layout (kMaxBindings storage
// buffers) and one pipeline layout (kPushConstantBytes of push constants)
// shared by every kernel; pipelines created on first use and cached by
// (shader name, specialization constants). The driver's VkPipelineCache is
// kept on disk ($XDG_CACHE_HOME/mlx or ~/.cache/mlx) under the device's
// pipelineCacheUUID, so later processes skip the shader compilation.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mlx::core::vulkan {

/** Storage buffers a shader may bind: set 0, bindings 0..kMaxBindings-1. */
constexpr uint32_t kMaxBindings = 8;

/** The push-constant range: 128 bytes is the minimum every device supports
 * (maxPushConstantsSize). */
constexpr uint32_t kPushConstantBytes = 128;

struct Pipeline {
  VkPipeline pipeline = VK_NULL_HANDLE;
  VkPipelineLayout layout = VK_NULL_HANDLE;
};

/** The shared descriptor set layout (push-descriptor flavoured when the
 * device has VK_KHR_push_descriptor). */
VkDescriptorSetLayout descriptor_set_layout();

/** The compute pipeline of shaders/<shader>.comp with specialization
 * constants constant_id 0, 1, ... = `constants` (32-bit each). Thread-safe. */
Pipeline
pipeline(std::string_view shader, const std::vector<uint32_t>& constants);

/** The file the pipeline cache is read from and written to. */
std::string pipeline_cache_path();

} // namespace mlx::core::vulkan
