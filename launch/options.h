// The command line of mlx.launch: what a user asked for, checked but not yet
// resolved against hosts or the machine.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace mlx::launch {

enum class Backend { Ring, Mpi };

/** First port of the ring when --starting-port is not given (MLX's
 * launcher uses the same default). */
inline constexpr int kDefaultStartingPort = 32323;

/** A bad command line or input file; main prints it and exits with
 * kUsageExitCode. */
class UsageError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/** Exit code for bad arguments and malformed hostfiles (as getopt-style
 * tools and Python's argparse do). */
inline constexpr int kUsageExitCode = 2;

struct LaunchOptions {
  /** -n; unset means one rank per host (one rank without hosts). */
  std::optional<int> num_ranks;
  /** --hosts h1,h2 (names or ips). */
  std::vector<std::string> hosts;
  /** --hostfile F (MLX's JSON host list). */
  std::string hostfile;
  Backend backend = Backend::Ring;
  /** --env K=V, in the order given. */
  std::vector<std::pair<std::string, std::string>> env;
  /** --mpi-arg values, passed to mpirun as they are. */
  std::vector<std::string> mpi_args;
  int starting_port = kDefaultStartingPort;
  int connections_per_ip = 1;
  /** --max-restarts K: restart every rank up to K times when one fails. */
  int max_restarts = 0;
  /** --cwd D; empty: local ranks keep the launcher's directory, remote ones
   * use the launcher's directory path. */
  std::string cwd;
  bool verbose = false;
  /** Print the hostfile and commands without running anything. */
  bool dry_run = false;
  bool help = false;
  /** The program and its arguments. */
  std::vector<std::string> program;
};

/** Parses the arguments after argv[0]; throws UsageError. */
LaunchOptions parse_options(const std::vector<std::string>& args);

/** The --help text. */
std::string usage_text();

} // namespace mlx::launch
