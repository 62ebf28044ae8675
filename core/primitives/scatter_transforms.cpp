// jvp, vjp and vmap rules of the scatter primitives. ScatterAddAxis is
// linear in (a, values) and the adjoint of TakeAlongAxis: its vjp gathers
// the cotangent at the indices. Indices carry no gradient.
#include "mlx/primitives/scatter.h"

#include "mlx/ops.h"
#include "mlx/primitives/rule_utils.h"

namespace mlx::core {

std::vector<array> ScatterAddAxis::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  array ta = zeros_like(primals[0], stream());
  bool values_tangent = false;
  array tv = ta;
  for (size_t i = 0; i < argnums.size(); ++i) {
    if (argnums[i] == 0) {
      ta = tangents[i];
    } else if (argnums[i] == 2) {
      tv = tangents[i];
      values_tangent = true;
    }
  }
  if (!values_tangent) {
    return {ta};
  }
  return {scatter_add_axis(ta, primals[1], tv, axis_, stream())};
}

std::vector<array> ScatterAddAxis::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  const array& c = cotangents[0];
  std::vector<array> vjps;
  for (int arg : argnums) {
    if (arg == 0) {
      vjps.push_back(c);
    } else if (arg == 2) {
      vjps.push_back(take_along_axis(c, primals[1], axis_, stream()));
    } else {
      vjps.push_back(zeros_like(primals[1], stream()));
    }
  }
  return vjps;
}

std::pair<std::vector<array>, std::vector<int>> ScatterAddAxis::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  // The output is batched: an unbatched array is repeated; unbatched
  // indices or values get a leading axis of size 1 (the op broadcasts).
  int batch = detail::batch_size(inputs, axes);
  array a = detail::batch_first(inputs[0], axes[0], batch, true, stream());
  array idx = detail::batch_first(inputs[1], axes[1], batch, false, stream());
  array vals = detail::batch_first(inputs[2], axes[2], batch, false, stream());
  return {{scatter_add_axis(a, idx, vals, axis_ + 1, stream())}, {0}};
}

} // namespace mlx::core
