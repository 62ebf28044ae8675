#pragma once

#include <ostream>

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

std::ostream& operator<<(std::ostream& os, const Device& d);

} // namespace mlx::core
