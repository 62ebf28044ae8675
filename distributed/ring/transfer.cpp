// The event-driven transfer loop of the ring backend.
#include "transfer.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "mlx/distributed/distributed_impl.h"

namespace mlx::core::distributed::ring {

namespace {

// Failure notices on control sockets: magic, kind, failed rank, reporter.
// (Both ends run the same binary, so host byte order is fine here.)
// Items one sendmsg / recvmsg covers at most (well under IOV_MAX, 1024 on
// Linux).
constexpr size_t kMaxIoItems = 64;
constexpr uint32_t kNoticeMagic = 0x4e4f5449; // "NOTI"
constexpr size_t kNoticeBytes = 16;
// How long a rank that saw a data connection close waits for the notice that
// may explain it (sent just before the close, so normally already there).
constexpr double kNoticeWaitSeconds = 0.2;

PeerFailure failure(int rank, FailureKind kind, std::string detail) {
  PeerFailure f;
  f.rank = rank;
  f.kind = kind;
  f.detail = std::move(detail);
  return f;
}

PeerFailure disconnected(int rank, int err) {
  return failure(
      rank,
      FailureKind::Disconnected,
      err == 0 ? "connection closed" : errno_text(err));
}

// Reads a notice from a readable control socket. A closed (or garbled) one
// is no failure by itself: a peer that finished its part of the last
// operation may exit while others still finish theirs. It is closed here so
// that it is not polled again; a peer that is really needed shows up as a
// broken data connection.
std::optional<PeerFailure> read_notice(const Watch& w) {
  unsigned char b[kNoticeBytes];
  std::string error;
  if (!recv_exact(
          w.control->get(),
          b,
          sizeof(b),
          Deadline::after(kNoticeWaitSeconds),
          error)) {
    w.control->reset();
    return std::nullopt;
  }
  auto u32 = [&](int at) {
    uint32_t v;
    std::memcpy(&v, b + at, 4);
    return v;
  };
  if (u32(0) != kNoticeMagic) {
    w.control->reset();
    return std::nullopt;
  }
  PeerFailure f;
  f.kind = static_cast<FailureKind>(u32(4));
  f.rank = static_cast<int>(u32(8));
  f.reporter = static_cast<int>(u32(12));
  f.detail = "reported by rank " + std::to_string(f.reporter);
  return f;
}

// A data connection to `peer` broke: prefer the notice the peer may have
// sent first (it failed because of someone else), else blame the peer.
[[noreturn]] void
throw_broken(int peer, int err, const std::vector<Watch>& watches) {
  if (auto notice = notice_from(peer, watches)) {
    throw *notice;
  }
  throw disconnected(peer, err);
}

// Polls the control sockets for their events in `fds` (from `first` on,
// in watch order); throws the first notice.
void check_notices(
    const std::vector<Watch>& watches, std::vector<pollfd>& fds, size_t first) {
  for (size_t i = first; i < first + watches.size(); ++i) {
    if (fds[i].revents && fds[i].fd >= 0) {
      if (auto notice = read_notice(watches[i - first])) {
        throw *notice;
      }
      fds[i].fd = -1; // closed: poll() skips negative descriptors
    }
  }
}

size_t send_allowed(const Lane& lane, const SendItem& item) {
  if (item.after_recv < 0) {
    return item.bytes;
  }
  size_t dep = static_cast<size_t>(item.after_recv);
  if (lane.recv_index > dep) {
    return item.bytes;
  }
  return lane.recv_index == dep ? lane.recv_offset : 0;
}

// Receives what has arrived for the lane's current receive(s). A combining
// receive lands in its destination (or, in place, in the scratch chunk) and
// is reduced a chunk at a time, which is what forwarding sends wait for.
bool pump_recv(
    Lane& lane, const Reduction* reduction, const std::vector<Watch>& watches) {
  bool progress = false;
  while (lane.recv_index < lane.recvs.size()) {
    RecvItem& item = lane.recvs[lane.recv_index];
    if (lane.recv_offset == item.bytes) {
      ++lane.recv_index;
      lane.recv_landed = lane.recv_offset = 0;
      progress = true;
      continue;
    }
    bool in_place = item.combine_with == item.data;
    size_t chunk = std::min(kChunkBytes, item.bytes - lane.recv_offset);
    char* dst = in_place ? lane.scratch + (lane.recv_landed - lane.recv_offset)
                         : item.data + lane.recv_landed;
    size_t want = in_place ? lane.recv_offset + chunk - lane.recv_landed
                           : item.bytes - lane.recv_landed;
    // Plain receives (no combining) of consecutive items land with one
    // recvmsg, as sends go out with one sendmsg.
    iovec iov[kMaxIoItems];
    size_t count = 0;
    if (item.combine_with) {
      iov[count++] = {dst, want};
    } else {
      size_t landed = lane.recv_landed;
      for (size_t i = lane.recv_index;
           i < lane.recvs.size() && count < kMaxIoItems &&
           !lane.recvs[i].combine_with;
           ++i, landed = 0) {
        iov[count++] = {
            lane.recvs[i].data + landed, lane.recvs[i].bytes - landed};
      }
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = count;
    ssize_t n = ::recvmsg(lane.recv_fd, &msg, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        break;
      }
      if (errno == EINTR) {
        continue;
      }
      throw_broken(lane.recv_peer, errno, watches);
    }
    if (n == 0) {
      throw_broken(lane.recv_peer, 0, watches);
    }
    progress = true;
    lane.last_recv = Clock::now();
    if (!item.combine_with) {
      // Spread the bytes over the items they landed in.
      size_t got = static_cast<size_t>(n);
      while (got > 0) {
        RecvItem& current = lane.recvs[lane.recv_index];
        size_t step = std::min(got, current.bytes - lane.recv_landed);
        lane.recv_landed += step;
        lane.recv_offset = lane.recv_landed;
        got -= step;
        if (lane.recv_landed == current.bytes) {
          ++lane.recv_index;
          lane.recv_landed = lane.recv_offset = 0;
        }
      }
      continue;
    }
    lane.recv_landed += static_cast<size_t>(n);
    // Reduce whole chunks (and the item's tail); chunks are a multiple of
    // the element size, so pieces never split an element.
    size_t elem = reduction->dtype.size();
    while (lane.recv_offset < lane.recv_landed &&
           (lane.recv_landed - lane.recv_offset >= chunk ||
            lane.recv_landed == item.bytes)) {
      size_t piece = std::min(chunk, lane.recv_landed - lane.recv_offset);
      char* target = item.data + lane.recv_offset;
      const char* other =
          in_place ? lane.scratch : item.combine_with + lane.recv_offset;
      // The last combine divides in the same loop: no pass for the 1/N.
      detail::combine_into(
          reduction->op,
          reduction->dtype,
          target,
          other,
          target,
          piece / elem,
          item.last_combine ? reduction->divisor : 1);
      lane.recv_offset += piece;
      chunk = std::min(kChunkBytes, item.bytes - lane.recv_offset);
    }
  }
  return progress;
}

// Sends what the lane may send now. Consecutive items go out in one
// sendmsg (up to kMaxIoItems of them): a collective over many small
// arrays has one item per array piece, and a system call each would cost
// more than the copy.
bool pump_send(Lane& lane, const std::vector<Watch>& watches) {
  bool progress = false;
  iovec iov[kMaxIoItems];
  while (lane.send_index < lane.sends.size()) {
    const SendItem& item = lane.sends[lane.send_index];
    if (lane.send_offset == item.bytes) {
      ++lane.send_index;
      lane.send_offset = 0;
      progress = true;
      continue;
    }
    size_t count = 0;
    size_t offset = lane.send_offset;
    for (size_t i = lane.send_index;
         i < lane.sends.size() && count < kMaxIoItems;
         ++i, offset = 0) {
      const SendItem& next = lane.sends[i];
      size_t allowed = send_allowed(lane, next);
      if (allowed <= offset) {
        break; // waiting for this lane's receive to catch up
      }
      iov[count++] = {const_cast<char*>(next.data) + offset, allowed - offset};
      if (allowed < next.bytes) {
        break;
      }
    }
    if (count == 0) {
      break;
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = count;
    ssize_t n = ::sendmsg(lane.send_fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        break;
      }
      if (errno == EINTR) {
        continue;
      }
      throw_broken(lane.send_peer, errno, watches);
    }
    progress = true;
    // Advance over the bytes sent, item by item.
    size_t sent = static_cast<size_t>(n);
    while (sent > 0) {
      const SendItem& current = lane.sends[lane.send_index];
      size_t step = std::min(sent, current.bytes - lane.send_offset);
      lane.send_offset += step;
      sent -= step;
      if (lane.send_offset == current.bytes) {
        ++lane.send_index;
        lane.send_offset = 0;
      }
    }
  }
  return progress;
}

bool wants_send(const Lane& lane) {
  return lane.send_index < lane.sends.size() &&
         send_allowed(lane, lane.sends[lane.send_index]) > lane.send_offset;
}

// Polls the control sockets (and `stop_fd`) alone for up to `seconds`;
// throws on a notice, or Stopped.
void wait_for_notice(
    const std::vector<Watch>& watches, double seconds, int stop_fd) {
  std::vector<pollfd> fds;
  for (auto& w : watches) {
    fds.push_back({w.control->get(), POLLIN, 0});
  }
  fds.push_back({stop_fd, POLLIN, 0});
  Deadline deadline = Deadline::after(seconds);
  while (::poll(fds.data(), fds.size(), deadline.poll_ms()) > 0) {
    if (fds.back().revents) {
      throw Stopped();
    }
    check_notices(watches, fds, 0);
  }
}

// No progress for timeout_s: blame the peer we have waited on longest.
[[noreturn]] void throw_timeout(
    const std::vector<Lane>& lanes,
    Clock::time_point started,
    const std::vector<Watch>& watches,
    double timeout_s,
    int stop_fd) {
  int culprit = -1;
  Clock::time_point heard = Clock::time_point::max();
  for (auto& lane : lanes) {
    if (lane.recv_index < lane.recvs.size() && lane.last_recv < heard) {
      heard = lane.last_recv, culprit = lane.recv_peer;
    }
  }
  std::string waiting = "waiting for rank " + std::to_string(culprit);
  // Silence from the start marks the rank that stopped; otherwise this rank
  // may be a bystander stuck behind it, so let a neighbour's notice win.
  bool maybe_bystander = heard > started;
  if (culprit < 0) { // only sends are stuck: the peer stopped reading
    for (auto& lane : lanes) {
      if (lane.send_index < lane.sends.size()) {
        culprit = lane.send_peer;
        break;
      }
    }
    waiting = "waiting for rank " + std::to_string(culprit) + " to receive";
    maybe_bystander = true;
  }
  if (maybe_bystander) {
    wait_for_notice(watches, bystander_grace(timeout_s), stop_fd);
  }
  throw failure(
      culprit,
      FailureKind::TimedOut,
      "timed out after " + seconds_text(timeout_s) + " " + waiting);
}

} // namespace

double bystander_grace(double timeout_s) {
  // A rank that timed out while all its peers had sent something in this
  // operation is probably stuck behind someone else; it waits this much
  // longer (at most 2 s) for a neighbour's notice naming the rank that
  // actually stopped.
  return std::min(2.0, timeout_s / 2);
}

std::optional<PeerFailure> any_notice(const std::vector<Watch>& watches) {
  for (auto& w : watches) {
    pollfd p{w.control->get(), POLLIN, 0}; // poll() skips a closed (-1) one
    if (::poll(&p, 1, 0) > 0) {
      if (auto notice = read_notice(w)) {
        return notice;
      }
    }
  }
  return std::nullopt;
}

std::optional<PeerFailure>
notice_from(int peer, const std::vector<Watch>& watches) {
  for (auto& w : watches) {
    if (w.peer != peer || !*w.control) {
      continue;
    }
    pollfd p{w.control->get(), POLLIN, 0};
    int ms = static_cast<int>(kNoticeWaitSeconds * 1000);
    if (::poll(&p, 1, ms) > 0) {
      return read_notice(w);
    }
  }
  return std::nullopt;
}

void run_lanes(
    std::vector<Lane>& lanes,
    const Reduction* reduction,
    const std::vector<Watch>& watches,
    double timeout_s,
    int stop_fd) {
  auto started = Clock::now();
  for (auto& lane : lanes) {
    lane.last_recv = started;
  }
  auto last_progress = started;
  std::vector<pollfd> fds;
  while (true) {
    bool progress = false;
    bool done = true;
    for (auto& lane : lanes) {
      progress |= pump_recv(lane, reduction, watches);
      progress |= pump_send(lane, watches);
      done &= lane.recv_index == lane.recvs.size() &&
              lane.send_index == lane.sends.size();
    }
    if (done) {
      return;
    }
    if (progress) {
      last_progress = Clock::now();
      continue;
    }
    fds.clear();
    auto add = [&](int fd, short events) {
      for (auto& p : fds) {
        if (p.fd == fd) {
          p.events |= events;
          return;
        }
      }
      fds.push_back({fd, events, 0});
    };
    for (auto& lane : lanes) {
      if (lane.recv_index < lane.recvs.size()) {
        add(lane.recv_fd, POLLIN);
      }
      if (wants_send(lane)) {
        add(lane.send_fd, POLLOUT);
      }
    }
    if (fds.empty()) {
      throw std::logic_error("[ring] transfer plan cannot make progress");
    }
    fds.push_back({stop_fd, POLLIN, 0}); // poll() skips it when negative
    size_t data_fds = fds.size();
    for (auto& w : watches) {
      fds.push_back({w.control->get(), POLLIN, 0});
    }
    auto deadline =
        last_progress + std::chrono::duration_cast<Clock::duration>(
                            std::chrono::duration<double>(timeout_s));
    auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    int rc = ::poll(
        fds.data(),
        fds.size(),
        static_cast<int>(std::max<int64_t>(0, left.count())));
    if (rc < 0 && errno != EINTR) {
      throw std::runtime_error("[ring] poll failed: " + errno_text(errno));
    }
    if (rc == 0 && Clock::now() >= deadline) {
      throw_timeout(lanes, started, watches, timeout_s, stop_fd);
    }
    if (fds[data_fds - 1].revents) {
      throw Stopped();
    }
    check_notices(watches, fds, data_fds);
  }
}

void send_notice(int fd, const PeerFailure& failure, int me) {
  uint32_t words[4] = {
      kNoticeMagic,
      static_cast<uint32_t>(failure.kind),
      static_cast<uint32_t>(failure.rank),
      static_cast<uint32_t>(me)};
  // Best effort: a 16-byte message fits an idle socket's buffer.
  ::send(fd, words, sizeof(words), MSG_NOSIGNAL | MSG_DONTWAIT);
}

} // namespace mlx::core::distributed::ring
