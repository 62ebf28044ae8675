// The scheduler's GPU hooks when no GPU backend is built: there is no GPU,
// and anything that reaches for one gets a clear error.
#include <stdexcept>

#include "mlx/backend/gpu/eval.h"
#include "mlx/primitives/primitive.h"

namespace mlx::core::gpu {

namespace {
[[noreturn]] void no_gpu(const char* what) {
  throw std::runtime_error(
      std::string("[") + what + "] No GPU: this build has no GPU backend.");
}
} // namespace

bool is_available() {
  return false;
}

bool is_default_device() {
  return false;
}

int device_count() {
  return 0;
}

const std::unordered_map<std::string, std::variant<std::string, size_t>>&
device_info(int) {
  no_gpu("gpu::device_info");
}

int device_index() {
  no_gpu("gpu::device_index");
}

allocator::Allocator& allocator() {
  no_gpu("gpu::allocator");
}

// A primitive on a GPU stream raises its own error (every eval_gpu of the
// stub throws), naming the primitive.
void eval(array& arr, std::function<void(std::exception_ptr)>) {
  auto outputs = arr.outputs();
  arr.primitive().eval_gpu(arr.inputs(), outputs);
  no_gpu("gpu::eval");
}

bool needs_commit(const Stream&) {
  return false;
}

void commit(const Stream&) {}

void synchronize(const Stream&) {}

} // namespace mlx::core::gpu
