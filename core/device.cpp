#include "mlx/device.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "mlx/backend/gpu/device_info.h"

namespace mlx::core {

namespace {

using DeviceInfo =
    std::unordered_map<std::string, std::variant<std::string, size_t>>;

// The CPU's name as the kernel reports it ("model name" in /proc/cpuinfo).
std::string cpu_name() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos && colon + 2 <= line.size()) {
        return line.substr(colon + 2);
      }
    }
  }
  return "cpu";
}

DeviceInfo make_cpu_info() {
  DeviceInfo info;
  info["device_name"] = cpu_name();
  utsname u{};
  info["architecture"] = std::string(uname(&u) == 0 ? u.machine : "unknown");
  long pages = sysconf(_SC_PHYS_PAGES);
  long page_size = sysconf(_SC_PAGE_SIZE);
  info["memory_size"] = pages > 0 && page_size > 0
      ? static_cast<size_t>(pages) * static_cast<size_t>(page_size)
      : size_t(0);
  info["core_count"] = static_cast<size_t>(sysconf(_SC_NPROCESSORS_ONLN));
  return info;
}

} // namespace

bool is_available(const Device& d) {
  return d.type == Device::cpu || gpu::is_available();
}

int device_count(Device::DeviceType type) {
  if (type == Device::cpu) {
    return 1;
  }
  return gpu::is_available() ? 1 : 0;
}

const DeviceInfo& device_info(const Device& d) {
  if (d.type == Device::gpu) {
    if (!gpu::is_available()) {
      throw std::invalid_argument(
          "[device_info] No GPU is available in this process.");
    }
    return gpu::device_info(d.index);
  }
  if (d.index != 0) {
    std::ostringstream msg;
    msg << "[device_info] CPU device index " << d.index
        << " does not exist: there is one CPU device, index 0.";
    throw std::invalid_argument(msg.str());
  }
  static const DeviceInfo info = make_cpu_info();
  return info;
}

} // namespace mlx::core
