// The communication primitives: graph nodes whose evaluation calls the
// group's backend (detail::GroupImpl) on packed, row-contiguous buffers.
#pragma once

#include "mlx/distributed/backend.h"
#include "mlx/distributed/distributed.h"
#include "mlx/primitives/primitive.h"

namespace mlx::core::distributed {

class DistPrimitive : public Primitive {
public:
  DistPrimitive(Stream stream, Group group)
      : Primitive(stream), group_(std::move(group)) {}

  const Group& group() const { return group_; }

  void eval_gpu(
      const std::vector<array>& inputs, std::vector<array>& outputs) override;

  // Two communications are never one: each must happen on every rank.
  bool is_equivalent(const Primitive&) const override { return false; }

protected:
  detail::GroupImpl& backend() const { return *group_.raw_group(); }

private:
  Group group_;
};

/** all_sum, all_max, all_min. */
class AllReduce : public DistPrimitive {
public:
  AllReduce(Stream stream, Group group, detail::ReduceOp op)
      : DistPrimitive(stream, std::move(group)), op_(op) {}

  void eval_cpu(
      const std::vector<array>& inputs, std::vector<array>& outputs) override;
  MLX_DECLARE_TRANSFORMS()
  const char* name() const override;
  detail::ReduceOp op() const { return op_; }

private:
  detail::ReduceOp op_;
};

/** all_sum_many: one sum over the ranks of several arrays (outputs[i] from
 * inputs[ordering_inputs + i]), each divided by `divisor`. The first
 * `ordering_inputs` inputs are not reduced: they only order this
 * collective after the ones that produce them. Not differentiable. */
class AllSumMany : public DistPrimitive {
public:
  AllSumMany(Stream stream, Group group, int divisor, size_t ordering_inputs)
      : DistPrimitive(stream, std::move(group)), divisor_(divisor),
        ordering_inputs_(ordering_inputs) {}

  void eval_cpu(
      const std::vector<array>& inputs, std::vector<array>& outputs) override;
  const char* name() const override { return "AllSumMany"; }

private:
  int divisor_;
  size_t ordering_inputs_;
};

class AllGather : public DistPrimitive {
public:
  using DistPrimitive::DistPrimitive;

  void eval_cpu(
      const std::vector<array>& inputs, std::vector<array>& outputs) override;
  MLX_DECLARE_TRANSFORMS()
  const char* name() const override { return "AllGather"; }
};

/** sum_scatter: reduce-scatter with a sum. */
class SumScatter : public DistPrimitive {
public:
  using DistPrimitive::DistPrimitive;

  void eval_cpu(
      const std::vector<array>& inputs, std::vector<array>& outputs) override;
  MLX_DECLARE_TRANSFORMS()
  const char* name() const override { return "SumScatter"; }
};

class Send : public DistPrimitive {
public:
  Send(Stream stream, Group group, int dst)
      : DistPrimitive(stream, std::move(group)), dst_(dst) {}

  void eval_cpu(
      const std::vector<array>& inputs, std::vector<array>& outputs) override;
  MLX_DECLARE_TRANSFORMS()
  const char* name() const override { return "Send"; }

private:
  int dst_;
};

class Recv : public DistPrimitive {
public:
  Recv(Stream stream, Group group, int src)
      : DistPrimitive(stream, std::move(group)), src_(src) {}

  void eval_cpu(
      const std::vector<array>& inputs, std::vector<array>& outputs) override;
  MLX_DECLARE_TRANSFORMS()
  const char* name() const override { return "Recv"; }

private:
  int src_;
};

class Broadcast : public DistPrimitive {
public:
  Broadcast(Stream stream, Group group, int root)
      : DistPrimitive(stream, std::move(group)), root_(root) {}

  void eval_cpu(
      const std::vector<array>& inputs, std::vector<array>& outputs) override;
  MLX_DECLARE_TRANSFORMS()
  const char* name() const override { return "Broadcast"; }
  int root() const { return root_; }

private:
  int root_;
};

} // namespace mlx::core::distributed
