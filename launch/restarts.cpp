#include "restarts.h"

#include <unistd.h>

#include <string>

#include "line_relay.h"

namespace mlx::launch {

namespace {

void say(const std::string& message) {
  write_fully(STDERR_FILENO, "mlx.launch: " + message + "\n");
}

} // namespace

int run_with_restarts(
    int max_restarts, const std::function<JobOutcome(int restart)>& start_job) {
  for (int restart = 0;; ++restart) {
    JobOutcome outcome = start_job(restart);
    if (outcome.exit_code == 0 || !outcome.failed_rank) {
      return outcome.exit_code;
    }
    if (restart == max_restarts) {
      if (max_restarts > 0) {
        say(outcome.failure + "; no restarts left (--max-restarts " +
            std::to_string(max_restarts) + "), giving up with exit code " +
            std::to_string(outcome.exit_code));
      }
      return outcome.exit_code;
    }
    say("restarting all ranks with " + std::string(kRestartCountVariable) +
        "=" + std::to_string(restart + 1) + " (restart " +
        std::to_string(restart + 1) + " of " + std::to_string(max_restarts) +
        ") after " + outcome.failure);
  }
}

LaunchOptions with_restart_count(const LaunchOptions& options, int restart) {
  LaunchOptions copy = options;
  copy.env.emplace_back(kRestartCountVariable, std::to_string(restart));
  return copy;
}

} // namespace mlx::launch
