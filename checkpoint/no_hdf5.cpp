// Stands in for hdf5_file.cpp when the library is built without HDF5
// (MLX_BUILD_HDF5=OFF): checkpoints raise instead of being written.
#include <stdexcept>

#include "checkpoint_impl.h"

namespace mlx::nn::detail {

namespace {

[[noreturn]] void not_built(const std::string& context) {
  throw std::runtime_error(
      context +
      ": MLX was built without HDF5; install libhdf5-dev (see "
      "scripts/install_deps.sh) and reconfigure with MLX_BUILD_HDF5=ON.");
}

} // namespace

void write_checkpoint_file(
    const std::string&,
    const CheckpointContents&,
    const std::function<void(const std::string&)>&,
    const std::string& context) {
  not_built(context);
}

CheckpointContents
read_checkpoint_file(const std::string&, const std::string& context) {
  not_built(context);
}

} // namespace mlx::nn::detail
