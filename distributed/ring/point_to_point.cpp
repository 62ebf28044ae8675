// Point-to-point send/recv between any two ranks of a ring group. Ranks that
// are not neighbours get a link of their own on first use. A message is a
// 16-byte header (so that a size mismatch is an error, not a silent
// misparse) and the payload striped over the link's sockets.
#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include "group.h"

namespace mlx::core::distributed::ring {

namespace {

// "MLXMSG01" as a little-endian integer: starts every point-to-point message.
constexpr uint64_t kMessageMagic = 0x3130475353584c4dull;

struct MessageHeader {
  uint64_t magic;
  uint64_t bytes;
};

void check_peer(const char* op, int peer, int rank, int size) {
  if (peer < 0 || peer >= size) {
    throw std::invalid_argument(
        std::string("[ring] ") + op + ": rank " + std::to_string(peer) +
        " is out of range for a group of " + std::to_string(size));
  }
  if (peer == rank) {
    throw std::invalid_argument(
        std::string("[ring] ") + op + ": rank " + std::to_string(rank) +
        (std::string(op) == "send" ? " cannot send to itself"
                                   : " cannot receive from itself"));
  }
}

// The payload's lanes: one per socket of the link, fewer for small messages.
std::vector<Lane> link_lanes(const Link& link, size_t bytes) {
  size_t count = std::clamp<size_t>(bytes / kMinLaneBytes, 1, link.data.size());
  std::vector<Lane> lanes(count);
  for (size_t l = 0; l < count; ++l) {
    lanes[l].send_fd = lanes[l].recv_fd = link.data[l].get();
    lanes[l].send_peer = lanes[l].recv_peer = link.peer;
  }
  return lanes;
}

size_t part_begin(size_t total, size_t parts, size_t i) {
  return i * (total / parts) + std::min(i, total % parts);
}

} // namespace

void RingGroup::send(const void* data, size_t bytes, int dst) {
  check_usable("send");
  check_peer("send", dst, rank_, size());
  Link& peer = link(dst, "send");
  MessageHeader header{kMessageMagic, bytes};
  std::vector<Lane> lanes = link_lanes(peer, bytes);
  const char* src = static_cast<const char*>(data);
  lanes[0].sends.push_back(
      {reinterpret_cast<const char*>(&header), sizeof(header), -1});
  for (size_t l = 0; l < lanes.size(); ++l) {
    size_t begin = part_begin(bytes, lanes.size(), l);
    size_t end = part_begin(bytes, lanes.size(), l + 1);
    lanes[l].sends.push_back({src + begin, end - begin, -1});
  }
  run("send", lanes);
}

void RingGroup::recv(void* data, size_t bytes, int src) {
  check_usable("recv");
  check_peer("recv", src, rank_, size());
  Link& peer = link(src, "recv");
  // The header first, so that the payload is only read once its size is
  // known to match.
  MessageHeader header{};
  std::vector<Lane> head = link_lanes(peer, 0);
  head[0].recvs.push_back({reinterpret_cast<char*>(&header), sizeof(header)});
  run("recv", head);
  if (header.magic != kMessageMagic || header.bytes != bytes) {
    std::string what =
        header.magic != kMessageMagic
            ? "an unexpected message (collectives called in a different order?)"
            : std::to_string(header.bytes) + " bytes but " +
                  std::to_string(bytes) + " were expected";
    broken_ =
        "[ring] recv: rank " + std::to_string(peer.peer) + " sent " + what;
    throw std::runtime_error(broken_);
  }
  std::vector<Lane> lanes = link_lanes(peer, bytes);
  char* dst = static_cast<char*>(data);
  for (size_t l = 0; l < lanes.size(); ++l) {
    size_t begin = part_begin(bytes, lanes.size(), l);
    size_t end = part_begin(bytes, lanes.size(), l + 1);
    lanes[l].recvs.push_back({dst + begin, end - begin, nullptr});
  }
  run("recv", lanes);
}

} // namespace mlx::core::distributed::ring
