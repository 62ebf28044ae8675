// Collective and point-to-point communication as lazy ops: each returns an
// array whose evaluation performs the communication (by default on
// detail::communication_stream()). Without a group, the world group of
// init() is used. On a group of size 1 the collectives return their input.
#pragma once

#include <optional>
#include <vector>

#include "mlx/distributed/distributed.h"

namespace mlx::core::distributed {

/** Element-wise sum over the group's processes (bool: logical or). */
array all_sum(
    const array& x,
    std::optional<Group> group = std::nullopt,
    StreamOrDevice s = {});

/** all_sum of every array of `xs` (all of one dtype), divided by `divisor`
 * (1: plain sums; otherwise a floating dtype), as ONE collective over all
 * their elements: the backends reduce the arrays' own buffers (MPI through
 * reused staging buffers) and divide as they write the results, so there
 * is no concatenate, split or separate division. Result i equals
 * divide(all_sum(xs[i]), divisor) (bit for bit on two ranks). The
 * collective starts only after the arrays in `after` are computed (their
 * values are unused): this orders collectives on the communication stream,
 * as nn::average_gradients does with its buckets. Not differentiable. */
std::vector<array> all_sum_many(
    const std::vector<array>& xs,
    int divisor = 1,
    std::optional<Group> group = std::nullopt,
    StreamOrDevice s = {},
    const std::vector<array>& after = {});

/** Element-wise maximum over the group's processes (NaN propagates). */
array all_max(
    const array& x,
    std::optional<Group> group = std::nullopt,
    StreamOrDevice s = {});

/** Element-wise minimum over the group's processes (NaN propagates). */
array all_min(
    const array& x,
    std::optional<Group> group = std::nullopt,
    StreamOrDevice s = {});

/** The processes' arrays (same shape everywhere) concatenated along axis 0
 * in rank order; scalars become a 1-d array of group size. */
array all_gather(
    const array& x,
    std::optional<Group> group = std::nullopt,
    StreamOrDevice s = {});

/** Reduce-scatter: the sum over processes, split along axis 0 into
 * group-size blocks of which rank r keeps block r. x.shape(0) must be
 * divisible by the group size. */
array sum_scatter(
    const array& x,
    std::optional<Group> group = std::nullopt,
    StreamOrDevice s = {});

/** Sends x to rank `dst`; the result is x, and evaluating it sends. */
array send(
    const array& x,
    int dst,
    std::optional<Group> group = std::nullopt,
    StreamOrDevice s = {});

/** Receives an array of the given shape and dtype from rank `src`. */
array recv(
    Shape shape,
    Dtype dtype,
    int src,
    std::optional<Group> group = std::nullopt,
    StreamOrDevice s = {});

/** recv(x.shape(), x.dtype(), src, group, s). */
array recv_like(
    const array& x,
    int src,
    std::optional<Group> group = std::nullopt,
    StreamOrDevice s = {});

/** Rank `root`'s x on every process (x gives the shape and dtype on the
 * others). */
array broadcast(
    const array& x,
    int root,
    std::optional<Group> group = std::nullopt,
    StreamOrDevice s = {});

/** Blocks until every process of the group has reached the barrier (after
 * the communication already queued on the communication stream). */
void barrier(std::optional<Group> group = std::nullopt);

} // namespace mlx::core::distributed
