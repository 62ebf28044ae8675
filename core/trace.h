// MLX_TRACE=file.json: a timeline of the primitives each stream ran, as
// Chrome trace events ("ph": "X", one track per stream), written when the
// process exits. Open it in https://ui.perfetto.dev or chrome://tracing;
// scripts/open_trace.py prints a per-stream summary. Off by default: the
// scheduler then pays one predictable branch per primitive.
#pragma once

#include <chrono>
#include <string>

namespace mlx::core::trace {

using Clock = std::chrono::steady_clock;

namespace detail {
extern const bool trace_enabled;
} // namespace detail

/** Whether MLX_TRACE was set when the process started. */
inline bool enabled() {
  return detail::trace_enabled;
}

/** Records that `name` ran on stream `stream_index` from `start` to `end`.
 * Thread-safe. */
void record(
    const char* name,
    int stream_index,
    Clock::time_point start,
    Clock::time_point end);

/** Names a stream's track ("communication" for the distributed layer's). */
void name_stream(int stream_index, const std::string& name);

/** The file the trace goes to: MLX_TRACE, with "-rank<R>" before its
 * extension when a launcher (mpirun, mlx.launch, ...) gave this process a
 * rank (each rank writes its own). Empty when tracing is off. */
std::string output_path();

/** Writes what was recorded so far (also done at exit). Throws
 * std::runtime_error naming the file when it cannot be written. */
void write();

} // namespace mlx::core::trace
