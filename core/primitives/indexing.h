// Indexing primitives: gathers and scatters along one axis, slice updates
// and diagonal views. Kernels live in backend/cpu/indexing.cpp; indices
// are wrapped (negative counts from the end) and bounds-checked there.
#pragma once

#include "mlx/primitives/primitive.h"

namespace mlx::core {

/** inputs {a, indices}: out = a[..., indices, ...] with `indices` (any
 * integer dtype and shape) replacing axis `axis`. */
class Take : public UnaryPrimitive {
public:
  Take(Stream stream, int axis) : UnaryPrimitive(stream), axis_(axis) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()
  const char* name() const override { return "Take"; }
  bool is_equivalent(const Primitive& other) const override;
  int axis() const { return axis_; }

private:
  int axis_;
};

/** inputs {a, indices}, both already broadcast by the op to the output
 * shape except along `axis` (where `a` keeps its size). */
class TakeAlongAxis : public UnaryPrimitive {
public:
  TakeAlongAxis(Stream stream, int axis)
      : UnaryPrimitive(stream), axis_(axis) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()
  const char* name() const override { return "TakeAlongAxis"; }
  bool is_equivalent(const Primitive& other) const override;
  int axis() const { return axis_; }

private:
  int axis_;
};

/** inputs {a, indices, values}: a copy of `a` with values written at the
 * indices along `axis`; indices and values have the update shape (a's
 * shape where a has size > 1 off the axis). Later duplicates win. */
class PutAlongAxis : public UnaryPrimitive {
public:
  PutAlongAxis(Stream stream, int axis) : UnaryPrimitive(stream), axis_(axis) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()
  const char* name() const override { return "PutAlongAxis"; }
  bool is_equivalent(const Primitive& other) const override;
  int axis() const { return axis_; }

private:
  int axis_;
};

/** inputs {src, update}: a copy of src (its buffer when donatable) with
 * the normalized slice start/strides replaced by `update`, which already
 * has the slice's shape (its dtype is converted while copying). */
class SliceUpdate : public UnaryPrimitive {
public:
  SliceUpdate(Stream stream, Shape start, Shape strides)
      : UnaryPrimitive(stream), start_(std::move(start)),
        strides_(std::move(strides)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()
  const char* name() const override { return "SliceUpdate"; }
  bool is_equivalent(const Primitive& other) const override;
  const Shape& start() const { return start_; }
  const Shape& strides() const { return strides_; }

private:
  Shape start_;
  Shape strides_;
};

/** A view of the diagonals: axis1 and axis2 removed, the diagonal appended
 * as the last axis. Shares the input buffer whatever its layout. */
class Diagonal : public UnaryPrimitive {
public:
  Diagonal(Stream stream, int offset, int axis1, int axis2)
      : UnaryPrimitive(stream), offset_(offset), axis1_(axis1), axis2_(axis2) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()
  const char* name() const override { return "Diagonal"; }
  bool is_equivalent(const Primitive& other) const override;
  int offset() const { return offset_; }
  int axis1() const { return axis1_; }
  int axis2() const { return axis2_; }

private:
  int offset_;
  int axis1_;
  int axis2_;
};

} // namespace mlx::core
