// Entry point of the ring backend.
#include "ring.h"

#include <unistd.h>

#include <mutex>
#include <numeric>
#include <string>

#include "group.h"

namespace mlx::core::distributed::ring {

namespace {

// Rank 0 says once per process that anyone reaching the ports may join.
void warn_if_unauthenticated(const Config& c) {
  static std::once_flag once;
  if (!c.secret.empty() || c.size() < 2 || c.rank != 0) {
    return;
  }
  std::call_once(once, [] {
    std::string line = std::string("[ring] warning: ") + kSecretVariable +
                       " is not set: ring connections are not authenticated, "
                       "so any process that can reach the listening ports "
                       "can join this job (mlx.launch sets a secret)\n";
    (void)!::write(STDERR_FILENO, line.data(), line.size());
  });
}

} // namespace

std::shared_ptr<detail::GroupImpl> init_from_config(Config config) {
  auto endpoint = std::make_shared<Endpoint>();
  endpoint->config = std::move(config);
  const Config& c = endpoint->config;
  warn_if_unauthenticated(c);
  if (c.size() > 1) {
    endpoint->listener = std::make_unique<Listener>(c);
  }
  std::vector<int> world(c.size());
  std::iota(world.begin(), world.end(), 0);
  return std::make_shared<RingGroup>(endpoint, 0, world, c.rank, "init");
}

std::shared_ptr<detail::GroupImpl> init(bool strict) {
  std::optional<Config> config = config_from_env(strict);
  if (!config) {
    return nullptr;
  }
  return init_from_config(std::move(*config));
}

} // namespace mlx::core::distributed::ring
