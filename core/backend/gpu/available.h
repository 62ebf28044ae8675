#pragma once

namespace mlx::core::gpu {

/** Whether a GPU backend was built and found a device. */
bool is_available();

} // namespace mlx::core::gpu
