#include "mlx/primitives/primitive.h"

#include <sstream>
#include <stdexcept>

namespace mlx::core {

namespace {

[[noreturn]] void not_implemented(const Primitive& p, const char* what) {
  std::ostringstream msg;
  msg << "[" << p.name() << "] " << what
      << " is not implemented yet (it arrives with the function transforms).";
  throw std::runtime_error(msg.str());
}

} // namespace

std::vector<array> Primitive::jvp(
    const std::vector<array>&,
    const std::vector<array>&,
    const std::vector<int>&) {
  not_implemented(*this, "jvp");
}

std::vector<array> Primitive::vjp(
    const std::vector<array>&,
    const std::vector<array>&,
    const std::vector<int>&,
    const std::vector<array>&) {
  not_implemented(*this, "vjp");
}

std::pair<std::vector<array>, std::vector<int>>
Primitive::vmap(const std::vector<array>&, const std::vector<int>&) {
  not_implemented(*this, "vmap");
}

} // namespace mlx::core
