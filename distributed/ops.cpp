// Front-ends of the communication ops: check the arguments, pick the group
// and the stream, and build the primitive's node.
#include "mlx/distributed/ops.h"

#include <limits>
#include <variant>

#include "mlx/distributed/distributed_impl.h"
#include "mlx/distributed/primitives.h"
#include "mlx/ops.h"
#include "mlx/utils.h"

namespace mlx::core::distributed {

namespace {

Group to_group(const std::optional<Group>& group) {
  return group.has_value() ? *group : init();
}

// Communication runs on its own stream unless the caller names one.
Stream to_communication_stream(StreamOrDevice s) {
  if (std::holds_alternative<std::monostate>(s) ||
      (std::holds_alternative<Device>(s) &&
       std::get<Device>(s) == Device::cpu)) {
    return detail::communication_stream();
  }
  return to_stream(s);
}

// Collectives read and write packed (row-contiguous) buffers: a contiguous
// op in the graph packs a strided input (and is a view when x is packed).
array packed(const array& x, StreamOrDevice s) {
  return contiguous(x, false, to_communication_stream(s));
}

void check_peer(const char* op, const char* role, int peer, const Group& g) {
  if (peer < 0 || peer >= g.size()) {
    throw_error(
        "[",
        op,
        "] Invalid ",
        role,
        " rank ",
        peer,
        " for a group of size ",
        g.size(),
        ".");
  }
  if (peer == g.rank()) {
    throw_error(
        "[",
        op,
        "] The ",
        role,
        " rank ",
        peer,
        " is this process's own rank.");
  }
}

array all_reduce(
    const array& x,
    const std::optional<Group>& group_in,
    StreamOrDevice s,
    detail::ReduceOp op) {
  auto group = to_group(group_in);
  if (group.size() == 1) {
    return x;
  }
  return array(
      x.shape(),
      x.dtype(),
      std::make_shared<AllReduce>(to_communication_stream(s), group, op),
      {packed(x, s)});
}

// Shape of a collective result whose axis 0 is the ranks' axes 0 joined.
Shape gathered_shape(const array& x, int group_size) {
  if (x.ndim() == 0) {
    return {group_size};
  }
  Shape shape = x.shape();
  if (static_cast<int64_t>(shape[0]) * group_size >
      std::numeric_limits<int32_t>::max()) {
    throw_error(
        "[all_gather] Gathering ",
        group_size,
        " arrays of shape ",
        shape,
        " gives a first dimension beyond int32.");
  }
  shape[0] *= group_size;
  return shape;
}

} // namespace

array all_sum(const array& x, std::optional<Group> group, StreamOrDevice s) {
  return all_reduce(x, group, s, detail::ReduceOp::Sum);
}

std::vector<array> all_sum_many(
    const std::vector<array>& xs,
    int divisor,
    std::optional<Group> group_in,
    StreamOrDevice s,
    const std::vector<array>& after) {
  if (xs.empty()) {
    return {};
  }
  Dtype dtype = xs[0].dtype();
  for (size_t i = 1; i < xs.size(); ++i) {
    if (xs[i].dtype() != dtype) {
      throw_error(
          "[all_sum_many] All arrays must share one dtype: array 0 is ",
          dtype,
          ", array ",
          i,
          " is ",
          xs[i].dtype(),
          ".");
    }
  }
  if (divisor < 1) {
    throw_error("[all_sum_many] The divisor must be >= 1, got ", divisor, ".");
  }
  if (divisor != 1 && !issubdtype(dtype, inexact)) {
    throw_error(
        "[all_sum_many] Dividing needs a floating dtype, not ", dtype, ".");
  }
  auto group = to_group(group_in);
  if (group.size() == 1) {
    if (divisor == 1) {
      return xs;
    }
    std::vector<array> out;
    for (auto& x : xs) {
      out.push_back(divide(x, array(divisor, dtype), s));
    }
    return out;
  }
  std::vector<array> inputs = after;
  std::vector<Shape> shapes;
  for (auto& x : xs) {
    inputs.push_back(packed(x, s));
    shapes.push_back(x.shape());
  }
  return array::make_arrays(
      std::move(shapes),
      std::vector<Dtype>(xs.size(), dtype),
      std::make_shared<AllSumMany>(
          to_communication_stream(s), group, divisor, after.size()),
      inputs);
}

array all_max(const array& x, std::optional<Group> group, StreamOrDevice s) {
  return all_reduce(x, group, s, detail::ReduceOp::Max);
}

array all_min(const array& x, std::optional<Group> group, StreamOrDevice s) {
  return all_reduce(x, group, s, detail::ReduceOp::Min);
}

array all_gather(
    const array& x, std::optional<Group> group_in, StreamOrDevice s) {
  auto group = to_group(group_in);
  if (group.size() == 1) {
    return x;
  }
  return array(
      gathered_shape(x, group.size()),
      x.dtype(),
      std::make_shared<AllGather>(to_communication_stream(s), group),
      {packed(x, s)});
}

array sum_scatter(
    const array& x, std::optional<Group> group_in, StreamOrDevice s) {
  auto group = to_group(group_in);
  if (x.ndim() == 0) {
    throw_error("[sum_scatter] The input must have at least one dimension.");
  }
  if (x.shape(0) % group.size() != 0) {
    throw_error(
        "[sum_scatter] The first dimension of the input (shape ",
        x.shape(),
        ") must be divisible by the group size ",
        group.size(),
        ".");
  }
  if (group.size() == 1) {
    return x;
  }
  Shape shape = x.shape();
  shape[0] /= group.size();
  return array(
      std::move(shape),
      x.dtype(),
      std::make_shared<SumScatter>(to_communication_stream(s), group),
      {packed(x, s)});
}

array send(
    const array& x, int dst, std::optional<Group> group_in, StreamOrDevice s) {
  auto group = to_group(group_in);
  check_peer("send", "destination", dst, group);
  return array(
      x.shape(),
      x.dtype(),
      std::make_shared<Send>(to_communication_stream(s), group, dst),
      {packed(x, s)});
}

array recv(
    Shape shape,
    Dtype dtype,
    int src,
    std::optional<Group> group_in,
    StreamOrDevice s) {
  auto group = to_group(group_in);
  check_peer("recv", "source", src, group);
  return array(
      std::move(shape),
      dtype,
      std::make_shared<Recv>(to_communication_stream(s), group, src),
      {});
}

array recv_like(
    const array& x, int src, std::optional<Group> group, StreamOrDevice s) {
  return recv(x.shape(), x.dtype(), src, std::move(group), s);
}

array broadcast(
    const array& x, int root, std::optional<Group> group_in, StreamOrDevice s) {
  auto group = to_group(group_in);
  if (root < 0 || root >= group.size()) {
    throw_error(
        "[broadcast] Invalid root rank ",
        root,
        " for a group of size ",
        group.size(),
        ".");
  }
  if (group.size() == 1) {
    return x;
  }
  return array(
      x.shape(),
      x.dtype(),
      std::make_shared<Broadcast>(to_communication_stream(s), group, root),
      {packed(x, s)});
}

void barrier(std::optional<Group> group_in) {
  auto group = to_group(group_in);
  detail::run_on_communication_stream([&] { group.raw_group()->barrier(); });
}

} // namespace mlx::core::distributed
