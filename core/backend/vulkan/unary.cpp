// The Unary primitive on Vulkan (shaders/unary.comp): the same dtypes as the
// CPU kernel (its dispatch table decides what is refused, with the same
// error), except complex64, and float64 only for the exact ops (GLSL has no
// double-precision transcendental functions).

#include "mlx/backend/cpu/unary_ops.h"
#include "mlx/backend/vulkan/elementwise.h"
#include "mlx/primitives/elementwise.h"

namespace mlx::core {

namespace vulkan {

namespace {

bool exact_in_double(UnaryOp op) {
  switch (op) {
  case UnaryOp::Abs:
  case UnaryOp::Negative:
  case UnaryOp::Sign:
  case UnaryOp::Square:
  case UnaryOp::Sqrt:
  case UnaryOp::Rsqrt:
  case UnaryOp::Floor:
  case UnaryOp::Ceil:
  case UnaryOp::Round:
    return true;
  default:
    return false;
  }
}

} // namespace

void unary_kernel(
    Encoder& enc,
    UnaryOp op,
    const array& in,
    array& out,
    const char* name,
    bool donate) {
  Dtype dt = in.dtype();
  if (dt == complex64 || out.dtype() == complex64) {
    complex_unsupported(name);
  }
  // The CPU's table of supported dtypes, and its error for the others.
  cpu::dispatch_unary(op, dt, name, [](auto, auto, auto) {});
  bool f64 = dt == float64;
  if (f64) {
    check_float64_op(name, exact_in_double(op));
  }
  record_elementwise(
      enc,
      f64 ? "unary_f64" : "unary",
      {uint32_t(op),
       uint32_t(Dtype::Val(dt)),
       uint32_t(Dtype::Val(out.dtype()))},
      {&in},
      out,
      name,
      donate ? std::vector<int>{0} : std::vector<int>{});
}

} // namespace vulkan

void Unary::eval_gpu(const std::vector<array>& inputs, array& out) {
  vulkan::unary_kernel(
      vulkan::encoder(stream().index), op_, inputs[0], out, name(), true);
}

} // namespace mlx::core
