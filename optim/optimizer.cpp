#include "mlx/optimizers/optimizer.h"

#include <sstream>

#include "mlx/ops.h"
#include "mlx/utils.h"

namespace mlx::optimizers {

namespace mx = mlx::core;
using mx::throw_error;

namespace {

std::string join_path(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string shape_string(const mx::Shape& shape) {
  using mx::operator<<;
  std::ostringstream os;
  os << shape;
  return os.str();
}

bool is_empty_state(const Tree& node) {
  return node.is_empty() || (node.is_dict() && node.as_dict().empty());
}

// Replaces the leaves of `target` by those of `source`, creating the dict
// entries and list slots `source` has and `target` lacks.
void overwrite_leaves(Tree& target, const Tree& source) {
  if (source.is_empty()) {
    return;
  }
  if (source.is_array()) {
    target = source;
    return;
  }
  if (source.is_dict()) {
    if (!target.is_dict()) {
      target = Tree(Tree::Dict{});
    }
    for (auto& [key, child] : source.as_dict()) {
      overwrite_leaves(target[key], child);
    }
    return;
  }
  auto& list = source.as_list();
  if (!target.is_list()) {
    target = Tree(Tree::List{});
  }
  auto& out = target.as_list();
  if (out.size() < list.size()) {
    out.resize(list.size());
  }
  for (size_t i = 0; i < list.size(); ++i) {
    overwrite_leaves(out[i], list[i]);
  }
}

} // namespace

namespace detail {

array scalar(double value, mx::Dtype dtype) {
  return array(value, dtype);
}

void check_non_negative(const char* opt, const char* what, double value) {
  if (value < 0.0) {
    throw_error(
        "[",
        opt,
        "] ",
        what,
        " should be >= 0, ",
        value,
        " was provided instead.");
  }
}

void check_betas(const char* opt, const std::array<double, 2>& betas) {
  for (double b : betas) {
    if (!(b >= 0.0 && b < 1.0)) {
      throw_error(
          "[",
          opt,
          "] betas should be in [0, 1), (",
          betas[0],
          ", ",
          betas[1],
          ") was provided instead.");
    }
  }
}

const array& state_array(const Tree& state, const char* key) {
  return state.at(key).as_array();
}

Tree tree_merge(const Tree& a, const Tree& b) {
  if (a.is_empty() || (a.is_dict() && a.as_dict().empty())) {
    return b.is_empty() ? a : b;
  }
  if (b.is_empty() || (b.is_dict() && b.as_dict().empty())) {
    return a;
  }
  if (a.is_dict() && b.is_dict()) {
    Tree::Dict out = a.as_dict();
    for (auto& [key, child] : b.as_dict()) {
      auto it = out.find(key);
      out[key] = it == out.end() ? child : tree_merge(it->second, child);
    }
    return Tree(std::move(out));
  }
  if (a.is_list() && b.is_list()) {
    auto& la = a.as_list();
    auto& lb = b.as_list();
    Tree::List out(std::max(la.size(), lb.size()));
    for (size_t i = 0; i < out.size(); ++i) {
      out[i] = tree_merge(
          i < la.size() ? la[i] : Tree(), i < lb.size() ? lb[i] : Tree());
    }
    return Tree(std::move(out));
  }
  throw_error(
      "[tree_merge] Cannot merge two trees that both have a value at the "
      "same place (a leaf, or a dict and a list).");
}

} // namespace detail

Optimizer::Optimizer() {
  state_["step"] = Tree(array(uint64_t{0}, mx::uint64));
}

void Optimizer::update(nn::Module& model, const Tree& gradients) {
  model.update(apply_gradients(gradients, model.parameters()));
}

void Optimizer::update(Tree& parameters, const Tree& gradients) {
  overwrite_leaves(parameters, apply_gradients(gradients, parameters));
}

namespace {

// Walks `params` and the state in step: gives every leaf without state one
// (init_single), creating the dicts and list slots on the way.
template <typename InitSingle>
void init_tree(
    const Tree& params,
    Tree& state,
    const std::string& path,
    const std::string& opt_name,
    const InitSingle& init_single) {
  if (params.is_empty()) {
    return;
  }
  if (params.is_array()) {
    if (state.is_empty()) {
      state = Tree(Tree::Dict{});
    }
    if (!state.is_dict()) {
      throw_error(
          "[",
          opt_name,
          "] The state of parameter \"",
          path,
          "\" is not a dict.");
    }
    if (state.as_dict().empty()) {
      init_single(params.as_array(), state);
    }
    return;
  }
  if (params.is_dict()) {
    if (state.is_empty()) {
      state = Tree(Tree::Dict{});
    }
    if (!state.is_dict()) {
      throw_error(
          "[",
          opt_name,
          "] The state at \"",
          path,
          "\" is not a dict while the parameters hold a dict there.");
    }
    for (auto& [key, child] : params.as_dict()) {
      init_tree(child, state[key], join_path(path, key), opt_name, init_single);
    }
    return;
  }
  auto& list = params.as_list();
  if (state.is_empty() || (state.is_dict() && state.as_dict().empty())) {
    state = Tree(Tree::List{});
  }
  if (!state.is_list()) {
    throw_error(
        "[",
        opt_name,
        "] The state at \"",
        path,
        "\" is not a list while the parameters hold a list there.");
  }
  auto& slots = state.as_list();
  if (slots.size() < list.size()) {
    slots.resize(list.size());
  }
  for (size_t i = 0; i < list.size(); ++i) {
    init_tree(
        list[i],
        slots[i],
        join_path(path, std::to_string(i)),
        opt_name,
        init_single);
  }
}

} // namespace

void Optimizer::init(const Tree& parameters) {
  if (parameters.is_array()) {
    throw_error(
        "[",
        name(),
        ".init] Expected a tree of parameters (a dict), got a "
        "single array.");
  }
  init_tree(parameters, state_, "", name(), [this](const array& p, Tree& s) {
    init_single(p, s);
  });
  initialized_ = true;
}

Tree Optimizer::apply_gradients(const Tree& gradients, const Tree& parameters) {
  if (gradients.is_array()) {
    throw_error(
        "[",
        name(),
        ".apply_gradients] Expected a tree of gradients (a "
        "dict), got a single array.");
  }
  if (!initialized_) {
    init(gradients);
  }
  for (auto& [key, schedule] : schedules_) {
    state_[key] = Tree(schedule(step()));
  }
  state_["step"] = Tree(mx::add(step(), array(uint64_t{1}, mx::uint64)));

  // Walks gradients, parameters and state together; the result has the
  // structure of the gradients.
  std::function<Tree(const Tree&, const Tree&, Tree&, const std::string&)>
      walk = [&](const Tree& g,
                 const Tree& p,
                 Tree& s,
                 const std::string& path) -> Tree {
    if (g.is_empty()) {
      return Tree();
    }
    if (g.is_array()) {
      if (!p.is_array()) {
        throw_error(
            "[",
            name(),
            ".apply_gradients] The gradient at \"",
            path,
            "\" has no parameter array at the same place.");
      }
      auto& grad = g.as_array();
      auto& param = p.as_array();
      if (grad.shape() != param.shape()) {
        throw_error(
            "[",
            name(),
            ".apply_gradients] The gradient at \"",
            path,
            "\" has shape ",
            shape_string(grad.shape()),
            " but the parameter has shape ",
            shape_string(param.shape()),
            ".");
      }
      if (is_empty_state(s)) {
        // A parameter that appeared after init (MLX would fail here).
        s = Tree(Tree::Dict{});
        init_single(param, s);
      }
      if (!s.is_dict()) {
        throw_error(
            "[",
            name(),
            ".apply_gradients] The state of parameter \"",
            path,
            "\" is not a dict.");
      }
      return Tree(apply_single(grad, param, s));
    }
    if (g.is_dict()) {
      if (!p.is_dict()) {
        throw_error(
            "[",
            name(),
            ".apply_gradients] The gradients hold a dict at \"",
            path,
            "\" but the parameters do not.");
      }
      if (s.is_empty()) {
        s = Tree(Tree::Dict{});
      }
      Tree::Dict out;
      for (auto& [key, child] : g.as_dict()) {
        auto child_path = join_path(path, key);
        if (!p.contains(key)) {
          throw_error(
              "[",
              name(),
              ".apply_gradients] The gradient \"",
              child_path,
              "\" has no parameter.");
        }
        out.emplace(key, walk(child, p.at(key), s[key], child_path));
      }
      return Tree(std::move(out));
    }
    auto& list = g.as_list();
    if (!p.is_list() || p.as_list().size() < list.size()) {
      throw_error(
          "[",
          name(),
          ".apply_gradients] The gradients hold a list of ",
          list.size(),
          " at \"",
          path,
          "\" but the parameters hold no list that long.");
    }
    if (s.is_empty() || (s.is_dict() && s.as_dict().empty())) {
      s = Tree(Tree::List{});
    }
    if (!s.is_list()) {
      throw_error(
          "[",
          name(),
          ".apply_gradients] The state at \"",
          path,
          "\" is not a list.");
    }
    auto& slots = s.as_list();
    if (slots.size() < list.size()) {
      slots.resize(list.size());
    }
    Tree::List out;
    for (size_t i = 0; i < list.size(); ++i) {
      out.push_back(walk(
          list[i],
          p.as_list()[i],
          slots[i],
          join_path(path, std::to_string(i))));
    }
    return Tree(std::move(out));
  };
  return walk(gradients, parameters, state_, "");
}

void Optimizer::set_state(Tree state) {
  if (!state.is_dict()) {
    throw_error("[", name(), ".set_state] Expected a dict.");
  }
  std::vector<std::string> required{"step"};
  for (auto& [key, value] : state_.as_dict()) {
    if (key != "step" && value.is_array()) {
      required.push_back(key);
    }
  }
  for (auto& key : required) {
    if (!state.contains(key) || !state.at(key).is_array()) {
      throw_error(
          "[", name(), ".set_state] The state has no array \"", key, "\".");
    }
  }
  state_ = std::move(state);
  initialized_ = false;
}

array Optimizer::step() const {
  return state_.at("step").as_array();
}

array Optimizer::learning_rate() const {
  if (!state_.contains("learning_rate")) {
    throw_error("[", name(), "] This optimizer has no learning rate.");
  }
  return state_.at("learning_rate").as_array();
}

void Optimizer::set_learning_rate(const array& learning_rate) {
  state_["learning_rate"] = Tree(learning_rate);
}

void Optimizer::maybe_schedule(
    const std::string& key, const ScalarOrSchedule& value) {
  if (value.is_schedule()) {
    schedules_[key] = value.schedule();
    state_[key] = Tree(value.schedule()(step()));
  } else {
    state_[key] = Tree(array(static_cast<float>(value.value())));
  }
}

array Optimizer::hyper_parameter(
    const std::string& key, mx::Dtype dtype) const {
  return mx::astype(state_.at(key).as_array(), dtype);
}

} // namespace mlx::optimizers
