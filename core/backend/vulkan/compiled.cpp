// Compiled (a fused element-wise region) on Vulkan: its steps run one by
// one with the unfused kernels, each into a temporary array of the output's
// shape (kept alive until the batch completes); the last step writes the
// output. A single fused shader would save the temporaries' memory traffic.
#include <memory>
#include <vector>

#include "mlx/backend/common/views.h"
#include "mlx/backend/vulkan/allocator.h"
#include "mlx/backend/vulkan/copy.h"
#include "mlx/backend/vulkan/elementwise.h"
#include "mlx/primitives/compiled.h"

namespace mlx::core {

void Compiled::eval_gpu(const std::vector<array>& inputs, array& out) {
  auto& enc = vulkan::encoder(stream().index);
  if (out.size() == 0) {
    out.set_data(vulkan::allocator().malloc(0));
    return;
  }
  const int ni = num_inputs();
  const auto& steps = this->steps();
  const int nsteps = int(steps.size());
  // values[v]: input v (ni first), then step results. Inputs keep their own
  // layout; the kernels broadcast them to the output's shape.
  std::vector<array> values(inputs.begin(), inputs.end());
  for (int k = 0; k < nsteps; ++k) {
    const FusedStep& step = steps[k];
    const char* name = step.primitive->name();
    if (step.kind == FusedStep::Kind::broadcast) {
      const array& src = values[step.args[0]];
      array view(out.shape(), src.dtype(), nullptr, {});
      views::broadcast(src, view);
      view.set_status(array::Status::available);
      values.push_back(view);
      continue;
    }
    bool last = k == nsteps - 1;
    array result = last ? out : array(out.shape(), step.dtype, nullptr, {});
    // No donation: a value may be read again by a later step.
    switch (step.kind) {
    case FusedStep::Kind::unary:
      vulkan::unary_kernel(
          enc,
          static_cast<UnaryOp>(step.op),
          values[step.args[0]],
          result,
          name,
          false);
      break;
    case FusedStep::Kind::binary:
      vulkan::binary_kernel(
          enc,
          static_cast<BinaryOp>(step.op),
          values[step.args[0]],
          values[step.args[1]],
          result,
          name,
          false);
      break;
    case FusedStep::Kind::select:
      vulkan::select_kernel(
          enc,
          values[step.args[0]],
          values[step.args[1]],
          values[step.args[2]],
          result,
          name,
          false);
      break;
    case FusedStep::Kind::astype: {
      // The copy kernel wants the input at the output's shape.
      const array& src = values[step.args[0]];
      array view(out.shape(), src.dtype(), nullptr, {});
      views::broadcast(src, view);
      view.set_status(array::Status::available);
      vulkan::copy_to_row_contiguous(enc, view, result, name);
      break;
    }
    case FusedStep::Kind::broadcast:
      break;
    }
    if (!last) {
      result.set_status(array::Status::available);
    }
    values.push_back(result);
  }
  // The temporaries' buffers must outlive the batch that reads them.
  auto keep = std::make_shared<std::vector<array>>(
      values.begin() + ni, values.end() - 1);
  enc.add_completed_handler([keep](std::exception_ptr) {});
}

} // namespace mlx::core
