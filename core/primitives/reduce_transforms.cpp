// jvp, vjp and vmap rules of the reduce primitives. The primitive keeps the
// reduced axes with size 1, so cotangents broadcast back against the input.
#include "mlx/primitives/reduce.h"

#include <algorithm>
#include <numeric>

#include "mlx/ops.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

// The product of every other element of the reduced axes, for each element
// of `x`: an exclusive product from both ends, so zeros need no division.
array product_of_others(
    const array& x, const std::vector<int>& axes, Stream s) {
  if (axes.size() == 1) {
    int ax = axes[0];
    return multiply(
        cumprod(x, ax, /* reverse */ false, /* inclusive */ false, s),
        cumprod(x, ax, /* reverse */ true, /* inclusive */ false, s),
        s);
  }
  // Several axes: move them to the back and merge them into one.
  int nd = static_cast<int>(x.ndim());
  std::vector<int> perm;
  Shape merged;
  for (int d = 0; d < nd; ++d) {
    if (std::find(axes.begin(), axes.end(), d) == axes.end()) {
      perm.push_back(d);
      merged.push_back(x.shape(d));
    }
  }
  int32_t reduced = 1;
  for (int ax : axes) {
    perm.push_back(ax);
    reduced *= x.shape(ax);
  }
  merged.push_back(reduced);
  std::vector<int> inverse(nd);
  for (int d = 0; d < nd; ++d) {
    inverse[perm[d]] = d;
  }
  array moved = transpose(x, perm, s);
  Shape moved_shape = moved.shape();
  array others = product_of_others(
      reshape(moved, merged, s), {static_cast<int>(merged.size()) - 1}, s);
  return transpose(reshape(others, moved_shape, s), inverse, s);
}

// Elements equal to the extremum `out` (kept dims), and how many there are:
// ties share the gradient equally, as MLX.
std::pair<array, array> extremum_mask(
    const array& x, const array& out, const std::vector<int>& axes, Stream s) {
  array mask = equal(x, out, s);
  return {mask, sum(mask, axes, true, s)};
}

[[noreturn]] void throw_not_differentiable(const char* name) {
  throw_error(
      "[",
      name,
      "] The primitive is not differentiable (its output is integer/boolean).");
}

} // namespace

std::vector<array> Reduce::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  const array& x = primals[0];
  const array& t = tangents[0];
  Stream s = stream();
  switch (op_) {
  case ReduceOp::Sum:
    return {sum(t, axes_, true, s)};
  case ReduceOp::Prod:
    return {
        sum(multiply(t, product_of_others(x, axes_, s), s), axes_, true, s)};
  case ReduceOp::Min:
  case ReduceOp::Max: {
    array out =
        op_ == ReduceOp::Max ? max(x, axes_, true, s) : min(x, axes_, true, s);
    auto [mask, count] = extremum_mask(x, out, axes_, s);
    return {divide(sum(multiply(t, mask, s), axes_, true, s), count, s)};
  }
  default:
    throw_not_differentiable(name());
  }
}

std::vector<array> Reduce::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  const array& x = primals[0];
  const array& g = cotangents[0];
  Stream s = stream();
  switch (op_) {
  case ReduceOp::Sum:
    return {broadcast_to(g, x.shape(), s)};
  case ReduceOp::Prod:
    return {multiply(g, product_of_others(x, axes_, s), s)};
  case ReduceOp::Min:
  case ReduceOp::Max: {
    auto [mask, count] = extremum_mask(x, outputs[0], axes_, s);
    return {multiply(divide(g, count, s), mask, s)};
  }
  default:
    throw_not_differentiable(name());
  }
}

std::pair<std::vector<array>, std::vector<int>>
Reduce::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  // The batch axis stays where it is; the reduced axes after it shift.
  int batch = axes[0];
  std::vector<int> reduce_axes = axes_;
  if (batch >= 0) {
    for (int& ax : reduce_axes) {
      ax += ax >= batch ? 1 : 0;
    }
  }
  const array& x = inputs[0];
  Stream s = stream();
  switch (op_) {
  case ReduceOp::And:
    return {{all(x, reduce_axes, true, s)}, {batch}};
  case ReduceOp::Or:
    return {{any(x, reduce_axes, true, s)}, {batch}};
  case ReduceOp::Sum:
    return {{sum(x, reduce_axes, true, s)}, {batch}};
  case ReduceOp::Prod:
    return {{prod(x, reduce_axes, true, s)}, {batch}};
  case ReduceOp::Min:
    return {{min(x, reduce_axes, true, s)}, {batch}};
  case ReduceOp::Max:
    return {{max(x, reduce_axes, true, s)}, {batch}};
  }
  throw_error("[Reduce] Unknown reduction.");
}

std::vector<array> ArgReduce::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  throw_not_differentiable(name());
}

std::vector<array> ArgReduce::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  throw_not_differentiable(name());
}

std::pair<std::vector<array>, std::vector<int>> ArgReduce::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  int batch = axes[0];
  int axis = axis_ + (batch >= 0 && batch <= axis_ ? 1 : 0);
  Stream s = stream();
  array out = op_ == ArgReduceOp::ArgMax ? argmax(inputs[0], axis, true, s)
                                         : argmin(inputs[0], axis, true, s);
  return {{out}, {batch}};
}

} // namespace mlx::core
