#include "ring_hostfile.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "distributed/ring/json.h"

namespace mlx::launch {

namespace json = mlx::core::distributed::json;

namespace {

constexpr int kMaxPort = 65535;

bool block_is_free(
    const RankEndpoint& rank,
    int first_port,
    int count,
    const PortProbe& probe) {
  for (const std::string& ip : rank.ips) {
    for (int port = first_port; port < first_port + count; ++port) {
      if (!probe(ip, port)) {
        return false;
      }
    }
  }
  return true;
}

[[noreturn]] void out_of_ports(int rank, int starting_port) {
  throw std::runtime_error(
      "no free block of ports for rank " + std::to_string(rank) + " between " +
      std::to_string(starting_port) + " and 65535; " +
      "choose another --starting-port");
}

} // namespace

bool port_is_free(const std::string& ip, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  if (getaddrinfo(ip.c_str(), service.c_str(), &hints, &found) != 0) {
    // Not an address this machine can bind: the ring reports that itself.
    return true;
  }
  bool in_use = false;
  for (addrinfo* it = found; it != nullptr && !in_use; it = it->ai_next) {
    int fd = socket(it->ai_family, it->ai_socktype | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      continue;
    }
    // No SO_REUSEADDR: a port still in TIME_WAIT counts as busy too.
    if (bind(fd, it->ai_addr, it->ai_addrlen) != 0 && errno == EADDRINUSE) {
      in_use = true;
    }
    close(fd);
  }
  freeaddrinfo(found);
  return !in_use;
}

RingAddresses assign_ring_addresses(
    const std::vector<RankEndpoint>& ranks,
    int starting_port,
    int connections_per_ip,
    const PortProbe& probe) {
  RingAddresses addresses;
  int next_port = starting_port;
  for (size_t rank = 0; rank < ranks.size(); ++rank) {
    int first = next_port;
    while (true) {
      if (first + connections_per_ip - 1 > kMaxPort) {
        out_of_ports(static_cast<int>(rank), starting_port);
      }
      if (!ranks[rank].local ||
          block_is_free(ranks[rank], first, connections_per_ip, probe)) {
        break;
      }
      ++first;
    }
    std::vector<std::string> rank_addresses;
    for (const std::string& ip : ranks[rank].ips) {
      // IPv6 literals are bracketed so the last ':' separates the port.
      bool v6 = ip.find(':') != std::string::npos;
      std::string host = v6 ? "[" + ip + "]" : ip;
      for (int c = 0; c < connections_per_ip; ++c) {
        rank_addresses.push_back(host + ":" + std::to_string(first + c));
      }
    }
    addresses.push_back(std::move(rank_addresses));
    next_port = first + connections_per_ip;
  }
  return addresses;
}

int highest_port(const RingAddresses& addresses) {
  int highest = 0;
  for (const auto& rank_addresses : addresses) {
    for (const std::string& address : rank_addresses) {
      int port = std::atoi(address.c_str() + address.rfind(':') + 1);
      highest = std::max(highest, port);
    }
  }
  return highest;
}

int restart_starting_port(
    const RingAddresses& previous, int starting_port, int ports_needed) {
  int next = highest_port(previous) + 1;
  return next + ports_needed - 1 > kMaxPort ? starting_port : next;
}

std::string ring_hostfile_json(const RingAddresses& addresses) {
  std::string text = "[\n";
  for (size_t rank = 0; rank < addresses.size(); ++rank) {
    json::Value::Array entry(addresses[rank].begin(), addresses[rank].end());
    text += "  " + json::dump(json::Value(std::move(entry)));
    text += rank + 1 < addresses.size() ? ",\n" : "\n";
  }
  return text + "]\n";
}

TempFile::TempFile(const std::string& contents) {
  const char* dir = std::getenv("TMPDIR");
  std::string pattern = std::string(dir && *dir ? dir : "/tmp") +
                        "/mlx-ring-hostfile-XXXXXX.json";
  int fd = mkstemps(pattern.data(), 5);
  if (fd < 0) {
    throw std::runtime_error(
        "cannot create a hostfile from '" + pattern +
        "': " + std::strerror(errno));
  }
  path_ = pattern;
  size_t written = 0;
  while (written < contents.size()) {
    ssize_t n = write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      int error = errno;
      close(fd);
      unlink(path_.c_str());
      throw std::runtime_error(
          "cannot write '" + path_ + "': " + std::strerror(error));
    }
    written += static_cast<size_t>(n);
  }
  close(fd);
}

TempFile::~TempFile() {
  unlink(path_.c_str());
}

} // namespace mlx::launch
