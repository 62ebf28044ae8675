// POSIX socket helpers for the ring backend.
#include "socket.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace mlx::core::distributed::ring {

namespace {

struct AddrInfoDeleter {
  void operator()(addrinfo* info) const { freeaddrinfo(info); }
};
using AddrInfoPtr = std::unique_ptr<addrinfo, AddrInfoDeleter>;

// Resolves host:port to TCP addresses; empty with `error` set on failure.
AddrInfoPtr resolve(const Address& address, bool passive, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  addrinfo* result = nullptr;
  std::string port = std::to_string(address.port);
  int rc = getaddrinfo(address.host.c_str(), port.c_str(), &hints, &result);
  if (rc != 0) {
    error = std::string("cannot resolve host: ") + gai_strerror(rc);
    return nullptr;
  }
  return AddrInfoPtr(result);
}

} // namespace

void Fd::reset(int fd) {
  if (fd_ >= 0) {
    ::close(fd_);
  }
  fd_ = fd;
}

Deadline Deadline::after(double seconds) {
  Deadline d;
  d.at_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(seconds));
  return d;
}

int Deadline::poll_ms() const {
  auto left = at_ - Clock::now();
  if (left <= Clock::duration::zero()) {
    return 0;
  }
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

std::string errno_text(int err) {
  return std::strerror(err);
}

std::string seconds_text(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g s", seconds);
  return buf;
}

Fd listen_on(const Address& address, int rank) {
  auto fail = [&](const std::string& what) -> Fd {
    throw std::runtime_error(
        "[ring] init: rank " + std::to_string(rank) + " cannot listen on " +
        address.text + ": " + what);
  };
  std::string error;
  AddrInfoPtr info = resolve(address, true, error);
  if (!info) {
    return fail(error);
  }
  for (addrinfo* ai = info.get(); ai; ai = ai->ai_next) {
    Fd fd(::socket(
        ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
      error = errno_text(errno);
      continue;
    }
    int one = 1;
    setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0 ||
        ::listen(fd.get(), SOMAXCONN) != 0) {
      error = errno_text(errno);
      continue;
    }
    return fd;
  }
  return fail(error);
}

Fd try_connect(
    const Address& address, const Deadline& deadline, std::string& error) {
  AddrInfoPtr info = resolve(address, false, error);
  if (!info) {
    return Fd();
  }
  for (addrinfo* ai = info.get(); ai; ai = ai->ai_next) {
    Fd fd(::socket(
        ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
      error = errno_text(errno);
      continue;
    }
    tune_stream_socket(fd.get());
    if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) == 0) {
      return fd;
    }
    if (errno != EINPROGRESS) {
      error = errno_text(errno);
      continue;
    }
    pollfd p{fd.get(), POLLOUT, 0};
    int rc;
    do {
      rc = ::poll(&p, 1, deadline.poll_ms());
    } while (rc < 0 && errno == EINTR);
    if (rc == 0) {
      error = "connection attempt timed out";
      continue;
    }
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (rc < 0 || err != 0) {
      error = errno_text(rc < 0 ? errno : err);
      continue;
    }
    return fd;
  }
  return Fd();
}

void tune_stream_socket(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  // No SO_SNDBUF/SO_RCVBUF: setting them turns off Linux's buffer
  // autotuning, which grows each socket's buffers up to net.ipv4.tcp_wmem /
  // tcp_rmem's maximum as the connection needs; fixed 4 MiB buffers measured
  // no faster on loopback and cap throughput on long-latency links.
}

namespace {

// Waits for `events` on fd; false with `error` set on timeout.
bool wait_for(
    int fd, short events, const Deadline& deadline, std::string& error) {
  pollfd p{fd, events, 0};
  while (true) {
    int rc = ::poll(&p, 1, deadline.poll_ms());
    if (rc > 0) {
      return true;
    }
    if (rc == 0) {
      error = "timed out";
      return false;
    }
    if (errno != EINTR) {
      error = errno_text(errno);
      return false;
    }
  }
}

} // namespace

bool send_exact(
    int fd,
    const void* data,
    size_t bytes,
    const Deadline& deadline,
    std::string& error) {
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    ssize_t n = ::send(fd, p, bytes, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      p += n;
      bytes -= static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_for(fd, POLLOUT, deadline, error)) {
        return false;
      }
    } else if (n < 0 && errno != EINTR) {
      error = errno_text(errno);
      return false;
    }
  }
  return true;
}

bool recv_exact(
    int fd,
    void* data,
    size_t bytes,
    const Deadline& deadline,
    std::string& error) {
  char* p = static_cast<char*>(data);
  while (bytes > 0) {
    ssize_t n = ::recv(fd, p, bytes, MSG_DONTWAIT);
    if (n > 0) {
      p += n;
      bytes -= static_cast<size_t>(n);
    } else if (n == 0) {
      error = "connection closed";
      return false;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!wait_for(fd, POLLIN, deadline, error)) {
        return false;
      }
    } else if (errno != EINTR) {
      error = errno_text(errno);
      return false;
    }
  }
  return true;
}

} // namespace mlx::core::distributed::ring
