// Intra-op parallelism for CPU kernels. Any stream worker may call
// parallel_for; the caller takes part in its own job, so nested or
// concurrent calls never wait on an idle pool.
#pragma once

#include <cstddef>
#include <functional>

namespace mlx::core::cpu {

/** Number of threads used by parallel_for (the caller included). */
int num_threads();

/** Call f(begin, end) over [0, n) in chunks of at least `grain` items,
 * spread over the pool. Runs inline when one chunk covers everything.
 * An exception from f reaches the caller after all chunks finish. */
void parallel_for(
    size_t n, size_t grain, const std::function<void(size_t, size_t)>& f);

/** Grain sizes, in elements, under which splitting costs more than it
 * saves (thread wake-up is a few microseconds, ~16K simple element ops). */
inline constexpr size_t kElementwiseGrain = 1 << 15;

} // namespace mlx::core::cpu
