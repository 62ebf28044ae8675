// Kernels of shaders/indexing.comp shared by the indexing and join
// primitives: copies of a strided view into a strided region of an output.
#pragma once

#include "mlx/array.h"
#include "mlx/backend/vulkan/encoder.h"

namespace mlx::core::vulkan {

/** `out` made a row-contiguous copy of `src` (same dtype): src's buffer
 * itself when it is a donatable Vulkan buffer, else a GPU copy. */
void copy_or_donate(
    Encoder& enc, const array& src, array& out, const char* name);

/** Records out[offset + sum_d i_d * strides[d]] = in[i] for every index i of
 * in's shape (offset and strides in elements of `out`, which already has
 * its buffer). `in` is converted to out's dtype first when they differ. */
void copy_into(
    Encoder& enc,
    const array& in,
    array& out,
    int64_t offset,
    const Strides& strides,
    const char* name);

} // namespace mlx::core::vulkan
