#include "mlx/primitives/reduce.h"

namespace mlx::core {

const char* Reduce::name() const {
  switch (op_) {
  case ReduceOp::And:
    return "All";
  case ReduceOp::Or:
    return "Any";
  case ReduceOp::Sum:
    return "Sum";
  case ReduceOp::Prod:
    return "Prod";
  case ReduceOp::Min:
    return "Min";
  case ReduceOp::Max:
    return "Max";
  }
  return "Reduce";
}

bool Reduce::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Reduce*>(&other);
  return o && o->op_ == op_ && o->axes_ == axes_;
}

bool ArgReduce::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const ArgReduce*>(&other);
  return o && o->op_ == op_ && o->axis_ == axis_;
}

} // namespace mlx::core
