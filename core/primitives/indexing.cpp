#include "mlx/primitives/indexing.h"

namespace mlx::core {

bool Take::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Take*>(&other);
  return o && o->axis_ == axis_;
}

bool TakeAlongAxis::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const TakeAlongAxis*>(&other);
  return o && o->axis_ == axis_;
}

bool PutAlongAxis::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const PutAlongAxis*>(&other);
  return o && o->axis_ == axis_;
}

bool SliceUpdate::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const SliceUpdate*>(&other);
  return o && o->start_ == start_ && o->strides_ == strides_;
}

bool Diagonal::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Diagonal*>(&other);
  return o && o->offset_ == offset_ && o->axis1_ == axis1_ &&
         o->axis2_ == axis2_;
}

} // namespace mlx::core
