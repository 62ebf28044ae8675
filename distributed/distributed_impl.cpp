// Settings and names shared by the backends.
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "mlx/distributed/distributed_impl.h"

namespace mlx::core::distributed::detail {

double timeout_seconds() {
  static const double seconds = [] {
    const char* text = std::getenv("MLX_DIST_TIMEOUT");
    if (text == nullptr) {
      return kDefaultTimeoutSeconds;
    }
    char* end = nullptr;
    double v = std::strtod(text, &end);
    if (end == text || *end != '\0' || !std::isfinite(v) || v <= 0) {
      throw std::invalid_argument(
          std::string("[distributed] MLX_DIST_TIMEOUT=") + text +
          " must be a positive number of seconds.");
    }
    return v;
  }();
  return seconds;
}

const char* all_reduce_name(ReduceOp op) {
  switch (op) {
  case ReduceOp::Sum:
    return "all_sum";
  case ReduceOp::Max:
    return "all_max";
  case ReduceOp::Min:
    return "all_min";
  }
  return "all_reduce";
}

} // namespace mlx::core::distributed::detail
