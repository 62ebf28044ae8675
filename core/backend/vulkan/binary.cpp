// The Binary primitive on Vulkan (shaders/binary.comp): the same dtypes as
// the CPU kernel (its dispatch table decides what is refused, with the same
// error), except complex64, and float64 for the ops that are exact in
// double (no double-precision pow, atan2, log or exact fmod in shaders).
#include <sstream>
#include <stdexcept>

#include "mlx/backend/cpu/binary_ops.h"
#include "mlx/backend/vulkan/elementwise.h"
#include "mlx/primitives/elementwise.h"

namespace mlx::core {

namespace vulkan {

namespace {

bool exact_in_double(BinaryOp op) {
  switch (op) {
  case BinaryOp::Remainder:
  case BinaryOp::Power:
  case BinaryOp::ArcTan2:
  case BinaryOp::LogAddExp:
    return false;
  default:
    return true;
  }
}

} // namespace

void binary_kernel(
    Encoder& enc,
    BinaryOp op,
    const array& a,
    const array& b,
    array& out,
    const char* name,
    bool donate) {
  Dtype dt = a.dtype();
  if (dt == complex64 || b.dtype() == complex64) {
    complex_unsupported(name);
  }
  if (b.dtype() != dt) {
    std::ostringstream msg;
    msg << "[" << name << "] inputs of different dtypes (" << dt << ", "
        << b.dtype() << ")";
    throw std::invalid_argument(msg.str());
  }
  cpu::dispatch_binary(op, dt, name, [](auto, auto, auto) {});
  bool f64 = dt == float64;
  if (f64) {
    check_float64_op(name, exact_in_double(op));
  }
  std::vector<int> donors;
  if (donate) {
    donors = {0, 1};
  }
  record_elementwise(
      enc,
      f64 ? "binary_f64" : "binary",
      {uint32_t(op),
       uint32_t(Dtype::Val(dt)),
       uint32_t(Dtype::Val(out.dtype()))},
      {&a, &b},
      out,
      name,
      donors);
}

} // namespace vulkan

void Binary::eval_gpu(const std::vector<array>& inputs, array& out) {
  vulkan::binary_kernel(
      vulkan::encoder(stream().index),
      op_,
      inputs[0],
      inputs[1],
      out,
      name(),
      true);
}

} // namespace mlx::core
