// jvp, vjp and vmap rules of the join primitives.
#include "mlx/primitives/join.h"

#include "mlx/ops.h"
#include "mlx/primitives/rule_utils.h"

namespace mlx::core {

std::vector<array> Concatenate::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  // Linear: the tangents (zeros for the other inputs), joined.
  Dtype dtype = primals[0].dtype();
  for (auto& p : primals) {
    dtype = promote_types(dtype, p.dtype());
  }
  std::vector<array> parts;
  for (auto& p : primals) {
    parts.push_back(zeros(p.shape(), dtype, stream()));
  }
  for (size_t i = 0; i < argnums.size(); ++i) {
    parts[argnums[i]] = astype(tangents[i], dtype, stream());
  }
  return {concatenate(std::move(parts), axis_, stream())};
}

std::vector<array> Concatenate::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  // Each input's cotangent is its part of the output's.
  const array& c = cotangents[0];
  std::vector<int> offsets{0};
  for (auto& p : primals) {
    offsets.push_back(offsets.back() + p.shape(axis_));
  }
  std::vector<array> vjps;
  for (int arg : argnums) {
    const array& p = primals[arg];
    if (!issubdtype(p.dtype(), inexact)) {
      vjps.push_back(zeros_like(p, stream()));
      continue;
    }
    Shape start(c.ndim(), 0);
    Shape stop = c.shape();
    start[axis_] = offsets[arg];
    stop[axis_] = offsets[arg + 1];
    vjps.push_back(
        astype(slice(c, start, stop, stream()), p.dtype(), stream()));
  }
  return vjps;
}

std::pair<std::vector<array>, std::vector<int>> Concatenate::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  // Every input batch-first (unbatched ones repeated), joined one axis on.
  int batch = detail::batch_size(inputs, axes);
  std::vector<array> parts;
  for (size_t i = 0; i < inputs.size(); ++i) {
    parts.push_back(
        detail::batch_first(inputs[i], axes[i], batch, true, stream()));
  }
  return {{concatenate(std::move(parts), axis_ + 1, stream())}, {0}};
}

} // namespace mlx::core
