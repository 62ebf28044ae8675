// Accepting and opening connections between ranks, with the handshake that
// keeps strangers out.
#include "listener.h"

#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace mlx::core::distributed::ring {

namespace {

// "MLXRING1" read as a little-endian integer: identifies our protocol.
constexpr uint64_t kMagic = 0x31474e4952584c4dull;
// Bumped whenever the wire format changes (2: the flag, nonce and proofs).
constexpr uint32_t kProtocolVersion = 2;
// Connections still in their handshake; beyond this the oldest is dropped so
// that a flood of silent clients cannot exhaust file descriptors.
constexpr size_t kMaxPending = 256;
// Bit 0 of the Hello's flags word: Hello::authenticated.
constexpr uint32_t kAuthenticatedFlag = 1;
// What each side's proof covers besides the two Hellos: the role, so that a
// listener's proof can never be replayed as a connector's or back to its
// sender.
constexpr std::string_view kConnectorLabel = "MLX ring v2 proof: connector";
constexpr std::string_view kListenerLabel = "MLX ring v2 proof: listener";
// Refusal lines: up to kRefusalLogBurst at once, then one a second (the
// rest are counted), so that a flood of strangers or a misconfigured rank
// retrying ten times a second cannot flood the log.
constexpr double kRefusalLogBurst = 10;
constexpr double kRefusalLogsPerSecond = 1;

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

// The magic and protocol version that start every Hello.
constexpr size_t kPrefixBytes = 12;
bool has_our_prefix(const unsigned char* in) {
  return get_u64(in) == kMagic && get_u32(in + 8) == kProtocolVersion;
}

void fill_random(void* data, size_t bytes) {
  auto* p = static_cast<unsigned char*>(data);
  while (bytes > 0) {
    ssize_t n = ::getrandom(p, bytes, 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      throw std::runtime_error("[ring] getrandom failed: " + errno_text(errno));
    }
    p += n;
    bytes -= static_cast<size_t>(n);
  }
}

Digest proof(
    const std::string& secret,
    std::string_view label,
    const unsigned char* connector_hello,
    const unsigned char* listener_hello) {
  std::string message(label);
  message.append(reinterpret_cast<const char*>(connector_hello), Hello::kBytes);
  message.append(reinterpret_cast<const char*>(listener_hello), Hello::kBytes);
  return hmac_sha256(secret, message);
}

// "ip:port" of a socket's peer ("[v6]:port" for IPv6).
std::string peer_text(const sockaddr_storage& addr, socklen_t len) {
  char host[NI_MAXHOST] = "?";
  char port[NI_MAXSERV] = "?";
  getnameinfo(
      reinterpret_cast<const sockaddr*>(&addr),
      len,
      host,
      sizeof(host),
      port,
      sizeof(port),
      NI_NUMERICHOST | NI_NUMERICSERV);
  return addr.ss_family == AF_INET6 ? "[" + std::string(host) + "]:" + port
                                    : std::string(host) + ":" + port;
}

// One line on stderr in a single write, so that lines of threads and ranks
// sharing the stream do not mix.
void log_line(const std::string& line) {
  std::string text = line + "\n";
  (void)!::write(STDERR_FILENO, text.data(), text.size());
}

std::string rank_text(uint32_t rank) {
  return "rank " + std::to_string(rank);
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
  put_u32(out + 44, authenticated ? kAuthenticatedFlag : 0);
  std::memcpy(out + 48, nonce.data(), nonce.size());
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
  authenticated = (get_u32(in + 44) & kAuthenticatedFlag) != 0;
  std::memcpy(nonce.data(), in + 48, nonce.size());
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
      if (unlogged_refusals_ > 0) {
        log_line(
            "[ring] rank " + std::to_string(config_.rank) + " refused " +
            std::to_string(unlogged_refusals_) +
            " more connection(s) not reported above");
      }
      return;
    }
    // Pending handshakes first: their pollfds follow the listeners'.
    size_t first_pending = 1 + listening_.size();
    for (size_t i = 0; i < pending_.size(); ++i) {
      if (fds[first_pending + i].revents) {
        read_step(pending_[i]);
      }
    }
    now = Clock::now();
    for (auto& p : pending_) {
      if (p.fd && p.expires <= now) {
        refuse(
            p,
            "its handshake stalled; dropped after " +
                seconds_text(handshake_seconds()));
      }
    }
    pending_.erase(
        std::remove_if(
            pending_.begin(),
            pending_.end(),
            [&](const Pending& p) { return !p.fd; }),
        pending_.end());
    for (size_t i = 0; i < listening_.size(); ++i) {
      if (fds[1 + i].revents) {
        accept_from(listening_[i].get(), now);
      }
    }
  }
}

double Listener::handshake_seconds() const {
  return std::min(kHandshakeSeconds, config_.timeout_s);
}

void Listener::accept_from(int listening_fd, Clock::time_point now) {
  while (true) {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    int fd = ::accept4(
        listening_fd,
        reinterpret_cast<sockaddr*>(&addr),
        &len,
        SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      return; // EAGAIN, or a connection that died before accept
    }
    if (pending_.size() >= kMaxPending) {
      refuse(
          pending_.front(),
          "dropped: more than " + std::to_string(kMaxPending) +
              " connections in their handshake");
      pending_.erase(pending_.begin());
    }
    tune_stream_socket(fd);
    Pending p;
    p.fd = Fd(fd);
    p.peer = peer_text(addr, len);
    p.expires = now + std::chrono::duration_cast<Clock::duration>(
                          std::chrono::duration<double>(handshake_seconds()));
    pending_.push_back(std::move(p));
  }
}

void Listener::read_step(Pending& p) {
  size_t wanted = p.awaiting_proof ? kProofBytes : Hello::kBytes;
  ssize_t n = ::recv(
      p.fd.get(), p.input + p.received, wanted - p.received, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
    return;
  }
  if (n <= 0) {
    refuse(
        p,
        p.awaiting_proof ? "closed the connection instead of proving it knows "
                           "the job's secret"
                         : "closed the connection during the handshake",
        /*peer_gave_up=*/true);
    return;
  }
  p.received += static_cast<size_t>(n);
  // Something else (an HTTP probe, an older MLX) is refused as soon as its
  // first bytes show it, not after the handshake timeout.
  if (!p.awaiting_proof && p.received >= kPrefixBytes &&
      !has_our_prefix(p.input)) {
    refuse(
        p,
        "not an MLX ring handshake (another program, or another MLX "
        "version)");
    return;
  }
  if (p.received < wanted) {
    return;
  }
  p.received = 0;
  bool done = p.awaiting_proof ? on_proof(p) : on_hello(p);
  if (done) {
    file_ready(p);
  }
}

bool Listener::on_hello(Pending& p) {
  Hello& hello = p.client;
  if (!hello.decode(p.input)) {
    refuse(
        p,
        "not an MLX ring handshake (another program, or another MLX "
        "version)");
    return false;
  }
  uint32_t size = static_cast<uint32_t>(config_.size());
  if (hello.job_hash != config_.job_hash) {
    refuse(p, "a handshake from another job (its hostfile differs)");
    return false;
  }
  if (hello.world_size != size ||
      hello.to_rank != static_cast<uint32_t>(config_.rank) ||
      hello.from_rank >= size || hello.from_rank == hello.to_rank) {
    refuse(
        p,
        "a handshake from " + rank_text(hello.from_rank) + " to " +
            rank_text(hello.to_rank) + " of " +
            std::to_string(hello.world_size) + " ranks, but this is rank " +
            std::to_string(config_.rank) + " of " + std::to_string(size));
    return false;
  }
  std::memcpy(p.hello, p.input, Hello::kBytes);
  Hello reply = hello;
  reply.from_rank = hello.to_rank;
  reply.to_rank = hello.from_rank;
  reply.authenticated = !config_.secret.empty();
  fill_random(reply.nonce.data(), reply.nonce.size());
  reply.encode(p.reply);
  std::string error;
  // The socket's send buffer is empty, so this does not wait. The reply
  // goes out even when the modes differ below: it tells a real rank which
  // side lacks the secret.
  if (!send_exact(
          p.fd.get(), p.reply, Hello::kBytes, Deadline::after(1), error)) {
    refuse(p, "the reply to its handshake failed: " + error);
    return false;
  }
  if (hello.authenticated != reply.authenticated) {
    refuse(
        p,
        hello.authenticated
            ? "it has a secret but this rank has none (MLX_RING_SECRET is "
              "not set here)"
            : "no proof of the job's secret (MLX_RING_SECRET is not set "
              "there)");
    return false;
  }
  if (!reply.authenticated) {
    return true;
  }
  p.awaiting_proof = true;
  return false;
}

bool Listener::on_proof(Pending& p) {
  Digest expected = proof(config_.secret, kConnectorLabel, p.hello, p.reply);
  Digest got;
  std::memcpy(got.data(), p.input, got.size());
  if (!digests_equal(got, expected)) {
    refuse(
        p,
        "wrong proof of the job's secret (claiming to be " +
            rank_text(p.client.from_rank) +
            "; MLX_RING_SECRET differs, or it is not of this job)");
    return false;
  }
  Digest mine = proof(config_.secret, kListenerLabel, p.hello, p.reply);
  std::string error;
  // Only the 80-byte reply may still be in the send buffer: no wait.
  if (!send_exact(
          p.fd.get(), mine.data(), mine.size(), Deadline::after(1), error)) {
    refuse(p, "sending the proof failed: " + error);
    return false;
  }
  return true;
}

void Listener::file_ready(Pending& p) {
  {
    std::lock_guard lock(mutex_);
    auto key = std::make_tuple(
        p.client.group_id,
        static_cast<int>(p.client.from_rank),
        p.client.channel);
    // A newer connection for the same slot replaces one from an attempt the
    // connecting side gave up on.
    ready_[key] = std::move(p.fd);
  }
  ready_cv_.notify_all();
}

void Listener::refuse(Pending& p, const std::string& why, bool peer_gave_up) {
  // Logged before the connection closes: a peer that sees the close may
  // rely on the line being there.
  Fd fd = std::move(p.fd);
  std::string what = "from " + p.peer + ": " + why;
  {
    // A peer giving up is often the end of a refused attempt: the reason
    // given before says more.
    std::lock_guard lock(mutex_);
    if (!peer_gave_up || last_refusal_.empty()) {
      last_refusal_ = what;
    }
  }
  auto now = Clock::now();
  double elapsed = std::chrono::duration<double>(now - log_tokens_at_).count();
  log_tokens_ =
      std::min(kRefusalLogBurst, log_tokens_ + elapsed * kRefusalLogsPerSecond);
  log_tokens_at_ = now;
  if (log_tokens_ < 1) {
    ++unlogged_refusals_;
    return;
  }
  log_tokens_ -= 1;
  std::string line = "[ring] rank " + std::to_string(config_.rank) +
                     " refused a connection " + what;
  if (unlogged_refusals_ > 0) {
    line += " (and " + std::to_string(unlogged_refusals_) +
            " more since the last report)";
  }
  log_line(line);
  unlogged_refusals_ = 0;
}

std::string Listener::last_refusal() {
  std::lock_guard lock(mutex_);
  return last_refusal_;
}

bool handshake_as_connector(
    int fd,
    const Config& config,
    int to,
    uint64_t group_id,
    uint32_t channel,
    const Deadline& deadline,
    std::string& error) {
  Hello hello;
  hello.job_hash = config.job_hash;
  hello.group_id = group_id;
  hello.world_size = static_cast<uint32_t>(config.size());
  hello.from_rank = static_cast<uint32_t>(config.rank);
  hello.to_rank = static_cast<uint32_t>(to);
  hello.channel = channel;
  hello.authenticated = !config.secret.empty();
  fill_random(hello.nonce.data(), hello.nonce.size());
  unsigned char mine[Hello::kBytes];
  hello.encode(mine);
  unsigned char theirs[Hello::kBytes];
  Hello reply;
  if (!send_exact(fd, mine, sizeof(mine), deadline, error) ||
      !recv_exact(fd, theirs, sizeof(theirs), deadline, error)) {
    error = "handshake failed: " + error +
            " (is that rank using the same hostfile?)";
    return false;
  }
  std::string who = rank_text(hello.to_rank);
  if (!reply.decode(theirs) || reply.job_hash != hello.job_hash ||
      reply.group_id != hello.group_id || reply.channel != hello.channel ||
      reply.from_rank != hello.to_rank || reply.to_rank != hello.from_rank) {
    error = "the listener there is not " + who + " of this job";
    return false;
  }
  if (reply.authenticated != hello.authenticated) {
    error =
        hello.authenticated
            ? who + " has no secret (MLX_RING_SECRET) but this rank has one"
            : who +
                  " requires a secret (MLX_RING_SECRET) and this rank has none";
    return false;
  }
  if (!hello.authenticated) {
    return true;
  }
  Digest my_proof = proof(config.secret, kConnectorLabel, mine, theirs);
  Digest their_proof;
  if (!send_exact(fd, my_proof.data(), my_proof.size(), deadline, error) ||
      !recv_exact(
          fd, their_proof.data(), their_proof.size(), deadline, error)) {
    error = who + " did not accept this rank's proof (" + error +
            "): MLX_RING_SECRET differs between the ranks";
    return false;
  }
  if (!digests_equal(
          their_proof, proof(config.secret, kListenerLabel, mine, theirs))) {
    error = "the listener there failed to prove it knows MLX_RING_SECRET "
            "(not " +
            who + " of this job)";
    return false;
  }
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
  // Retry backoff: short at first (the peer is usually just starting), capped
  // so that a late peer is found within a tenth of a second.
  auto backoff = std::chrono::milliseconds(1);
  constexpr auto kMaxBackoff = std::chrono::milliseconds(100);
  double handshake_s = std::min(kHandshakeSeconds, config.timeout_s);
  std::string error = "no attempt made";
  std::string attempt_error;
  while (true) {
    Fd fd = try_connect(address, deadline, attempt_error);
    if (fd) {
      // A peer that stalls costs one handshake time, then the next attempt
      // starts (with a fresh nonce).
      Deadline attempt = Deadline::after(handshake_s);
      if (handshake_as_connector(
              fd.get(),
              config,
              to,
              group_id,
              channel,
              attempt.at() < deadline.at() ? attempt : deadline,
              attempt_error)) {
        return fd;
      }
    }
    // An attempt cut short by the job's deadline says less than the one
    // before it (say, the peer refusing this rank's proof).
    if (!deadline.expired() || error == "no attempt made") {
      error = attempt_error;
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
