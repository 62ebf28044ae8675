// Sorting along one axis: values or indices (uint32), fully sorted or
// partitioned around the kth element. NaNs order after every number, as
// NumPy; complex numbers order lexicographically (real, then imaginary).
#pragma once

#include "mlx/primitives/primitive.h"

namespace mlx::core {

/** Sorted copy along `axis` (stable). */
class Sort : public UnaryPrimitive {
public:
  Sort(Stream stream, int axis) : UnaryPrimitive(stream), axis_(axis) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override { return "Sort"; }
  bool is_equivalent(const Primitive& other) const override;
  int axis() const { return axis_; }

private:
  int axis_; // normalized
};

/** uint32 indices that stably sort along `axis` (ties keep their order). */
class ArgSort : public UnaryPrimitive {
public:
  ArgSort(Stream stream, int axis) : UnaryPrimitive(stream), axis_(axis) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override { return "ArgSort"; }
  bool is_equivalent(const Primitive& other) const override;
  int axis() const { return axis_; }

private:
  int axis_;
};

/** Copy whose element `kth` along `axis` is in sorted position, with no
 * larger element before it and no smaller one after it. */
class Partition : public UnaryPrimitive {
public:
  Partition(Stream stream, int kth, int axis)
      : UnaryPrimitive(stream), kth_(kth), axis_(axis) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override { return "Partition"; }
  bool is_equivalent(const Primitive& other) const override;
  int kth() const { return kth_; }
  int axis() const { return axis_; }

private:
  int kth_; // normalized, in [0, shape[axis])
  int axis_;
};

/** uint32 indices that partition along `axis` as Partition does. */
class ArgPartition : public UnaryPrimitive {
public:
  ArgPartition(Stream stream, int kth, int axis)
      : UnaryPrimitive(stream), kth_(kth), axis_(axis) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override { return "ArgPartition"; }
  bool is_equivalent(const Primitive& other) const override;
  int kth() const { return kth_; }
  int axis() const { return axis_; }

private:
  int kth_;
  int axis_;
};

} // namespace mlx::core
