// Connection setup between ranks. Every rank listens on its hostfile
// addresses; a background thread accepts connections, checks the handshake
// (magic, job hash, rank count, ranks and, when the job has a secret, a
// challenge-response proof that the peer knows it) and files each good
// connection under (group, sender rank, channel) until the group that needs
// it takes it. Anything else (a port scanner, another job, a stale rank, a
// client without the secret) is refused, logged on stderr with the peer's
// address, and closed without disturbing the job.
//
// The handshake, on every connection (C connects, L listens):
//   C -> L  Hello{ranks, group, channel, authenticated, nonce_C}
//   L -> C  Hello{the same with ranks swapped, authenticated, nonce_L}
// and when both have a secret (both must, or neither):
//   C -> L  HMAC-SHA256(secret, "connector" label | hello_C | hello_L)
//   L -> C  HMAC-SHA256(secret, "listener" label | hello_C | hello_L)
// Each side checks the other's proof; the fresh nonces make every proof
// single-use, the labels keep one side's proof from serving as the other's,
// and the secret itself never crosses the wire. L sends its proof only to a
// client that proved first. This authenticates connections; it does not
// encrypt or sign the data that follows.
#pragma once

#include <array>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>
#include <tuple>
#include <vector>

#include "config.h"
#include "hmac.h"
#include "socket.h"

namespace mlx::core::distributed::ring {

/** The first message on every connection, sent by both ends. */
struct Hello {
  uint64_t job_hash = 0;
  uint64_t group_id = 0;
  uint32_t world_size = 0;
  uint32_t from_rank = 0; // world rank of the sender
  uint32_t to_rank = 0;   // world rank of the receiver
  uint32_t channel = 0;   // which socket of the link
  /** The sender has a secret and will prove it knows it. */
  bool authenticated = false;
  /** Random bytes, fresh for every connection attempt. */
  std::array<uint8_t, 32> nonce{};

  /** Fixed wire size: magic, version, then the fields above (the flag as a
   * 32-bit word). */
  static constexpr size_t kBytes = 80;
  void encode(unsigned char* out) const;
  /** False when the magic or version does not match. */
  bool decode(const unsigned char* in);
};

/** Bytes of a handshake proof (an HMAC-SHA256). */
inline constexpr size_t kProofBytes = std::tuple_size_v<Digest>;

/** The longest a handshake may take once connected: a real peer sends each
 * message as soon as it has the previous one (microseconds on a LAN); 10 s
 * leaves room for a loaded machine. Capped by MLX_DIST_TIMEOUT. */
inline constexpr double kHandshakeSeconds = 10;

/** Accepts connections on a rank's listening sockets from a background
 * thread (it waits on poll(), never spins). */
class Listener {
public:
  /** Listens on every address of `config.rank` (that address only, not
   * every interface); throws std::runtime_error when an address cannot be
   * bound. */
  explicit Listener(const Config& config);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  /** Waits until world rank `from` has connected for (group, channel), and
   * returns that connection. Empty Fd when the deadline passes. */
  Fd take(
      uint64_t group_id, int from, uint32_t channel, const Deadline& deadline);

  /** "from ip:port: reason" for the last refused connection; empty when
   * none was refused. For error messages after a timeout. */
  std::string last_refusal();

private:
  /** A connection in its handshake. */
  struct Pending {
    Fd fd;
    std::string peer; // "ip:port", for messages
    bool awaiting_proof = false;
    unsigned char input[Hello::kBytes]; // the message being read
    size_t received = 0;
    unsigned char hello[Hello::kBytes]; // the client's Hello, as sent
    unsigned char reply[Hello::kBytes]; // ours, as sent
    Hello client;
    Clock::time_point expires;
  };

  void run();
  double handshake_seconds() const;
  void accept_from(int listening_fd, Clock::time_point now);
  void read_step(Pending& pending);
  bool on_hello(Pending& pending);
  bool on_proof(Pending& pending);
  void file_ready(Pending& pending);
  /** Closes a refused connection and logs it on stderr, rate-limited (a
   * flood of strangers is counted, not printed line by line). */
  void
  refuse(Pending& pending, const std::string& why, bool peer_gave_up = false);

  const Config config_;
  std::vector<Fd> listening_;
  Fd wakeup_; // eventfd: tells the thread to stop
  std::vector<Pending> pending_;
  double log_tokens_ = 0; // see refuse()
  Clock::time_point log_tokens_at_{};
  size_t unlogged_refusals_ = 0;

  std::mutex mutex_;
  std::condition_variable ready_cv_;
  std::map<std::tuple<uint64_t, int, uint32_t>, Fd> ready_;
  std::string last_refusal_;
  std::thread thread_;
};

/** One handshake as the connecting side (world rank `config.rank` to `to`)
 * on a connected socket `fd`. False with `error` set when the peer is not
 * rank `to` of this job, one side has a secret and the other not, either
 * side's proof fails, or `deadline` passes. */
bool handshake_as_connector(
    int fd,
    const Config& config,
    int to,
    uint64_t group_id,
    uint32_t channel,
    const Deadline& deadline,
    std::string& error);

/** Connects to world rank `to` for (group, channel), retrying with a short
 * backoff until `deadline`; both ends exchange and check a Hello and, with
 * a secret, proofs (see above). Throws std::runtime_error naming `op`, the
 * rank, its address and the last error. */
Fd connect_to_rank(
    const Config& config,
    int to,
    uint64_t group_id,
    uint32_t channel,
    const Deadline& deadline,
    const char* op);

} // namespace mlx::core::distributed::ring
