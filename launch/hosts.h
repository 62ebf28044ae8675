// Where the ranks run: the hosts from --hosts or --hostfile, the round-robin
// placement of ranks on them, and whether a host is this machine.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "options.h"

namespace mlx::launch {

struct Host {
  /** The name ssh (or mpirun) reaches the host by. */
  std::string ssh;
  /** Addresses other ranks connect to; empty: use the ssh name. */
  std::vector<std::string> ips;
};

/** Reads MLX's hostfile format, a JSON list of
 * {"ssh": "hostname", "ips": ["10.0.0.1", ...]} objects ("ips" optional).
 * Throws UsageError naming the file and the problem. */
std::vector<Host> read_hostfile(const std::string& path);

/** The same, from the file's text; `path` only names it in errors. */
std::vector<Host>
parse_hostfile(std::string_view text, const std::string& path);

/** The hosts of --hosts or --hostfile; empty when neither was given (every
 * rank runs on this machine). */
std::vector<Host> hosts_from_options(const LaunchOptions& options);

/** -n, or one rank per host (one rank without hosts). */
int resolve_num_ranks(const LaunchOptions& options, size_t num_hosts);

/** Rank r runs on host r % num_hosts: one rank per host, then round robin. */
inline size_t host_index_of_rank(int rank, size_t num_hosts) {
  return static_cast<size_t>(rank) % num_hosts;
}

/** Whether `address` is an IPv4 127.x.x.x or the IPv6 ::1 literal. */
bool is_loopback_address(const std::string& address);

/** Whether `host` is this machine: "localhost", a loopback address, this
 * machine's host name, or one of its interface addresses (its ssh name or
 * any of its ips). Names are not looked up in DNS. */
bool is_local_host(const Host& host);

} // namespace mlx::launch
