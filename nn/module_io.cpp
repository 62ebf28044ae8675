// Module::save_weights / load_weights through core's .safetensors and .npz
// readers and writers.
#include <unordered_map>

#include "mlx/io.h"
#include "mlx/nn/module.h"
#include "mlx/ops.h"

namespace mlx::nn {

using mlx::core::throw_error;

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

void Module::save_weights(const std::string& file) const {
  std::unordered_map<std::string, array> arrays;
  for (auto& [path, value] : mlx::utils::tree_flatten(parameters())) {
    arrays.emplace(path, value);
  }
  if (ends_with(file, ".safetensors")) {
    mlx::core::save_safetensors(file, std::move(arrays));
  } else if (ends_with(file, ".npz")) {
    mlx::core::savez(file, std::move(arrays));
  } else {
    throw_error(
        "[",
        name(),
        ".save_weights] Unsupported file \"",
        file,
        "\": use a .safetensors or .npz name.");
  }
}

Module& Module::load_weights(const std::string& file, bool strict) {
  if (!ends_with(file, ".safetensors") && !ends_with(file, ".npz")) {
    throw_error(
        "[",
        name(),
        ".load_weights] Unsupported file \"",
        file,
        "\": use a .safetensors or .npz name.");
  }
  FlatTree weights;
  for (auto& [path, value] : mlx::core::load_arrays(file)) {
    weights.emplace_back(path, value);
  }
  // Sorted, so that messages name the first offending entry the same way
  // whatever order the file lists them in.
  std::sort(weights.begin(), weights.end(), [](auto& a, auto& b) {
    return a.first < b.first;
  });
  return load_weights(weights, strict);
}

Module& Module::load_weights(const FlatTree& weights, bool strict) {
  std::map<std::string, array> own;
  for (auto& [path, value] : mlx::utils::tree_flatten(parameters())) {
    own.emplace(path, value);
  }
  std::set<std::string> given;
  for (auto& [path, value] : weights) {
    given.insert(path);
    auto it = own.find(path);
    if (it == own.end()) {
      if (strict) {
        throw_error(
            "[",
            name(),
            ".load_weights] The weights have \"",
            path,
            "\", which the model does not.");
      }
      continue;
    }
    if (value.shape() != it->second.shape()) {
      throw_error(
          "[",
          name(),
          ".load_weights] \"",
          path,
          "\" has shape ",
          value.shape(),
          " in the weights but ",
          it->second.shape(),
          " in the model.");
    }
  }
  if (strict) {
    for (auto& [path, value] : own) {
      if (!given.count(path)) {
        throw_error(
            "[", name(), ".load_weights] The weights lack \"", path, "\".");
      }
    }
  }
  FlatTree known;
  for (auto& [path, value] : weights) {
    if (own.count(path)) {
      known.emplace_back(path, value);
    }
  }
  return update(mlx::utils::tree_unflatten(known), strict);
}

} // namespace mlx::nn
