// Dispatch of a kernel over the floating dtypes (not complex64), for the
// CPU kernels that compute in floating point only.
#pragma once

#include "mlx/array.h"
#include "mlx/utils.h"

namespace mlx::core::cpu {

/** Calls f(T{}) for the floating dtype t; raises "[op] No CPU kernel for
 * dtype t." for any other. */
template <typename F> void dispatch_float(const char* op, Dtype t, F&& f) {
  switch (t.val()) {
  case Dtype::Val::float16:
    return f(float16_t{});
  case Dtype::Val::bfloat16:
    return f(bfloat16_t{});
  case Dtype::Val::float32:
    return f(float{});
  case Dtype::Val::float64:
    return f(double{});
  default:
    throw_error("[", op, "] No CPU kernel for dtype ", t, ".");
  }
}

} // namespace mlx::core::cpu
