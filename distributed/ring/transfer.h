// The ring backend's I/O engine. A collective is planned as a set of lanes;
// each lane sends a list of buffers over one socket and receives a list of
// buffers from another (possibly the same) socket, in order. A send may wait
// for a receive of the same lane (the forwarding step of a ring), chunk by
// chunk, so reduction and transfer overlap. All lanes advance together on
// nonblocking sockets, waiting in poll() when none can move.
#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "mlx/distributed/backend.h"
#include "socket.h"

namespace mlx::core::distributed::ring {

/** Pipelining granularity: a combining receive reduces this much at a time,
 * and forwarding sends follow at that pace. Small enough that a chunk is
 * still in cache when it is reduced and forwarded; a multiple of every
 * dtype size. */
inline constexpr size_t kChunkBytes = size_t(256) << 10;

/** Below this many bytes per lane, an extra lane (socket or direction) costs
 * more in system calls than it gains in parallel transfer. */
inline constexpr size_t kMinLaneBytes = size_t(256) << 10;

struct SendItem {
  const char* data = nullptr;
  size_t bytes = 0;
  /** Index of a receive of the same lane (same size) that must have landed
   * as far as a byte before the byte is sent; -1 for none. */
  int after_recv = -1;
};

struct RecvItem {
  char* data = nullptr;
  size_t bytes = 0;
  /** When set, data = op(received, combine_with), a chunk at a time.
   * combine_with is either `data` itself (in place) or a disjoint buffer. */
  const char* combine_with = nullptr;
  /** A combining receive that completes the reduction: each reduced chunk
   * is then divided by Reduction::divisor (when not 1), before it is
   * forwarded. */
  bool last_combine = false;
};

/** How combining receives combine. */
struct Reduction {
  detail::ReduceOp op;
  Dtype dtype;
  int divisor = 1;
};

struct Lane {
  int send_fd = -1;
  int send_peer = -1; // world rank, for messages
  int recv_fd = -1;
  int recv_peer = -1;
  std::vector<SendItem> sends;
  std::vector<RecvItem> recvs;
  /** kChunkBytes of scratch; needed when a receive combines in place. */
  char* scratch = nullptr;

  // Progress, owned by run_lanes.
  size_t send_index = 0;
  size_t send_offset = 0;
  size_t recv_index = 0;
  size_t recv_landed = 0; // bytes of the current receive that arrived
  size_t recv_offset = 0; // of which final (reduced where combining)
  Clock::time_point last_recv;
};

/** A control socket to a peer: failure notices arrive there. The engine
 * closes it when the peer closes it (the peer has exited). */
struct Watch {
  Fd* control = nullptr;
  int peer = -1;
};

enum class FailureKind : uint32_t { Disconnected = 1, TimedOut = 2 };

/** A peer failed: seen here (reporter < 0) or reported by a neighbour. */
struct PeerFailure : std::exception {
  int rank = -1;
  FailureKind kind = FailureKind::Disconnected;
  int reporter = -1;
  std::string detail;
  const char* what() const noexcept override { return detail.c_str(); }
};

/** Thrown by run_lanes when `stop_fd` became readable: another thread
 * working on the same operation failed. */
struct Stopped : std::exception {};

/** Runs all lanes to completion; `reduction` serves combining receives (may
 * be null otherwise). Waits at most `timeout_s` without progress. Throws
 * PeerFailure, or Stopped once `stop_fd` (when >= 0) is readable. */
void run_lanes(
    std::vector<Lane>& lanes,
    const Reduction* reduction,
    const std::vector<Watch>& watches,
    double timeout_s,
    int stop_fd = -1);

/** The failure notice `peer` sent, if one arrives on its control socket
 * within a short wait (used when its data connection broke). */
std::optional<PeerFailure>
notice_from(int peer, const std::vector<Watch>& watches);

/** A failure notice already waiting on any control socket. */
std::optional<PeerFailure> any_notice(const std::vector<Watch>& watches);

/** How long a rank whose wait timed out, but that may only be stuck behind
 * the rank that stopped, waits for a notice naming that rank. */
double bystander_grace(double timeout_s);

/** Tells a peer, best effort, that `failure` ended the job for `me`. */
void send_notice(int fd, const PeerFailure& failure, int me);

} // namespace mlx::core::distributed::ring
