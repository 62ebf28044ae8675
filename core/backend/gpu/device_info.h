// The GPU, as MLX's mlx/backend/gpu/device_info.h: whether there is one and
// what it is.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <variant>

namespace mlx::core::gpu {

/** Whether a GPU backend was built and a device was found. */
bool is_available();

/** Number of GPU devices the backend can use (0 without a backend). */
int device_count();

/** Properties of a GPU device: device_name, architecture ("vulkan"),
 * device_type (discrete, integrated, cpu, ...), memory_size,
 * max_buffer_length (the largest storage binding), subgroup_size,
 * max_shared_memory, max_workgroup_size, is_cpu (1 for CPU devices such as
 * Mesa's lavapipe), vendor_id, device_index. Throws without a GPU. */
const std::unordered_map<std::string, std::variant<std::string, size_t>>&
device_info(int device_index = 0);

} // namespace mlx::core::gpu
