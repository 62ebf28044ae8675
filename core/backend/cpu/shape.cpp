// CPU kernels of the layout primitives: views share the input buffer.
#include <algorithm>
#include <cstring>
#include <sstream>
#include <type_traits>

#include "mlx/backend/common/views.h"
#include "mlx/backend/cpu/copy.h"
#include "mlx/backend/cpu/thread_pool.h"
#include "mlx/primitives/shape.h"

namespace mlx::core {

using views::make_view;

void Reshape::eval_cpu(const std::vector<array>& inputs, array& out) {
  if (!views::reshape(inputs[0], out)) {
    cpu::copy_to_row_contiguous(inputs[0], out);
  }
}

void Transpose::eval_cpu(const std::vector<array>& inputs, array& out) {
  views::transpose(inputs[0], out, axes_);
}

void Broadcast::eval_cpu(const std::vector<array>& inputs, array& out) {
  views::broadcast(inputs[0], out);
}

void Slice::eval_cpu(const std::vector<array>& inputs, array& out) {
  views::slice(inputs[0], out, start_, strides_);
}

void AsStrided::eval_cpu(const std::vector<array>& inputs, array& out) {
  // Offsets and strides refer to the row-contiguous layout of the input.
  array in = cpu::ensure_row_contiguous(inputs[0]);
  make_view(in, out, strides_, static_cast<int64_t>(offset_));
}

void View::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  if (in.itemsize() == out.itemsize()) {
    out.copy_shared_buffer(in);
    return;
  }
  array src = cpu::ensure_row_contiguous(in);
  make_view(src, out, row_major_strides(out.shape()), 0);
}

void Contiguous::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  if (in.flags().row_contiguous ||
      (allow_col_major_ && in.flags().col_contiguous)) {
    out.copy_shared_buffer(in);
  } else {
    cpu::copy_to_row_contiguous(in, out);
  }
}

void StopGradient::eval_cpu(const std::vector<array>& inputs, array& out) {
  views::share(inputs[0], out);
}

void Full::eval_cpu(const std::vector<array>& inputs, array& out) {
  // The input is a (broadcast) scalar: every output element copies it.
  const array& in = inputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  // Fill by element size: the bytes are copied, whatever the dtype.
  auto fill = [&](auto tag) {
    using U = decltype(tag);
    U value;
    std::memcpy(&value, in.data<char>(), sizeof(U));
    U* dst = out.data<U>();
    cpu::parallel_for(
        out.size(), cpu::kElementwiseGrain, [&](size_t b, size_t e) {
          std::fill(dst + b, dst + e, value);
        });
  };
  cpu::dispatch_bits(out.itemsize(), fill);
}

void Arange::eval_cpu(const std::vector<array>&, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  detail::dispatch_dtype(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* dst = out.data<T>();
    if constexpr (std::is_integral_v<T>) {
      // As NumPy and MLX: integer ranges start at T(start) and step by
      // T(start + step) - T(start) (np.arange(0, 5, 1.5, int32) is 0 1 2 3).
      // Wrapping uint64 arithmetic keeps overflow defined.
      auto first = static_cast<uint64_t>(detail::convert_scalar<T>(start_));
      auto delta =
          static_cast<uint64_t>(detail::convert_scalar<T>(start_ + step_)) -
          first;
      for (size_t i = 0; i < out.size(); ++i) {
        dst[i] = static_cast<T>(first + static_cast<uint64_t>(i) * delta);
      }
    } else {
      for (size_t i = 0; i < out.size(); ++i) {
        dst[i] =
            detail::convert_scalar<T>(start_ + static_cast<double>(i) * step_);
      }
    }
  });
}

} // namespace mlx::core
