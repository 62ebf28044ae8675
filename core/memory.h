// Memory accounting, as MLX's memory functions. Each device has its own
// allocator; these functions read and set the allocator of the default
// device (the GPU's where the GPU is the default, as in MLX), so a limit
// set while the CPU is the default applies to host memory only.
#pragma once

#include <cstddef>

namespace mlx::core {

/** Bytes in buffers currently held by arrays (excludes the cache). */
size_t get_active_memory();

/** The largest active memory since start or the last reset_peak_memory. */
size_t get_peak_memory();
void reset_peak_memory();

/** Bytes of freed buffers kept for reuse. */
size_t get_cache_memory();

/** A guideline for the memory used during evaluation: when an allocation
 * would exceed it, the cache is released first. Returns the previous limit.
 * Defaults to the machine's physical memory. */
size_t set_memory_limit(size_t limit);
size_t get_memory_limit();

/** Cache size above which freed buffers go back to the system; 0 disables
 * the cache. Defaults to the memory limit. Returns the previous limit. */
size_t set_cache_limit(size_t limit);

/** Release all cached buffers; get_cache_memory() is 0 afterwards. */
void clear_cache();

/** Wired (resident) memory limit. Only meaningful on macOS in MLX; here it
 * is recorded and returned but pins nothing. Returns the previous value. */
size_t set_wired_limit(size_t limit);

} // namespace mlx::core
