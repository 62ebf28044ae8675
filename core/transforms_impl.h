// Internals shared by the function transforms (not part of the public API).
#pragma once

#include <functional>
#include <unordered_set>
#include <vector>

#include "mlx/array.h"

namespace mlx::core::detail {

using IdSet = std::unordered_set<std::uintptr_t>;

/** The nodes of the graph of `outputs` that depend on the arrays in
 * `roots`, inputs before users, each multi-output primitive once (through
 * one of its outputs). The search does not enter the roots, and stops at
 * stop_gradient unless `through_stop_gradient` (vmap must batch it). */
std::vector<array> dependent_tape(
    const std::vector<array>& outputs,
    const IdSet& roots,
    bool through_stop_gradient = false);

/** A new graph node standing for `a` (sharing its buffer once evaluated)
 * that the transforms can tell apart from every other use of `a`. */
array make_tracer(const array& a);

/** Checks and sorts `argnums` for a function of `num_args` arguments. */
std::vector<int>
checked_argnums(const char* op, std::vector<int> argnums, size_t num_args);

/** Cotangents for (the first few of) a function's outputs. */
using CotangentsFn =
    std::function<std::vector<array>(const std::vector<array>&)>;

/** The vjp behind vjp, grad and value_and_grad: outputs of `fun(primals)`
 * and the vector-Jacobian products, with respect to the primals in
 * `argnums`, of the cotangents `make_cotangents(outputs)` gives for the
 * first outputs (the others are not differentiated). */
std::pair<std::vector<array>, std::vector<array>>
vjp(const std::function<std::vector<array>(const std::vector<array>&)>& fun,
    const std::vector<array>& primals,
    const CotangentsFn& make_cotangents,
    const std::vector<int>& argnums);

} // namespace mlx::core::detail
