// The MPI backend (Open MPI, started by mpirun). Built when MLX_BUILD_MPI
// is ON; otherwise no_mpi.cpp stands in.
#pragma once

#include <memory>

#include "mlx/distributed/backend.h"

namespace mlx::core::distributed::mpi {

/** Whether the MPI backend was built. */
bool is_available();

/** The world group: MPI is initialized on the first call (and finalized at
 * exit). Returns nullptr when the process was not started by mpirun, or
 * throws std::runtime_error if `strict`. */
std::shared_ptr<detail::GroupImpl> init(bool strict);

} // namespace mlx::core::distributed::mpi
