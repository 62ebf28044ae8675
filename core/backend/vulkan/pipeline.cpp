#include "mlx/backend/vulkan/pipeline.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "mlx/backend/vulkan/device.h"
#include "mlx/backend/vulkan/shaders.h"

namespace mlx::core::vulkan {

namespace {

struct Pipelines {
  VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
  VkPipelineLayout layout = VK_NULL_HANDLE;
  VkPipelineCache cache = VK_NULL_HANDLE;
  std::map<std::pair<std::string, std::vector<uint32_t>>, VkPipeline> pipelines;
  std::mutex mutex;
};

std::vector<char> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return {};
  }
  return std::vector<char>(
      std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Written to a temporary file and renamed: processes starting together (the
// ranks of a job) never read a half-written cache. Failures are ignored: the
// cache only saves time.
void save_cache(VkDevice dev, VkPipelineCache cache) {
  try {
    size_t size = 0;
    if (vkGetPipelineCacheData(dev, cache, &size, nullptr) != VK_SUCCESS) {
      return;
    }
    std::vector<char> data(size);
    if (vkGetPipelineCacheData(dev, cache, &size, data.data()) != VK_SUCCESS) {
      return;
    }
    std::string path = pipeline_cache_path();
    std::filesystem::create_directories(
        std::filesystem::path(path).parent_path());
    std::string tmp = path + ".tmp" + std::to_string(::getpid());
    {
      std::ofstream out(tmp, std::ios::binary);
      out.write(data.data(), static_cast<std::streamsize>(size));
      if (!out) {
        std::filesystem::remove(tmp);
        return;
      }
    }
    std::filesystem::rename(tmp, path);
  } catch (...) {
  }
}

Pipelines& pipelines() {
  // Leaked with the device.
  static Pipelines* p = [] {
    auto& d = device();
    auto* p = new Pipelines();
    VkDescriptorSetLayoutBinding bindings[kMaxBindings];
    for (uint32_t i = 0; i < kMaxBindings; ++i) {
      bindings[i] = {
          i,
          VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
          1,
          VK_SHADER_STAGE_COMPUTE_BIT,
          nullptr};
    }
    VkDescriptorSetLayoutCreateInfo set{
        VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
    if (d.features.push_descriptor) {
      set.flags = VK_DESCRIPTOR_SET_LAYOUT_CREATE_PUSH_DESCRIPTOR_BIT_KHR;
    }
    set.bindingCount = kMaxBindings;
    set.pBindings = bindings;
    check(
        vkCreateDescriptorSetLayout(d.device, &set, nullptr, &p->set_layout),
        "vkCreateDescriptorSetLayout");
    VkPushConstantRange range{
        VK_SHADER_STAGE_COMPUTE_BIT, 0, kPushConstantBytes};
    VkPipelineLayoutCreateInfo layout{
        VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    layout.setLayoutCount = 1;
    layout.pSetLayouts = &p->set_layout;
    layout.pushConstantRangeCount = 1;
    layout.pPushConstantRanges = &range;
    check(
        vkCreatePipelineLayout(d.device, &layout, nullptr, &p->layout),
        "vkCreatePipelineLayout");
    // The driver validates the header (vendor, device, UUID) and ignores a
    // cache that is not its own; a failure with the data retries empty.
    std::vector<char> data = read_file(pipeline_cache_path());
    VkPipelineCacheCreateInfo cache{
        VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO};
    cache.initialDataSize = data.size();
    cache.pInitialData = data.data();
    if (vkCreatePipelineCache(d.device, &cache, nullptr, &p->cache) !=
        VK_SUCCESS) {
      cache.initialDataSize = 0;
      cache.pInitialData = nullptr;
      check(
          vkCreatePipelineCache(d.device, &cache, nullptr, &p->cache),
          "vkCreatePipelineCache");
    }
    return p;
  }();
  return *p;
}

} // namespace

std::string pipeline_cache_path() {
  std::filesystem::path dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    dir = xdg;
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    dir = std::filesystem::path(home) / ".cache";
  } else {
    dir = std::filesystem::temp_directory_path();
  }
  char uuid[2 * VK_UUID_SIZE + 1];
  const uint8_t* id = device().properties.pipelineCacheUUID;
  for (uint32_t i = 0; i < VK_UUID_SIZE; ++i) {
    std::snprintf(uuid + 2 * i, 3, "%02x", id[i]);
  }
  return (dir / "mlx" / ("vulkan-pipelines-" + std::string(uuid) + ".bin"))
      .string();
}

VkDescriptorSetLayout descriptor_set_layout() {
  return pipelines().set_layout;
}

Pipeline
pipeline(std::string_view shader, const std::vector<uint32_t>& constants) {
  auto& p = pipelines();
  auto key = std::make_pair(std::string(shader), constants);
  std::lock_guard lock(p.mutex);
  if (auto it = p.pipelines.find(key); it != p.pipelines.end()) {
    return {it->second, p.layout};
  }
  auto& d = device();
  auto code = spirv(shader);
  VkShaderModuleCreateInfo module_info{
      VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  module_info.codeSize = code.size() * sizeof(uint32_t);
  module_info.pCode = code.data();
  VkShaderModule module;
  check(
      vkCreateShaderModule(d.device, &module_info, nullptr, &module),
      "vkCreateShaderModule");

  std::vector<VkSpecializationMapEntry> entries(constants.size());
  for (uint32_t i = 0; i < constants.size(); ++i) {
    entries[i] = {i, i * uint32_t(sizeof(uint32_t)), sizeof(uint32_t)};
  }
  VkSpecializationInfo spec{
      uint32_t(entries.size()),
      entries.data(),
      constants.size() * sizeof(uint32_t),
      constants.data()};
  VkComputePipelineCreateInfo info{
      VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
  info.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO};
  info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  info.stage.module = module;
  info.stage.pName = "main";
  info.stage.pSpecializationInfo = constants.empty() ? nullptr : &spec;
  info.layout = p.layout;
  VkPipeline result;
  VkResult r =
      vkCreateComputePipelines(d.device, p.cache, 1, &info, nullptr, &result);
  vkDestroyShaderModule(d.device, module, nullptr);
  if (r != VK_SUCCESS) {
    std::ostringstream msg;
    msg << "vkCreateComputePipelines(" << shader << ")";
    check(r, msg.str().c_str());
  }
  p.pipelines.emplace(std::move(key), result);
  save_cache(d.device, p.cache);
  return {result, p.layout};
}

} // namespace mlx::core::vulkan
