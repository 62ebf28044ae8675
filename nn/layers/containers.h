// mlx.nn.Sequential: calls its layers in order.
#pragma once

#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "mlx/nn/module.h"

namespace mlx::nn {

/**
 * A module list "layers" (parameters "layers.0.weight", ...) whose
 * operator() feeds x through each layer's one-input operator() in turn.
 * Layers are shared, not copied: the caller may keep its handles. The
 * layers are read from the module list at each call, so
 * update_modules({{"layers.1", ...}}) takes effect.
 */
class Sequential : public Module {
public:
  explicit Sequential(std::vector<std::shared_ptr<Module>> layers);

  /** Sequential(std::make_shared<Linear>(2, 3), std::make_shared<ReLU>()). */
  template <
      typename... Ms,
      typename = std::enable_if_t<
          (sizeof...(Ms) > 0) && (std::is_base_of_v<Module, Ms> && ...)>>
  explicit Sequential(std::shared_ptr<Ms>... layers)
      : Sequential(std::vector<std::shared_ptr<Module>>{std::move(layers)...}) {
  }

  std::string name() const override { return "Sequential"; }

  array operator()(const array& x) override;

  /** Number of layers. */
  size_t size() const { return children().size(); }
  /** The i-th layer (bounds-checked); reflects update_modules. */
  Module& operator[](size_t i) const;
};

} // namespace mlx::nn
