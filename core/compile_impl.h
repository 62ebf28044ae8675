// Internals of compile (not part of the public API): a traced function as a
// tape of primitive applications over numbered values, and the passes over
// it (simplification, fusion, replay).
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "mlx/array.h"
#include "mlx/transforms.h"

namespace mlx::core::detail {

struct CompileTape {
  /** A value: values [0, num_inputs) are the function's inputs; the others
   * are constants (arrays captured or created by the function that do not
   * need evaluating: data, or evaluation under way) or node outputs. */
  struct Value {
    Shape shape;
    Dtype dtype;
    std::optional<array> constant;
  };
  /** One primitive application; its outputs are values of their own. */
  struct Node {
    std::shared_ptr<Primitive> primitive;
    std::vector<int> inputs;
    std::vector<int> outputs;
  };

  size_t num_inputs = 0;
  std::vector<Value> values;
  std::vector<Node> nodes;  // inputs before users
  std::vector<int> outputs; // the function's outputs
};

/** Runs `fun` on value-less stand-ins for `inputs` and records the graph
 * it builds, down to the stand-ins and the constants. */
CompileTape trace_tape(const VectorFn& fun, const std::vector<array>& inputs);

/** Common-subexpression elimination: equal scalar constants become one, and
 * so do nodes with equivalent primitives (Primitive::is_equivalent) on the
 * same inputs. */
void simplify_tape(CompileTape& tape);

/** Replaces maximal regions of element-wise nodes whose intermediate
 * values are not used outside the region by one Compiled node each. */
void fuse_tape(CompileTape& tape);

/** Whether every node can infer its output shapes from its inputs' (so
 * that the tape can be replayed on inputs of other shapes). */
bool tape_infers_shapes(const CompileTape& tape);

/** The function's outputs on `inputs`, rebuilt from the tape (the same
 * primitive objects on new graph nodes). With `infer_shapes`, node shapes
 * come from the inputs' shapes; nullopt when they cannot. */
std::optional<std::vector<array>> replay_tape(
    const CompileTape& tape,
    const std::vector<array>& inputs,
    bool infer_shapes);

} // namespace mlx::core::detail
