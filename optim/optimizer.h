// The Optimizer base of mlx.optimizers: a per-parameter update rule applied
// over a parameter tree, with MLX's state layout.
//
// state() is a dict holding "step" (a uint64 scalar: the number of updates
// done), the schedulable hyper-parameters ("learning_rate", a float32
// scalar) and, for every parameter, a dict of its own state laid out like
// the parameter tree: {"step": .., "learning_rate": .., "layers": [{"weight":
// {"m": .., "v": ..}}]}. Flattened, it saves to safetensors; set_state()
// takes the tree_unflatten of what was loaded back.
//
// Updates are lazy: apply_gradients only builds the new arrays with ops;
// evaluate the parameters and state() afterwards (one eval per step).
#pragma once

#include <array>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "mlx/array.h"
#include "mlx/nn/module.h"
#include "mlx/tree.h"

namespace mlx::optimizers {

using mlx::core::array;
using mlx::utils::Tree;

// A schedule maps the step (a uint64 scalar) to a hyper-parameter value.
using Schedule = std::function<array(const array& step)>;

// A hyper-parameter given as a constant or as a schedule of the step.
class ScalarOrSchedule {
public:
  template <typename T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
  ScalarOrSchedule(T value) : value_(static_cast<double>(value)) {}
  template <
      typename F,
      std::enable_if_t<
          !std::is_arithmetic_v<std::decay_t<F>> &&
              std::is_invocable_r_v<array, F, const array&>,
          int> = 0>
  ScalarOrSchedule(F schedule) : schedule_(std::move(schedule)) {}

  bool is_schedule() const { return static_cast<bool>(schedule_); }
  double value() const { return value_; }
  const Schedule& schedule() const { return schedule_; }

private:
  double value_ = 0.0;
  Schedule schedule_;
};

class Optimizer {
public:
  virtual ~Optimizer() = default;

  // Class name as MLX's ("Adam"); error messages start with "[name]".
  virtual std::string name() const = 0;

  // model.update(apply_gradients(gradients, model.parameters())).
  void update(nn::Module& model, const Tree& gradients);
  // The same for a plain tree of parameters (MLX's update on a dict):
  // replaces the leaves of `parameters` that have a gradient.
  void update(Tree& parameters, const Tree& gradients);

  // Creates the per-parameter state of every leaf of `parameters` that has
  // none yet (apply_gradients calls it on its first use after
  // construction or set_state).
  virtual void init(const Tree& parameters);

  // Advances the step and returns the updated parameters, in the structure
  // of `gradients`. `parameters` may be a superset of the gradients (e.g.
  // all parameters while only the trainable ones have gradients). Scheduled
  // hyper-parameters are first recomputed from the step before the
  // increment (as MLX: the first update uses schedule(0)).
  virtual Tree apply_gradients(const Tree& gradients, const Tree& parameters);

  virtual Tree state() const { return state_; }
  // Replaces the state (e.g. one loaded from a file). It must hold "step"
  // and the hyper-parameters this optimizer keeps in its state.
  virtual void set_state(Tree state);

  virtual array step() const;
  virtual array learning_rate() const;
  // Sets a constant learning rate (a schedule, if any, keeps overriding it
  // at each update, as MLX).
  virtual void set_learning_rate(const array& learning_rate);
  void set_learning_rate(float learning_rate) {
    set_learning_rate(array(learning_rate));
  }

protected:
  Optimizer();

  // Stores the hyper-parameter `key` in the state: the constant as a
  // float32 scalar, or the schedule's value at the current step (and
  // remembers the schedule).
  void maybe_schedule(const std::string& key, const ScalarOrSchedule& value);
  // A hyper-parameter from the state, cast to `dtype`.
  array hyper_parameter(const std::string& key, mlx::core::Dtype dtype) const;

  // Per-parameter rule: init_single fills an empty state dict for
  // `parameter`; apply_single returns the updated parameter and replaces
  // the entries of `state` it changes.
  virtual void init_single(const array& parameter, Tree& state) = 0;
  virtual array
  apply_single(const array& gradient, const array& parameter, Tree& state) = 0;

  Tree state_;
  bool initialized_ = false;

private:
  std::map<std::string, Schedule> schedules_;
};

namespace detail {
// A scalar of `dtype` holding `value` (optimizer constants take the
// parameter's dtype, as MLX's Python scalars do).
array scalar(double value, mlx::core::Dtype dtype);
// Merges b into a: dicts by key, lists by index, an empty node taking the
// other side; two leaves at the same place raise (MLX's tree_merge).
Tree tree_merge(const Tree& a, const Tree& b);
// Setting checks shared by the optimizers: raise "[opt] <what> should be
// >= 0, <value> was provided instead." / "[opt] betas should be in [0, 1),
// (b1, b2) was provided instead.".
void check_non_negative(const char* opt, const char* what, double value);
void check_betas(const char* opt, const std::array<double, 2>& betas);
// The array at `key` of a parameter's state dict.
const array& state_array(const Tree& state, const char* key);
} // namespace detail

} // namespace mlx::optimizers
