#include "mlx/backend/vulkan/device.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "mlx/backend/gpu/device_info.h"
#include "mlx/backend/gpu/eval.h"
#include "mlx/launcher_env.h"

namespace mlx::core::vulkan {

const char* result_name(VkResult result) {
  switch (result) {
#define MLX_VK_RESULT(r)                                                       \
  case r:                                                                      \
    return #r;
    MLX_VK_RESULT(VK_SUCCESS)
    MLX_VK_RESULT(VK_NOT_READY)
    MLX_VK_RESULT(VK_TIMEOUT)
    MLX_VK_RESULT(VK_INCOMPLETE)
    MLX_VK_RESULT(VK_ERROR_OUT_OF_HOST_MEMORY)
    MLX_VK_RESULT(VK_ERROR_OUT_OF_DEVICE_MEMORY)
    MLX_VK_RESULT(VK_ERROR_INITIALIZATION_FAILED)
    MLX_VK_RESULT(VK_ERROR_DEVICE_LOST)
    MLX_VK_RESULT(VK_ERROR_MEMORY_MAP_FAILED)
    MLX_VK_RESULT(VK_ERROR_LAYER_NOT_PRESENT)
    MLX_VK_RESULT(VK_ERROR_EXTENSION_NOT_PRESENT)
    MLX_VK_RESULT(VK_ERROR_FEATURE_NOT_PRESENT)
    MLX_VK_RESULT(VK_ERROR_INCOMPATIBLE_DRIVER)
    MLX_VK_RESULT(VK_ERROR_TOO_MANY_OBJECTS)
    MLX_VK_RESULT(VK_ERROR_FORMAT_NOT_SUPPORTED)
    MLX_VK_RESULT(VK_ERROR_FRAGMENTED_POOL)
    MLX_VK_RESULT(VK_ERROR_OUT_OF_POOL_MEMORY)
    MLX_VK_RESULT(VK_ERROR_INVALID_EXTERNAL_HANDLE)
    MLX_VK_RESULT(VK_ERROR_FRAGMENTATION)
    MLX_VK_RESULT(VK_ERROR_UNKNOWN)
#undef MLX_VK_RESULT
  default:
    return "VkResult(unknown)";
  }
}

void check(VkResult result, const char* call) {
  if (result != VK_SUCCESS) {
    std::ostringstream msg;
    msg << "[vulkan] " << call << " failed: " << result_name(result) << " ("
        << static_cast<int>(result) << ")";
    throw std::runtime_error(msg.str());
  }
}

std::optional<int> choose_device(
    const char* env_device,
    const char* local_rank,
    const std::vector<bool>& is_cpu) {
  int count = static_cast<int>(is_cpu.size());
  if (env_device != nullptr && *env_device != '\0') {
    std::string value(env_device);
    if (value == "cpu") {
      for (int i = 0; i < count; ++i) {
        if (is_cpu[i]) {
          return i;
        }
      }
      std::ostringstream msg;
      msg << "[vulkan] MLX_VULKAN_DEVICE=cpu but none of the " << count
          << " Vulkan devices is a CPU-type device";
      throw std::invalid_argument(msg.str());
    }
    char* end = nullptr;
    long i = std::strtol(value.c_str(), &end, 10);
    if (end == value.c_str() || *end != '\0' || i < 0 || i >= count) {
      std::ostringstream msg;
      msg << "[vulkan] MLX_VULKAN_DEVICE=" << value
          << " is not a device index: there are " << count
          << " Vulkan devices (0.." << count - 1 << ")";
      throw std::invalid_argument(msg.str());
    }
    return static_cast<int>(i);
  }
  std::vector<int> gpus;
  for (int i = 0; i < count; ++i) {
    if (!is_cpu[i]) {
      gpus.push_back(i);
    }
  }
  if (gpus.empty()) {
    return std::nullopt;
  }
  long rank = local_rank ? std::strtol(local_rank, nullptr, 10) : 0;
  if (rank < 0) {
    rank = 0;
  }
  return gpus[rank % static_cast<long>(gpus.size())];
}

namespace {

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";

bool env_flag(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
}

bool has_extension(VkPhysicalDevice physical, const char* name) {
  uint32_t n = 0;
  vkEnumerateDeviceExtensionProperties(physical, nullptr, &n, nullptr);
  std::vector<VkExtensionProperties> extensions(n);
  vkEnumerateDeviceExtensionProperties(
      physical, nullptr, &n, extensions.data());
  for (auto& e : extensions) {
    if (std::strcmp(e.extensionName, name) == 0) {
      return true;
    }
  }
  return false;
}

std::optional<uint32_t> compute_queue_family(VkPhysicalDevice physical) {
  uint32_t n = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(physical, &n, nullptr);
  std::vector<VkQueueFamilyProperties> families(n);
  vkGetPhysicalDeviceQueueFamilyProperties(physical, &n, families.data());
  // A compute-only family first: on discrete GPUs it is the async compute
  // engine, not shared with graphics.
  std::optional<uint32_t> any;
  for (uint32_t i = 0; i < n; ++i) {
    if (families[i].queueFlags & VK_QUEUE_COMPUTE_BIT) {
      if (!(families[i].queueFlags & VK_QUEUE_GRAPHICS_BIT)) {
        return i;
      }
      if (!any) {
        any = i;
      }
    }
  }
  return any;
}

// The instance and the usable physical devices (Vulkan >= 1.2 with a compute
// queue), enough for device_count and device_info without a logical device.
struct Instance {
  VkInstance instance = VK_NULL_HANDLE;
  std::vector<VkPhysicalDevice> devices;
  std::vector<VkPhysicalDeviceProperties> properties;
  std::vector<uint32_t> subgroup_sizes;
  std::vector<bool> subgroup_shuffle;
  std::vector<
      std::unordered_map<std::string, std::variant<std::string, size_t>>>
      info;
  std::exception_ptr error;
};

void create_instance(Instance& out) {
  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "mlx";
  app.pEngineName = "mlx";
  app.apiVersion = VK_API_VERSION_1_2;
  VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  info.pApplicationInfo = &app;
  std::vector<const char*> layers;
  if (env_flag("MLX_VULKAN_VALIDATION")) {
    uint32_t n = 0;
    vkEnumerateInstanceLayerProperties(&n, nullptr);
    std::vector<VkLayerProperties> available(n);
    vkEnumerateInstanceLayerProperties(&n, available.data());
    bool found = false;
    for (auto& l : available) {
      found = found || std::strcmp(l.layerName, kValidationLayer) == 0;
    }
    if (found) {
      layers.push_back(kValidationLayer);
    } else {
      std::cerr << "[vulkan] MLX_VULKAN_VALIDATION is set but "
                << kValidationLayer
                << " is not installed (Debian: vulkan-validationlayers); "
                   "running without it\n";
    }
  }
  info.enabledLayerCount = static_cast<uint32_t>(layers.size());
  info.ppEnabledLayerNames = layers.data();
  check(vkCreateInstance(&info, nullptr, &out.instance), "vkCreateInstance");

  uint32_t n = 0;
  check(
      vkEnumeratePhysicalDevices(out.instance, &n, nullptr),
      "vkEnumeratePhysicalDevices");
  std::vector<VkPhysicalDevice> all(n);
  check(
      vkEnumeratePhysicalDevices(out.instance, &n, all.data()),
      "vkEnumeratePhysicalDevices");
  for (auto physical : all) {
    VkPhysicalDeviceSubgroupProperties subgroup{
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
    VkPhysicalDeviceProperties2 props{
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
    props.pNext = &subgroup;
    vkGetPhysicalDeviceProperties2(physical, &props);
    if (props.properties.apiVersion < VK_API_VERSION_1_2 ||
        !compute_queue_family(physical)) {
      continue; // timeline semaphores are core 1.2
    }
    VkPhysicalDeviceMemoryProperties memory;
    vkGetPhysicalDeviceMemoryProperties(physical, &memory);
    size_t memory_size = 0;
    for (uint32_t h = 0; h < memory.memoryHeapCount; ++h) {
      if (memory.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) {
        memory_size = std::max<size_t>(memory_size, memory.memoryHeaps[h].size);
      }
    }
    const auto& p = props.properties;
    const char* type = "other";
    switch (p.deviceType) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
      type = "discrete";
      break;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
      type = "integrated";
      break;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
      type = "virtual";
      break;
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
      type = "cpu";
      break;
    default:
      break;
    }
    size_t index = out.devices.size();
    out.devices.push_back(physical);
    out.properties.push_back(p);
    out.subgroup_sizes.push_back(subgroup.subgroupSize);
    out.subgroup_shuffle.push_back(
        (subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
        (subgroup.supportedOperations & VK_SUBGROUP_FEATURE_SHUFFLE_BIT));
    out.info.push_back({
        {"device_name", std::string(p.deviceName)},
        {"architecture", std::string("vulkan")},
        {"device_type", std::string(type)},
        {"memory_size", memory_size},
        {"max_buffer_length", size_t(p.limits.maxStorageBufferRange)},
        {"subgroup_size", size_t(subgroup.subgroupSize)},
        {"max_shared_memory", size_t(p.limits.maxComputeSharedMemorySize)},
        {"max_workgroup_size", size_t(p.limits.maxComputeWorkGroupInvocations)},
        {"is_cpu", size_t(p.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU)},
        {"vendor_id", size_t(p.vendorID)},
        {"device_index", index},
    });
  }
}

// Leaked on purpose: arrays freed during static destruction still return
// their buffers, and the completion threads may still hold the device.
Instance& instance() {
  static Instance* inst = [] {
    auto* i = new Instance();
    try {
      create_instance(*i);
    } catch (...) {
      i->error = std::current_exception();
      i->devices.clear();
      i->info.clear();
    }
    return i;
  }();
  return *inst;
}

void create_device(Device& d, const Instance& inst) {
  std::vector<bool> is_cpu;
  for (auto& p : inst.properties) {
    is_cpu.push_back(p.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU);
  }
  // The rank among those on this host, from whichever launcher started us.
  std::optional<int> local_rank =
      mlx::core::detail::detect_launcher().local_rank;
  std::string rank = local_rank ? std::to_string(*local_rank) : "";
  auto chosen = choose_device(
      std::getenv("MLX_VULKAN_DEVICE"),
      local_rank ? rank.c_str() : nullptr,
      is_cpu);
  if (!chosen) {
    std::ostringstream msg;
    msg << "[vulkan] no Vulkan GPU found (" << is_cpu.size()
        << " CPU-type devices, used only when chosen with "
           "MLX_VULKAN_DEVICE)";
    throw std::runtime_error(msg.str());
  }
  d.index = *chosen;
  d.instance = inst.instance;
  d.physical = inst.devices[d.index];
  d.properties = inst.properties[d.index];
  d.subgroup_size = inst.subgroup_sizes[d.index];
  d.features.subgroup_shuffle = inst.subgroup_shuffle[d.index];
  d.queue_family = *compute_queue_family(d.physical);
  vkGetPhysicalDeviceMemoryProperties(d.physical, &d.memory);

  // Query, then enable what is present of what the kernels may use.
  VkPhysicalDeviceSubgroupSizeControlFeatures subgroup_control{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_FEATURES};
  VkPhysicalDeviceVulkan12Features v12{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
  VkPhysicalDeviceVulkan11Features v11{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES};
  VkPhysicalDeviceFeatures2 features{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  bool has_subgroup_control =
      d.properties.apiVersion >= VK_API_VERSION_1_3 ||
      has_extension(d.physical, VK_EXT_SUBGROUP_SIZE_CONTROL_EXTENSION_NAME);
  features.pNext = &v11;
  v11.pNext = &v12;
  if (has_subgroup_control) {
    v12.pNext = &subgroup_control;
  }
  vkGetPhysicalDeviceFeatures2(d.physical, &features);
  if (!v12.timelineSemaphore) {
    throw std::runtime_error(
        "[vulkan] the device has no timeline semaphores (Vulkan 1.2)");
  }

  VkPhysicalDeviceSubgroupSizeControlFeatures enable_subgroup{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_FEATURES};
  enable_subgroup.subgroupSizeControl = subgroup_control.subgroupSizeControl;
  enable_subgroup.computeFullSubgroups = subgroup_control.computeFullSubgroups;
  VkPhysicalDeviceVulkan12Features enable12{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
  enable12.timelineSemaphore = VK_TRUE;
  enable12.shaderFloat16 = v12.shaderFloat16;
  enable12.shaderInt8 = v12.shaderInt8;
  enable12.storageBuffer8BitAccess = v12.storageBuffer8BitAccess;
  VkPhysicalDeviceVulkan11Features enable11{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES};
  enable11.storageBuffer16BitAccess = v11.storageBuffer16BitAccess;
  VkPhysicalDeviceFeatures2 enable{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  enable.features.shaderInt16 = features.features.shaderInt16;
  enable.features.shaderInt64 = features.features.shaderInt64;
  enable.features.shaderFloat64 = features.features.shaderFloat64;
  enable.pNext = &enable11;
  enable11.pNext = &enable12;
  if (has_subgroup_control) {
    enable12.pNext = &enable_subgroup;
  }

  auto& f = d.features;
  f.float16 = v12.shaderFloat16;
  f.int8 = v12.shaderInt8;
  f.storage8 = v12.storageBuffer8BitAccess;
  f.storage16 = v11.storageBuffer16BitAccess;
  f.int16 = features.features.shaderInt16;
  f.int64 = features.features.shaderInt64;
  f.float64 = features.features.shaderFloat64;
  f.subgroup_size_control =
      has_subgroup_control && subgroup_control.subgroupSizeControl;
  // MLX_VULKAN_NO_PUSH_DESCRIPTOR=1 forces the descriptor-pool path (tests).
  f.push_descriptor =
      has_extension(d.physical, VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME) &&
      !env_flag("MLX_VULKAN_NO_PUSH_DESCRIPTOR");

  std::vector<const char*> extensions;
  if (f.push_descriptor) {
    extensions.push_back(VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME);
  }
  if (has_subgroup_control && d.properties.apiVersion < VK_API_VERSION_1_3) {
    extensions.push_back(VK_EXT_SUBGROUP_SIZE_CONTROL_EXTENSION_NAME);
  }

  float priority = 1.0f;
  VkDeviceQueueCreateInfo queue{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  queue.queueFamilyIndex = d.queue_family;
  queue.queueCount = 1;
  queue.pQueuePriorities = &priority;
  VkDeviceCreateInfo info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  info.pNext = &enable;
  info.queueCreateInfoCount = 1;
  info.pQueueCreateInfos = &queue;
  info.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
  info.ppEnabledExtensionNames = extensions.data();
  check(
      vkCreateDevice(d.physical, &info, nullptr, &d.device), "vkCreateDevice");
  vkGetDeviceQueue(d.device, d.queue_family, 0, &d.queue);
  if (f.push_descriptor) {
    d.push_descriptor_set = reinterpret_cast<PFN_vkCmdPushDescriptorSetKHR>(
        vkGetDeviceProcAddr(d.device, "vkCmdPushDescriptorSetKHR"));
    f.push_descriptor = d.push_descriptor_set != nullptr;
  }
}

struct DeviceSlot {
  Device device;
  std::exception_ptr error;
};

DeviceSlot& device_slot() {
  static DeviceSlot* slot = [] {
    auto* s = new DeviceSlot();
    try {
      auto& inst = instance();
      if (inst.error) {
        std::rethrow_exception(inst.error);
      }
      create_device(s->device, inst);
    } catch (const std::exception& e) {
      s->error = std::current_exception();
      // A device asked for by name that cannot be had: say why once, since
      // is_available() only answers false.
      if (const char* env = std::getenv("MLX_VULKAN_DEVICE"); env && *env) {
        std::cerr << e.what() << "\n";
      }
    } catch (...) {
      s->error = std::current_exception();
    }
    return s;
  }();
  return *slot;
}

} // namespace

Device& device() {
  auto& slot = device_slot();
  if (slot.error) {
    std::rethrow_exception(slot.error);
  }
  return slot.device;
}

bool is_available() {
  try {
    return !device_slot().error;
  } catch (...) {
    return false;
  }
}

} // namespace mlx::core::vulkan

namespace mlx::core::gpu {

bool is_available() {
  return vulkan::is_available();
}

// The GPU is the default device unless it is a CPU-type device (lavapipe,
// chosen explicitly for tests): the CPU backend is faster there.
bool is_default_device() {
  return vulkan::is_available() && !vulkan::device().is_cpu();
}

int device_index() {
  return vulkan::device().index;
}

int device_count() {
  try {
    return static_cast<int>(vulkan::instance().devices.size());
  } catch (...) {
    return 0;
  }
}

const std::unordered_map<std::string, std::variant<std::string, size_t>>&
device_info(int device_index) {
  auto& inst = vulkan::instance();
  int count = static_cast<int>(inst.info.size());
  if (device_index < 0 || device_index >= count) {
    std::ostringstream msg;
    msg << "[vulkan] device_info: no device " << device_index << " (there are "
        << count << " Vulkan devices)";
    throw std::invalid_argument(msg.str());
  }
  return inst.info[device_index];
}

} // namespace mlx::core::gpu
