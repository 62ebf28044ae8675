// MultiOptimizer: different optimizers for different parameters, as
// mlx.optimizers.MultiOptimizer.
#pragma once

#include <memory>
#include <vector>

#include "mlx/optimizers/optimizer.h"

namespace mlx::optimizers {

// Chooses parameters by their dot-notation path ("layers.0.weight") and
// value.
using ParameterFilter =
    std::function<bool(const std::string& path, const array& parameter)>;

/**
 * Routes every gradient to the first optimizer whose filter accepts it; the
 * last optimizer has no filter and takes the rest (so filters.size() must
 * be optimizers.size() - 1). Each optimizer keeps its own step and state;
 * state() is {"states": [state of each optimizer]}.
 */
class MultiOptimizer : public Optimizer {
public:
  explicit MultiOptimizer(
      std::vector<std::shared_ptr<Optimizer>> optimizers,
      std::vector<ParameterFilter> filters = {});
  std::string name() const override { return "MultiOptimizer"; }

  void init(const Tree& parameters) override;
  Tree apply_gradients(const Tree& gradients, const Tree& parameters) override;

  Tree state() const override;
  void set_state(Tree state) override;

  // Those of the first optimizer.
  array step() const override;
  array learning_rate() const override;
  // Sets the learning rate of every optimizer.
  void set_learning_rate(const array& learning_rate) override;
  using Optimizer::set_learning_rate;

  const std::vector<std::shared_ptr<Optimizer>>& optimizers() const {
    return optimizers_;
  }

protected:
  void init_single(const array& parameter, Tree& state) override;
  array apply_single(
      const array& gradient, const array& parameter, Tree& state) override;

private:
  // The tree split by filter: one tree per optimizer.
  std::vector<Tree> split(const Tree& tree) const;

  std::vector<std::shared_ptr<Optimizer>> optimizers_;
  std::vector<ParameterFilter> filters_;
};

} // namespace mlx::optimizers
