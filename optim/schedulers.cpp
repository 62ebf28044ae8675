#include "mlx/optimizers/schedulers.h"

#include <cmath>

#include "mlx/ops.h"
#include "mlx/utils.h"

namespace mlx::optimizers {

namespace mx = mlx::core;
using mx::throw_error;

namespace {

constexpr double kPi = 3.14159265358979323846;

// The schedules compute in float32, as MLX's Python floats combined with
// the integer step do.
array f32(double value) {
  return array(static_cast<float>(value));
}

array to_f32(const array& x) {
  return mx::astype(x, mx::float32);
}

// An integer constant in the step's dtype, so uint64 steps stay uint64.
array like_step(int value, const array& step) {
  return array(value, step.dtype());
}

} // namespace

Schedule exponential_decay(double init, double decay_rate) {
  return [init, decay_rate](const array& step) {
    return f32(init) * mx::power(f32(decay_rate), to_f32(step));
  };
}

Schedule step_decay(double init, double decay_rate, int step_size) {
  if (step_size < 1) {
    throw_error(
        "[step_decay] step_size must be at least 1, but got ", step_size, ".");
  }
  return [init, decay_rate, step_size](const array& step) {
    auto periods = mx::floor_divide(step, like_step(step_size, step));
    return f32(init) * mx::power(f32(decay_rate), to_f32(periods));
  };
}

Schedule cosine_decay(double init, int decay_steps, double end) {
  if (decay_steps < 1) {
    throw_error(
        "[cosine_decay] decay_steps must be at least 1, but got ",
        decay_steps,
        ".");
  }
  return [init, decay_steps, end](const array& step) {
    auto s = to_f32(mx::minimum(step, like_step(decay_steps, step)));
    auto decay = f32(0.5) * (f32(1.0) + mx::cos(f32(kPi / decay_steps) * s));
    return f32(end) + decay * f32(init - end);
  };
}

Schedule linear_schedule(double init, double end, int steps) {
  if (steps < 1) {
    throw_error(
        "[linear_schedule] steps must be greater than 0, but got ", steps, ".");
  }
  return [init, end, steps](const array& step) {
    auto s = to_f32(mx::minimum(step, like_step(steps, step)));
    return s * f32((end - init) / steps) + f32(init);
  };
}

Schedule
join_schedules(std::vector<Schedule> schedules, std::vector<int> boundaries) {
  if (schedules.empty()) {
    throw_error("[join_schedules] Must provide at least 1 schedule to join.");
  }
  if (schedules.size() != boundaries.size() + 1) {
    throw_error(
        "[join_schedules] Received ",
        boundaries.size(),
        " boundaries but expected ",
        schedules.size() - 1,
        ".");
  }
  for (size_t i = 0; i < schedules.size(); ++i) {
    if (!schedules[i]) {
      throw_error("[join_schedules] Schedule ", i, " is empty.");
    }
  }
  return [schedules = std::move(schedules),
          boundaries = std::move(boundaries)](const array& step) {
    auto output = schedules[0](step);
    for (size_t i = 0; i < boundaries.size(); ++i) {
      auto boundary = like_step(boundaries[i], step);
      // Before the boundary the shifted step may wrap around (uint64);
      // `where` keeps the earlier schedule's value there.
      output = mx::where(
          mx::less(step, boundary),
          output,
          schedules[i + 1](mx::subtract(step, boundary)));
    }
    return output;
  };
}

} // namespace mlx::optimizers
