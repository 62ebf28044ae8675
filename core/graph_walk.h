// The one walk over the lazy graph that eval's, the transforms' and
// compile's tapes are built from (not part of the public API).
#pragma once

#include <cstdint>
#include <unordered_set>
#include <utility>
#include <vector>

#include "mlx/array.h"

namespace mlx::core::detail {

/**
 * Visits the graph behind `outputs` depth-first, from the first output to
 * the last, and calls `on_node(array&&)` on every array it enters once all
 * of that array's inputs are done: inputs before users (a topological
 * order), each array once however many users share it.
 *
 * `enter(const array&)` says whether to go into an array; it is asked at
 * most once per array, the first time the walk reaches it, and is the
 * place to stop at leaves, evaluated arrays or arrays seen by an earlier
 * walk (it may record them). Entering an array also marks its siblings:
 * a multi-output primitive is visited once, through the output reached
 * first. `on_node` may keep the array it is given (it is moved out).
 *
 * The walk keeps its own stack, so a chain of any depth is fine.
 */
template <typename Enter, typename OnNode>
void walk_graph(
    const std::vector<array>& outputs, Enter&& enter, OnNode&& on_node) {
  std::unordered_set<std::uintptr_t> reached;
  // (array, index of its next input to reach)
  std::vector<std::pair<array, size_t>> stack;
  auto reach = [&](const array& a) {
    if (!reached.insert(a.id()).second || !enter(a)) {
      return;
    }
    for (auto& s : a.siblings()) {
      reached.insert(s.id());
    }
    stack.emplace_back(a, 0);
  };
  for (auto& out : outputs) {
    reach(out);
    while (!stack.empty()) {
      auto& [a, next] = stack.back();
      if (next < a.inputs().size()) {
        // Copy before reaching it: `a` may move when the stack grows.
        array input = a.inputs()[next++];
        reach(input);
        continue;
      }
      array done = std::move(a);
      stack.pop_back();
      on_node(std::move(done));
    }
  }
}

} // namespace mlx::core::detail
