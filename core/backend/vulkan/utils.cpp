#include "mlx/backend/vulkan/utils.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "mlx/backend/gpu/eval.h"
#include "mlx/backend/vulkan/allocator.h"
#include "mlx/backend/vulkan/device.h"

namespace mlx::core::vulkan {

namespace {

size_t round_up(size_t v, size_t to) {
  return (v + to - 1) / to * to;
}

} // namespace

ArrayBinding bind_input(Encoder& enc, const array& in) {
  // Byte range [begin, end) of the view: its first element plus the
  // farthest reach of the strides, either way.
  int64_t lo = 0, hi = 0;
  for (size_t d = 0; d < in.ndim(); ++d) {
    int64_t reach = int64_t(in.shape()[d] - 1) * in.strides()[d];
    (reach < 0 ? lo : hi) += reach;
  }
  int64_t item = int64_t(in.itemsize());
  int64_t begin = in.offset() + lo * item;
  int64_t end = in.offset() + (hi + 1) * item;
  if (is_vulkan_buffer(in.buffer())) {
    size_t align = binding_alignment();
    size_t start = size_t(begin) / align * align;
    size_t bytes = round_up(size_t(end) - start, 4);
    // The word rounding stays inside the buffer: its size class is a
    // multiple of 64 bytes.
    bytes = std::min(bytes, allocator().size(in.buffer()) - start);
    check_binding_range(bytes);
    return {
        {in.buffer(), start, bytes, Access::read},
        uint32_t((in.offset() - int64_t(start)) / item)};
  }
  size_t bytes = size_t(end - begin);
  check_binding_range(bytes);
  auto* host = static_cast<const char*>(in.buffer().raw_ptr());
  if (host == nullptr) {
    throw std::invalid_argument(
        "[vulkan] an input's memory is neither a Vulkan buffer nor host "
        "memory");
  }
  auto up = enc.upload(host + begin, bytes);
  return {
      {up, 0, round_up(bytes, 4), Access::read},
      uint32_t((in.offset() - begin) / item)};
}

Binding bind_output(array& out) {
  size_t bytes = out.nbytes();
  check_binding_range(round_up(bytes, 4));
  out.set_data(allocator().malloc(bytes));
  return {out.buffer(), 0, round_up(bytes, 4), Access::write};
}

void check_int64(const char* name) {
  if (!device().features.int64) {
    std::ostringstream msg;
    msg << "[" << name << "] the Vulkan device lacks shaderInt64, which the "
        << "copy kernels need";
    throw std::runtime_error(msg.str());
  }
}

void check_float64(const char* name) {
  if (!device().features.float64) {
    std::ostringstream msg;
    msg << "[" << name << "] float64 needs shaderFloat64, which the Vulkan "
        << "device lacks";
    throw std::runtime_error(msg.str());
  }
}

} // namespace mlx::core::vulkan
