// Thin POSIX socket helpers for the ring backend: an owning file descriptor,
// deadlines, listening and connecting with nonblocking sockets, and exact
// reads/writes of small messages bounded by a deadline.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "config.h"

namespace mlx::core::distributed::ring {

/** Owns a file descriptor; closes it on destruction. */
class Fd {
public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset(other.release());
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

private:
  int fd_ = -1;
};

using Clock = std::chrono::steady_clock;

/** A point in time after which a blocking step gives up. */
class Deadline {
public:
  static Deadline after(double seconds);
  bool expired() const { return Clock::now() >= at_; }
  /** Milliseconds left, rounded up, for poll(): 0 when expired. */
  int poll_ms() const;
  Clock::time_point at() const { return at_; }

private:
  Clock::time_point at_;
};

/** strerror(err) as a string. */
std::string errno_text(int err);

/** "12.5 s" style text for messages. */
std::string seconds_text(double seconds);

/** A nonblocking socket listening on `address` (SO_REUSEADDR so that a
 * restarted job can reuse its ports at once). Throws std::runtime_error. */
Fd listen_on(const Address& address, int rank);

/** One nonblocking connect attempt; on failure returns an empty Fd and sets
 * `error` (the caller retries with backoff until its deadline). */
Fd try_connect(
    const Address& address, const Deadline& deadline, std::string& error);

/** TCP_NODELAY, so that small messages and the last piece of a chunk leave
 * at once. */
void tune_stream_socket(int fd);

/** Writes / reads exactly `bytes` on a nonblocking socket, waiting with
 * poll() until `deadline`. False with `error` set on EOF, error or timeout. */
bool send_exact(
    int fd,
    const void* data,
    size_t bytes,
    const Deadline& deadline,
    std::string& error);
bool recv_exact(
    int fd,
    void* data,
    size_t bytes,
    const Deadline& deadline,
    std::string& error);

} // namespace mlx::core::distributed::ring
