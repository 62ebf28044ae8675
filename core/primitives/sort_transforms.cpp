// jvp, vjp and vmap rules of the sort primitives. Sort and Partition move
// elements: the tangent follows the permutation (a gather) and the
// cotangent goes back through its inverse (a scatter with put_along_axis;
// a permutation has no duplicates to accumulate).
#include "mlx/primitives/sort.h"

#include "mlx/ops.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

[[noreturn]] void throw_not_differentiable(const char* name) {
  throw_error(
      "[",
      name,
      "] The primitive is not differentiable (its output is integer/boolean).");
}

// The batch-shifted axis of an axis parameter.
int shifted_axis(int axis, int batch) {
  return axis + (batch >= 0 && batch <= axis ? 1 : 0);
}

// out = take_along_axis(x, src, axis) for the output `out` of a permutation
// of `x` along `axis`. The Partition kernel does not promise the same
// arrangement as ArgPartition, so the source of each output slot is found
// by matching ranks: the r-th smallest of out (stable) is the r-th smallest
// of x (stable); equal values may swap sources, which leaves values intact.
array permutation_source(const array& x, const array& out, int axis, Stream s) {
  array x_rank_order = argsort(x, axis, s);
  array out_rank_order = argsort(out, axis, s);
  return put_along_axis(
      zeros(x.shape(), uint32, s), out_rank_order, x_rank_order, axis, s);
}

array gather_tangent(const array& t, const array& src, int axis, Stream s) {
  return take_along_axis(t, src, axis, s);
}

array scatter_cotangent(const array& g, const array& src, int axis, Stream s) {
  return put_along_axis(zeros_like(g, s), src, g, axis, s);
}

} // namespace

std::vector<array> Sort::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  // Both kernels sort stably, so argsort gives Sort's permutation.
  array src = argsort(primals[0], axis_, stream());
  return {gather_tangent(tangents[0], src, axis_, stream())};
}

std::vector<array> Sort::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  array src = argsort(primals[0], axis_, stream());
  return {scatter_cotangent(cotangents[0], src, axis_, stream())};
}

std::pair<std::vector<array>, std::vector<int>>
Sort::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  int axis = shifted_axis(axis_, axes[0]);
  return {{sort(inputs[0], axis, stream())}, {axes[0]}};
}

std::vector<array> ArgSort::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  throw_not_differentiable(name());
}

std::vector<array> ArgSort::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  throw_not_differentiable(name());
}

std::pair<std::vector<array>, std::vector<int>>
ArgSort::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  int axis = shifted_axis(axis_, axes[0]);
  return {{argsort(inputs[0], axis, stream())}, {axes[0]}};
}

std::vector<array> Partition::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  const array& x = primals[0];
  // The same kernel on the same values gives the same arrangement.
  array out = partition(x, kth_, axis_, stream());
  array src = permutation_source(x, out, axis_, stream());
  return {gather_tangent(tangents[0], src, axis_, stream())};
}

std::vector<array> Partition::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  array src = permutation_source(primals[0], outputs[0], axis_, stream());
  return {scatter_cotangent(cotangents[0], src, axis_, stream())};
}

std::pair<std::vector<array>, std::vector<int>> Partition::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  int axis = shifted_axis(axis_, axes[0]);
  return {{partition(inputs[0], kth_, axis, stream())}, {axes[0]}};
}

std::vector<array> ArgPartition::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  throw_not_differentiable(name());
}

std::vector<array> ArgPartition::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  throw_not_differentiable(name());
}

std::pair<std::vector<array>, std::vector<int>> ArgPartition::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  int axis = shifted_axis(axis_, axes[0]);
  return {{argpartition(inputs[0], kth_, axis, stream())}, {axes[0]}};
}

} // namespace mlx::core
