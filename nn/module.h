// nn::Module: a tree of named parameters and sub-modules, as MLX's
// mlx.nn.Module. Layers derive from it, register their arrays and children
// in the constructor, and read parameters through param() in their forward
// pass (update() may have replaced them since).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "mlx/array.h"
#include "mlx/tree.h"
#include "mlx/utils.h"

namespace mlx::nn {

using mlx::core::array;
using mlx::utils::FlatTree;
using mlx::utils::Tree;

class Module;

// Filters of filter_and_map / apply: (module, local key, value).
using ParameterFilter =
    std::function<bool(const Module&, const std::string&, const array&)>;
// Keeps every parameter.
bool valid_parameter_filter(const Module&, const std::string&, const array&);
// Keeps parameters that are not frozen.
bool trainable_parameter_filter(
    const Module& m, const std::string& key, const array&);

class Module {
public:
  Module() = default;
  virtual ~Module() = default;
  // A module owns its parameters; copies would silently share or split them.
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // Class name as MLX prints it ("Linear"); describe() adds the settings
  // shown in parentheses ("input_dims=2, output_dims=3, bias=true").
  virtual std::string name() const { return "Module"; }
  virtual std::string describe() const { return ""; }

  // The one-input forward pass. Layers that take other arguments declare
  // their own operator() overloads; calling this one on them throws.
  virtual array operator()(const array& x);

  // ---- Parameters and sub-modules by local name.
  const array& param(const std::string& key) const;
  bool has_param(const std::string& key) const;
  // Replaces an existing parameter (what update() does per key).
  void set_param(const std::string& key, array value);

  // All arrays of the module and its children: {"weight": w, "layers": [..]}.
  Tree parameters() const;
  // parameters() without the frozen ones.
  Tree trainable_parameters() const;
  // MLX's Module.state: here the same tree as parameters().
  Tree state() const { return parameters(); }

  // The sub-module registered as `key` ("layers.0" for a module list's
  // entry) as it is now. Layers call their children through it rather than
  // through a pointer kept from the constructor, so that update_modules
  // (e.g. nn::lora::apply) changes what the forward pass runs.
  std::shared_ptr<Module> child(const std::string& key) const;
  // Direct children, a module list's entries named "layers.0", "layers.1".
  std::vector<std::pair<std::string, Module*>> children() const;
  // This module ("") and every descendant with its dot-notation path,
  // parents before children.
  std::vector<std::pair<std::string, Module*>> named_modules();
  std::vector<Module*> modules();
  // Modules without children.
  std::vector<std::pair<std::string, Module*>> leaf_modules();

  // Replaces parameters by those in `params` (any subtree of parameters()).
  // strict: a key the module does not have, or a leaf where the module has
  // a sub-module (or the reverse), raises; shapes are not checked.
  Module& update(const Tree& params, bool strict = true);
  // Replaces sub-modules by path ("encoder", "layers.1").
  Module& update_modules(
      const std::map<std::string, std::shared_ptr<Module>>& modules,
      bool strict = true);

  // Replaces every parameter that passes `filter` by fn(parameter).
  Module& apply(
      const std::function<array(const array&)>& fn,
      const ParameterFilter& filter = valid_parameter_filter);
  // Calls fn(path, module) on this module and every descendant.
  Module&
  apply_to_modules(const std::function<void(const std::string&, Module&)>& fn);
  // The parameters that pass `filter`, mapped by `map` (identity if empty),
  // in the structure of parameters().
  Tree filter_and_map(
      const ParameterFilter& filter,
      const std::function<array(const array&)>& map = nullptr) const;

  // Freezing excludes parameters from trainable_parameters() (and so from
  // nn::value_and_grad's gradients). keys: local parameter names ("bias");
  // empty means all. recurse: also every descendant. strict: every key must
  // exist in this module.
  virtual Module& freeze(
      bool recurse = true,
      const std::vector<std::string>& keys = {},
      bool strict = false);
  virtual Module& unfreeze(
      bool recurse = true,
      const std::vector<std::string>& keys = {},
      bool strict = false);
  bool is_frozen(const std::string& key) const {
    return frozen_.count(key) > 0;
  }

  // The quantized form of this layer (nn::quantize swaps it in), or null
  // when it has none; Linear and Embedding have one (nn/layers/quantized.h).
  virtual std::shared_ptr<Module> to_quantized(
      int /* group_size */ = 64,
      int /* bits */ = 4,
      const std::string& /* mode */ = "affine") {
    return nullptr;
  }

  // Training mode (dropout active, batch norm updates statistics); applies
  // to every descendant.
  Module& train(bool mode = true);
  Module& eval() { return train(false); }
  bool training() const { return training_; }

  // Casts the parameters for which predicate(dtype) holds (by default the
  // floating-point ones).
  Module& set_dtype(
      mlx::core::Dtype dtype,
      const std::function<bool(mlx::core::Dtype)>& predicate = nullptr);

  // ".safetensors" or ".npz", by extension; flat dot-notation names.
  void save_weights(const std::string& file) const;
  // strict: the file must hold exactly the module's parameters with the
  // same shapes; otherwise the names it has are loaded (shapes still
  // checked).
  Module& load_weights(const std::string& file, bool strict = true);
  Module& load_weights(const FlatTree& weights, bool strict = true);

protected:
  // Registration, in the constructor of a layer. Names are unique across
  // parameters, modules and module lists.
  void register_parameter(const std::string& key, array value);
  template <typename M>
  std::shared_ptr<M>
  register_module(const std::string& key, std::shared_ptr<M> module) {
    check_new_name(key);
    modules_.emplace(key, module);
    return module;
  }
  template <typename M>
  std::vector<std::shared_ptr<M>> register_modules(
      const std::string& key, std::vector<std::shared_ptr<M>> modules) {
    check_new_name(key);
    auto& list = module_lists_[key];
    list.assign(modules.begin(), modules.end());
    return modules;
  }
  // Parameters that freeze() may not unfreeze (batch norm statistics).
  std::set<std::string>& frozen_keys() { return frozen_; }

private:
  void check_new_name(const std::string& key) const;
  Tree collect(
      const ParameterFilter& filter,
      const std::function<array(const array&)>& map) const;
  void walk(
      const std::string& prefix,
      std::vector<std::pair<std::string, Module*>>& out);

  std::map<std::string, array> params_;
  std::map<std::string, std::shared_ptr<Module>> modules_;
  std::map<std::string, std::vector<std::shared_ptr<Module>>> module_lists_;
  std::set<std::string> frozen_;
  bool training_ = true;
};

// "Linear(input_dims=2, output_dims=3, bias=true)" with children indented.
std::ostream& operator<<(std::ostream& os, const Module& m);

namespace detail {
std::pair<array, Tree>
value_and_grad(Module& model, const std::function<array()>& loss);
std::pair<std::vector<array>, Tree> value_and_grad_aux(
    Module& model, const std::function<std::vector<array>()>& outputs);
} // namespace detail

// nn.value_and_grad: returns a function with fn's arguments that gives
// fn(args...) and the gradient of it with respect to model's trainable
// parameters, as a tree shaped like trainable_parameters(). fn may return
// an array (the loss) or a std::vector<array> whose first entry is the loss
// and the rest auxiliary outputs (returned, not differentiated).
template <typename F> auto value_and_grad(Module& model, F fn) {
  return [&model, fn = std::move(fn)](const auto&... args) {
    using Result = decltype(fn(args...));
    if constexpr (std::is_same_v<Result, std::vector<array>>) {
      return detail::value_and_grad_aux(
          model, [&]() -> std::vector<array> { return fn(args...); });
    } else {
      return detail::value_and_grad(
          model, [&]() -> array { return fn(args...); });
    }
  };
}

} // namespace mlx::nn
