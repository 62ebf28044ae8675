#include "mlx/primitives/random.h"

namespace mlx::core {

bool RandomBits::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const RandomBits*>(&other);
  return o && o->shape_ == shape_ && o->width_ == width_;
}

} // namespace mlx::core
