// Starts writing a checkpoint to argv[1] and stops after its first dataset:
// writes one byte to stdout, then waits on stdin, which never receives
// anything, until the test kills it (KilledWriterLeavesOldFileLoadable).
#include <unistd.h>

#include <memory>

#include "mlx/checkpoint.h"
#include "mlx/nn/layers/containers.h"
#include "mlx/nn/layers/linear.h"
#include "mlx/optimizers.h"

namespace nn = mlx::nn;

int main(int argc, char** argv) {
  if (argc != 2) {
    return 2;
  }
  // Large enough that the file is far from complete at the stop.
  nn::Sequential model(
      std::make_shared<nn::Linear>(1024, 1024),
      std::make_shared<nn::Linear>(1024, 1024));
  mlx::optimizers::Adam optimizer(1e-3);
  optimizer.init(model.trainable_parameters());
  nn::detail::set_checkpoint_write_hook([](const std::string&) {
    char c = 'x';
    if (::write(1, &c, 1) != 1) {
      ::_exit(3);
    }
    [[maybe_unused]] auto n = ::read(0, &c, 1);
    ::_exit(4); // stdin closed: the test went away without killing us
  });
  nn::save_checkpoint(argv[1], model, optimizer);
  return 5;
}
