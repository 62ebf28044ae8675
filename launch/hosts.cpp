#include "hosts.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "distributed/ring/json.h"

namespace mlx::launch {

namespace json = mlx::core::distributed::json;

namespace {

[[noreturn]] void
hostfile_error(const std::string& path, const std::string& what) {
  throw UsageError("hostfile '" + path + "': " + what);
}

Host parse_host_entry(
    const json::Value& entry, size_t index, const std::string& path) {
  std::string where = "host " + std::to_string(index) + ": ";
  if (!entry.is_object()) {
    hostfile_error(
        path,
        where + "expected an object like {\"ssh\": \"name\"}, got " +
            entry.type_name());
  }
  Host host;
  const json::Value* ssh = entry.find("ssh");
  if (ssh == nullptr) {
    hostfile_error(path, where + "missing \"ssh\"");
  }
  if (!ssh->is_string() || ssh->as_string().empty()) {
    hostfile_error(path, where + "\"ssh\" must be a non-empty string");
  }
  host.ssh = ssh->as_string();
  // Other keys (MLX writes e.g. "rdma") are left to the tools that use them.
  if (const json::Value* ips = entry.find("ips"); ips != nullptr) {
    if (!ips->is_array()) {
      hostfile_error(path, where + "\"ips\" must be a list of strings");
    }
    for (const json::Value& ip : ips->as_array()) {
      if (!ip.is_string() || ip.as_string().empty()) {
        hostfile_error(
            path, where + "\"ips\" must be a list of non-empty strings");
      }
      host.ips.push_back(ip.as_string());
    }
  }
  return host;
}

// The numeric addresses of this machine's interfaces.
std::vector<std::string> interface_addresses() {
  std::vector<std::string> addresses;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) {
    return addresses;
  }
  for (ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
    if (it->ifa_addr == nullptr) {
      continue;
    }
    char text[INET6_ADDRSTRLEN] = {};
    int family = it->ifa_addr->sa_family;
    if (family == AF_INET) {
      auto* in = reinterpret_cast<sockaddr_in*>(it->ifa_addr);
      inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
    } else if (family == AF_INET6) {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(it->ifa_addr);
      inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
    } else {
      continue;
    }
    addresses.emplace_back(text);
  }
  freeifaddrs(list);
  return addresses;
}

bool names_this_machine(const std::string& name) {
  if (name == "localhost" || is_loopback_address(name)) {
    return true;
  }
  char buffer[256] = {};
  if (gethostname(buffer, sizeof(buffer) - 1) == 0) {
    std::string hostname = buffer;
    if (name == hostname || name == hostname.substr(0, hostname.find('.'))) {
      return true;
    }
  }
  for (const std::string& address : interface_addresses()) {
    if (name == address) {
      return true;
    }
  }
  return false;
}

} // namespace

bool is_loopback_address(const std::string& address) {
  in_addr v4;
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6;
  return inet_pton(AF_INET6, address.c_str(), &v6) == 1 &&
         IN6_IS_ADDR_LOOPBACK(&v6);
}

std::vector<Host>
parse_hostfile(std::string_view text, const std::string& path) {
  json::Value document;
  try {
    document = json::parse(text);
  } catch (const std::invalid_argument& e) {
    hostfile_error(path, std::string("not valid JSON: ") + e.what());
  }
  if (!document.is_array()) {
    hostfile_error(
        path,
        std::string("expected a JSON list of hosts, got ") +
            document.type_name());
  }
  const auto& entries = document.as_array();
  if (entries.empty()) {
    hostfile_error(path, "the list of hosts is empty");
  }
  std::vector<Host> hosts;
  for (size_t i = 0; i < entries.size(); ++i) {
    hosts.push_back(parse_host_entry(entries[i], i, path));
  }
  return hosts;
}

std::vector<Host> read_hostfile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    hostfile_error(
        path, std::string("cannot read it: ") + std::strerror(errno));
  }
  std::stringstream text;
  text << file.rdbuf();
  return parse_hostfile(text.str(), path);
}

std::vector<Host> hosts_from_options(const LaunchOptions& options) {
  if (!options.hostfile.empty()) {
    return read_hostfile(options.hostfile);
  }
  std::vector<Host> hosts;
  for (const std::string& name : options.hosts) {
    hosts.push_back(Host{name, {}});
  }
  return hosts;
}

int resolve_num_ranks(const LaunchOptions& options, size_t num_hosts) {
  if (options.num_ranks) {
    return *options.num_ranks;
  }
  return num_hosts == 0 ? 1 : static_cast<int>(num_hosts);
}

bool is_local_host(const Host& host) {
  if (names_this_machine(host.ssh)) {
    return true;
  }
  for (const std::string& ip : host.ips) {
    if (names_this_machine(ip)) {
      return true;
    }
  }
  return false;
}

} // namespace mlx::launch
