// Copies on the GPU (shaders/copy.comp): any strided view into a fresh
// row-contiguous array, converting the dtype on the way (Contiguous, AsType,
// Reshape of a non-viewable layout).
#pragma once

#include "mlx/array.h"
#include "mlx/backend/vulkan/encoder.h"

namespace mlx::core::vulkan {

/** Records `out = in` (same shape; out's dtype may differ) into `enc`; out
 * gets a new row-contiguous Vulkan buffer. `name` prefixes errors. */
void copy_to_row_contiguous(
    Encoder& enc, const array& in, array& out, const char* name);

} // namespace mlx::core::vulkan
