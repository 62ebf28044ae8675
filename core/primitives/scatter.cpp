#include "mlx/primitives/scatter.h"

#include <memory>

namespace mlx::core {

bool ScatterAddAxis::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const ScatterAddAxis*>(&other);
  return o && o->axis_ == axis_;
}

bool Scatter::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Scatter*>(&other);
  return o && o->reduce_ == reduce_;
}

const char* Scatter::op_name() const {
  switch (reduce_) {
  case None:
    return "scatter";
  case Sum:
    return "scatter_add";
  case Prod:
    return "scatter_prod";
  case Max:
    return "scatter_max";
  case Min:
    return "scatter_min";
  }
  return "scatter";
}

array scatter_flat(
    const array& a,
    const array& indices,
    const array& updates,
    Scatter::ReduceType reduce,
    StreamOrDevice s) {
  return array(
      a.shape(),
      a.dtype(),
      std::make_shared<Scatter>(to_stream(s), reduce),
      {a, indices, updates});
}

} // namespace mlx::core
