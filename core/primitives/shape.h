// Layout primitives. Most produce views that share the input's buffer;
// the kernels live in backend/cpu/shape.cpp.
#pragma once

#include "mlx/primitives/primitive.h"

namespace mlx::core {

/** Flags and spanned element count of a view with the given layout. */
std::pair<array::Flags, size_t>
view_layout(const Shape& shape, const Strides& strides);

#define MLX_DECLARE_EVAL                                                       \
  void eval_cpu(const std::vector<array>& inputs, array& out) override;        \
  void eval_gpu(const std::vector<array>& inputs, array& out) override;

/** A view when the input is row-contiguous, else a copy. */
class Reshape : public UnaryPrimitive {
public:
  Reshape(Stream stream, Shape shape)
      : UnaryPrimitive(stream), shape_(std::move(shape)) {}
  MLX_DECLARE_EVAL
  MLX_DECLARE_TRANSFORMS()
  const char* name() const override { return "Reshape"; }
  bool is_equivalent(const Primitive& other) const override;
  const Shape& shape() const { return shape_; }

private:
  Shape shape_;
};

class Transpose : public UnaryPrimitive {
public:
  Transpose(Stream stream, std::vector<int> axes)
      : UnaryPrimitive(stream), axes_(std::move(axes)) {}
  MLX_DECLARE_EVAL
  MLX_DECLARE_TRANSFORMS()
  const char* name() const override { return "Transpose"; }
  bool is_equivalent(const Primitive& other) const override;
  const std::vector<int>& axes() const { return axes_; }

private:
  std::vector<int> axes_;
};

class Broadcast : public UnaryPrimitive {
public:
  Broadcast(Stream stream, Shape shape)
      : UnaryPrimitive(stream), shape_(std::move(shape)) {}
  MLX_DECLARE_EVAL
  MLX_DECLARE_TRANSFORMS()
  const char* name() const override { return "Broadcast"; }
  bool is_equivalent(const Primitive& other) const override;
  const Shape& shape() const { return shape_; }

private:
  Shape shape_;
};

/** Strided slice; start/stop/strides are normalized by the op. */
class Slice : public UnaryPrimitive {
public:
  Slice(Stream stream, Shape start, Shape stop, Shape strides)
      : UnaryPrimitive(stream), start_(std::move(start)),
        stop_(std::move(stop)), strides_(std::move(strides)) {}
  MLX_DECLARE_EVAL
  MLX_DECLARE_TRANSFORMS()
  const char* name() const override { return "Slice"; }
  bool is_equivalent(const Primitive& other) const override;
  const Shape& start() const { return start_; }
  const Shape& stop() const { return stop_; }
  const Shape& strides() const { return strides_; }

private:
  Shape start_;
  Shape stop_;
  Shape strides_;
};

/** A view with arbitrary strides and offset (relative to the input's
 * row-contiguous layout). */
class AsStrided : public UnaryPrimitive {
public:
  AsStrided(Stream stream, Shape shape, Strides strides, size_t offset)
      : UnaryPrimitive(stream), shape_(std::move(shape)),
        strides_(std::move(strides)), offset_(offset) {}
  MLX_DECLARE_EVAL
  MLX_DECLARE_TRANSFORMS()
  const char* name() const override { return "AsStrided"; }
  bool is_equivalent(const Primitive& other) const override;
  const Shape& shape() const { return shape_; }
  const Strides& strides() const { return strides_; }
  size_t offset() const { return offset_; }

private:
  Shape shape_;
  Strides strides_;
  size_t offset_;
};

/** Reinterpret the bytes as another dtype. */
class View : public UnaryPrimitive {
public:
  View(Stream stream, Dtype dtype) : UnaryPrimitive(stream), dtype_(dtype) {}
  MLX_DECLARE_EVAL
  MLX_DECLARE_TRANSFORMS()
  const char* name() const override { return "View"; }
  bool is_equivalent(const Primitive& other) const override;
  Dtype dtype() const { return dtype_; }

private:
  Dtype dtype_;
};

/** A copy in row-major order (or column-major when allowed and already so). */
class Contiguous : public UnaryPrimitive {
public:
  Contiguous(Stream stream, bool allow_col_major)
      : UnaryPrimitive(stream), allow_col_major_(allow_col_major) {}
  MLX_DECLARE_EVAL
  MLX_DECLARE_TRANSFORMS()
  const char* name() const override { return "Contiguous"; }
  bool is_equivalent(const Primitive& other) const override;
  bool allow_col_major() const { return allow_col_major_; }

private:
  bool allow_col_major_;
};

/** Identity that blocks gradients (shares the input buffer). */
class StopGradient : public UnaryPrimitive {
public:
  explicit StopGradient(Stream stream) : UnaryPrimitive(stream) {}
  MLX_DECLARE_EVAL
  MLX_DECLARE_TRANSFORMS()
  const char* name() const override { return "StopGradient"; }
  bool is_equivalent(const Primitive&) const override { return true; }
};

/** Fills an output of `shape` with a 0-d input. */
class Full : public UnaryPrimitive {
public:
  Full(Stream stream, Shape shape)
      : UnaryPrimitive(stream), shape_(std::move(shape)) {}
  MLX_DECLARE_EVAL
  MLX_DECLARE_TRANSFORMS()
  const char* name() const override { return "Full"; }
  bool is_equivalent(const Primitive& other) const override {
    return shape_ == static_cast<const Full&>(other).shape_;
  }
  const Shape& shape() const { return shape_; }

private:
  Shape shape_;
};

class Arange : public UnaryPrimitive {
public:
  Arange(Stream stream, double start, double stop, double step)
      : UnaryPrimitive(stream), start_(start), stop_(stop), step_(step) {}
  MLX_DECLARE_EVAL
  const char* name() const override { return "Arange"; }
  bool is_equivalent(const Primitive& other) const override;
  double start() const { return start_; }
  double stop() const { return stop_; }
  double step() const { return step_; }

private:
  double start_;
  double stop_;
  double step_;
};

} // namespace mlx::core
