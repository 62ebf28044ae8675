// Select (where) on Vulkan (shaders/ternary.comp), and Arange
// (shaders/arange.comp), the other element-wise producer.
#include <algorithm>
#include <cstring>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <type_traits>

#include "mlx/backend/vulkan/allocator.h"
#include "mlx/backend/vulkan/device.h"
#include "mlx/backend/vulkan/elementwise.h"
#include "mlx/backend/vulkan/pipeline.h"
#include "mlx/backend/vulkan/utils.h"
#include "mlx/primitives/elementwise.h"
#include "mlx/primitives/shape.h"

namespace mlx::core {

namespace vulkan {

void select_kernel(
    Encoder& enc,
    const array& cond,
    const array& x,
    const array& y,
    array& out,
    const char* name,
    bool donate) {
  if (cond.dtype() != bool_ || x.dtype() != out.dtype() ||
      y.dtype() != out.dtype()) {
    std::ostringstream msg;
    msg << "[" << name << "] needs a bool condition and values of the "
        << "output's dtype";
    throw std::invalid_argument(msg.str());
  }
  // Only bits move: complex64 (8 bytes) needs nothing special here.
  std::vector<int> donors;
  if (donate) {
    donors = {1, 2};
  }
  record_elementwise(
      enc,
      "ternary",
      {uint32_t(Dtype::Val(out.dtype()))},
      {&cond, &x, &y},
      out,
      name,
      donors);
}

} // namespace vulkan

void Select::eval_gpu(const std::vector<array>& inputs, array& out) {
  vulkan::select_kernel(
      vulkan::encoder(stream().index),
      inputs[0],
      inputs[1],
      inputs[2],
      out,
      name(),
      true);
}

namespace {

// The push constants of shaders/arange.glsl.
struct ArangeParams {
  uint32_t n, unused;
  uint32_t start[2], step[2], first[2], delta[2];
};
static_assert(sizeof(ArangeParams) <= vulkan::kPushConstantBytes);

void split(uint64_t v, uint32_t* w) {
  w[0] = uint32_t(v);
  w[1] = uint32_t(v >> 32);
}

uint64_t bits_of(double d) {
  uint64_t b;
  std::memcpy(&b, &d, sizeof(b));
  return b;
}

} // namespace

void Arange::eval_gpu(const std::vector<array>&, array& out) {
  auto& enc = vulkan::encoder(stream().index);
  Dtype dt = out.dtype();
  if (dt == complex64) {
    vulkan::complex_unsupported(name());
  }
  vulkan::check_int64(name());
  size_t n = out.size();
  if (n > std::numeric_limits<uint32_t>::max()) {
    std::ostringstream msg;
    msg << "[" << name() << "] " << n << " elements: the Vulkan kernel "
        << "handles at most 2^32 - 1";
    throw std::invalid_argument(msg.str());
  }
  if (n == 0) {
    out.set_data(vulkan::allocator().malloc(0));
    return;
  }
  bool in_double = vulkan::device().features.float64;
  if (dt == float64) {
    vulkan::check_float64(name());
  }
  ArangeParams p{};
  p.n = uint32_t(n);
  if (issubdtype(dt, floating)) {
    if (in_double) {
      split(bits_of(start_), p.start);
      split(bits_of(step_), p.step);
    } else {
      float s = float(start_), st = float(step_);
      std::memcpy(&p.start[0], &s, 4);
      std::memcpy(&p.step[0], &st, 4);
    }
  } else {
    // As the CPU: T(start), then steps of T(start + step) - T(start).
    detail::dispatch_dtype(dt, [&](auto tag) {
      using T = decltype(tag);
      if constexpr (std::is_integral_v<T>) {
        auto first = static_cast<uint64_t>(detail::convert_scalar<T>(start_));
        auto delta =
            static_cast<uint64_t>(detail::convert_scalar<T>(start_ + step_)) -
            first;
        split(first, p.first);
        split(delta, p.delta);
      }
    });
  }
  vulkan::Binding b = vulkan::bind_output(out);
  size_t per_word = out.itemsize() < 4 ? 4 / out.itemsize() : 1;
  size_t groups = ((n + per_word - 1) / per_word + 255) / 256;
  uint32_t gx = uint32_t(std::min<size_t>(groups, 65535));
  uint32_t gy = uint32_t((groups + gx - 1) / gx);
  enc.dispatch(
      vulkan::pipeline(
          in_double ? "arange_f64" : "arange", {uint32_t(Dtype::Val(dt))}),
      {b},
      &p,
      sizeof(p),
      gx,
      gy);
}

} // namespace mlx::core
