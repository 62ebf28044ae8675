// Starting one rank: fork + exec with its output on pipes, in a process group
// of its own (so that signals reach the programs it starts too, and a
// terminal's Ctrl-C reaches only the launcher, which forwards it).
#pragma once

#include <signal.h>
#include <sys/types.h>

#include "supervisor.h"

namespace mlx::launch {

/** The launcher's ends of a started process's pipes (-1 where there is
 * none), all non-blocking and close-on-exec. */
struct StartedProcess {
  pid_t pid = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  int stdin_fd = -1;
};

/** Forks and execs `spec`. The child gets `child_signal_mask` as its signal
 * mask and default SIGINT/SIGTERM/SIGPIPE actions, whatever the launcher's
 * are. When exec fails the child prints why on its stderr and exits with
 * 127. Throws std::runtime_error when the pipes or the fork fail. */
StartedProcess
start_process(const ProcessSpec& spec, const sigset_t& child_signal_mask);

} // namespace mlx::launch
