// Entry point of the ring backend.
#include "ring.h"

#include <numeric>

#include "group.h"

namespace mlx::core::distributed::ring {

std::shared_ptr<detail::GroupImpl> init_from_config(Config config) {
  auto endpoint = std::make_shared<Endpoint>();
  endpoint->config = std::move(config);
  const Config& c = endpoint->config;
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
