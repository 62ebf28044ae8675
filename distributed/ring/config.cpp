// Hostfile and environment parsing for the ring backend.
#include "config.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "json.h"
#include "mlx/distributed/distributed_impl.h"

namespace mlx::core::distributed::ring {

namespace {

[[noreturn]] void
bad_hostfile(const std::string& path, const std::string& what) {
  throw std::invalid_argument(
      "[ring] invalid hostfile '" + path + "': " + what);
}

// Parses a whole decimal integer; false on anything else (sign, spaces,
// trailing characters, overflow of long long).
bool parse_int(std::string_view text, long long& value) {
  if (text.empty() || text.size() > 18) {
    return false;
  }
  value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return false;
    }
    value = value * 10 + (c - '0');
  }
  return true;
}

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return (v && *v) ? v : nullptr;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::invalid_argument(
        "[ring] cannot read hostfile '" + path +
        "' (MLX_HOSTFILE): " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

} // namespace

Address parse_address(std::string_view text) {
  auto fail = [&](const std::string& what) -> Address {
    throw std::invalid_argument(
        "address \"" + std::string(text) + "\" " + what);
  };
  Address addr;
  addr.text = std::string(text);
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return fail("has '[' without ']'");
    }
    addr.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (rest.empty() || rest.front() != ':') {
      return fail("is missing a port (expected \"[ipv6]:port\")");
    }
    port_text = rest.substr(1);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return fail("is missing a port (expected \"host:port\")");
    }
    addr.host = std::string(text.substr(0, colon));
    if (addr.host.find(':') != std::string::npos) {
      return fail("looks like IPv6 without brackets (write \"[ipv6]:port\")");
    }
    port_text = text.substr(colon + 1);
  }
  if (addr.host.empty()) {
    return fail("has an empty host");
  }
  long long port;
  if (port_text.empty()) {
    return fail("is missing a port");
  }
  if (!parse_int(port_text, port) || port < 1 || port > 65535) {
    return fail("has an invalid port (expected 1..65535)");
  }
  addr.port = static_cast<uint16_t>(port);
  return addr;
}

std::vector<std::vector<Address>>
parse_hostfile(std::string_view text, const std::string& path) {
  json::Value doc;
  try {
    doc = json::parse(text);
  } catch (const std::invalid_argument& e) {
    bad_hostfile(path, e.what());
  }
  if (!doc.is_array()) {
    bad_hostfile(
        path,
        std::string("expected a JSON list with one entry per rank, got ") +
            doc.type_name());
  }
  const auto& ranks = doc.as_array();
  if (ranks.empty()) {
    bad_hostfile(path, "the list of ranks is empty");
  }
  std::vector<std::vector<Address>> addresses;
  for (size_t r = 0; r < ranks.size(); ++r) {
    std::string where = "entry " + std::to_string(r);
    if (!ranks[r].is_array()) {
      bad_hostfile(
          path,
          where + " must be a list of \"host:port\" strings, got " +
              ranks[r].type_name());
    }
    const auto& list = ranks[r].as_array();
    if (list.empty()) {
      bad_hostfile(path, where + " lists no address");
    }
    std::vector<Address> rank_addresses;
    for (size_t i = 0; i < list.size(); ++i) {
      if (!list[i].is_string()) {
        bad_hostfile(
            path,
            where + ", item " + std::to_string(i) +
                " must be a \"host:port\" string, got " + list[i].type_name());
      }
      try {
        rank_addresses.push_back(parse_address(list[i].as_string()));
      } catch (const std::invalid_argument& e) {
        bad_hostfile(path, where + ": " + e.what());
      }
    }
    addresses.push_back(std::move(rank_addresses));
  }
  return addresses;
}

uint64_t hostfile_hash(const std::vector<std::vector<Address>>& addresses) {
  // FNV-1a, 64-bit (offset basis and prime from the FNV specification).
  uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&](std::string_view bytes) {
    for (unsigned char c : bytes) {
      h = (h ^ c) * 0x100000001b3ull;
    }
  };
  mix(std::to_string(addresses.size()));
  for (auto& rank : addresses) {
    mix("[");
    for (auto& a : rank) {
      mix(a.host);
      mix(":" + std::to_string(a.port) + ",");
    }
    mix("]");
  }
  return h;
}

Config make_config(
    const std::string& path, int rank, int connections, double timeout_s) {
  Config config;
  config.hostfile = path;
  config.addresses = parse_hostfile(read_file(path), path);
  if (rank < 0 || rank >= config.size()) {
    throw std::invalid_argument(
        "[ring] MLX_RANK=" + std::to_string(rank) + " is out of range: '" +
        path + "' lists " + std::to_string(config.size()) + " ranks");
  }
  config.rank = rank;
  if (connections <= 0) {
    // One socket per listed address; both ends of a link must agree, so the
    // count is global (addresses are reused round-robin where fewer).
    connections = 1;
    for (auto& a : config.addresses) {
      connections = std::max(connections, static_cast<int>(a.size()));
    }
  }
  config.connections = std::min(connections, kMaxConnections);
  config.timeout_s = timeout_s;
  config.job_hash = hostfile_hash(config.addresses);
  return config;
}

void check_secret(const std::string& secret) {
  if (secret.size() < kMinSecretChars) {
    throw std::invalid_argument(
        std::string("[ring] ") + kSecretVariable + " is " +
        std::to_string(secret.size()) +
        " characters long; it must have at "
        "least " +
        std::to_string(kMinSecretChars) +
        " (for example 64 hex digits: head -c 32 /dev/urandom | od -An -tx1 "
        "| tr -d ' \\n'). mlx.launch sets one for its ranks.");
  }
}

std::optional<Config> config_from_env(bool strict) {
  const char* rank_text = env("MLX_RANK");
  const char* path = env("MLX_HOSTFILE");
  if (!rank_text && !path && !strict) {
    return std::nullopt;
  }
  if (!path) {
    throw std::invalid_argument(
        "[ring] MLX_HOSTFILE is not set: it must name the JSON hostfile "
        "(a list with one list of \"host:port\" strings per rank)");
  }
  if (!rank_text) {
    throw std::invalid_argument(
        std::string("[ring] MLX_RANK is not set (MLX_HOSTFILE=") + path + ")");
  }
  long long rank;
  if (!parse_int(rank_text, rank) || rank > 1'000'000) {
    throw std::invalid_argument(
        std::string("[ring] MLX_RANK=") + rank_text +
        " is not a non-negative integer (hostfile '" + path + "')");
  }
  int connections = 0;
  if (const char* text = env("MLX_RING_CONNECTIONS")) {
    long long value;
    if (!parse_int(text, value) || value < 1 || value > kMaxConnections) {
      throw std::invalid_argument(
          std::string("[ring] MLX_RING_CONNECTIONS=") + text +
          " must be an integer in 1.." + std::to_string(kMaxConnections));
    }
    connections = static_cast<int>(value);
  }
  Config config = make_config(
      path, static_cast<int>(rank), connections, detail::timeout_seconds());
  if (const char* secret = std::getenv(kSecretVariable)) {
    // Set but empty is a mistake (an unset shell variable), not a request to
    // run without authentication.
    check_secret(secret);
    config.secret = secret;
  }
  return config;
}

} // namespace mlx::core::distributed::ring
