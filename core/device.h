#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <unordered_map>
#include <variant>

namespace mlx::core {

struct Device {
  enum class DeviceType { cpu, gpu };
  static constexpr DeviceType cpu = DeviceType::cpu;
  static constexpr DeviceType gpu = DeviceType::gpu;

  Device(DeviceType type, int index = 0) : type(type), index(index) {}

  DeviceType type;
  int index;
};

bool operator==(const Device& lhs, const Device& rhs);
bool operator!=(const Device& lhs, const Device& rhs);

/** The device ops run on when no stream or device is given. */
const Device& default_device();

/** Throws std::invalid_argument when the device is not available. */
void set_default_device(const Device& d);

/** Whether a backend for the device was built and found a device. */
bool is_available(const Device& d);

/** Number of devices of the type this process can use (1 CPU; 0 or 1 GPU:
 * a process uses one GPU, chosen by MLX_VULKAN_DEVICE or its local rank). */
int device_count(Device::DeviceType type);

/** Properties of a device: device_name, architecture, memory_size, and for
 * a GPU those of gpu::device_info. Throws for an unavailable device. */
const std::unordered_map<std::string, std::variant<std::string, size_t>>&
device_info(const Device& d = default_device());

std::ostream& operator<<(std::ostream& os, const Device& d);

} // namespace mlx::core
