#include "mlx/optimizers/multi_optimizer.h"

#include "mlx/utils.h"

namespace mlx::optimizers {

using mlx::core::throw_error;
using mlx::utils::FlatTree;

MultiOptimizer::MultiOptimizer(
    std::vector<std::shared_ptr<Optimizer>> optimizers,
    std::vector<ParameterFilter> filters)
    : optimizers_(std::move(optimizers)), filters_(std::move(filters)) {
  if (optimizers_.empty()) {
    throw_error("[MultiOptimizer] Expected at least one optimizer.");
  }
  for (size_t i = 0; i < optimizers_.size(); ++i) {
    if (!optimizers_[i]) {
      throw_error("[MultiOptimizer] Optimizer ", i, " is null.");
    }
  }
  if (filters_.size() != optimizers_.size() - 1) {
    throw_error(
        "[MultiOptimizer] Given ",
        filters_.size(),
        " filters but ",
        optimizers_.size() - 1,
        " needed (one per optimizer but the last).");
  }
  for (size_t i = 0; i < filters_.size(); ++i) {
    if (!filters_[i]) {
      throw_error("[MultiOptimizer] Filter ", i, " is empty.");
    }
  }
  // The state lives in the optimizers.
  state_ = Tree();
}

std::vector<Tree> MultiOptimizer::split(const Tree& tree) const {
  if (optimizers_.size() == 1) {
    return {tree};
  }
  std::vector<FlatTree> parts(optimizers_.size());
  for (auto& [path, leaf] : mlx::utils::tree_flatten(tree)) {
    size_t i = 0;
    while (i < filters_.size() && !filters_[i](path, leaf)) {
      ++i;
    }
    parts[i].emplace_back(path, leaf);
  }
  std::vector<Tree> out;
  for (auto& part : parts) {
    out.push_back(mlx::utils::tree_unflatten(part));
  }
  return out;
}

void MultiOptimizer::init(const Tree& parameters) {
  auto parts = split(parameters);
  for (size_t i = 0; i < optimizers_.size(); ++i) {
    optimizers_[i]->init(parts[i]);
  }
}

Tree MultiOptimizer::apply_gradients(
    const Tree& gradients, const Tree& parameters) {
  auto parts = split(gradients);
  Tree out;
  for (size_t i = 0; i < optimizers_.size(); ++i) {
    out = detail::tree_merge(
        out, optimizers_[i]->apply_gradients(parts[i], parameters));
  }
  return out;
}

Tree MultiOptimizer::state() const {
  Tree::List states;
  for (auto& o : optimizers_) {
    states.push_back(o->state());
  }
  return Tree{{"states", Tree(std::move(states))}};
}

void MultiOptimizer::set_state(Tree state) {
  if (!state.contains("states") || !state.at("states").is_list() ||
      state.at("states").size() != optimizers_.size()) {
    throw_error(
        "[MultiOptimizer.set_state] Expected {\"states\": [...]} with one "
        "state per optimizer (",
        optimizers_.size(),
        ").");
  }
  auto& states = state.at("states").as_list();
  for (size_t i = 0; i < optimizers_.size(); ++i) {
    optimizers_[i]->set_state(states[i]);
  }
}

array MultiOptimizer::step() const {
  return optimizers_[0]->step();
}

array MultiOptimizer::learning_rate() const {
  return optimizers_[0]->learning_rate();
}

void MultiOptimizer::set_learning_rate(const array& learning_rate) {
  for (auto& o : optimizers_) {
    o->set_learning_rate(learning_rate);
  }
}

void MultiOptimizer::init_single(const array&, Tree&) {
  throw_error("[MultiOptimizer] init_single is done by the optimizers.");
}

array MultiOptimizer::apply_single(const array&, const array&, Tree&) {
  throw_error("[MultiOptimizer] apply_single is done by the optimizers.");
}

} // namespace mlx::optimizers
