// compile: a function traced once per input signature into a graph that is
// simplified (common subexpressions merged) and fused (chains of
// element-wise ops become one kernel), then replayed on each call.
#pragma once

#include <functional>
#include <type_traits>
#include <utility>
#include <vector>

#include "mlx/array.h"

namespace mlx::core {

enum class CompileMode { disabled, no_simplify, no_fuse, enabled };

/** A function that computes what `fun` computes. The first call with a
 * given signature (the inputs' count, shapes and dtypes, and the default
 * stream) runs `fun` on value-less stand-ins and keeps the graph it
 * builds, simplified and fused; later calls with that signature rebuild
 * the graph on the new inputs without calling `fun`. Arrays the function
 * captures or creates that do not depend on its inputs are constants of
 * the compiled graph (kept from the first trace). With `shapeless`, a
 * graph whose every primitive can infer its output shapes from its
 * inputs' (element-wise ops and their fusions) is reused for inputs of
 * other shapes of the same number of dimensions and dtypes; other graphs
 * are traced again per shape. */
std::function<std::vector<array>(const std::vector<array>&)> compile(
    std::function<std::vector<array>(const std::vector<array>&)> fun,
    bool shapeless = false);

/** Same; compiles of the same function pointer share their traces. */
std::function<std::vector<array>(const std::vector<array>&)> compile(
    std::vector<array> (*fun)(const std::vector<array>&),
    bool shapeless = false);

// Capture-less lambdas convert to function pointers (and share traces).
template <
    typename F,
    typename = std::enable_if_t<
        std::is_convertible_v<F, decltype(+std::declval<F>())>>>
std::function<std::vector<array>(const std::vector<array>&)>
compile(F&& f, bool shapeless = false) {
  return compile(+f, shapeless);
}

/** Globally disable compilation: compiled functions call `fun` directly.
 * Setting the environment variable MLX_DISABLE_COMPILE does the same. */
void disable_compile();

/** Globally enable compilation (overrides MLX_DISABLE_COMPILE). */
void enable_compile();

/** Set the compile mode: no_simplify skips the merging of common
 * subexpressions, no_fuse the fusion of element-wise ops. */
void set_compile_mode(CompileMode mode);

} // namespace mlx::core
