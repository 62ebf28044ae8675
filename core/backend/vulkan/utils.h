// Binding arrays to kernels: the byte range a view spans, aligned as the
// device wants, uploaded first when the array lives in host memory (made by
// the CPU), so graphs mixing devices need no copies from users.
#pragma once

#include <cstdint>

#include "mlx/array.h"
#include "mlx/backend/vulkan/encoder.h"

namespace mlx::core::vulkan {

/** A bound array: `binding` covers every element the view reaches, and the
 * view's first element is element `first` of the binding (in the array's
 * dtype; strides are relative to it). */
struct ArrayBinding {
  Binding binding;
  uint32_t first;
};

/** Binds an input for reading. A host array's bytes are copied into a Vulkan
 * buffer kept alive until the current batch completes. The array must not
 * be empty. */
ArrayBinding bind_input(Encoder& enc, const array& in);

/** Gives `out` a fresh row-contiguous Vulkan buffer and binds it for writing
 * (the range rounded up to whole 32-bit words, which the buffer holds). */
Binding bind_output(array& out);

/** Throws "[name] ... needs <feature> ..." unless the device has shaderInt64,
 * which the copy kernels use. */
void check_int64(const char* name);

/** Throws "[name] float64 needs shaderFloat64 ..." unless the device has it
 * (the float64 kernels). */
void check_float64(const char* name);

} // namespace mlx::core::vulkan
