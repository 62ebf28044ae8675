#include "mlx/primitives/scatter.h"

namespace mlx::core {

bool ScatterAddAxis::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const ScatterAddAxis*>(&other);
  return o && o->axis_ == axis_;
}

} // namespace mlx::core
