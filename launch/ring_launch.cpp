#include "ring_launch.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <stdexcept>

#include "distributed/ring/config.h"
#include "restarts.h"
#include "shell_words.h"

namespace mlx::launch {

namespace {

constexpr const char* kLoopbackIp = "127.0.0.1";
constexpr int kMaxPort = 65535;
// Random bytes in a generated secret: 256 bits, HMAC-SHA256's key strength.
constexpr size_t kSecretBytes = 32;
static_assert(
    2 * kSecretBytes >= mlx::core::distributed::ring::kMinSecretChars,
    "the launcher's secrets must be long enough for the ring");

std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  size_t done = 0;
  while (done < bytes) {
    ssize_t n = getrandom(raw.data() + done, bytes - done, 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      throw std::runtime_error(
          std::string("getrandom: ") + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : raw) {
    hex += kDigits[c >> 4];
    hex += kDigits[c & 0xf];
  }
  return hex;
}

// The IPv4 address `name` resolves to here, or `name` itself when it does
// not resolve (an ssh alias the ring may still understand on its hosts).
std::string ipv4_of(const std::string& name) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(name.c_str(), nullptr, &hints, &found) != 0) {
    return name;
  }
  char text[INET_ADDRSTRLEN] = {};
  auto* in = reinterpret_cast<sockaddr_in*>(found->ai_addr);
  inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
  freeaddrinfo(found);
  return text;
}

std::string current_directory() {
  std::unique_ptr<char, decltype(&std::free)> path(
      getcwd(nullptr, 0), &std::free);
  return path ? std::string(path.get()) : std::string(".");
}

std::vector<std::pair<std::string, std::string>> rank_environment(
    int rank,
    int local_rank,
    const std::string& hostfile_path,
    const LaunchOptions& options) {
  auto env = options.env;
  env.emplace_back(kRankVariable, std::to_string(rank));
  env.emplace_back(kLocalRankVariable, std::to_string(local_rank));
  env.emplace_back(kHostfileVariable, hostfile_path);
  return env;
}

void check_port_range(const LaunchOptions& options, int num_ranks) {
  long last = options.starting_port +
              static_cast<long>(num_ranks) * options.connections_per_ip - 1;
  if (last > kMaxPort) {
    throw UsageError(
        std::to_string(num_ranks) + " ranks with " +
        std::to_string(options.connections_per_ip) +
        " connections per ip need ports up to " + std::to_string(last) +
        " from --starting-port " + std::to_string(options.starting_port) +
        ", above 65535");
  }
}

// A rank listening on a loopback address cannot be reached from other hosts.
void warn_about_loopback(const std::vector<RingRank>& ranks) {
  bool remote_ranks = false;
  for (const RingRank& rank : ranks) {
    remote_ranks = remote_ranks || !rank.local;
  }
  for (size_t r = 0; r < ranks.size() && remote_ranks; ++r) {
    for (const std::string& ip : ranks[r].ips) {
      if (is_loopback_address(ip)) {
        std::cerr << "mlx.launch: warning: rank " << r << " listens on " << ip
                  << ", which ranks on other hosts cannot reach; give "
                     "its host's address in --hosts or the hostfile's \"ips\""
                  << std::endl;
        return;
      }
    }
  }
}

void check_local_cwd(const LaunchOptions& options) {
  struct stat info {};
  if (!options.cwd.empty() &&
      (stat(options.cwd.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))) {
    throw UsageError("--cwd '" + options.cwd + "' is not a directory");
  }
}

// "rank 1 on node2 (ssh): cd /dir && MLX_RANK=1 ... prog args" for
// --verbose; the ssh script itself is long and says the same.
std::string describe_rank(
    int rank,
    const RingRank& placement,
    const std::string& hostfile_path,
    const LaunchOptions& options) {
  std::string where =
      placement.local ? "this machine" : placement.host + " (ssh)";
  std::string line = "rank " + std::to_string(rank) + " on " + where + ": ";
  if (!options.cwd.empty() || !placement.local) {
    line +=
        "cd " +
        shell_quote(options.cwd.empty() ? current_directory() : options.cwd) +
        " && ";
  }
  // A remote rank's script writes its own copy of the hostfile.
  std::string hostfile =
      placement.local ? hostfile_path : "(a copy on " + placement.host + ")";
  for (const auto& [name, value] :
       rank_environment(rank, placement.local_rank, hostfile, options)) {
    line += name + "=" + shell_quote(value) + " ";
  }
  return line + shell_join(options.program);
}

} // namespace

std::vector<RingRank>
place_ring_ranks(const std::vector<Host>& hosts, int num_ranks) {
  std::vector<RingRank> ranks(num_ranks);
  if (hosts.empty()) {
    for (int r = 0; r < num_ranks; ++r) {
      ranks[r].ips = {kLoopbackIp};
      ranks[r].local_rank = r;
    }
    return ranks;
  }
  bool all_local = true;
  std::vector<int> placed_on_host(hosts.size(), 0);
  for (int r = 0; r < num_ranks; ++r) {
    size_t h = host_index_of_rank(r, hosts.size());
    const Host& host = hosts[h];
    ranks[r].local_rank = placed_on_host[h]++;
    ranks[r].host = host.ssh;
    ranks[r].local = is_local_host(host);
    all_local = all_local && ranks[r].local;
  }
  for (int r = 0; r < num_ranks; ++r) {
    const Host& host = hosts[host_index_of_rank(r, hosts.size())];
    if (!host.ips.empty()) {
      ranks[r].ips = host.ips;
    } else if (all_local) {
      ranks[r].ips = {kLoopbackIp};
    } else {
      ranks[r].ips = {ipv4_of(host.ssh)};
    }
  }
  return ranks;
}

std::string job_secret(const LaunchOptions& options) {
  for (const auto& [name, value] : options.env) {
    if (name == kSecretVariable) {
      throw UsageError(
          std::string("--env ") + kSecretVariable +
          "=... would show the secret on command lines (ps); export " +
          kSecretVariable +
          " in the launcher's environment to choose it, or leave it to the "
          "launcher");
    }
  }
  const char* pinned = std::getenv(kSecretVariable);
  if (!pinned || !*pinned) {
    return random_hex(kSecretBytes);
  }
  size_t min_chars = mlx::core::distributed::ring::kMinSecretChars;
  if (std::strlen(pinned) < min_chars) {
    throw UsageError(
        std::string(kSecretVariable) + " is " +
        std::to_string(std::strlen(pinned)) +
        " characters long; the ring needs at least " +
        std::to_string(min_chars) + " (or unset it: the launcher makes one)");
  }
  return pinned;
}

std::string remote_rank_script(
    int rank,
    const std::string& hostfile_json,
    const std::string& cwd,
    const LaunchOptions& options,
    int local_rank) {
  std::string env_words;
  for (const auto& [name, value] : options.env) {
    env_words += shell_quote(name + "=" + value) + " ";
  }
  // fd 3 keeps ssh's stdin: a background job's own stdin is /dev/null.
  // The watcher stops the program when ssh's stdin closes (the launcher
  // stopped this rank, or died); it is itself stopped when the program
  // ends, and holds no output so that ssh can finish.
  std::string command = "env " + std::string(kRankVariable) + "=" +
                        std::to_string(rank) + " " + kLocalRankVariable + "=" +
                        std::to_string(local_rank) + " " + kHostfileVariable +
                        "=\"$f\" " + env_words + shell_join(options.program);
  // The secret comes as the first line of ssh's stdin, never on a command
  // line: this script is in ssh's argv here and in sh's argv there, both
  // visible to every user in ps. ssh's own ways to pass variables do not
  // fit: SendEnv needs the server's AcceptEnv to list the name, and
  // SetEnv=... is itself an argument. `read` and `export` are shell
  // built-ins (no process, no argv) and read stops at the newline, so the
  // rest of stdin stays for the watcher below. The program then has the
  // secret in its environment, which only its user (and root) can read.
  const std::vector<std::string> lines = {
      std::string("IFS= read -r ") + kSecretVariable + " || exit 1",
      std::string("export ") + kSecretVariable,
      "cd " + shell_quote(cwd) + " || exit 127",
      "f=$(mktemp \"${TMPDIR:-/tmp}/mlx-ring-hostfile-XXXXXX\") || exit 1",
      "printf '%s' " + shell_quote(hostfile_json) + " > \"$f\"",
      "exec 3<&0",
      command + " </dev/null 3<&- &",
      "p=$!",
      "{ cat >/dev/null; kill -TERM $p; } <&3 >/dev/null 2>&1 &",
      "w=$!",
      "exec 3<&-",
      "wait $p",
      "s=$?",
      "kill $w 2>/dev/null",
      "rm -f \"$f\"",
      "exit $s"};
  std::string script;
  for (const std::string& line : lines) {
    script += line + "\n";
  }
  return script;
}

ProcessSpec ring_rank_process(
    int rank,
    const RingRank& placement,
    const std::string& hostfile_path,
    const std::string& hostfile_json,
    const LaunchOptions& options,
    const std::string& secret) {
  ProcessSpec spec;
  if (placement.local) {
    spec.argv = options.program;
    spec.env =
        rank_environment(rank, placement.local_rank, hostfile_path, options);
    // Passed to execve's environment, not its arguments.
    spec.env.emplace_back(kSecretVariable, secret);
    spec.cwd = options.cwd;
    return spec;
  }
  const char* ssh = std::getenv(kSshVariable);
  std::string cwd = options.cwd.empty() ? current_directory() : options.cwd;
  spec.argv = {
      ssh && *ssh ? ssh : "ssh",
      placement.host,
      "sh -c " + shell_quote(remote_rank_script(
                     rank, hostfile_json, cwd, options, placement.local_rank))};
  spec.stdin_pipe = true;
  spec.stdin_data = secret + "\n";
  return spec;
}

int run_ring_job(
    const LaunchOptions& options,
    const std::vector<Host>& hosts,
    int num_ranks) {
  check_port_range(options, num_ranks);
  std::vector<RingRank> ranks = place_ring_ranks(hosts, num_ranks);
  warn_about_loopback(ranks);
  std::vector<RankEndpoint> endpoints;
  for (const RingRank& rank : ranks) {
    endpoints.push_back(RankEndpoint{rank.ips, rank.local});
    if (rank.local) {
      check_local_cwd(options);
    }
  }
  RingAddresses addresses;
  auto start_job = [&](int restart) {
    LaunchOptions attempt = with_restart_count(options, restart);
    int first_port = restart == 0 ? options.starting_port
                                  : restart_starting_port(
                                        addresses,
                                        options.starting_port,
                                        num_ranks * options.connections_per_ip);
    addresses = assign_ring_addresses(
        endpoints, first_port, options.connections_per_ip);
    // A fresh secret per start also keeps a straggler of the previous one
    // out of the new ring.
    std::string secret = job_secret(options);
    std::string json = ring_hostfile_json(addresses);
    std::unique_ptr<TempFile> hostfile;
    std::string hostfile_path = "(not written: --dry-run)";
    if (!options.dry_run) {
      hostfile = std::make_unique<TempFile>(json);
      hostfile_path = hostfile->path();
    }
    if (options.verbose || options.dry_run) {
      std::cerr << "mlx.launch: ring hostfile " << hostfile_path << ":\n"
                << json;
      for (int r = 0; r < num_ranks; ++r) {
        std::cerr << "mlx.launch: "
                  << describe_rank(r, ranks[r], hostfile_path, attempt) << "\n";
      }
      std::cerr.flush();
    }
    if (options.dry_run) {
      return JobOutcome{};
    }
    std::vector<ProcessSpec> processes;
    for (int r = 0; r < num_ranks; ++r) {
      processes.push_back(
          ring_rank_process(r, ranks[r], hostfile_path, json, attempt, secret));
    }
    return supervise_ranks(processes);
  };
  return run_with_restarts(options.max_restarts, start_job);
}

} // namespace mlx::launch
