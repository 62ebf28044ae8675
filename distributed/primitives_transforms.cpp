// jvp, vjp and vmap rules of the communication primitives. As in MLX, the
// vjp of all_sum passes the cotangent through and the vjp of all_gather
// keeps this rank's slice: gradients flow along the local path only (each
// rank differentiates its own loss). sum_scatter's vjp is all_gather, its
// adjoint.
#include <stdexcept>

#include "mlx/distributed/ops.h"
#include "mlx/distributed/primitives.h"
#include "mlx/ops.h"

namespace mlx::core::distributed {

namespace {

array all_reduce_like(
    detail::ReduceOp op, const array& x, const Group& g, Stream s) {
  switch (op) {
  case detail::ReduceOp::Max:
    return all_max(x, g, s);
  case detail::ReduceOp::Min:
    return all_min(x, g, s);
  default:
    return all_sum(x, g, s);
  }
}

// Collectives that join along axis 0 vectorize with the batch axis moved
// to axis 1 (a batch of scalars becomes a [1, B] array); the outputs keep
// it there.
array batch_at_axis_1(const array& x, int axis, Stream s) {
  if (x.ndim() == 1) {
    return expand_dims(x, 0, s);
  }
  return moveaxis(x, axis, 1, s);
}

[[noreturn]] void not_differentiable(const char* name) {
  throw std::invalid_argument(
      std::string("[") + name +
      "] Point-to-point communication is not "
      "differentiable.");
}

} // namespace

std::vector<array> AllReduce::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>&) {
  if (op_ == detail::ReduceOp::Sum) {
    return {all_sum(tangents[0], group(), stream())};
  }
  // The tangent of the extreme element, averaged over the ranks that hold
  // it.
  const array& x = primals[0];
  array holds = astype(
      equal(x, all_reduce_like(op_, x, group(), stream()), stream()),
      tangents[0].dtype(),
      stream());
  return {divide(
      all_sum(multiply(tangents[0], holds, stream()), group(), stream()),
      all_sum(holds, group(), stream()),
      stream())};
}

std::vector<array> AllReduce::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>&,
    const std::vector<array>& outputs) {
  if (op_ == detail::ReduceOp::Sum) {
    return {cotangents[0]};
  }
  // Only the ranks holding the extreme element get the cotangent.
  array holds = astype(
      equal(primals[0], outputs[0], stream()), cotangents[0].dtype(), stream());
  return {multiply(cotangents[0], holds, stream())};
}

std::pair<std::vector<array>, std::vector<int>> AllReduce::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  // Element-wise across ranks: the batch axis is just another axis.
  return {{all_reduce_like(op_, inputs[0], group(), stream())}, axes};
}

std::vector<array> AllGather::jvp(
    const std::vector<array>&,
    const std::vector<array>& tangents,
    const std::vector<int>&) {
  return {all_gather(tangents[0], group(), stream())};
}

std::vector<array> AllGather::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>&,
    const std::vector<array>&) {
  const array& x = primals[0];
  int rank = group().rank();
  if (x.ndim() == 0) {
    return {reshape(
        slice(cotangents[0], {rank}, {rank + 1}, stream()), {}, stream())};
  }
  Shape start(x.ndim(), 0);
  Shape stop = x.shape();
  start[0] = rank * x.shape(0);
  stop[0] = start[0] + x.shape(0);
  return {slice(cotangents[0], start, stop, stream())};
}

std::pair<std::vector<array>, std::vector<int>> AllGather::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  if (axes[0] < 0) {
    return {{all_gather(inputs[0], group(), stream())}, {-1}};
  }
  auto x = batch_at_axis_1(inputs[0], axes[0], stream());
  return {{all_gather(x, group(), stream())}, {1}};
}

std::vector<array> SumScatter::jvp(
    const std::vector<array>&,
    const std::vector<array>& tangents,
    const std::vector<int>&) {
  return {sum_scatter(tangents[0], group(), stream())};
}

std::vector<array> SumScatter::vjp(
    const std::vector<array>&,
    const std::vector<array>& cotangents,
    const std::vector<int>&,
    const std::vector<array>&) {
  return {all_gather(cotangents[0], group(), stream())};
}

std::pair<std::vector<array>, std::vector<int>> SumScatter::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  if (axes[0] < 0) {
    return {{sum_scatter(inputs[0], group(), stream())}, {-1}};
  }
  if (inputs[0].ndim() == 1) {
    throw std::invalid_argument(
        "[sum_scatter] Cannot vectorize over scalars: each example needs a "
        "first dimension to scatter.");
  }
  auto x = moveaxis(inputs[0], axes[0], 1, stream());
  return {{sum_scatter(x, group(), stream())}, {1}};
}

std::vector<array> Send::jvp(
    const std::vector<array>&,
    const std::vector<array>&,
    const std::vector<int>&) {
  not_differentiable("Send");
}

std::vector<array> Send::vjp(
    const std::vector<array>&,
    const std::vector<array>&,
    const std::vector<int>&,
    const std::vector<array>&) {
  not_differentiable("Send");
}

std::pair<std::vector<array>, std::vector<int>>
Send::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  // Sends the whole batch; the receiver receives the batched shape.
  return {{send(inputs[0], dst_, group(), stream())}, axes};
}

std::vector<array> Recv::jvp(
    const std::vector<array>&,
    const std::vector<array>&,
    const std::vector<int>&) {
  not_differentiable("Recv");
}

std::vector<array> Recv::vjp(
    const std::vector<array>&,
    const std::vector<array>&,
    const std::vector<int>&,
    const std::vector<array>&) {
  not_differentiable("Recv");
}

std::pair<std::vector<array>, std::vector<int>>
Recv::vmap(const std::vector<array>&, const std::vector<int>&) {
  throw std::invalid_argument(
      "[Recv] Has no input to vectorize over: receive the batched shape "
      "instead.");
}

std::vector<array> Broadcast::jvp(
    const std::vector<array>&,
    const std::vector<array>& tangents,
    const std::vector<int>&) {
  return {broadcast(tangents[0], root_, group(), stream())};
}

std::vector<array> Broadcast::vjp(
    const std::vector<array>&,
    const std::vector<array>& cotangents,
    const std::vector<int>&,
    const std::vector<array>&) {
  // Only the root's input reaches the output.
  if (group().rank() == root_) {
    return {cotangents[0]};
  }
  return {zeros_like(cotangents[0], stream())};
}

std::pair<std::vector<array>, std::vector<int>> Broadcast::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  return {{broadcast(inputs[0], root_, group(), stream())}, axes};
}

} // namespace mlx::core::distributed
