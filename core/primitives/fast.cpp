#include "mlx/primitives/fast.h"
#include "mlx/primitives/fast_vjp.h"

namespace mlx::core::fast {

bool RMSNorm::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const RMSNorm*>(&other);
  return o && o->eps_ == eps_;
}

bool LayerNorm::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const LayerNorm*>(&other);
  return o && o->eps_ == eps_ && o->has_weight_ == has_weight_ &&
         o->has_bias_ == has_bias_;
}

bool RoPE::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const RoPE*>(&other);
  return o && o->dims_ == dims_ && o->traditional_ == traditional_ &&
         o->base_ == base_ && o->scale_ == scale_ && o->forward_ == forward_;
}

bool ScaledDotProductAttention::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const ScaledDotProductAttention*>(&other);
  return o && o->scale_ == scale_ && o->causal_ == causal_ &&
         o->has_mask_ == has_mask_ && o->has_sinks_ == has_sinks_;
}

bool FusedVJP::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const FusedVJP*>(&other);
  return o && o->argnums_ == argnums_ && o->forward_->is_equivalent(*forward_);
}

} // namespace mlx::core::fast
