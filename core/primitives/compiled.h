// Primitives of compile: the fused element-wise kernel (Compiled) and the
// stand-in for a compiled function's inputs while compile traces it.
// Kernels live in backend/cpu/compiled.cpp, rules in compiled.cpp.
#pragma once

#include <memory>
#include <vector>

#include "mlx/primitives/primitive.h"

namespace mlx::core {

/** One element-wise step of a fused region. */
struct FusedStep {
  enum class Kind : uint8_t { unary, binary, select, astype, broadcast };
  Kind kind;
  int op;      // the UnaryOp or BinaryOp of unary and binary steps
  Dtype dtype; // of the step's result
  // Values read: [0, num_inputs) are the primitive's inputs, num_inputs + k
  // the result of step k. A broadcast step reads an input.
  std::vector<int> args;
  // The primitive the step stands for (the transforms re-expand with it).
  std::shared_ptr<Primitive> primitive;
};

/** A region of element-wise primitives (Unary, Binary, Select, AsType and
 * broadcasts of its inputs) evaluated as one kernel: every step has the
 * output's shape, the inputs broadcast to it, and the last step is the
 * output. Intermediate values exist only block by block in small scratch
 * buffers. */
class Compiled : public UnaryPrimitive {
public:
  /** `shape`: the output shape when traced; `infers_shape`: whether the
   * output shape is always the broadcast of the inputs' shapes (then a
   * shapeless compile may reuse it for other shapes). */
  Compiled(
      Stream stream,
      int num_inputs,
      std::vector<FusedStep> steps,
      Shape shape,
      bool infers_shape)
      : UnaryPrimitive(stream), num_inputs_(num_inputs),
        steps_(std::move(steps)), shape_(std::move(shape)),
        infers_shape_(infers_shape) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override { return "Compiled"; }
  /** "Compiled(Exp, Multiply, ...)": the fused primitives in order. */
  void print(std::ostream& os) const override;
  bool is_equivalent(const Primitive& other) const override;

  int num_inputs() const { return num_inputs_; }
  const std::vector<FusedStep>& steps() const { return steps_; }
  bool infers_shape() const { return infers_shape_; }

  /** The output shape for inputs of these shapes. */
  Shape output_shape(const std::vector<array>& inputs) const;

  /** The region rebuilt from its original primitives on `inputs`: the
   * transforms apply the ordinary rules to it. */
  array expand(const std::vector<array>& inputs) const;

private:
  int num_inputs_;
  std::vector<FusedStep> steps_;
  Shape shape_;
  bool infers_shape_;
};

/** Stands for an input of a function while compile traces it: it has the
 * input's shape and dtype and no value. */
class CompileTracer : public UnaryPrimitive {
public:
  explicit CompileTracer(Stream stream) : UnaryPrimitive(stream) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "CompileTracer"; }
};

} // namespace mlx::core
