#include "mlx/primitives/matmul.h"

namespace mlx::core {

bool Matmul::is_equivalent(const Primitive& other) const {
  return dynamic_cast<const Matmul*>(&other) != nullptr;
}

bool AddMM::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const AddMM*>(&other);
  return o && o->alpha_ == alpha_ && o->beta_ == beta_;
}

bool GatherMM::is_equivalent(const Primitive& other) const {
  return dynamic_cast<const GatherMM*>(&other) != nullptr;
}

bool GatherMMScatterAdd::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const GatherMMScatterAdd*>(&other);
  return o && o->out_batch_ == out_batch_;
}

} // namespace mlx::core
