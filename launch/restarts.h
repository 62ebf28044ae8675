// --max-restarts: when a rank fails, the whole job is stopped and started
// again (as torchrun's --max-restarts), and the program resumes from its own
// checkpoint. Each start tells the ranks which one it is.
#pragma once

#include <functional>

#include "options.h"
#include "supervisor.h"

namespace mlx::launch {

/** Set for every rank: 0 on the first start, k on the k-th restart. */
inline constexpr const char* kRestartCountVariable = "MLX_RESTART_COUNT";

/** Runs `start_job(0)`; while the job ends because a rank failed and fewer
 * than `max_restarts` restarts were made, says why and runs
 * `start_job(restart)` again with restart = 1, 2, .... Returns the last
 * job's exit code; when the restarts are used up, first says so naming the
 * failed rank. A job stopped by a signal to the launcher, or one whose ranks
 * could not be started, is not restarted. */
int run_with_restarts(
    int max_restarts, const std::function<JobOutcome(int restart)>& start_job);

/** `options` with MLX_RESTART_COUNT=restart added to the ranks' variables. */
LaunchOptions with_restart_count(const LaunchOptions& options, int restart);

} // namespace mlx::launch
