// One worker thread per stream runs that stream's tasks in order.
#pragma once

#include <functional>

#include "mlx/stream.h"

namespace mlx::core::scheduler {

/** Queue a task on the stream's worker (started on first use). */
void enqueue(const Stream& stream, std::function<void()> task);

/** Number of tasks queued or running on the stream. */
int pending(const Stream& stream);

} // namespace mlx::core::scheduler
