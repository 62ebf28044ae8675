#include "child_process.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace mlx::launch {

namespace {

// Both ends close-on-exec: dup2 onto 0/1/2 in the child clears the flag
// there, and no other rank inherits them.
void make_pipe(int ends[2]) {
  if (pipe2(ends, O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  }
}

void close_fd(int& fd) {
  if (fd >= 0) {
    close(fd);
    fd = -1;
  }
}

// The launcher's environment with spec.env's variables replaced or added.
std::vector<std::string> child_environment(const ProcessSpec& spec) {
  std::vector<std::string> entries;
  for (char** it = environ; *it != nullptr; ++it) {
    std::string entry = *it;
    std::string name = entry.substr(0, entry.find('='));
    bool overridden = false;
    for (const auto& [key, value] : spec.env) {
      overridden = overridden || key == name;
    }
    if (!overridden) {
      entries.push_back(std::move(entry));
    }
  }
  for (const auto& [key, value] : spec.env) {
    entries.push_back(key + "=" + value);
  }
  return entries;
}

std::vector<char*> pointers_to(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) {
    pointers.push_back(s.data());
  }
  pointers.push_back(nullptr);
  return pointers;
}

// Runs in the child between fork and exec: only system calls and formatting
// into a stack buffer (the launcher is single-threaded, so this is safe).
[[noreturn]] void exec_child(
    const ProcessSpec& spec,
    char** argv,
    char** envp,
    int stdin_fd,
    int stdout_fd,
    int stderr_fd,
    const sigset_t& mask) {
  setpgid(0, 0);
  dup2(stdin_fd, STDIN_FILENO);
  dup2(stdout_fd, STDOUT_FILENO);
  dup2(stderr_fd, STDERR_FILENO);
  for (int sig : {SIGINT, SIGTERM, SIGPIPE, SIGCHLD}) {
    signal(sig, SIG_DFL);
  }
  sigprocmask(SIG_SETMASK, &mask, nullptr);
  char message[512];
  if (!spec.cwd.empty() && chdir(spec.cwd.c_str()) != 0) {
    int n = std::snprintf(
        message,
        sizeof(message),
        "mlx.launch: cannot change to directory '%s': %s\n",
        spec.cwd.c_str(),
        std::strerror(errno));
    ssize_t ignored = write(STDERR_FILENO, message, n);
    (void)ignored;
    _exit(127);
  }
  execvpe(argv[0], argv, envp);
  int n = std::snprintf(
      message,
      sizeof(message),
      "mlx.launch: cannot run '%s': %s\n",
      argv[0],
      std::strerror(errno));
  ssize_t ignored = write(STDERR_FILENO, message, n);
  (void)ignored;
  _exit(127);
}

} // namespace

StartedProcess
start_process(const ProcessSpec& spec, const sigset_t& child_signal_mask) {
  // Everything the child needs is prepared before the fork.
  std::vector<std::string> args = spec.argv;
  std::vector<std::string> env = child_environment(spec);
  std::vector<char*> argv = pointers_to(args);
  std::vector<char*> envp = pointers_to(env);

  if (spec.stdin_data.size() > PIPE_BUF) {
    throw std::invalid_argument(
        "stdin data of " + std::to_string(spec.stdin_data.size()) +
        " bytes is more than PIPE_BUF (" + std::to_string(PIPE_BUF) + ")");
  }
  int out[2] = {-1, -1}, err[2] = {-1, -1}, in[2] = {-1, -1};
  try {
    if (!spec.inherit_output) {
      make_pipe(out);
      make_pipe(err);
    }
    if (spec.stdin_pipe) {
      make_pipe(in);
    } else {
      in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (in[0] < 0) {
        throw std::runtime_error(
            std::string("/dev/null: ") + std::strerror(errno));
      }
    }
  } catch (...) {
    for (int* fd : {&out[0], &out[1], &err[0], &err[1], &in[0], &in[1]}) {
      close_fd(*fd);
    }
    throw;
  }

  pid_t pid = fork();
  if (pid == 0) {
    exec_child(
        spec,
        argv.data(),
        envp.data(),
        in[0],
        spec.inherit_output ? STDOUT_FILENO : out[1],
        spec.inherit_output ? STDERR_FILENO : err[1],
        child_signal_mask);
  }
  int fork_error = errno;
  close_fd(out[1]);
  close_fd(err[1]);
  close_fd(in[0]);
  if (pid < 0) {
    close_fd(out[0]);
    close_fd(err[0]);
    close_fd(in[1]);
    throw std::runtime_error(std::string("fork: ") + std::strerror(fork_error));
  }
  // Also set here, so the group exists before the launcher signals it.
  setpgid(pid, pid);
  if (in[1] >= 0 && !spec.stdin_data.empty()) {
    // The pipe is new and the data fits in PIPE_BUF: one write, no wait. A
    // child that already died gives EPIPE (SIGPIPE is ignored while ranks
    // are supervised); its exit status tells the rest.
    ssize_t ignored =
        write(in[1], spec.stdin_data.data(), spec.stdin_data.size());
    (void)ignored;
  }
  for (int fd : {out[0], err[0]}) {
    if (fd >= 0) {
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
  }
  return StartedProcess{pid, out[0], err[0], in[1]};
}

} // namespace mlx::launch
