// The scheduler's hooks into a GPU backend (as MLX's gpu::eval / finalize /
// synchronize). A GPU stream's worker records primitives into the stream's
// command buffer; their completion is reported later, from the backend.
#pragma once

#include <functional>

#include "mlx/allocator.h"
#include "mlx/array.h"
#include "mlx/backend/gpu/device_info.h"
#include "mlx/stream.h"

namespace mlx::core::gpu {

/** Whether the GPU should be the default device: a GPU is available and it
 * is not a CPU-type device (such as Mesa's lavapipe, used when chosen
 * explicitly). */
bool is_default_device();

/** The index (as gpu::device_info counts) of the device this process uses
 * (throws when no GPU is available). */
int device_index();

/** The GPU's allocator (throws when no GPU is available). */
allocator::Allocator& allocator();

/** Records the primitive of `arr` (and its siblings) into its stream's
 * command buffer. `on_complete` runs, on a backend thread, once the device
 * has finished that work, or failed it (then with the error); it owns what
 * must stay alive until then. When recording throws, `on_complete` is not
 * called and the exception propagates. */
void eval(array& arr, std::function<void(std::exception_ptr)> on_complete);

/** Whether the stream's command buffer is full enough to submit now. The
 * caller submits (commit) once it has dropped its own references to the
 * recorded arrays: the completion may follow at once. */
bool needs_commit(const Stream& s);

/** Submits what the stream has recorded so far. */
void commit(const Stream& s);

/** Submits and blocks until the device has finished the stream's work. */
void synchronize(const Stream& s);

} // namespace mlx::core::gpu
