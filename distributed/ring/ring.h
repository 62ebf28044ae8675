// The TCP ring backend: ranks listed in a JSON hostfile (MLX_HOSTFILE, one
// list of "host:port" addresses per rank), this rank from MLX_RANK.
#pragma once

#include <memory>

#include "mlx/distributed/backend.h"

namespace mlx::core::distributed::ring {

/** The world group of the ring backend. Returns nullptr when neither
 * MLX_HOSTFILE nor MLX_RANK is set and !strict. Throws
 * std::invalid_argument for missing or malformed settings (naming the file
 * and the problem) and std::runtime_error when the neighbours cannot be
 * reached within MLX_DIST_TIMEOUT seconds. */
std::shared_ptr<detail::GroupImpl> init(bool strict);

} // namespace mlx::core::distributed::ring
