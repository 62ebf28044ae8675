// Accepting and opening connections between ranks, with the handshake that
// keeps strangers out.
#include "listener.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

namespace mlx::core::distributed::ring {

namespace {

// "MLXRING1" read as a little-endian integer: identifies our protocol.
constexpr uint64_t kMagic = 0x31474e4952584c4dull;
// Bumped whenever the wire format changes.
constexpr uint32_t kProtocolVersion = 1;
// Connections still in their handshake; beyond this the oldest is dropped so
// that a flood of silent clients cannot exhaust file descriptors.
constexpr size_t kMaxPending = 256;

void put_u64(unsigned char* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<unsigned char>(v >> (8 * i));
  }
}
void put_u32(unsigned char* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    out[i] = static_cast<unsigned char>(v >> (8 * i));
  }
}
uint64_t get_u64(const unsigned char* in) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) {
    v = (v << 8) | in[i];
  }
  return v;
}
uint32_t get_u32(const unsigned char* in) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) {
    v = (v << 8) | in[i];
  }
  return v;
}

} // namespace

void Hello::encode(unsigned char* out) const {
  put_u64(out, kMagic);
  put_u32(out + 8, kProtocolVersion);
  put_u32(out + 12, world_size);
  put_u64(out + 16, job_hash);
  put_u64(out + 24, group_id);
  put_u32(out + 32, from_rank);
  put_u32(out + 36, to_rank);
  put_u32(out + 40, channel);
}

bool Hello::decode(const unsigned char* in) {
  if (get_u64(in) != kMagic || get_u32(in + 8) != kProtocolVersion) {
    return false;
  }
  world_size = get_u32(in + 12);
  job_hash = get_u64(in + 16);
  group_id = get_u64(in + 24);
  from_rank = get_u32(in + 32);
  to_rank = get_u32(in + 36);
  channel = get_u32(in + 40);
  return true;
}

Listener::Listener(const Config& config) : config_(config) {
  for (auto& address : config_.addresses[config_.rank]) {
    Fd fd = listen_on(address, config_.rank);
    listening_.push_back(std::move(fd));
  }
  wakeup_ = Fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wakeup_) {
    throw std::runtime_error(
        "[ring] init: eventfd failed: " + errno_text(errno));
  }
  thread_ = std::thread([this] { run(); });
}

Listener::~Listener() {
  uint64_t one = 1;
  (void)!::write(wakeup_.get(), &one, sizeof(one));
  thread_.join();
}

Fd Listener::take(
    uint64_t group_id, int from, uint32_t channel, const Deadline& deadline) {
  auto key = std::make_tuple(group_id, from, channel);
  std::unique_lock lock(mutex_);
  ready_cv_.wait_until(
      lock, deadline.at(), [&] { return ready_.count(key) > 0; });
  auto it = ready_.find(key);
  if (it == ready_.end()) {
    return Fd();
  }
  Fd fd = std::move(it->second);
  ready_.erase(it);
  return fd;
}

void Listener::run() {
  std::vector<pollfd> fds;
  while (true) {
    fds.clear();
    fds.push_back({wakeup_.get(), POLLIN, 0});
    for (auto& l : listening_) {
      fds.push_back({l.get(), POLLIN, 0});
    }
    auto now = Clock::now();
    int timeout_ms = -1;
    for (auto& p : pending_) {
      fds.push_back({p.fd.get(), POLLIN, 0});
      auto left = std::chrono::ceil<std::chrono::milliseconds>(p.expires - now);
      int ms = static_cast<int>(std::max<int64_t>(0, left.count()));
      timeout_ms = timeout_ms < 0 ? ms : std::min(timeout_ms, ms);
    }
    int rc = ::poll(fds.data(), fds.size(), timeout_ms);
    if (rc < 0 && errno != EINTR) {
      return; // cannot happen with valid descriptors; takers time out
    }
    if (fds[0].revents) {
      return;
    }
    // Pending handshakes first: their pollfds follow the listeners'.
    size_t first_pending = 1 + listening_.size();
    for (size_t i = 0; i < pending_.size(); ++i) {
      if (fds[first_pending + i].revents) {
        read_hello(pending_[i]);
      }
    }
    now = Clock::now();
    pending_.erase(
        std::remove_if(
            pending_.begin(),
            pending_.end(),
            [&](const Pending& p) { return !p.fd || p.expires <= now; }),
        pending_.end());
    for (size_t i = 0; i < listening_.size(); ++i) {
      if (!fds[1 + i].revents) {
        continue;
      }
      while (true) {
        int fd = ::accept4(
            listening_[i].get(),
            nullptr,
            nullptr,
            SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
          break; // EAGAIN, or a connection that died before accept
        }
        if (pending_.size() >= kMaxPending) {
          pending_.erase(pending_.begin());
        }
        tune_stream_socket(fd);
        Pending p;
        p.fd = Fd(fd);
        p.expires = now + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(config_.timeout_s));
        pending_.push_back(std::move(p));
      }
    }
  }
}

void Listener::read_hello(Pending& p) {
  ssize_t n = ::recv(
      p.fd.get(),
      p.hello + p.received,
      Hello::kBytes - p.received,
      MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
    return;
  }
  if (n <= 0) {
    p.fd.reset();
    return;
  }
  p.received += static_cast<size_t>(n);
  if (p.received < Hello::kBytes) {
    return;
  }
  Hello hello;
  if (!hello.decode(p.hello) || !accept_hello(p, hello)) {
    p.fd.reset(); // a stranger: refuse by closing
  }
}

bool Listener::accept_hello(Pending& p, const Hello& hello) {
  int size = config_.size();
  if (hello.job_hash != config_.job_hash ||
      hello.world_size != static_cast<uint32_t>(size) ||
      hello.to_rank != static_cast<uint32_t>(config_.rank) ||
      hello.from_rank >= static_cast<uint32_t>(size) ||
      hello.from_rank == hello.to_rank) {
    return false;
  }
  Hello reply = hello;
  reply.from_rank = hello.to_rank;
  reply.to_rank = hello.from_rank;
  unsigned char bytes[Hello::kBytes];
  reply.encode(bytes);
  std::string error;
  // The socket's send buffer is empty, so this does not wait.
  if (!send_exact(
          p.fd.get(), bytes, sizeof(bytes), Deadline::after(1), error)) {
    return false;
  }
  {
    std::lock_guard lock(mutex_);
    auto key = std::make_tuple(
        hello.group_id, static_cast<int>(hello.from_rank), hello.channel);
    // A newer connection for the same slot replaces one from an attempt the
    // connecting side gave up on.
    ready_[key] = std::move(p.fd);
  }
  ready_cv_.notify_all();
  return true;
}

Fd connect_to_rank(
    const Config& config,
    int to,
    uint64_t group_id,
    uint32_t channel,
    const Deadline& deadline,
    const char* op) {
  const auto& addresses = config.addresses[to];
  const Address& address = addresses[channel % addresses.size()];
  Hello hello;
  hello.job_hash = config.job_hash;
  hello.group_id = group_id;
  hello.world_size = static_cast<uint32_t>(config.size());
  hello.from_rank = static_cast<uint32_t>(config.rank);
  hello.to_rank = static_cast<uint32_t>(to);
  hello.channel = channel;
  unsigned char bytes[Hello::kBytes];
  hello.encode(bytes);

  // Retry backoff: short at first (the peer is usually just starting), capped
  // so that a late peer is found within a tenth of a second.
  auto backoff = std::chrono::milliseconds(1);
  constexpr auto kMaxBackoff = std::chrono::milliseconds(100);
  std::string error = "no attempt made";
  while (true) {
    Fd fd = try_connect(address, deadline, error);
    if (fd) {
      unsigned char reply_bytes[Hello::kBytes];
      Hello reply;
      if (send_exact(fd.get(), bytes, sizeof(bytes), deadline, error) &&
          recv_exact(
              fd.get(), reply_bytes, sizeof(reply_bytes), deadline, error)) {
        if (reply.decode(reply_bytes) && reply.job_hash == config.job_hash &&
            reply.group_id == group_id && reply.channel == channel &&
            reply.from_rank == static_cast<uint32_t>(to) &&
            reply.to_rank == static_cast<uint32_t>(config.rank)) {
          return fd;
        }
        error = "the listener there is not rank " + std::to_string(to) +
                " of this job";
      } else {
        error = "handshake failed: " + error +
                " (is that rank using the same hostfile?)";
      }
    }
    if (deadline.expired()) {
      throw std::runtime_error(
          std::string("[ring] ") + op + ": timed out after " +
          seconds_text(config.timeout_s) + " connecting to rank " +
          std::to_string(to) + " at " + address.text +
          " (last error: " + error + ")");
    }
    auto left = deadline.at() - Clock::now();
    std::this_thread::sleep_for(
        std::min<Clock::duration>(backoff, std::max(left, Clock::duration{})));
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, kMaxBackoff);
  }
}

} // namespace mlx::core::distributed::ring
