// Device-to-host copies through the GPU's copy engine: the bytes go to a
// staging buffer in host-cached memory, then to the destination. The CPU
// reads uncached device memory (a PCIe BAR) at a few MB/s; the copy engine
// moves GB/s.
#pragma once

#include <vulkan/vulkan.h>

namespace mlx::core::vulkan {

/** Copies `bytes` of `src` from `offset` to the host memory `dst`, waiting
 * for the copy. The device must have finished writing those bytes (their
 * event has been signalled). Thread-safe; raises if the device does not
 * finish the copy within a minute. */
void download(VkBuffer src, VkDeviceSize offset, VkDeviceSize bytes, void* dst);

} // namespace mlx::core::vulkan
