// Runs a ring job inside a test: forks one process per rank, each joins a
// ring over loopback (a temporary hostfile with free ports) and runs a
// body; the body's report string comes back to the test through a pipe.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "mlx/distributed/ring/group.h"

namespace ring_test {

namespace ring = mlx::core::distributed::ring;
using GroupImpl = mlx::core::distributed::detail::GroupImpl;

struct Job {
  int ranks = 2;
  /** Addresses (ports) listed per rank; also the sockets per link. */
  int addresses_per_rank = 1;
  /** MLX_RING_CONNECTIONS; 0: one per address. */
  int connections = 0;
  double timeout_s = 10;
  /** Host part of rank r's addresses: hosts[r % size], "127.0.0.1" when
   * empty ("[::1]" and names such as "localhost" work too). */
  std::vector<std::string> hosts;
  /** Every rank's MLX_RING_SECRET; empty: unauthenticated. */
  std::string secret;
  /** Runs in each rank before it joins the ring; it may change the
   * rank's configuration. */
  std::function<void(int rank, ring::Config&)> before_init;
  /** Descriptors the test process closes once the ranks are forked (write
   * ends of pipes that only the ranks should hold). */
  std::vector<int> close_after_fork;
};

using Body = std::function<std::string(GroupImpl& world, int rank)>;

/** A port on 127.0.0.1 nothing listens on, from a range outside Linux's
 * ephemeral ports (32768+), starting at a per-process offset so that tests
 * run in parallel by ctest rarely probe the same ports. */
inline int free_port() {
  static int next = 20000 + (getpid() * 37) % 10000;
  while (true) {
    int port = next++;
    if (next >= 30000) {
      next = 20000;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    close(fd);
    if (ok) {
      return port;
    }
  }
}

/** Writes a hostfile for `job` and returns its path. */
inline std::string write_hostfile(const Job& job) {
  std::string text = "[";
  for (int r = 0; r < job.ranks; ++r) {
    text += r ? ",\n [" : "[";
    std::string host =
        job.hosts.empty() ? "127.0.0.1" : job.hosts[r % job.hosts.size()];
    for (int a = 0; a < job.addresses_per_rank; ++a) {
      text += std::string(a ? ", " : "") + "\"" + host + ":" +
              std::to_string(free_port()) + "\"";
    }
    text += "]";
  }
  text += "]\n";
  char name[] = "/tmp/ring_test_hosts_XXXXXX";
  int fd = mkstemp(name);
  if (fd < 0 || write(fd, text.data(), text.size()) != ssize_t(text.size())) {
    throw std::runtime_error("cannot write a hostfile");
  }
  close(fd);
  return name;
}

/** Every rank's report, in rank order. A rank whose body threw reports
 * "exception: <what>"; one that died reports "died"; one still running
 * after `limit_s` is killed and reports "killed". */
inline std::vector<std::string>
run(const Job& job, const Body& body, double limit_s = 60) {
  std::string hostfile = write_hostfile(job);
  std::vector<pid_t> pids;
  std::vector<int> pipes;
  std::fflush(nullptr);
  for (int r = 0; r < job.ranks; ++r) {
    int fds[2];
    if (pipe(fds) != 0) {
      throw std::runtime_error("pipe failed");
    }
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      for (int p : pipes) {
        close(p);
      }
      std::string report;
      try {
        auto config =
            ring::make_config(hostfile, r, job.connections, job.timeout_s);
        config.secret = job.secret;
        if (job.before_init) {
          job.before_init(r, config);
        }
        auto group = ring::init_from_config(config);
        report = body(*group, r);
      } catch (const std::exception& e) {
        report = std::string("exception: ") + e.what();
      }
      (void)!write(fds[1], report.data(), report.size());
      _exit(0); // skips atexit handlers and gtest's state in the child
    }
    close(fds[1]);
    pids.push_back(pid);
    pipes.push_back(fds[0]);
  }
  for (int fd : job.close_after_fork) {
    close(fd);
  }
  // Collect the reports as they come; a report is complete at EOF.
  std::vector<std::string> reports(job.ranks);
  std::vector<bool> open(job.ranks, true);
  auto deadline =
      std::chrono::steady_clock::now() +
      std::chrono::milliseconds(static_cast<int64_t>(limit_s * 1000));
  int left = job.ranks;
  while (left > 0) {
    std::vector<pollfd> fds;
    std::vector<int> who;
    for (int r = 0; r < job.ranks; ++r) {
      if (open[r]) {
        fds.push_back({pipes[r], POLLIN, 0});
        who.push_back(r);
      }
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  deadline - std::chrono::steady_clock::now())
                  .count();
    if (ms <= 0 || poll(fds.data(), fds.size(), static_cast<int>(ms)) == 0) {
      for (int r : who) {
        kill(pids[r], SIGKILL);
        reports[r] = "killed";
        open[r] = false;
      }
      break;
    }
    for (size_t i = 0; i < fds.size(); ++i) {
      if (!fds[i].revents) {
        continue;
      }
      char buf[4096];
      ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        reports[who[i]].append(buf, n);
      } else {
        open[who[i]] = false;
        --left;
      }
    }
  }
  for (int r = 0; r < job.ranks; ++r) {
    int status = 0;
    waitpid(pids[r], &status, 0);
    close(pipes[r]);
    if (reports[r].empty() &&
        !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
      reports[r] = "died";
    }
  }
  std::remove(hostfile.c_str());
  return reports;
}

// A raw connection to `address` (a stranger to the ring's handshake),
// retrying briefly while its rank is still starting.
inline ring::Fd connect_raw(const ring::Address& address) {
  auto deadline = ring::Deadline::after(10);
  std::string error;
  while (!deadline.expired()) {
    ring::Fd fd = ring::try_connect(address, deadline, error);
    if (fd) {
      return fd;
    }
    usleep(2000); // backoff between connection attempts, as ranks do
  }
  throw std::runtime_error("could not connect: " + error);
}

} // namespace ring_test
