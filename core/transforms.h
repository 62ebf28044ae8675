// Evaluation of the lazy graph. (The function transforms join this header
// in the transforms issue.)
#pragma once

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

} // namespace mlx::core
