#include "supervisor.h"

#include <poll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>

#include "child_process.h"
#include "line_relay.h"

namespace mlx::launch {

namespace {

using Clock = std::chrono::steady_clock;

// Bytes read from a pipe per wake-up: large enough for bursts of output,
// small enough that one chatty rank does not starve the others.
constexpr size_t kReadChunk = 64 * 1024;

struct RankProcess {
  RankProcess(int rank, StartedProcess started, const std::string& spec_name)
      : rank(rank), pid(started.pid), stdout_fd(started.stdout_fd),
        stderr_fd(started.stderr_fd), stdin_fd(started.stdin_fd),
        out(STDOUT_FILENO, "[" + std::to_string(rank) + "] "),
        err(STDERR_FILENO, "[" + std::to_string(rank) + "] "),
        name(spec_name.empty() ? "rank " + std::to_string(rank) : spec_name) {}

  int rank;
  pid_t pid;
  bool running = true;
  int stdout_fd;
  int stderr_fd;
  int stdin_fd;
  LineRelay out;
  LineRelay err;
  std::string name;
};

void say(const std::string& message) {
  write_fully(STDERR_FILENO, "mlx.launch: " + message + "\n");
}

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    return "was killed by signal " + std::to_string(sig) + " (" +
           strsignal(sig) + ")";
  }
  return "exited with code " + std::to_string(WEXITSTATUS(status));
}

// Blocks the signals the launcher handles and delivers them through a
// signalfd; restores the mask and actions when done.
class SignalChannel {
public:
  SignalChannel() {
    sigemptyset(&handled_);
    for (int sig : {SIGCHLD, SIGINT, SIGTERM, SIGHUP}) {
      struct sigaction current {};
      sigaction(sig, nullptr, &current);
      // A launcher started under nohup leaves SIGHUP alone.
      if (sig == SIGHUP && current.sa_handler == SIG_IGN) {
        continue;
      }
      sigaddset(&handled_, sig);
    }
    sigprocmask(SIG_BLOCK, &handled_, &original_mask_);
    // Ignored SIGCHLD would reap children behind waitpid's back; SIGPIPE
    // would kill the launcher when its stdout reader goes away.
    old_sigchld_ = signal(SIGCHLD, SIG_DFL);
    old_sigpipe_ = signal(SIGPIPE, SIG_IGN);
    fd_ = signalfd(-1, &handled_, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd_ < 0) {
      int error = errno;
      restore();
      throw std::runtime_error(std::string("signalfd: ") + strerror(error));
    }
  }
  ~SignalChannel() {
    close(fd_);
    restore();
  }

  int fd() const { return fd_; }
  const sigset_t& original_mask() const { return original_mask_; }

  /** The next pending signal, if any. */
  std::optional<signalfd_siginfo> next() {
    signalfd_siginfo info;
    if (read(fd_, &info, sizeof(info)) != sizeof(info)) {
      return std::nullopt;
    }
    return info;
  }

private:
  void restore() {
    signal(SIGCHLD, old_sigchld_);
    signal(SIGPIPE, old_sigpipe_);
    sigprocmask(SIG_SETMASK, &original_mask_, nullptr);
  }

  sigset_t handled_;
  sigset_t original_mask_;
  sighandler_t old_sigchld_;
  sighandler_t old_sigpipe_;
  int fd_ = -1;
};

class Supervisor {
public:
  explicit Supervisor(std::chrono::milliseconds grace) : grace_(grace) {}

  JobOutcome run(const std::vector<ProcessSpec>& processes) {
    for (size_t r = 0; r < processes.size() && !stopping_; ++r) {
      try {
        ranks_.push_back(std::make_unique<RankProcess>(
            static_cast<int>(r),
            start_process(processes[r], signals_.original_mask()),
            processes[r].name));
      } catch (const std::exception& e) {
        say("cannot start rank " + std::to_string(r) + ": " + e.what());
        outcome_.exit_code = 1;
        stop_all(SIGTERM);
      }
    }
    while (any_running()) {
      wait_for_events();
    }
    return outcome_;
  }

private:
  bool any_running() const {
    for (const auto& rank : ranks_) {
      if (rank->running) {
        return true;
      }
    }
    return false;
  }

  void wait_for_events() {
    std::vector<pollfd> fds = {{signals_.fd(), POLLIN, 0}};
    std::vector<std::pair<RankProcess*, bool>> owners; // (rank, is_stdout)
    for (const auto& rank : ranks_) {
      if (rank->stdout_fd >= 0) {
        fds.push_back({rank->stdout_fd, POLLIN, 0});
        owners.emplace_back(rank.get(), true);
      }
      if (rank->stderr_fd >= 0) {
        fds.push_back({rank->stderr_fd, POLLIN, 0});
        owners.emplace_back(rank.get(), false);
      }
    }
    int ready = poll(fds.data(), fds.size(), poll_timeout_ms());
    if (ready < 0 && errno != EINTR) {
      throw std::runtime_error(std::string("poll: ") + strerror(errno));
    }
    for (size_t i = 1; ready > 0 && i < fds.size(); ++i) {
      if (fds[i].revents != 0) {
        auto [rank, is_stdout] = owners[i - 1];
        read_once(
            is_stdout ? rank->stdout_fd : rank->stderr_fd,
            is_stdout ? rank->out : rank->err);
      }
    }
    while (auto info = signals_.next()) {
      if (info->ssi_signo != SIGCHLD) {
        on_launcher_signal(static_cast<int>(info->ssi_signo));
      } else {
        // The child a SIGCHLD names exited first (a second SIGCHLD pending
        // with it is merged into it): reaped first, it is the one blamed
        // when others fail because it went away.
        reap_pid(static_cast<pid_t>(info->ssi_pid));
      }
    }
    // Reaping every rank after every wake-up covers the merged SIGCHLDs.
    for (const auto& rank : ranks_) {
      reap(*rank);
    }
    if (kill_deadline_ && Clock::now() >= *kill_deadline_) {
      kill_deadline_.reset();
      for (const auto& rank : ranks_) {
        if (rank->running) {
          say(rank->name + " did not stop within " +
              std::to_string(grace_.count()) + " ms; killing it");
        }
      }
      signal_running(SIGKILL);
    }
  }

  int poll_timeout_ms() const {
    if (!kill_deadline_) {
      return -1;
    }
    auto left = std::chrono::ceil<std::chrono::milliseconds>(
        *kill_deadline_ - Clock::now());
    return std::max<int>(0, static_cast<int>(left.count()));
  }

  // One read; returns whether it got data (false: none for now, or the pipe
  // ended, in which case the partial line is flushed and fd becomes -1).
  bool read_once(int& fd, LineRelay& relay) {
    char buffer[kReadChunk];
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n > 0) {
      relay.feed(std::string_view(buffer, static_cast<size_t>(n)));
      return true;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      return false;
    }
    relay.finish();
    close(fd);
    fd = -1;
    return false;
  }

  // After a rank exits: everything it wrote is in its pipes. A process it
  // left behind may keep them open, so stop at "no data now", not at EOF.
  void drain_and_close(int& fd, LineRelay& relay) {
    while (fd >= 0 && read_once(fd, relay)) {
    }
    if (fd >= 0) {
      relay.finish();
      close(fd);
      fd = -1;
    }
  }

  void reap_pid(pid_t pid) {
    for (const auto& rank : ranks_) {
      if (rank->pid == pid) {
        reap(*rank);
      }
    }
  }

  // Reaps `rank` if it has exited; the first failure stops the others.
  void reap(RankProcess& rank) {
    int status = 0;
    if (!rank.running || waitpid(rank.pid, &status, WNOHANG) <= 0) {
      return;
    }
    rank.running = false;
    drain_and_close(rank.stdout_fd, rank.out);
    drain_and_close(rank.stderr_fd, rank.err);
    if (rank.stdin_fd >= 0) {
      close(rank.stdin_fd);
      rank.stdin_fd = -1;
    }
    bool failed = WIFSIGNALED(status) || WEXITSTATUS(status) != 0;
    if (failed && !stopping_) {
      outcome_.exit_code =
          WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
      outcome_.failed_rank = rank.rank;
      outcome_.failure = rank.name + " " + describe_status(status);
      say(outcome_.failure +
          (ranks_.size() > 1 ? "; stopping the other ranks" : ""));
      stop_all(SIGTERM);
    }
  }

  void on_launcher_signal(int sig) {
    if (stopping_) {
      // A second Ctrl-C (or a signal while stopping) does not wait.
      kill_deadline_.reset();
      signal_running(SIGKILL);
      return;
    }
    outcome_.exit_code = 128 + sig;
    const char* name = sig == SIGINT    ? "SIGINT"
                       : sig == SIGTERM ? "SIGTERM"
                                        : "SIGHUP";
    say(std::string("got ") + name + "; passing it to the ranks");
    stop_all(sig);
  }

  void stop_all(int sig) {
    stopping_ = true;
    signal_running(sig);
    kill_deadline_ = Clock::now() + grace_;
  }

  // Signals each running rank's process group: a rank that is a shell
  // script stops with the programs it started.
  void signal_running(int sig) {
    for (const auto& rank : ranks_) {
      if (rank->running && kill(-rank->pid, sig) != 0) {
        kill(rank->pid, sig);
      }
    }
  }

  std::chrono::milliseconds grace_;
  SignalChannel signals_;
  std::vector<std::unique_ptr<RankProcess>> ranks_;
  bool stopping_ = false;
  JobOutcome outcome_;
  std::optional<Clock::time_point> kill_deadline_;
};

} // namespace

JobOutcome supervise_ranks(
    const std::vector<ProcessSpec>& processes,
    std::chrono::milliseconds grace) {
  Supervisor supervisor(grace);
  return supervisor.run(processes);
}

} // namespace mlx::launch
