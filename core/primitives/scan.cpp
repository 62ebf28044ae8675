#include "mlx/primitives/scan.h"

namespace mlx::core {

const char* Scan::name() const {
  switch (op_) {
  case ScanOp::Sum:
    return "CumSum";
  case ScanOp::Prod:
    return "CumProd";
  case ScanOp::Max:
    return "CumMax";
  case ScanOp::Min:
    return "CumMin";
  case ScanOp::LogAddExp:
    return "CumLogaddexp";
  }
  return "Scan";
}

bool Scan::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Scan*>(&other);
  return o && o->op_ == op_ && o->axis_ == axis_ && o->reverse_ == reverse_ &&
         o->inclusive_ == inclusive_;
}

} // namespace mlx::core
