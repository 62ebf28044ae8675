// Compiled (a fused element-wise region) on Vulkan: one pass of
// shaders/fused.comp when the region is float32 arithmetic (with bool
// values: comparisons, logic, masks) over at most six inputs; otherwise its
// steps run one by one with the unfused kernels, each into a temporary
// array of the output's shape (kept alive until the batch completes), the
// last step writing the output.
#include <memory>
#include <optional>
#include <vector>

#include "mlx/backend/common/views.h"
#include "mlx/backend/vulkan/allocator.h"
#include "mlx/backend/vulkan/copy.h"
#include "mlx/backend/vulkan/elementwise.h"
#include "mlx/primitives/compiled.h"

namespace mlx::core {

namespace {

// fused.comp's limit on inputs plus step results (its shared memory).
constexpr size_t kMaxFusedValues = 24;

bool float_or_bool(Dtype t) {
  return t == float32 || t == bool_;
}

// Whether fused.comp computes a step as the unfused kernel would: float32
// math, or bool results (0 or 1) of comparisons and logic.
bool fusable(const FusedStep& step) {
  switch (step.kind) {
  case FusedStep::Kind::unary: {
    auto op = static_cast<UnaryOp>(step.op);
    if (op == UnaryOp::LogicalNot) {
      return step.dtype == bool_;
    }
    return step.dtype == float32 && op != UnaryOp::BitwiseInvert;
  }
  case FusedStep::Kind::binary: {
    auto op = static_cast<BinaryOp>(step.op);
    if (op >= BinaryOp::Equal && op <= BinaryOp::LogicalOr) {
      return step.dtype == bool_;
    }
    return step.dtype == float32 && op <= BinaryOp::LogAddExp;
  }
  case FusedStep::Kind::select:
  case FusedStep::Kind::astype:
  case FusedStep::Kind::broadcast:
    return float_or_bool(step.dtype);
  }
  return false;
}

// fused.comp's program for the region (four ints per step), or nothing
// when the region does not qualify.
std::optional<std::vector<int32_t>> fused_program(
    const std::vector<array>& inputs,
    const std::vector<FusedStep>& steps,
    const array& out) {
  if (inputs.empty() || inputs.size() > vulkan::kMaxElementwiseInputs ||
      inputs.size() + steps.size() > kMaxFusedValues ||
      !float_or_bool(out.dtype())) {
    return std::nullopt;
  }
  std::vector<Dtype> dtypes;
  for (auto& in : inputs) {
    if (!float_or_bool(in.dtype())) {
      return std::nullopt;
    }
    dtypes.push_back(in.dtype());
  }
  std::vector<int32_t> program;
  for (auto& step : steps) {
    if (!fusable(step) || step.args.size() > 3) {
      return std::nullopt;
    }
    bool arithmetic =
        step.dtype == float32 && (step.kind == FusedStep::Kind::unary ||
                                  step.kind == FusedStep::Kind::binary);
    for (int a : step.args) {
      // Arithmetic reads float32 operands; bools only feed comparisons,
      // logic, conversions and select.
      if (arithmetic && dtypes[a] != float32) {
        return std::nullopt;
      }
    }
    int32_t op = step.op;
    if (step.kind == FusedStep::Kind::astype) {
      op = step.dtype == bool_ ? 1 : 0; // fused.comp's TO_BOOL, TO_FLOAT
    }
    program.push_back(int32_t(step.kind) | (op << 8));
    for (size_t k = 0; k < 3; ++k) {
      program.push_back(k < step.args.size() ? step.args[k] : 0);
    }
    dtypes.push_back(step.dtype);
  }
  return program;
}

} // namespace

void Compiled::eval_gpu(const std::vector<array>& inputs, array& out) {
  auto& enc = vulkan::encoder(stream().index);
  if (out.size() == 0) {
    out.set_data(vulkan::allocator().malloc(0));
    return;
  }
  if (auto program = fused_program(inputs, steps(), out)) {
    std::vector<const array*> in;
    std::vector<int> donors;
    for (size_t k = 0; k < inputs.size(); ++k) {
      in.push_back(&inputs[k]);
      donors.push_back(int(k));
    }
    vulkan::record_elementwise(
        enc, "fused", {}, in, out, name(), donors, *program);
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
