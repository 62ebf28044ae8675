// The ring backend's hostfile: for every rank, the "ip:port" addresses it
// listens on, written as JSON ([["10.0.0.1:32323"], ["10.0.0.2:32324"]]).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace mlx::launch {

/** Where one rank listens. */
struct RankEndpoint {
  std::vector<std::string> ips;
  /** Ports of local ranks are checked by binding them. */
  bool local = false;
};

/** rank -> its "ip:port" addresses. */
using RingAddresses = std::vector<std::vector<std::string>>;

/** Whether `port` can be bound on `ip` right now. */
using PortProbe = std::function<bool(const std::string& ip, int port)>;

/** Binds a TCP socket to ip:port and closes it again. */
bool port_is_free(const std::string& ip, int port);

/** Gives every rank `connections_per_ip` consecutive ports, the same ones on
 * each of its ips, starting at `starting_port` and never shared between
 * ranks. A local rank's block moves up past ports that `probe` finds busy.
 * Throws std::runtime_error when the ports run out above 65535. */
RingAddresses assign_ring_addresses(
    const std::vector<RankEndpoint>& ranks,
    int starting_port,
    int connections_per_ip,
    const PortProbe& probe = port_is_free);

/** The largest port in `addresses` ("ip:port" or "[ipv6]:port"). */
int highest_port(const RingAddresses& addresses);

/** Where a restarted job's ports begin: just above the previous job's, so
 * that no rank of the new job tries to listen where a rank of the old one
 * (a remote one may still be stopping) listened; back at `starting_port`
 * when the ports above would run past 65535 (local ports are probed, and
 * one in TIME_WAIT counts as busy). */
int restart_starting_port(
    const RingAddresses& previous, int starting_port, int ports_needed);

/** The hostfile text: a JSON list with one line per rank. */
std::string ring_hostfile_json(const RingAddresses& addresses);

/** A temporary file holding `contents`, removed when this object is. */
class TempFile {
public:
  /** Throws std::runtime_error when the file cannot be written. */
  explicit TempFile(const std::string& contents);
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::string& path() const { return path_; }

private:
  std::string path_;
};

} // namespace mlx::launch
