#include "mlx/nn/layers/containers.h"

#include "mlx/utils.h"

namespace mlx::nn {

using mlx::core::throw_error;

Sequential::Sequential(std::vector<std::shared_ptr<Module>> layers) {
  for (size_t i = 0; i < layers.size(); ++i) {
    if (!layers[i]) {
      throw_error("[Sequential] Layer ", i, " is null.");
    }
  }
  register_modules("layers", std::move(layers));
}

array Sequential::operator()(const array& x) {
  // children() lists "layers.0", "layers.1", ... in order.
  array y = x;
  for (auto& [key, layer] : children()) {
    y = (*layer)(y);
  }
  return y;
}

Module& Sequential::operator[](size_t i) const {
  auto layers = children();
  if (i >= layers.size()) {
    throw_error(
        "[Sequential] Index ",
        i,
        " out of range for ",
        layers.size(),
        " layers.");
  }
  return *layers[i].second;
}

} // namespace mlx::nn
