#include "mlx/primitives/conv.h"

namespace mlx::core {

bool Convolution::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Convolution*>(&other);
  return o && o->stride_ == stride_ && o->padding_lo_ == padding_lo_ &&
         o->padding_hi_ == padding_hi_ &&
         o->kernel_dilation_ == kernel_dilation_ &&
         o->input_dilation_ == input_dilation_ && o->groups_ == groups_ &&
         o->flip_ == flip_;
}

} // namespace mlx::core
