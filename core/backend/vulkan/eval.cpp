// The scheduler's GPU hooks (core/backend/gpu/eval.h) on Vulkan: a GPU
// stream records into its encoder; completion handlers run on the encoder's
// completion thread.
#include "mlx/backend/gpu/eval.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "mlx/backend/vulkan/allocator.h"
#include "mlx/backend/vulkan/device.h"
#include "mlx/backend/vulkan/encoder.h"
#include "mlx/primitives/primitive.h"

namespace mlx::core::gpu {

allocator::Allocator& allocator() {
  return vulkan::allocator();
}

void eval(array& arr, std::function<void(std::exception_ptr)> on_complete) {
  int stream = arr.primitive().stream().index;
  auto outputs = arr.outputs();
  try {
    arr.primitive().eval_gpu(arr.inputs(), outputs);
  } catch (...) {
    // Commands recorded before the failure still run: the buffers they read
    // and write stay alive until the batch completes. (Kernels check
    // everything before recording, so this is rarely anything.) Without a
    // device nothing was recorded, and the primitive's error is the one
    // to report.
    try {
      if (vulkan::is_available()) {
        vulkan::encoder(stream).add_completed_handler(
            [inputs = arr.inputs(), outputs](std::exception_ptr) {});
      }
    } catch (...) {
    }
    throw;
  }
  // The encoder after the kernel: a primitive without a kernel reports
  // itself, not the missing device.
  // The inputs' and siblings' buffers live until the device is done with
  // them (not the arrays: later kernels of the stream may donate those).
  // An input donated to an output is the output's now.
  std::vector<std::shared_ptr<array::Data>> buffers;
  auto keep = [&](const array& a) {
    auto& data = a.data_shared_ptr();
    bool donated = std::any_of(outputs.begin(), outputs.end(), [&](auto& o) {
      return o.data_shared_ptr() == data;
    });
    if (data && !donated &&
        std::find(buffers.begin(), buffers.end(), data) == buffers.end()) {
      buffers.push_back(data);
    }
  };
  for (auto& in : arr.inputs()) {
    keep(in);
  }
  for (auto& s : arr.siblings()) {
    keep(s);
  }
  // The buffers go before the signal: whoever wakes on it may find the
  // inputs' buffers unshared (donatable) again.
  vulkan::encoder(stream).add_completed_handler(
      [buffers = std::move(buffers),
       done = std::move(on_complete)](std::exception_ptr e) mutable {
        buffers.clear();
        done(e);
      });
}

bool needs_commit(const Stream& s) {
  auto* enc = vulkan::find_encoder(s.index);
  return enc && enc->needs_commit();
}

// Both run on the stream's worker, also after a failed eval: they never
// throw, and a stream that recorded nothing (no encoder, maybe no device)
// has nothing to submit or wait for.
void commit(const Stream& s) {
  if (auto* enc = vulkan::find_encoder(s.index)) {
    enc->commit();
  }
}

void synchronize(const Stream& s) {
  if (auto* enc = vulkan::find_encoder(s.index)) {
    enc->synchronize();
  }
}

} // namespace mlx::core::gpu
