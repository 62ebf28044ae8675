// Groups of processes that communicate, and how a process joins the world
// group. The collectives on groups are in "mlx/distributed/ops.h".
#pragma once

#include <memory>
#include <string>

#include "mlx/array.h"
#include "mlx/stream.h"

namespace mlx::core::distributed {

namespace detail {
class GroupImpl;
} // namespace detail

/** Whether a communication backend was built (MPI or the TCP ring). */
bool is_available();
/** Whether the named backend ("mpi", "ring", "any"; MLX's "nccl" and
 * "jaccl" are never built here) is available. */
bool is_available(const std::string& backend);

/**
 * A group of processes that communicate. The world group comes from init();
 * split() makes sub-groups. Copies refer to the same group.
 */
struct Group {
  Group(std::shared_ptr<detail::GroupImpl> group) : group_(std::move(group)) {}

  int rank() const;
  int size() const;

  /**
   * Processes that pass the same color form a sub-group; within it they are
   * ordered by key (a negative key keeps their order in this group).
   * Collective: every process of this group must call it.
   */
  Group split(int color, int key = -1) const;

  const std::shared_ptr<detail::GroupImpl>& raw_group() const { return group_; }

private:
  std::shared_ptr<detail::GroupImpl> group_{nullptr};
};

/**
 * The group of all processes of the job, created on the first call and
 * returned by later ones. `backend` is "mpi", "ring" or "any": "any" takes
 * MPI when started by mpirun, the ring when MLX_HOSTFILE and MLX_RANK are
 * set, and otherwise a group of this process alone. With `strict`, failing
 * to set up the requested backend throws std::runtime_error instead of
 * returning the size-1 group.
 */
Group init(bool strict = false, const std::string& backend = "any");

namespace detail {

/** The CPU stream the collectives run on by default, so that communication
 * overlaps with computation on the other streams. */
Stream communication_stream();

} // namespace detail

} // namespace mlx::core::distributed
