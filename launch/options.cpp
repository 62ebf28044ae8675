#include "options.h"

#include <charconv>
#include <string_view>

#include "distributed/ring/config.h"
#include "node_list.h"
#include "restarts.h"

namespace mlx::launch {

namespace {

// Largest values accepted syntactically; ports are checked again once the
// number of ranks is known.
constexpr int kMaxRanks = 65535;
constexpr int kMaxPort = 65535;
// More restarts than this is a loop, not a job recovering from failures.
constexpr int kMaxRestarts = 1000;

int parse_int(std::string_view option, std::string_view text, int lo, int hi) {
  int value = 0;
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      value < lo || value > hi) {
    throw UsageError(
        std::string(option) + " expects an integer from " + std::to_string(lo) +
        " to " + std::to_string(hi) + ", got '" + std::string(text) + "'");
  }
  return value;
}

bool is_env_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) {
    return false;
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_';
    if (!ok) {
      return false;
    }
  }
  return true;
}

std::pair<std::string, std::string> parse_env(std::string_view text) {
  auto eq = text.find('=');
  if (eq == std::string_view::npos || !is_env_name(text.substr(0, eq))) {
    throw UsageError(
        "--env expects NAME=VALUE with NAME made of letters, digits and '_', "
        "got '" +
        std::string(text) + "'");
  }
  return {std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

// Walks the arguments; an option's value is either attached ("--opt=v",
// "-n4") or the next argument.
class ArgumentReader {
public:
  explicit ArgumentReader(const std::vector<std::string>& args) : args_(args) {}

  bool done() const { return next_ >= args_.size(); }
  const std::string& peek() const { return args_[next_]; }
  const std::string& take() { return args_[next_++]; }

  std::string value_of(std::string_view option, std::string_view attached) {
    if (!attached.empty()) {
      return std::string(attached);
    }
    if (done()) {
      throw UsageError(std::string(option) + " expects a value");
    }
    return take();
  }

private:
  const std::vector<std::string>& args_;
  size_t next_ = 0;
};

void check_consistency(
    const LaunchOptions& options, bool port_given, bool connections_given) {
  if (options.program.empty()) {
    throw UsageError("no program to launch");
  }
  if (!options.hosts.empty() && !options.hostfile.empty()) {
    throw UsageError("give either --hosts or --hostfile, not both");
  }
  for (const auto& [name, value] : options.env) {
    if (name == kRestartCountVariable) {
      throw UsageError(
          std::string("--env ") + kRestartCountVariable +
          "=... is refused: the launcher sets it (0, then 1 to "
          "--max-restarts on each restart)");
    }
  }
  if (options.backend == Backend::Ring && !options.mpi_args.empty()) {
    throw UsageError("--mpi-arg applies to --backend mpi only");
  }
  if (options.backend == Backend::Mpi && (port_given || connections_given)) {
    throw UsageError(
        std::string(port_given ? "--starting-port" : "--connections-per-ip") +
        " applies to --backend ring only");
  }
}

} // namespace

LaunchOptions parse_options(const std::vector<std::string>& args) {
  LaunchOptions options;
  bool port_given = false;
  bool connections_given = false;
  ArgumentReader reader(args);
  while (!reader.done()) {
    const std::string& arg = reader.peek();
    if (arg == "--") {
      reader.take();
      break;
    }
    // The first argument that is not an option starts the program.
    if (arg.empty() || arg[0] != '-' || arg == "-") {
      break;
    }
    reader.take();
    std::string name = arg;
    std::string attached;
    if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != arg.npos) {
      name = arg.substr(0, eq);
      attached = arg.substr(eq + 1);
      if (attached.empty()) {
        throw UsageError(name + " expects a value");
      }
    } else if (arg.rfind("-n", 0) == 0 && arg.size() > 2 && arg[2] != '-') {
      name = "-n";
      attached = arg.substr(2);
    }

    if (name == "-h" || name == "--help") {
      options.help = true;
      return options;
    } else if (name == "-n") {
      options.num_ranks =
          parse_int(name, reader.value_of(name, attached), 1, kMaxRanks);
    } else if (name == "--hosts") {
      options.hosts = expand_node_list(reader.value_of(name, attached));
    } else if (name == "--hostfile") {
      options.hostfile = reader.value_of(name, attached);
    } else if (name == "--backend") {
      std::string backend = reader.value_of(name, attached);
      if (backend == "ring") {
        options.backend = Backend::Ring;
      } else if (backend == "mpi") {
        options.backend = Backend::Mpi;
      } else {
        throw UsageError(
            "--backend expects 'ring' or 'mpi', got '" + backend + "'");
      }
    } else if (name == "--env") {
      options.env.push_back(parse_env(reader.value_of(name, attached)));
    } else if (name == "--mpi-arg") {
      options.mpi_args.push_back(reader.value_of(name, attached));
    } else if (name == "--starting-port") {
      options.starting_port =
          parse_int(name, reader.value_of(name, attached), 1, kMaxPort);
      port_given = true;
    } else if (name == "--connections-per-ip") {
      // The ring opens at most this many sockets per neighbour.
      options.connections_per_ip = parse_int(
          name,
          reader.value_of(name, attached),
          1,
          mlx::core::distributed::ring::kMaxConnections);
      connections_given = true;
    } else if (name == "--max-restarts") {
      options.max_restarts =
          parse_int(name, reader.value_of(name, attached), 0, kMaxRestarts);
    } else if (name == "--cwd") {
      options.cwd = reader.value_of(name, attached);
      if (options.cwd.empty()) {
        throw UsageError("--cwd expects a directory");
      }
    } else if (name == "--verbose" || name == "-v") {
      options.verbose = true;
    } else if (name == "--dry-run") {
      options.dry_run = true;
    } else {
      throw UsageError("unknown option '" + arg + "'");
    }
    bool is_flag = name == "--verbose" || name == "-v" || name == "--dry-run";
    if (is_flag && !attached.empty()) {
      throw UsageError(name + " takes no value");
    }
  }
  while (!reader.done()) {
    options.program.push_back(reader.take());
  }
  check_consistency(options, port_given, connections_given);
  return options;
}

std::string usage_text() {
  return R"(usage: mlx.launch [options] [--] program [args...]

Starts `program` as the ranks of a distributed job.

options:
  -n N                     number of ranks (default: one per host, or 1)
  --hosts H1,H2,...        hosts to run on, ranks placed round robin;
                           SLURM's node[01-04,07] form too
  --hostfile FILE          JSON host list: [{"ssh": "name", "ips": ["ip"]}]
  --backend ring|mpi       ring (default): TCP ring, ranks started locally
                           or over ssh; mpi: run through mpirun
  --env NAME=VALUE         set a variable for every rank (repeatable)
  --mpi-arg ARG            pass ARG to mpirun (repeatable; mpi only)
  --starting-port P        first ring port (default 32323; ring only)
  --connections-per-ip C   ring sockets per ip, 1-64 (default 1; ring only)
  --max-restarts K         when a rank fails, stop all ranks and start
                           them again, up to K times (default 0), with
                           MLX_RESTART_COUNT=1..K (0 on the first start)
  --cwd DIR                working directory of the ranks
  -v, --verbose            print the hostfile and commands before running
  --dry-run                print the hostfile and commands, run nothing
  -h, --help               print this help

Exit status: the first failing rank's exit code (128+N when it died of
signal N; with --max-restarts, that of the last start), 128+N when the
launcher is stopped by signal N, 2 for bad arguments or hostfiles, 127
when the program or mpirun cannot be run.
)";
}

} // namespace mlx::launch
