// Internals shared by the distributed front-end and its backends (not
// installed): the size-1 group, the debug checker, the communication
// deadline and the element-wise reduction kernels.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "mlx/distributed/backend.h"

namespace mlx::core::distributed::detail {

/** Default of MLX_DIST_TIMEOUT: how long a blocking communication may wait
 * for its peers before it fails. Five minutes covers a slow peer still
 * loading data; tests set the variable to a few seconds. */
inline constexpr double kDefaultTimeoutSeconds = 300;

/** MLX_DIST_TIMEOUT in seconds; throws std::invalid_argument when it is
 * not a positive number. */
double timeout_seconds();

/** The user-facing op name of a reduction: "all_sum", "all_max", "all_min". */
const char* all_reduce_name(ReduceOp op);

/** inout[i] = op(inout[i], in[i]) for `count` elements of `dtype`, as the
 * core reductions define it: bool sums are logical or, integers wrap,
 * float16/bfloat16 accumulate in float, max/min propagate NaN and order
 * complex numbers by (real, imag). The MPI user-defined ops' step, and
 * the ring's for small buffers (gathered whole, then reduced). */
void reduce_into(
    ReduceOp op, Dtype dtype, const void* in, void* inout, size_t count);

/** out[i] = op(a[i], b[i]) for `count` elements of `dtype`, combined as
 * reduce_into combines, then divided by `divisor` as divide_into divides
 * (1: not divided; other values need a floating dtype). `out` may equal
 * `a`, never `b`. The reduce step of the rings' all-reduce (TCP and MPI),
 * with an average's 1/N folded into the step that completes each block. */
void combine_into(
    ReduceOp op,
    Dtype dtype,
    const void* a,
    const void* b,
    void* out,
    size_t count,
    int divisor);

/** out[i] = in[i] / divisor for `count` elements of a floating dtype (in
 * may equal out), rounded as the divide op rounds (float16/bfloat16 divide
 * in float): the 1/N of an average, applied as results are written out.
 * Throws std::invalid_argument for other dtypes. */
void divide_into(
    Dtype dtype, const void* in, void* out, size_t count, int divisor);

/** Calls fn(span index, element offset in the span, element count) for
 * the pieces of elements [begin, begin + count) of the spans taken as one
 * vector, in order (empty pieces skipped). */
void for_each_piece(
    const std::vector<Span>& spans,
    size_t begin,
    size_t count,
    const std::function<void(size_t, size_t, size_t)>& fn);

/** Total element count of the spans. */
size_t span_elements(const std::vector<Span>& spans);

/** Copies elements [begin, begin + count) of the spans' inputs to `dst`. */
void pack_spans(
    const std::vector<Span>& spans,
    size_t elem_bytes,
    size_t begin,
    size_t count,
    void* dst);

/** Writes `count` elements of `src` to elements [begin, begin + count) of
 * the spans' outputs, divided by `divisor` (1: copied). */
void unpack_spans(
    const std::vector<Span>& spans,
    Dtype dtype,
    size_t begin,
    size_t count,
    const void* src,
    int divisor);

/** The group of this process alone (backend "none"). */
std::shared_ptr<GroupImpl> make_local_group();

/** `inner`, with every operation first checking that all ranks call the
 * same operation with the same element count and dtype (MLX_DIST_DEBUG=1);
 * a mismatch raises std::runtime_error naming the ranks and their calls. */
std::shared_ptr<GroupImpl> make_checked_group(std::shared_ptr<GroupImpl> inner);

/** Runs `fn` on the communication stream's worker, after the work already
 * queued there, and waits for it; rethrows what it throws. Keeps
 * operations on a group in one order on every rank. */
void run_on_communication_stream(const std::function<void()>& fn);

} // namespace mlx::core::distributed::detail
