// The interface a communication backend (MPI, TCP ring, the size-1 group)
// implements. Collective primitives call it from the communication stream's
// worker with evaluated, row-contiguous buffers.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "mlx/dtype.h"

namespace mlx::core::distributed::detail {

enum class ReduceOp { Sum, Max, Min };

/** One buffer of a multi-buffer reduction: `count` elements read from `in`,
 * results written to `out` (`in == out`: in place). */
struct Span {
  const void* in;
  void* out;
  size_t count;
};

class GroupImpl {
public:
  virtual ~GroupImpl() = default;

  virtual int rank() = 0;
  virtual int size() = 0;
  /** "mpi", "ring" or "none". */
  virtual const char* backend() const = 0;

  /** Processes with the same color form a sub-group, ordered by key (the
   * rank in this group when key < 0). Collective over this group. */
  virtual std::shared_ptr<GroupImpl> split(int color, int key) = 0;

  /** out[i] = op over ranks of in[i]; `count` elements of `dtype`.
   * `in == out` asks for an in-place reduction. */
  virtual void all_reduce(
      const void* in, void* out, size_t count, Dtype dtype, ReduceOp op) = 0;

  /** all_reduce of the spans' elements taken as one vector (span after
   * span), each result divided by `divisor` as it is written out (1: not
   * divided). Backends reduce the spans' own buffers where they can; this
   * default packs them into one buffer and unpacks it. */
  virtual void all_reduce_spans(
      const std::vector<Span>& spans, Dtype dtype, ReduceOp op, int divisor);

  /** out = the ranks' `bytes`-byte inputs concatenated in rank order. */
  virtual void all_gather(const void* in, void* out, size_t bytes) = 0;

  /** Reduces `count * size()` elements and keeps this rank's `count`-element
   * block of the result. */
  virtual void reduce_scatter(
      const void* in, void* out, size_t count, Dtype dtype, ReduceOp op) = 0;

  virtual void send(const void* data, size_t bytes, int dst) = 0;
  virtual void recv(void* data, size_t bytes, int src) = 0;

  /** `bytes` bytes of `data` on rank `root` copied into `data` on every rank.
   */
  virtual void broadcast(void* data, size_t bytes, int root) = 0;

  virtual void barrier() = 0;
};

} // namespace mlx::core::distributed::detail
