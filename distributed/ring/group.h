// A group of ranks connected in a ring over TCP. The world group and every
// sub-group made by split() own their own sockets (a sub-group's traffic
// never mixes with its parent's); they share the hostfile configuration and
// the listening thread.
#pragma once

#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "listener.h"
#include "mlx/distributed/backend.h"
#include "transfer.h"

namespace mlx::core::distributed::ring {

/** What the world group and its sub-groups share. */
struct Endpoint {
  Config config;
  /** Null when the job has a single rank. */
  std::unique_ptr<Listener> listener;
};

/** The sockets between this rank and one peer of a group. */
struct Link {
  int peer = -1;        // world rank
  std::vector<Fd> data; // config.connections sockets
  Fd control;           // failure notices only
};

/** The world group of the job `config` describes (ring::init without the
 * environment; tests use it). */
std::shared_ptr<detail::GroupImpl> init_from_config(Config config);

class RingGroup final : public detail::GroupImpl {
public:
  /** Joins the group `group_id` made of `world_ranks` (group rank -> world
   * rank) as group rank `rank`, connecting to the two ring neighbours.
   * Throws std::runtime_error naming `op` when a neighbour does not come. */
  RingGroup(
      std::shared_ptr<Endpoint> endpoint,
      uint64_t group_id,
      std::vector<int> world_ranks,
      int rank,
      const char* op);

  int rank() override { return rank_; }
  int size() override { return static_cast<int>(world_ranks_.size()); }
  const char* backend() const override { return "ring"; }

  std::shared_ptr<GroupImpl> split(int color, int key) override;
  void all_reduce(
      const void* in,
      void* out,
      size_t count,
      Dtype dtype,
      detail::ReduceOp op) override;
  void all_reduce_spans(
      const std::vector<detail::Span>& spans,
      Dtype dtype,
      detail::ReduceOp op,
      int divisor) override;
  void all_gather(const void* in, void* out, size_t bytes) override;
  void reduce_scatter(
      const void* in,
      void* out,
      size_t count,
      Dtype dtype,
      detail::ReduceOp op) override;
  void send(const void* data, size_t bytes, int dst) override;
  void recv(void* data, size_t bytes, int src) override;
  void broadcast(void* data, size_t bytes, int root) override;
  void barrier() override;

private:
  const Config& config() const { return endpoint_->config; }
  int world_rank(int group_rank) const { return world_ranks_[group_rank]; }

  /** The link to a group rank, connected on first use (both ends of a
   * point-to-point call come here, so either may set it up). */
  Link& link(int peer, const char* op);
  /** The lower group rank connects, the higher one accepts. */
  void connect_link(int peer, const Deadline& deadline, const char* op);

  /** Lanes over the ring for a transfer of `bytes`: their count, each
   * lane's direction (+1: to rank+1) and sockets. */
  std::vector<Lane> ring_lanes(size_t bytes, std::vector<int>& directions);

  /** Runs lanes; a peer failure becomes a std::runtime_error naming `op`
   * after neighbours are told and the group is closed. */
  void
  run(const char* op,
      std::vector<Lane>& lanes,
      const Reduction* reduction = nullptr);
  /** run() for large operations: half the lanes on a helper thread.
   * Returns the first failure (null when none). */
  std::exception_ptr run_on_two_threads(
      std::vector<Lane>& lanes,
      const Reduction* reduction,
      const std::vector<Watch>& watches);
  /** Throws when an earlier failure broke the group. */
  void check_usable(const char* op) const;
  [[noreturn]] void fail(const char* op, const PeerFailure& failure);
  /** Scratch for `lanes` lanes combining in place, kChunkBytes each. */
  char* lane_scratch(size_t lanes);

  /** The ring all-gather behind all_gather, barrier, split and small
   * all-reduces; `op` names the caller's operation in errors. */
  void gather_ring(const void* in, void* out, size_t bytes, const char* op);

  std::shared_ptr<Endpoint> endpoint_;
  uint64_t group_id_;
  std::vector<int> world_ranks_;
  int rank_;
  std::map<int, Link> links_; // by group rank
  uint64_t splits_ = 0;       // split() calls so far, to name sub-groups
  std::string broken_;        // the failure that ended this group, if any
  std::vector<char> scratch_;
};

} // namespace mlx::core::distributed::ring
