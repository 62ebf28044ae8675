#include "mlx/nn/module.h"

#include <algorithm>

#include "mlx/ops.h"
#include "mlx/transforms.h"

namespace mlx::nn {

using mlx::core::throw_error;

bool valid_parameter_filter(const Module&, const std::string&, const array&) {
  return true;
}

bool trainable_parameter_filter(
    const Module& m, const std::string& key, const array&) {
  return !m.is_frozen(key);
}

array Module::operator()(const array&) {
  throw_error(
      "[",
      name(),
      "] This module does not take a single input; call its own "
      "operator() overload.");
}

void Module::check_new_name(const std::string& key) const {
  if (key.empty() || key.find('.') != std::string::npos) {
    throw_error(
        "[",
        name(),
        "] Invalid name \"",
        key,
        "\": names are non-empty and contain no '.'.");
  }
  if (params_.count(key) || modules_.count(key) || module_lists_.count(key)) {
    throw_error("[", name(), "] The name \"", key, "\" is already used.");
  }
}

void Module::register_parameter(const std::string& key, array value) {
  check_new_name(key);
  params_.emplace(key, std::move(value));
}

const array& Module::param(const std::string& key) const {
  auto it = params_.find(key);
  if (it == params_.end()) {
    throw_error("[", name(), "] No parameter \"", key, "\".");
  }
  return it->second;
}

bool Module::has_param(const std::string& key) const {
  return params_.count(key) > 0;
}

void Module::set_param(const std::string& key, array value) {
  auto it = params_.find(key);
  if (it == params_.end()) {
    throw_error("[", name(), "] No parameter \"", key, "\" to set.");
  }
  it->second = std::move(value);
}

Tree Module::collect(
    const ParameterFilter& filter,
    const std::function<array(const array&)>& map) const {
  Tree::Dict out;
  for (auto& [key, value] : params_) {
    if (filter(*this, key, value)) {
      out.emplace(key, map ? map(value) : value);
    }
  }
  for (auto& [key, child] : modules_) {
    out.emplace(key, child->collect(filter, map));
  }
  for (auto& [key, list] : module_lists_) {
    Tree::List entries;
    for (auto& child : list) {
      entries.push_back(child->collect(filter, map));
    }
    out.emplace(key, Tree(std::move(entries)));
  }
  return Tree(std::move(out));
}

Tree Module::parameters() const {
  return collect(valid_parameter_filter, nullptr);
}

Tree Module::trainable_parameters() const {
  return collect(trainable_parameter_filter, nullptr);
}

Tree Module::filter_and_map(
    const ParameterFilter& filter,
    const std::function<array(const array&)>& map) const {
  return collect(filter, map);
}

std::shared_ptr<Module> Module::child(const std::string& key) const {
  if (auto it = modules_.find(key); it != modules_.end()) {
    return it->second;
  }
  for (auto& [list_key, list] : module_lists_) {
    for (size_t i = 0; i < list.size(); ++i) {
      if (key == list_key + "." + std::to_string(i)) {
        return list[i];
      }
    }
  }
  throw_error("[", name(), ".child] No sub-module \"", key, "\".");
}

std::vector<std::pair<std::string, Module*>> Module::children() const {
  std::vector<std::pair<std::string, Module*>> out;
  for (auto& [key, child] : modules_) {
    out.emplace_back(key, child.get());
  }
  for (auto& [key, list] : module_lists_) {
    for (size_t i = 0; i < list.size(); ++i) {
      out.emplace_back(key + "." + std::to_string(i), list[i].get());
    }
  }
  return out;
}

void Module::walk(
    const std::string& prefix,
    std::vector<std::pair<std::string, Module*>>& out) {
  out.emplace_back(prefix, this);
  for (auto& [key, child] : children()) {
    child->walk(prefix.empty() ? key : prefix + "." + key, out);
  }
}

std::vector<std::pair<std::string, Module*>> Module::named_modules() {
  std::vector<std::pair<std::string, Module*>> out;
  walk("", out);
  return out;
}

std::vector<Module*> Module::modules() {
  std::vector<Module*> out;
  for (auto& [path, m] : named_modules()) {
    out.push_back(m);
  }
  return out;
}

std::vector<std::pair<std::string, Module*>> Module::leaf_modules() {
  std::vector<std::pair<std::string, Module*>> out;
  for (auto& [path, m] : named_modules()) {
    if (m->children().empty()) {
      out.emplace_back(path, m);
    }
  }
  return out;
}

Module& Module::update(const Tree& params, bool strict) {
  if (params.is_empty()) {
    return *this;
  }
  if (!params.is_dict()) {
    throw_error(
        "[",
        name(),
        ".update] Expected a dict of parameters, got a ",
        params.is_array() ? "leaf" : "list",
        ".");
  }
  for (auto& [key, value] : params.as_dict()) {
    if (auto p = params_.find(key); p != params_.end()) {
      if (value.is_array()) {
        p->second = value.as_array();
      } else if (strict && !value.is_empty()) {
        throw_error(
            "[",
            name(),
            ".update] \"",
            key,
            "\" is a parameter but the update holds a subtree.");
      }
    } else if (auto m = modules_.find(key); m != modules_.end()) {
      if (value.is_array() && strict) {
        throw_error(
            "[",
            name(),
            ".update] \"",
            key,
            "\" is a module but the update holds an array.");
      }
      if (!value.is_array()) {
        m->second->update(value, strict);
      }
    } else if (auto l = module_lists_.find(key); l != module_lists_.end()) {
      if (!value.is_list()) {
        if (strict && !value.is_empty()) {
          throw_error(
              "[",
              name(),
              ".update] \"",
              key,
              "\" is a list of modules but the update holds no list.");
        }
        continue;
      }
      auto& entries = value.as_list();
      if (strict && entries.size() > l->second.size()) {
        throw_error(
            "[",
            name(),
            ".update] \"",
            key,
            "\" has ",
            l->second.size(),
            " modules but the update holds ",
            entries.size(),
            ".");
      }
      for (size_t i = 0; i < std::min(entries.size(), l->second.size()); ++i) {
        l->second[i]->update(entries[i], strict);
      }
    } else if (strict) {
      throw_error("[", name(), ".update] Unknown parameter \"", key, "\".");
    }
  }
  return *this;
}

Module& Module::update_modules(
    const std::map<std::string, std::shared_ptr<Module>>& modules,
    bool strict) {
  for (auto& [path, replacement] : modules) {
    // The owner of the last component, found through named_modules paths.
    auto dot = path.rfind('.');
    std::string owner_path =
        dot == std::string::npos ? "" : path.substr(0, dot);
    std::string key = dot == std::string::npos ? path : path.substr(dot + 1);
    Module* owner = nullptr;
    for (auto& [p, m] : named_modules()) {
      if (p == owner_path) {
        owner = m;
      }
    }
    bool done = false;
    if (owner) {
      if (auto it = owner->modules_.find(key); it != owner->modules_.end()) {
        it->second = replacement;
        done = true;
      }
    }
    // "layers.1": the owner path is "layers", a module list of this owner's
    // parent; named_modules cannot name the list itself.
    if (!done && dot != std::string::npos) {
      auto dot2 = owner_path.rfind('.');
      std::string parent_path =
          dot2 == std::string::npos ? "" : owner_path.substr(0, dot2);
      std::string list_key =
          dot2 == std::string::npos ? owner_path : owner_path.substr(dot2 + 1);
      for (auto& [p, m] : named_modules()) {
        if (p != parent_path) {
          continue;
        }
        auto it = m->module_lists_.find(list_key);
        size_t index = 0;
        bool numeric = !key.empty() &&
                       std::all_of(key.begin(), key.end(), ::isdigit) &&
                       key.size() < 9;
        if (numeric) {
          index = std::stoul(key);
        }
        if (it != m->module_lists_.end() && numeric &&
            index < it->second.size()) {
          it->second[index] = replacement;
          done = true;
        }
        break;
      }
    }
    if (!done && strict) {
      throw_error(
          "[", name(), ".update_modules] No sub-module \"", path, "\".");
    }
  }
  return *this;
}

Module& Module::apply(
    const std::function<array(const array&)>& fn,
    const ParameterFilter& filter) {
  for (auto* m : modules()) {
    for (auto& [key, value] : m->params_) {
      if (filter(*m, key, value)) {
        value = fn(value);
      }
    }
  }
  return *this;
}

Module& Module::apply_to_modules(
    const std::function<void(const std::string&, Module&)>& fn) {
  for (auto& [path, m] : named_modules()) {
    fn(path, *m);
  }
  return *this;
}

Module& Module::freeze(
    bool recurse, const std::vector<std::string>& keys, bool strict) {
  for (auto& key : keys) {
    if (strict && !params_.count(key)) {
      throw_error("[", name(), ".freeze] No parameter \"", key, "\".");
    }
  }
  auto freeze_here = [&](Module& m) {
    if (keys.empty()) {
      for (auto& [key, value] : m.params_) {
        m.frozen_.insert(key);
      }
    } else {
      for (auto& key : keys) {
        if (m.params_.count(key)) {
          m.frozen_.insert(key);
        }
      }
    }
  };
  if (!recurse) {
    freeze_here(*this);
    return *this;
  }
  for (auto* m : modules()) {
    freeze_here(*m);
  }
  return *this;
}

Module& Module::unfreeze(
    bool recurse, const std::vector<std::string>& keys, bool strict) {
  for (auto& key : keys) {
    if (strict && !params_.count(key)) {
      throw_error("[", name(), ".unfreeze] No parameter \"", key, "\".");
    }
  }
  auto unfreeze_here = [&](Module& m) {
    if (keys.empty()) {
      m.frozen_.clear();
    } else {
      for (auto& key : keys) {
        m.frozen_.erase(key);
      }
    }
  };
  if (!recurse) {
    unfreeze_here(*this);
    return *this;
  }
  // Through the virtual call on children so that layers which keep some
  // parameters frozen (batch norm statistics) re-freeze them.
  for (auto* m : modules()) {
    if (m == this) {
      unfreeze_here(*m);
    } else {
      m->unfreeze(false, keys, false);
    }
  }
  return *this;
}

Module& Module::train(bool mode) {
  for (auto* m : modules()) {
    m->training_ = mode;
  }
  return *this;
}

Module& Module::set_dtype(
    mlx::core::Dtype dtype,
    const std::function<bool(mlx::core::Dtype)>& predicate) {
  auto keep = [&](mlx::core::Dtype t) {
    return predicate ? predicate(t)
                     : mlx::core::issubdtype(t, mlx::core::floating);
  };
  return apply([&](const array& a) {
    return keep(a.dtype()) ? mlx::core::astype(a, dtype) : a;
  });
}

namespace {

void print_module(std::ostream& os, const Module& m, int indent) {
  os << m.name() << "(" << m.describe();
  auto children = m.children();
  if (children.empty()) {
    os << ")";
    return;
  }
  os << "\n";
  for (auto& [key, child] : children) {
    os << std::string(indent + 2, ' ') << "(" << key << "): ";
    print_module(os, *child, indent + 2);
    os << "\n";
  }
  os << std::string(indent, ' ') << ")";
}

// Puts `params` into the model for the duration of a call, restoring the
// model's own arrays afterwards (also when the call throws).
class ParameterSwap {
public:
  ParameterSwap(Module& model, const FlatTree& params, const Tree& original)
      : model_(model), original_(original) {
    model_.update(mlx::utils::tree_unflatten(params));
  }
  ~ParameterSwap() { model_.update(original_, false); }

private:
  Module& model_;
  const Tree& original_;
};

// Differentiates outputs()[0] with respect to the trainable parameters;
// the other outputs ride along.
std::pair<std::vector<array>, Tree> differentiate(
    Module& model, const std::function<std::vector<array>()>& outputs) {
  Tree original = model.trainable_parameters();
  FlatTree flat = mlx::utils::tree_flatten(original);
  if (flat.empty()) {
    // Nothing trainable: the value, and an empty gradient tree.
    return {outputs(), Tree(Tree::Dict{})};
  }
  std::vector<array> inputs;
  std::vector<int> argnums;
  for (auto& [path, leaf] : flat) {
    argnums.push_back(static_cast<int>(inputs.size()));
    inputs.push_back(leaf);
  }
  auto traced = [&](const std::vector<array>& params) {
    FlatTree swapped;
    for (size_t i = 0; i < params.size(); ++i) {
      swapped.emplace_back(flat[i].first, params[i]);
    }
    ParameterSwap swap(model, swapped, original);
    auto out = outputs();
    if (out.empty()) {
      throw_error("[nn.value_and_grad] The function returned no outputs.");
    }
    return out;
  };
  auto [values, grads] = mlx::core::value_and_grad(traced, argnums)(inputs);
  FlatTree named;
  for (size_t i = 0; i < grads.size(); ++i) {
    named.emplace_back(flat[i].first, grads[i]);
  }
  return {values, mlx::utils::tree_unflatten(named)};
}

} // namespace

std::ostream& operator<<(std::ostream& os, const Module& m) {
  print_module(os, m, 0);
  return os;
}

namespace detail {

std::pair<array, Tree>
value_and_grad(Module& model, const std::function<array()>& loss) {
  auto [values, grads] =
      differentiate(model, [&]() { return std::vector<array>{loss()}; });
  return {values[0], std::move(grads)};
}

std::pair<std::vector<array>, Tree> value_and_grad_aux(
    Module& model, const std::function<std::vector<array>()>& outputs) {
  return differentiate(model, outputs);
}

} // namespace detail

} // namespace mlx::nn
