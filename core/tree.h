// Trees of arrays: the C++ form of the nested dicts and lists that MLX's
// Python API passes around (model parameters, gradients, optimizer state).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "mlx/array.h"

namespace mlx::utils {

using mlx::core::array;

// A node is empty, an array leaf, a dict (string keys, kept sorted so that
// every rank walks a tree in the same order) or a list.
class Tree {
public:
  using Dict = std::map<std::string, Tree>;
  using List = std::vector<Tree>;

  Tree() = default;
  Tree(array leaf) : value_(std::move(leaf)) {}
  Tree(Dict dict) : value_(std::move(dict)) {}
  Tree(List list) : value_(std::move(list)) {}
  Tree(std::initializer_list<std::pair<const std::string, Tree>> dict)
      : value_(Dict(dict)) {}

  bool is_empty() const {
    return std::holds_alternative<std::monostate>(value_);
  }
  bool is_array() const { return std::holds_alternative<array>(value_); }
  bool is_dict() const { return std::holds_alternative<Dict>(value_); }
  bool is_list() const { return std::holds_alternative<List>(value_); }

  // Accessors throw std::invalid_argument naming the expected kind.
  array& as_array();
  const array& as_array() const;
  Dict& as_dict();
  const Dict& as_dict() const;
  List& as_list();
  const List& as_list() const;

  // Dict access: operator[] turns an empty node into a dict and inserts the
  // key; at() throws when the key is missing. contains() is false for
  // non-dicts.
  Tree& operator[](const std::string& key);
  const Tree& at(const std::string& key) const;
  Tree& at(const std::string& key);
  bool contains(const std::string& key) const;
  // List access, bounds-checked.
  Tree& operator[](size_t index);
  Tree& at(size_t index);
  const Tree& at(size_t index) const;

  // Number of children of a dict or list; 1 for a leaf, 0 when empty.
  size_t size() const;
  // Number of array leaves below this node.
  size_t num_leaves() const;

private:
  std::variant<std::monostate, array, Dict, List> value_;
};

using FlatTree = std::vector<std::pair<std::string, array>>;

// Leaves in order with dot-notation paths: {"layers": [{"weight": w}]}
// gives {"layers.0.weight", w}. `prefix` is prepended ("model" gives
// "model.layers.0.weight").
FlatTree tree_flatten(const Tree& tree, const std::string& prefix = "");

// Inverse of tree_flatten: a node whose keys are all non-negative integers
// becomes a list (missing indices are empty slots, as MLX), anything else a
// dict. Throws on an empty component or a path used both as a leaf and as a
// node.
Tree tree_unflatten(const FlatTree& leaves);

// New tree of the same structure with fn applied to every leaf.
Tree tree_map(const std::function<array(const array&)>& fn, const Tree& tree);
// fn gets the leaf of `tree` and the leaves at the same place in `rest`;
// every tree in `rest` must have at least the structure of `tree` (MLX's
// rule), else std::invalid_argument names the path.
Tree tree_map(
    const std::function<array(const std::vector<array>&)>& fn,
    const Tree& tree,
    const std::vector<Tree>& rest);
// fn gets the dot-notation path of each leaf (with `prefix`).
Tree tree_map_with_path(
    const std::function<array(const std::string&, const array&)>& fn,
    const Tree& tree,
    const std::string& prefix = "");

// Folds the leaves in tree_flatten order: acc = fn(acc, leaf).
template <typename T>
T tree_reduce(
    const std::function<T(T, const array&)>& fn, const Tree& tree, T initial) {
  T acc = std::move(initial);
  for (auto& [path, leaf] : tree_flatten(tree)) {
    acc = fn(std::move(acc), leaf);
  }
  return acc;
}

// Prints the structure with shapes and dtypes ({"w": array(2x3, float32)}).
std::ostream& operator<<(std::ostream& os, const Tree& tree);

} // namespace mlx::utils
