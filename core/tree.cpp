#include "mlx/tree.h"

#include <algorithm>
#include <charconv>
#include <ostream>

#include "mlx/utils.h"

namespace mlx::utils {

namespace {

const char* kind_name(const Tree& t) {
  if (t.is_array()) {
    return "an array";
  }
  if (t.is_dict()) {
    return "a dict";
  }
  if (t.is_list()) {
    return "a list";
  }
  return "empty";
}

[[noreturn]] void wrong_kind(const Tree& t, const char* wanted) {
  mlx::core::throw_error(
      "[Tree] Expected ", wanted, " but the node is ", kind_name(t), ".");
}

std::string join(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

void flatten_into(const Tree& t, const std::string& path, FlatTree& out) {
  if (t.is_array()) {
    out.emplace_back(path, t.as_array());
  } else if (t.is_dict()) {
    for (auto& [key, child] : t.as_dict()) {
      flatten_into(child, join(path, key), out);
    }
  } else if (t.is_list()) {
    auto& list = t.as_list();
    for (size_t i = 0; i < list.size(); ++i) {
      flatten_into(list[i], join(path, std::to_string(i)), out);
    }
  }
}

// A path component names a list slot when it is all digits.
bool is_index(const std::string& key, size_t& index) {
  if (key.empty() || key.size() > 9) {
    return false;
  }
  auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), index);
  return ec == std::errc() && end == key.data() + key.size();
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    parts.push_back(path.substr(start, dot - start));
    if (parts.back().empty()) {
      mlx::core::throw_error(
          "[tree_unflatten] Empty component in the path \"", path, "\".");
    }
    if (dot == std::string::npos) {
      return parts;
    }
    start = dot + 1;
  }
}

// Builds nested dicts keyed by every component (digits included); lists are
// made afterwards, once all of a node's keys are known.
void insert_path(
    Tree& node,
    const std::vector<std::string>& parts,
    size_t i,
    const array& leaf,
    const std::string& path) {
  if (node.is_array()) {
    mlx::core::throw_error(
        "[tree_unflatten] \"", path, "\" goes through a leaf.");
  }
  auto& child = node[parts[i]];
  if (i + 1 == parts.size()) {
    if (!child.is_empty()) {
      mlx::core::throw_error(
          "[tree_unflatten] \"", path, "\" is given twice or is also a node.");
    }
    child = Tree(leaf);
    return;
  }
  insert_path(child, parts, i + 1, leaf, path);
}

Tree dicts_to_lists(Tree node, const std::string& path) {
  if (!node.is_dict()) {
    return node;
  }
  auto& dict = node.as_dict();
  size_t index = 0;
  bool all_indices = !dict.empty();
  for (auto& [key, child] : dict) {
    all_indices = all_indices && is_index(key, index);
  }
  if (!all_indices) {
    Tree::Dict out;
    for (auto& [key, child] : dict) {
      out.emplace(key, dicts_to_lists(std::move(child), join(path, key)));
    }
    return Tree(std::move(out));
  }
  // MLX's rule: missing indices become empty slots (a Sequential whose
  // middle layer has no parameters flattens to "layers.0", "layers.2").
  size_t length = 0;
  for (auto& [key, child] : dict) {
    is_index(key, index);
    length = std::max(length, index + 1);
  }
  Tree::List list(length);
  for (auto& [key, child] : dict) {
    is_index(key, index);
    if (!list[index].is_empty()) {
      mlx::core::throw_error(
          "[tree_unflatten] The list at \"",
          path,
          "\" has index ",
          index,
          " twice (\"",
          key,
          "\").");
    }
    list[index] = dicts_to_lists(std::move(child), join(path, key));
  }
  return Tree(std::move(list));
}

Tree map_impl(
    const std::function<array(const std::vector<array>&)>& fn,
    const Tree& tree,
    const std::vector<const Tree*>& rest,
    const std::string& path) {
  auto mismatch = [](const std::string& where, const char* what) {
    mlx::core::throw_error(
        "[tree_map] The trees differ at \"", where, "\": ", what, ".");
  };
  if (tree.is_array()) {
    std::vector<array> leaves{tree.as_array()};
    for (auto* r : rest) {
      if (!r->is_array()) {
        mismatch(path, "a leaf in the first tree is not a leaf in another");
      }
      leaves.push_back(r->as_array());
    }
    return Tree(fn(leaves));
  }
  if (tree.is_dict()) {
    Tree::Dict out;
    for (auto& [key, child] : tree.as_dict()) {
      std::vector<const Tree*> sub;
      for (auto* r : rest) {
        if (!r->contains(key)) {
          mismatch(join(path, key), "the key is missing in another tree");
        }
        sub.push_back(&r->at(key));
      }
      out.emplace(key, map_impl(fn, child, sub, join(path, key)));
    }
    return Tree(std::move(out));
  }
  if (tree.is_list()) {
    Tree::List out;
    auto& list = tree.as_list();
    for (size_t i = 0; i < list.size(); ++i) {
      std::vector<const Tree*> sub;
      for (auto* r : rest) {
        if (!r->is_list() || r->as_list().size() <= i) {
          mismatch(
              join(path, std::to_string(i)),
              "a list of the first tree is shorter or missing in another");
        }
        sub.push_back(&r->as_list()[i]);
      }
      out.push_back(map_impl(fn, list[i], sub, join(path, std::to_string(i))));
    }
    return Tree(std::move(out));
  }
  return Tree();
}

} // namespace

array& Tree::as_array() {
  if (!is_array()) {
    wrong_kind(*this, "an array");
  }
  return std::get<array>(value_);
}
const array& Tree::as_array() const {
  if (!is_array()) {
    wrong_kind(*this, "an array");
  }
  return std::get<array>(value_);
}
Tree::Dict& Tree::as_dict() {
  if (!is_dict()) {
    wrong_kind(*this, "a dict");
  }
  return std::get<Dict>(value_);
}
const Tree::Dict& Tree::as_dict() const {
  if (!is_dict()) {
    wrong_kind(*this, "a dict");
  }
  return std::get<Dict>(value_);
}
Tree::List& Tree::as_list() {
  if (!is_list()) {
    wrong_kind(*this, "a list");
  }
  return std::get<List>(value_);
}
const Tree::List& Tree::as_list() const {
  if (!is_list()) {
    wrong_kind(*this, "a list");
  }
  return std::get<List>(value_);
}

Tree& Tree::operator[](const std::string& key) {
  if (is_empty()) {
    value_ = Dict();
  }
  return as_dict()[key];
}

const Tree& Tree::at(const std::string& key) const {
  auto& dict = as_dict();
  auto it = dict.find(key);
  if (it == dict.end()) {
    mlx::core::throw_error("[Tree] No key \"", key, "\".");
  }
  return it->second;
}

Tree& Tree::at(const std::string& key) {
  return const_cast<Tree&>(std::as_const(*this).at(key));
}

bool Tree::contains(const std::string& key) const {
  return is_dict() && as_dict().count(key) > 0;
}

Tree& Tree::operator[](size_t index) {
  return at(index);
}

Tree& Tree::at(size_t index) {
  return const_cast<Tree&>(std::as_const(*this).at(index));
}

const Tree& Tree::at(size_t index) const {
  auto& list = as_list();
  if (index >= list.size()) {
    mlx::core::throw_error(
        "[Tree] Index ",
        index,
        " out of range for a list of ",
        list.size(),
        ".");
  }
  return list[index];
}

size_t Tree::size() const {
  if (is_dict()) {
    return as_dict().size();
  }
  if (is_list()) {
    return as_list().size();
  }
  return is_array() ? 1 : 0;
}

size_t Tree::num_leaves() const {
  return tree_reduce<size_t>(
      [](size_t n, const array&) { return n + 1; }, *this, 0);
}

FlatTree tree_flatten(const Tree& tree, const std::string& prefix) {
  FlatTree out;
  flatten_into(tree, prefix, out);
  return out;
}

Tree tree_unflatten(const FlatTree& leaves) {
  Tree root;
  for (auto& [path, leaf] : leaves) {
    insert_path(root, split_path(path), 0, leaf, path);
  }
  return dicts_to_lists(std::move(root), "");
}

Tree tree_map(const std::function<array(const array&)>& fn, const Tree& tree) {
  return map_impl(
      [&](const std::vector<array>& leaves) { return fn(leaves[0]); },
      tree,
      {},
      "");
}

Tree tree_map(
    const std::function<array(const std::vector<array>&)>& fn,
    const Tree& tree,
    const std::vector<Tree>& rest) {
  std::vector<const Tree*> others;
  for (auto& r : rest) {
    others.push_back(&r);
  }
  return map_impl(fn, tree, others, "");
}

Tree tree_map_with_path(
    const std::function<array(const std::string&, const array&)>& fn,
    const Tree& tree,
    const std::string& prefix) {
  FlatTree leaves = tree_flatten(tree, prefix);
  for (auto& [path, leaf] : leaves) {
    leaf = fn(path, leaf);
  }
  // Rebuild on the original structure (keeps empty subtrees out, as flatten
  // does, and lists stay lists).
  size_t next = 0;
  return map_impl(
      [&](const std::vector<array>&) { return leaves[next++].second; },
      tree,
      {},
      "");
}

std::ostream& operator<<(std::ostream& os, const Tree& tree) {
  if (tree.is_array()) {
    auto& a = tree.as_array();
    os << "array(";
    for (size_t i = 0; i < a.shape().size(); ++i) {
      os << (i ? "x" : "") << a.shape()[i];
    }
    return os << ", " << a.dtype() << ")";
  }
  if (tree.is_dict()) {
    os << "{";
    bool first = true;
    for (auto& [key, child] : tree.as_dict()) {
      os << (first ? "" : ", ") << '"' << key << "\": " << child;
      first = false;
    }
    return os << "}";
  }
  if (tree.is_list()) {
    os << "[";
    for (size_t i = 0; i < tree.as_list().size(); ++i) {
      os << (i ? ", " : "") << tree.as_list()[i];
    }
    return os << "]";
  }
  return os << "None";
}

} // namespace mlx::utils
