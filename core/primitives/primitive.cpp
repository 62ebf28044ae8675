#include "mlx/primitives/primitive.h"

#include <sstream>
#include <stdexcept>

namespace mlx::core {

namespace {

[[noreturn]] void no_rule(const Primitive& p, const char* what) {
  std::ostringstream msg;
  msg << "[" << p.name() << "] This primitive has no " << what << " rule.";
  throw std::invalid_argument(msg.str());
}

} // namespace

std::vector<array> Primitive::jvp(
    const std::vector<array>&,
    const std::vector<array>&,
    const std::vector<int>&) {
  no_rule(*this, "jvp");
}

std::vector<array> Primitive::vjp(
    const std::vector<array>&,
    const std::vector<array>&,
    const std::vector<int>&,
    const std::vector<array>&) {
  no_rule(*this, "vjp");
}

std::pair<std::vector<array>, std::vector<int>>
Primitive::vmap(const std::vector<array>&, const std::vector<int>&) {
  no_rule(*this, "vmap");
}

} // namespace mlx::core
