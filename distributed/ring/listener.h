// Connection setup between ranks. Every rank listens on its hostfile
// addresses; a background thread accepts connections, checks the handshake
// (magic, job hash, rank count, ranks) and files each good connection under
// (group, sender rank, channel) until the group that needs it takes it.
// Anything else (a port scanner, another job, a stale rank) is closed
// without disturbing the job.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>
#include <tuple>
#include <vector>

#include "config.h"
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

  /** Fixed wire size: magic, version, then the fields above. */
  static constexpr size_t kBytes = 44;
  void encode(unsigned char* out) const;
  /** False when the magic or version does not match. */
  bool decode(const unsigned char* in);
};

/** Accepts connections on a rank's listening sockets from a background
 * thread (it waits on poll(), never spins). */
class Listener {
public:
  /** Listens on every address of `config.rank`; throws std::runtime_error
   * when an address cannot be bound. */
  explicit Listener(const Config& config);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  /** Waits until world rank `from` has connected for (group, channel), and
   * returns that connection. Empty Fd when the deadline passes. */
  Fd take(
      uint64_t group_id, int from, uint32_t channel, const Deadline& deadline);

private:
  struct Pending {
    Fd fd;
    unsigned char hello[Hello::kBytes];
    size_t received = 0;
    Clock::time_point expires;
  };

  void run();
  void read_hello(Pending& pending);
  bool accept_hello(Pending& pending, const Hello& hello);

  const Config config_;
  std::vector<Fd> listening_;
  Fd wakeup_; // eventfd: tells the thread to stop
  std::vector<Pending> pending_;

  std::mutex mutex_;
  std::condition_variable ready_cv_;
  std::map<std::tuple<uint64_t, int, uint32_t>, Fd> ready_;
  std::thread thread_;
};

/** Connects to world rank `to` for (group, channel), retrying with a short
 * backoff until `deadline`; both ends exchange and check a Hello. Throws
 * std::runtime_error naming `op`, the rank and the last error. */
Fd connect_to_rank(
    const Config& config,
    int to,
    uint64_t group_id,
    uint32_t channel,
    const Deadline& deadline,
    const char* op);

} // namespace mlx::core::distributed::ring
