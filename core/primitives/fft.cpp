#include "mlx/primitives/fft.h"

namespace mlx::core {

bool FFT::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const FFT*>(&other);
  return o && o->axes_ == axes_ && o->inverse_ == inverse_ &&
         o->real_ == real_ && o->real_length_ == real_length_;
}

} // namespace mlx::core
