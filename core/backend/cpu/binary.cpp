// CPU kernels of the Binary, Select and AsType primitives. The element
// math of Binary lives in binary_ops.h (shared with the fused kernels of
// compile).
#include "mlx/backend/cpu/binary_ops.h"
#include "mlx/backend/cpu/copy.h"
#include "mlx/backend/cpu/elementwise.h"
#include "mlx/primitives/elementwise.h"

namespace mlx::core {

void Binary::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& a = inputs[0];
  const array& b = inputs[1];
  cpu::dispatch_binary(
      op_, a.dtype(), name(), [&](auto fn, auto in_tag, auto out_tag) {
        using In = decltype(in_tag);
        using Out = decltype(out_tag);
        cpu::binary_kernel<In, Out>(a, b, out, fn);
      });
}

void Select::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& cond = inputs[0];
  const array& x = inputs[1];
  const array& y = inputs[2];
  if (out.size() == 0) {
    out.set_data(allocator::malloc(0));
    return;
  }
  out.set_data(allocator::malloc(out.nbytes()));
  const bool* c = cond.data<bool>();
  detail::dispatch_dtype(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xs = x.data<T>();
    const T* ys = y.data<T>();
    T* dst = out.data<T>();
    // Both values are loaded before the choice, so the compiler emits a
    // blend instead of a branch: masks are data, and mispredicted branches
    // cost more than the extra load.
    cpu::strided_rows<4>(
        out.shape(),
        {cond.strides(), x.strides(), y.strides(), out.strides()},
        [&](const std::array<int64_t, 4>& off,
            int32_t n,
            const std::array<int64_t, 4>& inc) {
          const bool* cc = c + off[0];
          const T* xx = xs + off[1];
          const T* yy = ys + off[2];
          T* d = dst + off[3];
          if (inc[0] == 1 && inc[1] == 1 && inc[2] == 1 && inc[3] == 1) {
            for (int32_t i = 0; i < n; ++i) {
              T xv = xx[i];
              T yv = yy[i];
              d[i] = cc[i] ? xv : yv;
            }
          } else {
            for (int32_t i = 0; i < n; ++i) {
              T xv = xx[i * inc[1]];
              T yv = yy[i * inc[2]];
              d[i * inc[3]] = cc[i * inc[0]] ? xv : yv;
            }
          }
        });
  });
}

void AsType::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::copy_convert(inputs[0], out);
}

} // namespace mlx::core
