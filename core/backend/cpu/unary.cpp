// CPU kernels of the Unary primitive. The element math lives in
// unary_ops.h (shared with the fused kernels of compile).
#include "mlx/backend/cpu/elementwise.h"
#include "mlx/backend/cpu/math.h"
#include "mlx/backend/cpu/unary_ops.h"
#include "mlx/primitives/elementwise.h"

namespace mlx::core {

namespace cpu {

// On x86-64 it is built twice, for AVX2 + FMA (x86-64-v3) and for the
// baseline, and the loader picks the clone that fits the CPU: the 8-wide
// version is what keeps exp near memory bandwidth (benchmarks/RESULTS.md).
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
void exp_float_contiguous(const float* src, float* dst, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    dst[i] = fast_expf(src[i]);
  }
}

} // namespace cpu

void Unary::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  if (in.size() == 0) {
    out.set_data(allocator::malloc(0));
    return;
  }
  if (op_ == UnaryOp::Exp && in.dtype() == float32 && in.flags().contiguous) {
    cpu::set_unary_output(in, out);
    const float* src = in.data<float>();
    float* dst = out.data<float>();
    cpu::parallel_for(
        in.data_size(), cpu::kElementwiseGrain, [&](size_t b, size_t e) {
          cpu::exp_float_contiguous(src + b, dst + b, e - b);
        });
    return;
  }
  cpu::dispatch_unary(
      op_, in.dtype(), name(), [&](auto fn, auto in_tag, auto out_tag) {
        using In = decltype(in_tag);
        using Out = decltype(out_tag);
        cpu::unary_kernel<In, Out>(in, out, fn);
      });
}

} // namespace mlx::core
