// Configuration of the ring backend: the JSON hostfile (MLX_HOSTFILE), this
// process's rank (MLX_RANK), sockets per neighbour (MLX_RING_CONNECTIONS),
// the job's shared secret (MLX_RING_SECRET) and the deadline of every
// blocking step (MLX_DIST_TIMEOUT).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlx::core::distributed::ring {

/** One "host:port" entry of the hostfile. `host` has no IPv6 brackets. */
struct Address {
  std::string host;
  uint16_t port = 0;
  /** As written in the hostfile, for messages. */
  std::string text;
};

struct Config {
  /** Path of the hostfile, for messages. */
  std::string hostfile;
  int rank = 0;
  /** addresses[r]: where rank r listens; one entry per listed address. */
  std::vector<std::vector<Address>> addresses;
  /** Data sockets between two linked ranks. */
  int connections = 1;
  /** Seconds any blocking step may wait without progress. */
  double timeout_s = 0;
  /** Identifies the job in handshakes (a hash of the hostfile's content). */
  uint64_t job_hash = 0;
  /** The job's shared secret (MLX_RING_SECRET): every connection proves
   * that both ends know it. Empty: connections are not authenticated. */
  std::string secret;

  int size() const { return static_cast<int>(addresses.size()); }
};

/** Upper bound of MLX_RING_CONNECTIONS (file descriptors per link). */
inline constexpr int kMaxConnections = 64;

/** The environment variable holding the job's secret. */
inline constexpr const char* kSecretVariable = "MLX_RING_SECRET";
/** Shortest accepted secret: 32 characters, i.e. 128 bits when they are hex
 * digits of random bytes (mlx.launch makes 64 hex digits, 256 bits). */
inline constexpr size_t kMinSecretChars = 32;

/** Checks a secret's length; throws std::invalid_argument naming the
 * variable and the length (never the value, which would leak into logs). */
void check_secret(const std::string& secret);

/** Parses "host:port", "1.2.3.4:port" or "[v6]:port"; throws
 * std::invalid_argument naming the problem. */
Address parse_address(std::string_view text);

/** Parses hostfile text: a JSON list with one entry per rank, each a
 * non-empty list of "host:port" strings. `path` is used in messages. */
std::vector<std::vector<Address>>
parse_hostfile(std::string_view text, const std::string& path);

/** A 64-bit FNV-1a hash of the parsed address lists (independent of the
 * file's whitespace), mixed with the rank count. */
uint64_t hostfile_hash(const std::vector<std::vector<Address>>& addresses);

/** Reads MLX_RANK / MLX_HOSTFILE / MLX_RING_CONNECTIONS / MLX_RING_SECRET /
 * MLX_DIST_TIMEOUT.
 * Returns nullopt when neither MLX_RANK nor MLX_HOSTFILE is set and
 * !strict; otherwise throws std::invalid_argument on missing or bad
 * settings. */
std::optional<Config> config_from_env(bool strict);

/** The same from explicit values (the hostfile is read from `path`);
 * `connections` <= 0 means one per listed address. */
Config make_config(
    const std::string& path, int rank, int connections, double timeout_s);

} // namespace mlx::core::distributed::ring
