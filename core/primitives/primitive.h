// The Primitive: one per op. It knows how to compute its outputs on each
// device and, from the transforms issue on, how to differentiate and
// vectorize itself.
#pragma once

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "mlx/array.h"
#include "mlx/stream.h"

namespace mlx::core {

class Primitive {
public:
  explicit Primitive(Stream stream) : stream_(stream) {}
  virtual ~Primitive() = default;
  Primitive(const Primitive&) = delete;
  Primitive& operator=(const Primitive&) = delete;

  const Stream& stream() const { return stream_; }
  const Device& device() const { return stream_.device; }

  /** Compute the outputs (which already have shape and dtype) on the CPU.
   * Each kernel allocates or donates its outputs' buffers. */
  virtual void
  eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) = 0;

  /** The same on the GPU; throws until a GPU backend implements it. */
  virtual void
  eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) = 0;

  /** Forward-mode derivative: tangents of the outputs. */
  virtual std::vector<array>
  jvp(const std::vector<array>& primals,
      const std::vector<array>& tangents,
      const std::vector<int>& argnums);

  /** Reverse-mode derivative: cotangents of the inputs in argnums. */
  virtual std::vector<array>
  vjp(const std::vector<array>& primals,
      const std::vector<array>& cotangents,
      const std::vector<int>& argnums,
      const std::vector<array>& outputs);

  /** Vectorized form: outputs and their batch axes. */
  virtual std::pair<std::vector<array>, std::vector<int>>
  vmap(const std::vector<array>& inputs, const std::vector<int>& axes);

  /** Name of the primitive, as used in error messages ("Exp", "Add"). */
  virtual const char* name() const = 0;

  virtual void print(std::ostream& os) const { os << name(); }

  /** Same computation with the same parameters (used by compile). */
  virtual bool is_equivalent(const Primitive& other) const { return false; }

private:
  Stream stream_;
};

/** A primitive with exactly one output. */
class UnaryPrimitive : public Primitive {
public:
  using Primitive::Primitive;

  virtual void eval_cpu(const std::vector<array>& inputs, array& out) = 0;
  virtual void eval_gpu(const std::vector<array>& inputs, array& out) = 0;

  void eval_cpu(
      const std::vector<array>& inputs, std::vector<array>& outputs) override {
    eval_cpu(inputs, outputs[0]);
  }
  void eval_gpu(
      const std::vector<array>& inputs, std::vector<array>& outputs) override {
    eval_gpu(inputs, outputs[0]);
  }
};

/** Declares a primitive's own jvp, vjp and vmap rules (defined in
 * core/primitives/<family>_transforms.cpp). */
#define MLX_DECLARE_TRANSFORMS()                                               \
  std::vector<array> jvp(                                                      \
      const std::vector<array>& primals,                                       \
      const std::vector<array>& tangents,                                      \
      const std::vector<int>& argnums) override;                               \
  std::vector<array> vjp(                                                      \
      const std::vector<array>& primals,                                       \
      const std::vector<array>& cotangents,                                    \
      const std::vector<int>& argnums,                                         \
      const std::vector<array>& outputs) override;                             \
  std::pair<std::vector<array>, std::vector<int>> vmap(                        \
      const std::vector<array>& inputs, const std::vector<int>& axes)          \
      override;

} // namespace mlx::core
