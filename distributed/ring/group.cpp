// RingGroup: connection set-up, split, and failure handling.
#include "group.h"

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <thread>

namespace mlx::core::distributed::ring {

namespace {

// Channel number of a link's control socket (data sockets are 0..K-1 with
// K <= kMaxConnections).
constexpr uint32_t kControlChannel = 0xffff;

// From this many bytes sent per operation, lanes are split over two
// threads: one thread's copies in and out of the kernel and its reductions
// are the limit on loopback and fast networks.
constexpr size_t kParallelBytes = size_t(4) << 20;

// The world group's id; sub-groups derive theirs from their parent's.
constexpr uint64_t kWorldGroupId = 1;

// splitmix64's finalizer: spreads sub-group ids over 64 bits.
uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

} // namespace

RingGroup::RingGroup(
    std::shared_ptr<Endpoint> endpoint,
    uint64_t group_id,
    std::vector<int> world_ranks,
    int rank,
    const char* op)
    : endpoint_(std::move(endpoint)),
      group_id_(group_id == 0 ? kWorldGroupId : group_id),
      world_ranks_(std::move(world_ranks)), rank_(rank) {
  int n = size();
  if (n == 1) {
    return;
  }
  Deadline deadline = Deadline::after(config().timeout_s);
  int right = (rank_ + 1) % n;
  int left = (rank_ + n - 1) % n;
  // Each link is opened by its lower rank; the listening thread accepts the
  // other direction in the background, so no order of ranks can deadlock.
  connect_link(right, deadline, op);
  if (left != right) {
    connect_link(left, deadline, op);
  }
}

Link& RingGroup::link(int peer, const char* op) {
  auto it = links_.find(peer);
  if (it != links_.end()) {
    return it->second;
  }
  connect_link(peer, Deadline::after(config().timeout_s), op);
  return links_.at(peer);
}

void RingGroup::connect_link(
    int peer, const Deadline& deadline, const char* op) {
  Link link;
  link.peer = world_rank(peer);
  int connections = config().connections;
  for (int c = 0; c <= connections; ++c) {
    uint32_t channel =
        c < connections ? static_cast<uint32_t>(c) : kControlChannel;
    Fd fd;
    if (rank_ < peer) {
      fd = connect_to_rank(
          config(), link.peer, group_id_, channel, deadline, op);
    } else {
      fd = endpoint_->listener->take(group_id_, link.peer, channel, deadline);
      if (!fd) {
        std::string refused = endpoint_->listener->last_refusal();
        throw std::runtime_error(
            std::string("[ring] ") + op + ": timed out after " +
            seconds_text(config().timeout_s) + " waiting for rank " +
            std::to_string(link.peer) + " to connect" +
            (refused.empty() ? ""
                             : " (last refused connection " + refused + ")"));
      }
    }
    (c < connections ? link.data.emplace_back() : link.control) = std::move(fd);
  }
  links_[peer] = std::move(link);
}

std::vector<Lane>
RingGroup::ring_lanes(size_t bytes, std::vector<int>& directions) {
  int n = size();
  // With two ranks both neighbours are the same socket, already carrying
  // data both ways; with more, half the lanes run the other way round.
  size_t dirs = n == 2 ? 1 : 2;
  size_t max_lanes = dirs * static_cast<size_t>(config().connections);
  size_t count = std::clamp<size_t>(bytes / kMinLaneBytes, 1, max_lanes);
  Link& right = links_.at((rank_ + 1) % n);
  Link& left = links_.at((rank_ + n - 1) % n);
  std::vector<Lane> lanes(count);
  directions.assign(count, 1);
  for (size_t l = 0; l < count; ++l) {
    bool forward = dirs == 1 || l % 2 == 0;
    size_t socket = l / dirs;
    Link& to = forward ? right : left;
    Link& from = forward ? left : right;
    lanes[l].send_fd = to.data[socket].get();
    lanes[l].send_peer = to.peer;
    lanes[l].recv_fd = from.data[socket].get();
    lanes[l].recv_peer = from.peer;
    directions[l] = forward ? 1 : -1;
  }
  return lanes;
}

char* RingGroup::lane_scratch(size_t lanes) {
  if (scratch_.size() < lanes * kChunkBytes) {
    scratch_.resize(lanes * kChunkBytes);
  }
  return scratch_.data();
}

void RingGroup::run(
    const char* op, std::vector<Lane>& lanes, const Reduction* reduction) {
  std::vector<Watch> watches;
  for (auto& [peer, link] : links_) {
    if (link.control) {
      watches.push_back({&link.control, link.peer});
    }
  }
  size_t bytes = 0;
  for (auto& lane : lanes) {
    for (auto& item : lane.sends) {
      bytes += item.bytes;
    }
  }
  std::exception_ptr error;
  if (lanes.size() < 2 || bytes < kParallelBytes) {
    try {
      run_lanes(lanes, reduction, watches, config().timeout_s);
    } catch (...) {
      error = std::current_exception();
    }
  } else {
    error = run_on_two_threads(lanes, reduction, watches);
  }
  if (!error) {
    return;
  }
  try {
    std::rethrow_exception(error);
  } catch (const PeerFailure& failure) {
    fail(op, failure);
  }
}

std::exception_ptr RingGroup::run_on_two_threads(
    std::vector<Lane>& lanes,
    const Reduction* reduction,
    const std::vector<Watch>& watches) {
  // Lanes are independent; alternate ones (for more than two ranks, the two
  // ring directions) go to a helper thread, which watches no control socket:
  // this thread reads the notices. The first to fail wakes the other.
  std::vector<Lane> mine, helpers;
  for (size_t l = 0; l < lanes.size(); ++l) {
    (l % 2 == 0 ? mine : helpers).push_back(std::move(lanes[l]));
  }
  Fd stop(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  auto signal_stop = [&] {
    uint64_t one = 1;
    (void)!::write(stop.get(), &one, sizeof(one));
  };
  double timeout = config().timeout_s;
  std::exception_ptr helper_error;
  std::thread helper([&] {
    try {
      run_lanes(helpers, reduction, {}, timeout, stop.get());
    } catch (const Stopped&) {
    } catch (...) {
      helper_error = std::current_exception();
      signal_stop();
    }
  });
  std::exception_ptr error;
  try {
    run_lanes(mine, reduction, watches, timeout, stop.get());
  } catch (const Stopped&) {
  } catch (...) {
    error = std::current_exception();
    signal_stop();
  }
  helper.join();
  if (error || !helper_error) {
    return error;
  }
  // The helper does not read control sockets: a notice that explains its
  // failure (a closed connection, or a timeout behind the rank that
  // stopped; the helper waited the grace period for it) is read here.
  try {
    std::rethrow_exception(helper_error);
  } catch (const PeerFailure& failure) {
    std::optional<PeerFailure> notice;
    if (failure.kind == FailureKind::Disconnected) {
      notice = notice_from(failure.rank, watches);
    } else {
      notice = any_notice(watches);
    }
    if (notice) {
      return std::make_exception_ptr(*notice);
    }
  } catch (...) {
  }
  return helper_error;
}

void RingGroup::check_usable(const char* op) const {
  if (!broken_.empty()) {
    throw std::runtime_error(
        std::string("[ring] ") + op +
        ": the group is unusable after an earlier failure: " + broken_);
  }
}

void RingGroup::fail(const char* op, const PeerFailure& failure) {
  std::string rank = "rank " + std::to_string(failure.rank);
  std::string message = std::string("[ring] ") + op + ": ";
  if (failure.reporter >= 0) {
    message += rank +
               (failure.kind == FailureKind::TimedOut ? " stopped responding"
                                                      : " disconnected") +
               " (" + failure.detail + ")";
  } else if (failure.kind == FailureKind::TimedOut) {
    message += failure.detail;
  } else {
    message += rank + " disconnected (" + failure.detail + ")";
  }
  // Tell every peer before closing, so that ranks blocked behind this one
  // report the rank that failed rather than this one; then close the data
  // sockets (FIN, not RST, so the notices are not discarded).
  int me = config().rank;
  for (auto& [peer, link] : links_) {
    send_notice(link.control.get(), failure, me);
  }
  for (auto& [peer, link] : links_) {
    for (auto& fd : link.data) {
      ::shutdown(fd.get(), SHUT_RDWR);
    }
  }
  broken_ = message;
  throw std::runtime_error(message);
}

std::shared_ptr<detail::GroupImpl> RingGroup::split(int color, int key) {
  check_usable("split");
  int n = size();
  int32_t mine[2] = {color, key};
  std::vector<int32_t> all(2 * static_cast<size_t>(n));
  gather_ring(mine, all.data(), sizeof(mine), "split");
  // Members of this color, ordered by key (their rank here when key < 0),
  // ties broken by rank here.
  std::vector<std::pair<int64_t, int>> members;
  for (int r = 0; r < n; ++r) {
    if (all[2 * r] == color) {
      int32_t k = all[2 * r + 1];
      members.emplace_back(k < 0 ? r : k, r);
    }
  }
  std::sort(members.begin(), members.end());
  std::vector<int> world;
  int new_rank = -1;
  for (auto& [k, r] : members) {
    if (r == rank_) {
      new_rank = static_cast<int>(world.size());
    }
    world.push_back(world_rank(r));
  }
  ++splits_;
  // Every member derives the same id: same parent, same split count, same
  // color; the listener files connections under it.
  uint64_t id =
      mix64(group_id_ ^ mix64(splits_ ^ mix64(static_cast<uint32_t>(color))));
  return std::make_shared<RingGroup>(endpoint_, id, world, new_rank, "split");
}

} // namespace mlx::core::distributed::ring
