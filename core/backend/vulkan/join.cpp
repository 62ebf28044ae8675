// Concatenate on Vulkan: each input is copied (and converted) into its slot
// of the row-major output by shaders/indexing.comp, as the CPU's join.cpp.
#include "mlx/primitives/join.h"
#include "mlx/backend/vulkan/allocator.h"
#include "mlx/backend/vulkan/indexing.h"
#include "mlx/backend/vulkan/utils.h"

namespace mlx::core {

void Concatenate::eval_gpu(const std::vector<array>& inputs, array& out) {
  auto& enc = vulkan::encoder(stream().index);
  if (out.size() == 0) {
    out.set_data(vulkan::allocator().malloc(0));
    return;
  }
  vulkan::bind_output(out); // gives `out` its buffer; written below
  int64_t axis_stride = out.strides()[axis_];
  int64_t offset = 0;
  for (const auto& in : inputs) {
    vulkan::copy_into(enc, in, out, offset, out.strides(), name());
    offset += int64_t(in.shape(axis_)) * axis_stride;
  }
}

} // namespace mlx::core
