// The SPIR-V of shaders/*.comp, compiled and embedded at build time
// (shaders/CMakeLists.txt generates the definition).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace mlx::core::vulkan {

/** The words of shaders/<name>.comp; throws std::invalid_argument for an
 * unknown name. */
std::span<const uint32_t> spirv(std::string_view name);

} // namespace mlx::core::vulkan
