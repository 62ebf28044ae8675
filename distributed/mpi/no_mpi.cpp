// Stands in for the MPI backend when it is not built (MLX_BUILD_MPI=OFF).
#include <stdexcept>

#include "mlx/distributed/mpi/mpi.h"

namespace mlx::core::distributed::mpi {

bool is_available() {
  return false;
}

std::shared_ptr<detail::GroupImpl> init(bool strict) {
  if (strict) {
    throw std::runtime_error(
        "[init] The MPI backend is not built: configure with "
        "-DMLX_BUILD_MPI=ON.");
  }
  return nullptr;
}

} // namespace mlx::core::distributed::mpi
