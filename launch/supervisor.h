// Runs the ranks of a ring job as child processes and watches them: relays
// their output line by line with a rank prefix, forwards SIGINT/SIGTERM/SIGHUP
// to them, and stops every rank as soon as one fails. Waits on events only
// (poll over the output pipes and a signalfd), never by polling in a loop.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mlx::launch {

/** How long stopped ranks get to exit after SIGTERM (or a forwarded signal)
 * before SIGKILL: enough to flush output and close sockets, short enough
 * that a failed job ends promptly. */
inline constexpr std::chrono::milliseconds kStopGracePeriod{3000};

/** One rank's process. */
struct ProcessSpec {
  /** argv[0] is looked up on PATH when it has no '/'. */
  std::vector<std::string> argv;
  /** Variables set on top of the launcher's environment. */
  std::vector<std::pair<std::string, std::string>> env;
  /** Working directory; empty keeps the launcher's. */
  std::string cwd;
  /** Give the process a pipe as stdin that the launcher holds open while
   * the rank runs (an ssh rank's remote side stops the program when that
   * pipe closes); otherwise stdin is /dev/null. */
  bool stdin_pipe = false;
  /** Written into that pipe as soon as the process starts (at most
   * PIPE_BUF bytes, so that the write neither blocks nor splits): how a
   * remote rank gets its secret without it appearing on a command line. */
  std::string stdin_data;
  /** Let the process write to the launcher's stdout/stderr directly, not
   * through prefixed pipes (mpirun, which relays its ranks itself). */
  bool inherit_output = false;
  /** What messages call it; empty: "rank R". */
  std::string name;
};

/** How a supervised job ended. */
struct JobOutcome {
  /** 0 when every rank exited with 0, else the first failing rank's code
   * (128+N for signal N), or 128+N when the launcher itself got signal N
   * first, or 1 when a rank could not be started. */
  int exit_code = 0;
  /** The first rank that failed on its own (not stopped by the launcher). */
  std::optional<int> failed_rank;
  /** Which and how: "rank 1 exited with code 3", "rank 0 was killed by
   * signal 9 (Killed)". */
  std::string failure;
};

/** Starts processes[r] as rank r (each in its own process group), relays
 * its stdout/stderr to the launcher's with a "[r] " prefix, stops every
 * rank when one fails, and returns once all have exited. */
JobOutcome supervise_ranks(
    const std::vector<ProcessSpec>& processes,
    std::chrono::milliseconds grace = kStopGracePeriod);

} // namespace mlx::launch
