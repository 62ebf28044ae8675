// Learning-rate schedules of mlx.optimizers: functions of the step (the
// optimizer's uint64 "step", or any integer or float scalar array) that
// return a float32 scalar. Pass one as an optimizer's learning rate; it is
// evaluated at each update with the step before that update (0, 1, ...).
#pragma once

#include <vector>

#include "mlx/optimizers/optimizer.h"

namespace mlx::optimizers {

/** init * decay_rate^step. */
Schedule exponential_decay(double init, double decay_rate);

/** init * decay_rate^floor(step / step_size); step_size >= 1. */
Schedule step_decay(double init, double decay_rate, int step_size);

/**
 * end + (init - end) (1 + cos(pi min(step, decay_steps) / decay_steps)) / 2:
 * from init at step 0 to end at decay_steps, then constant.
 * decay_steps >= 1.
 */
Schedule cosine_decay(double init, int decay_steps, double end = 0.0);

/** From init at step 0 to end at `steps` linearly, then end; steps >= 1. */
Schedule linear_schedule(double init, double end, int steps);

/**
 * schedules[0] until boundaries[0], then schedules[1] given the steps since
 * boundaries[0] (step - boundaries[0]), and so on. There must be one
 * boundary fewer than schedules.
 */
Schedule
join_schedules(std::vector<Schedule> schedules, std::vector<int> boundaries);

} // namespace mlx::optimizers
