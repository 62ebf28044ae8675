// CPU kernel of Softmax: one task per block of rows; each row is read once
// (converted to the compute type when it is not float/double or not
// contiguous), normalized in place in L1 and written out.
#include "mlx/backend/cpu/softmax.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "mlx/backend/cpu/dispatch_float.h"
#include "mlx/backend/cpu/fast_loops.h"
#include "mlx/backend/cpu/last_axis_rows.h"
#include "mlx/backend/cpu/math.h"
#include "mlx/backend/cpu/strided.h"
#include "mlx/backend/cpu/thread_pool.h"
#include "mlx/primitives/softmax.h"

namespace mlx::core {

namespace cpu {

namespace {

template <typename T> MLX_FAST_INLINE T exp_of(T x) {
  if constexpr (std::is_same_v<T, float>) {
    return fast_expf(x); // vectorizes, ~1 ulp
  } else {
    return std::exp(x);
  }
}

template <typename T>
MLX_FAST_INLINE void softmax_row_impl(T* row, int64_t n, const T* sink) {
  T m = fast::detail::lane_max(
      row, n, sink ? *sink : -std::numeric_limits<T>::infinity());
  if (std::isinf(m)) {
    m = T(0);
  }
  T sum = fast::detail::lane_sum<T>(n, [&](int64_t j) {
    row[j] = exp_of(row[j] - m);
    return row[j];
  });
  if (sink) {
    sum += exp_of(*sink - m);
  }
  T inv = T(1) / sum;
  fast::detail::for_each_index(n, [&](int64_t j) { row[j] *= inv; });
}

} // namespace

// float rows, the common case, are built twice on x86-64 (as exp is in
// unary.cpp): for AVX2 + FMA (x86-64-v3) and for the baseline; the loader
// picks the clone that fits the CPU.
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
void softmax_row(float* row, int64_t n, const float* sink) {
  softmax_row_impl<float>(row, n, sink);
}

void softmax_row(double* row, int64_t n, const double* sink) {
  softmax_row_impl<double>(row, n, sink);
}

} // namespace cpu

namespace {

template <typename T> void softmax_cpu(const array& x, array& out) {
  using A = std::conditional_t<std::is_same_v<T, double>, double, float>;
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  cpu::LastAxisRows rows(x);
  int64_t n = rows.length;
  size_t num_rows = x.size() / n;
  const T* x_ptr = x.data<T>();
  T* out_ptr = out.data<T>();
  // Rows of the compute type and unit stride are normalized in the output
  // itself; the others through a row buffer of the compute type.
  constexpr bool same_type = std::is_same_v<T, A>;
  size_t grain = std::max<size_t>(1, cpu::kElementwiseGrain / n);
  cpu::parallel_for(num_rows, grain, [&](size_t begin, size_t end) {
    std::vector<A> buf(same_type ? 0 : n);
    for (size_t r = begin; r < end; ++r) {
      const T* in = x_ptr + rows.start(r);
      T* o = out_ptr + r * n;
      A* row = nullptr;
      if constexpr (same_type) {
        row = o;
      } else {
        row = buf.data();
      }
      if (rows.stride == 1) {
        fast::detail::for_each_index(n, [&](int64_t j) { row[j] = A(in[j]); });
      } else {
        for (int64_t j = 0; j < n; ++j) {
          row[j] = static_cast<A>(in[j * rows.stride]);
        }
      }
      cpu::softmax_row(row, n);
      if constexpr (!same_type) {
        for (int64_t j = 0; j < n; ++j) {
          o[j] = static_cast<T>(row[j]);
        }
      }
    }
  });
}

} // namespace

void Softmax::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::dispatch_float("softmax", out.dtype(), [&](auto tag) {
    softmax_cpu<decltype(tag)>(inputs[0], out);
  });
}

} // namespace mlx::core
