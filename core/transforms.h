// Evaluation of the lazy graph and the composable function transforms:
// vjp, jvp, grad, value_and_grad, vmap, custom_function, checkpoint.
#pragma once

#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "mlx/array.h"

namespace mlx::core {

/** Evaluate the arrays and the graph they depend on; blocks until done and
 * rethrows, on this thread, the first error a kernel raised. */
void eval(std::vector<array> outputs);

template <
    typename... Arrays,
    typename =
        std::enable_if_t<(std::is_same_v<std::decay_t<Arrays>, array> && ...)>>
void eval(Arrays&&... outputs) {
  eval(std::vector<array>{std::forward<Arrays>(outputs)...});
}

/** Queue the evaluation and return at once; `eval` or `item` on the arrays
 * later waits for it. */
void async_eval(std::vector<array> outputs);

template <
    typename... Arrays,
    typename =
        std::enable_if_t<(std::is_same_v<std::decay_t<Arrays>, array> && ...)>>
void async_eval(Arrays&&... outputs) {
  async_eval(std::vector<array>{std::forward<Arrays>(outputs)...});
}

using VectorFn = std::function<std::vector<array>(const std::vector<array>&)>;

/** Outputs of `fun(primals)` and the vector-Jacobian products of the
 * cotangents (one per output) with respect to every primal. */
std::pair<std::vector<array>, std::vector<array>>
vjp(const VectorFn& fun,
    const std::vector<array>& primals,
    const std::vector<array>& cotangents);

std::pair<array, array>
vjp(const std::function<array(const array&)>& fun,
    const array& primal,
    const array& cotangent);

/** Outputs of `fun(primals)` and the Jacobian-vector products of the
 * tangents (one per primal) for every output. */
std::pair<std::vector<array>, std::vector<array>>
jvp(const VectorFn& fun,
    const std::vector<array>& primals,
    const std::vector<array>& tangents);

std::pair<array, array>
jvp(const std::function<array(const array&)>& fun,
    const array& primal,
    const array& tangent);

/** Returns the outputs of `fun` and the gradient of its first output (a
 * scalar; the other outputs are auxiliary values) with respect to the
 * arguments in `argnums`. */
using ValueAndGradFn =
    std::function<std::pair<std::vector<array>, std::vector<array>>(
        const std::vector<array>&)>;
using SimpleValueAndGradFn = std::function<std::pair<array, std::vector<array>>(
    const std::vector<array>&)>;

ValueAndGradFn
value_and_grad(const VectorFn& fun, const std::vector<int>& argnums);
ValueAndGradFn value_and_grad(const VectorFn& fun, int argnum = 0);

SimpleValueAndGradFn value_and_grad(
    const std::function<array(const std::vector<array>&)>& fun,
    const std::vector<int>& argnums);
SimpleValueAndGradFn value_and_grad(
    const std::function<array(const std::vector<array>&)>& fun, int argnum = 0);

std::function<std::pair<array, array>(const array&)>
value_and_grad(const std::function<array(const array&)>& fun);

/** Gradient of a scalar-valued function with respect to `argnums`. */
std::function<std::vector<array>(const std::vector<array>&)> grad(
    const std::function<array(const std::vector<array>&)>& fun,
    const std::vector<int>& argnums);
std::function<std::vector<array>(const std::vector<array>&)> grad(
    const std::function<array(const std::vector<array>&)>& fun, int argnum = 0);
std::function<array(const array&)>
grad(const std::function<array(const array&)>& fun);

/** Vectorizes `fun` over the axes `in_axes` of its inputs (-1: the input
 * is not batched; empty: axis 0 of every input), placing the batch axis of
 * each output at `out_axes` (empty: axis 0). */
std::function<std::vector<array>(const std::vector<array>&)> vmap(
    const VectorFn& fun,
    const std::vector<int>& in_axes = {},
    const std::vector<int>& out_axes = {});

std::function<array(const array&)> vmap(
    const std::function<array(const array&)>& fun,
    int in_axis = 0,
    int out_axis = 0);

std::function<array(const array&, const array&)> vmap(
    const std::function<array(const array&, const array&)>& fun,
    int in_axis_a = 0,
    int in_axis_b = 0,
    int out_axis = 0);

/** vjp rule: (primals, cotangents, outputs) -> input cotangents. */
using CustomVjpFn = std::function<std::vector<array>(
    const std::vector<array>&,
    const std::vector<array>&,
    const std::vector<array>&)>;
/** jvp rule: (primals, tangents, argnums) -> output tangents. */
using CustomJvpFn = std::function<std::vector<array>(
    const std::vector<array>&,
    const std::vector<array>&,
    const std::vector<int>&)>;
/** vmap rule: (inputs, in_axes) -> (outputs, out_axes). */
using CustomVmapFn =
    std::function<std::pair<std::vector<array>, std::vector<int>>(
        const std::vector<array>&, const std::vector<int>&)>;

/** `fun` with user-defined transform rules; a transform without a rule
 * goes through `fun`'s own graph. */
VectorFn custom_function(
    VectorFn fun,
    std::optional<CustomVjpFn> fun_vjp = std::nullopt,
    std::optional<CustomJvpFn> fun_jvp = std::nullopt,
    std::optional<CustomVmapFn> fun_vmap = std::nullopt);

VectorFn custom_vjp(VectorFn fun, CustomVjpFn fun_vjp);

/** `fun` whose intermediate values are not kept for the backward pass:
 * its vjp runs `fun` again. */
VectorFn checkpoint(VectorFn fun);

namespace detail {

/** True while a transform traces a function on this thread. */
bool in_tracing();

/** Marks the current thread as tracing for its lifetime. */
struct InTracing {
  InTracing();
  ~InTracing();
  InTracing(const InTracing&) = delete;
  InTracing& operator=(const InTracing&) = delete;
};

} // namespace detail

} // namespace mlx::core
