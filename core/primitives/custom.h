// Primitives that the function transforms themselves insert in graphs.
#pragma once

#include <functional>

#include "mlx/primitives/primitive.h"
#include "mlx/transforms.h"

namespace mlx::core {

/** Outputs of a custom_function: its inputs are the function's arguments
 * followed by the outputs `fun` computed (behind stop_gradient); evaluation
 * shares those outputs' buffers and the transforms use the user's rules. */
class CustomTransforms : public Primitive {
public:
  CustomTransforms(
      Stream stream,
      int num_outputs,
      VectorFn fun,
      std::optional<CustomVjpFn> fun_vjp,
      std::optional<CustomJvpFn> fun_jvp,
      std::optional<CustomVmapFn> fun_vmap)
      : Primitive(stream), num_outputs_(num_outputs), fun_(std::move(fun)),
        fun_vjp_(std::move(fun_vjp)), fun_jvp_(std::move(fun_jvp)),
        fun_vmap_(std::move(fun_vmap)) {}

  void eval_cpu(
      const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(
      const std::vector<array>& inputs, std::vector<array>& outputs) override;
  MLX_DECLARE_TRANSFORMS()
  const char* name() const override { return "CustomTransforms"; }

private:
  /** The function's arguments: the inputs without the trailing outputs. */
  std::vector<array> arguments(const std::vector<array>& inputs) const;

  int num_outputs_;
  VectorFn fun_;
  std::optional<CustomVjpFn> fun_vjp_;
  std::optional<CustomJvpFn> fun_jvp_;
  std::optional<CustomVmapFn> fun_vmap_;
};

/** Stands for one slice of a vmapped input while vmap traces the function:
 * it has the unbatched shape and no value. */
class VmapTracer : public UnaryPrimitive {
public:
  explicit VmapTracer(Stream stream) : UnaryPrimitive(stream) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "VmapTracer"; }
};

} // namespace mlx::core
