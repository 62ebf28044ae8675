#include "mlx/primitives/quantized.h"

namespace mlx::core {

bool Quantize::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Quantize*>(&other);
  return o && o->params_ == params_;
}

bool Dequantize::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Dequantize*>(&other);
  return o && o->params_ == params_;
}

bool QuantizedMatmul::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const QuantizedMatmul*>(&other);
  return o && o->params_ == params_ && o->transpose_ == transpose_;
}

bool GatherQMM::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const GatherQMM*>(&other);
  return o && o->params_ == params_ && o->transpose_ == transpose_;
}

} // namespace mlx::core
