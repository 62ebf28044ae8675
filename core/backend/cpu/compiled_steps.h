// The element loops behind the steps of a fused region (Compiled): one
// function per (op, dtype), taken from the same element functors as the
// Unary and Binary kernels.
#pragma once

#include <vector>

#include "mlx/primitives/compiled.h"

namespace mlx::core::cpu {

/** Computes dst[i] = f(args[0][i], ...) for i in [0, n); the arguments and
 * dst are contiguous runs of their dtypes (dst may be an argument). */
using StepFn = void (*)(const void* const* args, void* dst, size_t n);

/** The loop of a (non-broadcast) step whose arguments have `arg_dtypes`;
 * throws as the unfused primitive would for dtypes its op does not take. */
StepFn
step_function(const FusedStep& step, const std::vector<Dtype>& arg_dtypes);

} // namespace mlx::core::cpu
