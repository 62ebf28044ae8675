#include "mlx/device.h"

#include "mlx/backend/gpu/eval.h"

namespace mlx::core {

bool is_available(const Device& d) {
  return d.type == Device::cpu || gpu::is_available();
}

} // namespace mlx::core
