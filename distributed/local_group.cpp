// The group of a process running alone (backend "none"): collectives copy
// their input, point-to-point communication has no peer.
#include <cstring>
#include <stdexcept>
#include <string>

#include "mlx/distributed/distributed_impl.h"

namespace mlx::core::distributed::detail {

namespace {

void copy_bytes(const void* in, void* out, size_t bytes) {
  if (in != out && bytes > 0) {
    std::memcpy(out, in, bytes);
  }
}

class LocalGroup : public GroupImpl {
public:
  int rank() override { return 0; }
  int size() override { return 1; }
  const char* backend() const override { return "none"; }

  std::shared_ptr<GroupImpl> split(int, int) override {
    return std::make_shared<LocalGroup>();
  }

  void all_reduce(
      const void* in, void* out, size_t count, Dtype dtype, ReduceOp) override {
    copy_bytes(in, out, count * size_of(dtype));
  }

  void all_gather(const void* in, void* out, size_t bytes) override {
    copy_bytes(in, out, bytes);
  }

  void reduce_scatter(
      const void* in, void* out, size_t count, Dtype dtype, ReduceOp) override {
    copy_bytes(in, out, count * size_of(dtype));
  }

  void send(const void*, size_t, int dst) override { no_peer("send", dst); }
  void recv(void*, size_t, int src) override { no_peer("recv", src); }

  void broadcast(void*, size_t, int) override {}
  void barrier() override {}

private:
  [[noreturn]] static void no_peer(const char* op, int peer) {
    throw std::invalid_argument(
        std::string("[") + op + "] Rank " + std::to_string(peer) +
        " is not another process: this group has only this process.");
  }
};

} // namespace

std::shared_ptr<GroupImpl> make_local_group() {
  return std::make_shared<LocalGroup>();
}

} // namespace mlx::core::distributed::detail
