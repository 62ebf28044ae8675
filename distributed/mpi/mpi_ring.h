// An all-reduce of spans as a ring of MPI point-to-point messages, for
// averages: the 1/N is applied in the step that completes each block, so
// an average costs no pass of its own (MPI's all-reduce cannot fold it in).
#pragma once

#include <mpi.h>

#include <vector>

#include "mlx/distributed/backend.h"

namespace mlx::core::distributed::mpi {

/** Reduces the spans (taken as one vector) over the `size` ranks of
 * `comm` and writes op(all ranks) / divisor to every span's output: a
 * reduce-scatter, then an all-gather, each rank sending and receiving
 * 2 (size - 1) / size of the data. The outputs must be consecutive (one
 * buffer, as all_sum_many's); spans may be in place. Messages go from and
 * to the spans' own buffers, except that a message of this rank's input
 * that spans several arrays is first copied into its outputs; `scratch`
 * holds one block of received data and is kept between calls. Every rank gets the same bits: each
 * block is completed once, by one rank, and then copied. Throws
 * std::runtime_error on an MPI error or after MLX_DIST_TIMEOUT. */
void ring_all_reduce(
    MPI_Comm comm,
    int rank,
    int size,
    const std::vector<detail::Span>& spans,
    Dtype dtype,
    detail::ReduceOp op,
    int divisor,
    std::vector<char>& scratch);

} // namespace mlx::core::distributed::mpi
