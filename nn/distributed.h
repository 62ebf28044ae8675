// Data-parallel helpers of mlx::nn on top of mlx::core::distributed.
#pragma once

#include <cstdint>
#include <optional>

#include "mlx/distributed/distributed.h"
#include "mlx/tree.h"

namespace mlx::nn {

// Averages a gradient tree over the ranks of `group` (the world group by
// default), as mlx.nn.average_gradients:
// - gradients are packed into buckets in reverse tree_flatten order (the
//   order a backward pass produces them; the same on every rank): the first
//   of at least min(1 MiB, all_reduce_size) bytes, the others of at least
//   all_reduce_size bytes (the last may be smaller); each bucket is one
//   distributed::all_sum_many over the gradients' own buffers, with the 1/N
//   applied as the results are written, and starts after the previous one,
//   so a bucket's communication overlaps with computing the next one's
//   gradients;
// - all_reduce_size <= 0 reduces every array on its own; trees whose arrays
//   do not share one dtype reduce every array on its own too;
// - communication_type, when given, is the dtype on the wire (e.g. bfloat16
//   for float32 gradients); results are cast back, then divided;
// - communication_stream is where the collectives run (by default the
//   distributed layer's communication stream).
// On a group of one rank the gradients come back unchanged.
mlx::utils::Tree average_gradients(
    const mlx::utils::Tree& gradients,
    std::optional<mlx::core::distributed::Group> group = std::nullopt,
    int64_t all_reduce_size = 32 * 1024 * 1024,
    std::optional<mlx::core::Dtype> communication_type = std::nullopt,
    mlx::core::StreamOrDevice communication_stream = {});

} // namespace mlx::nn
