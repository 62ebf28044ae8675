// Shared machinery of the element-wise kernels: output layouts (with buffer
// donation) and the loops over contiguous and strided operands.
#pragma once

#include "mlx/array.h"
#include "mlx/backend/cpu/strided.h"

namespace mlx::core::cpu {

/** Computes `T(f(float(x)))` for half types and `f(x)` otherwise. */
template <typename T, typename F> inline auto via_float(T x, F&& f) {
  if constexpr (is_half_v<T>) {
    return T(f(static_cast<float>(x)));
  } else {
    return f(x);
  }
}

/** Give `out` a buffer laid out like the contiguous `in` (reusing in's
 * buffer when nothing else refers to it), or a row-major one. */
inline void set_unary_output(const array& in, array& out) {
  if (in.flags().contiguous) {
    if (in.is_donatable() && in.itemsize() == out.itemsize()) {
      out.copy_shared_buffer(in);
    } else {
      out.set_data(
          allocator::malloc(in.data_size() * out.itemsize()),
          in.data_size(),
          in.strides(),
          in.flags());
    }
  } else {
    out.set_data(allocator::malloc(out.nbytes()));
  }
}

/** out[i] = f(in[i]) for every element. */
template <typename In, typename Out, typename F>
void unary_kernel(const array& in, array& out, F f) {
  set_unary_output(in, out);
  const In* src = in.data<In>();
  Out* dst = out.data<Out>();
  if (in.flags().contiguous) {
    parallel_for(in.data_size(), kElementwiseGrain, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) {
        dst[i] = f(src[i]);
      }
    });
    return;
  }
  strided_rows<2>(
      in.shape(),
      {in.strides(), out.strides()},
      [&](const std::array<int64_t, 2>& off,
          int32_t n,
          const std::array<int64_t, 2>& inc) {
        const In* s = src + off[0];
        Out* d = dst + off[1];
        for (int32_t i = 0; i < n; ++i) {
          d[i * inc[1]] = f(s[i * inc[0]]);
        }
      });
}

enum class BinaryLayout {
  ScalarScalar,
  ScalarVector,
  VectorScalar,
  VectorVector,
  General,
};

inline BinaryLayout binary_layout(const array& a, const array& b) {
  if (a.data_size() == 1 && b.data_size() == 1) {
    return BinaryLayout::ScalarScalar;
  }
  if (a.data_size() == 1 && b.flags().contiguous) {
    return BinaryLayout::ScalarVector;
  }
  if (b.data_size() == 1 && a.flags().contiguous) {
    return BinaryLayout::VectorScalar;
  }
  if ((a.flags().row_contiguous && b.flags().row_contiguous) ||
      (a.flags().col_contiguous && b.flags().col_contiguous)) {
    return BinaryLayout::VectorVector;
  }
  return BinaryLayout::General;
}

inline bool can_donate(const array& in, const array& out) {
  return in.itemsize() == out.itemsize() && in.is_donatable() &&
         in.size() == out.size();
}

inline void set_binary_output(
    const array& a, const array& b, array& out, BinaryLayout layout) {
  auto like = [&](const array& v) {
    if (v.itemsize() == out.itemsize() && v.is_donatable()) {
      out.copy_shared_buffer(v);
    } else {
      out.set_data(
          allocator::malloc(v.data_size() * out.itemsize()),
          v.data_size(),
          v.strides(),
          v.flags());
    }
  };
  switch (layout) {
  case BinaryLayout::ScalarScalar:
    // A broadcast scalar stays a single stored element.
    out.set_data(allocator::malloc(out.itemsize()), 1, a.strides(), a.flags());
    return;
  case BinaryLayout::ScalarVector:
    like(b);
    return;
  case BinaryLayout::VectorScalar:
    like(a);
    return;
  case BinaryLayout::VectorVector:
    like(can_donate(b, out) && !can_donate(a, out) ? b : a);
    return;
  case BinaryLayout::General:
    if (a.flags().row_contiguous && can_donate(a, out)) {
      out.copy_shared_buffer(a);
    } else if (b.flags().row_contiguous && can_donate(b, out)) {
      out.copy_shared_buffer(b);
    } else {
      out.set_data(allocator::malloc(out.nbytes()));
    }
    return;
  }
}

/** out = f(a, b) with a and b broadcast to out's shape. */
template <typename In, typename Out, typename F>
void binary_kernel(const array& a, const array& b, array& out, F f) {
  if (out.size() == 0) {
    out.set_data(allocator::malloc(0));
    return;
  }
  auto layout = binary_layout(a, b);
  set_binary_output(a, b, out, layout);
  const In* x = a.data<In>();
  const In* y = b.data<In>();
  Out* dst = out.data<Out>();
  size_t n = out.data_size();
  auto run = [&](auto body) {
    parallel_for(n, kElementwiseGrain, [&](size_t s, size_t e) {
      for (size_t i = s; i < e; ++i) {
        body(i);
      }
    });
  };
  switch (layout) {
  case BinaryLayout::ScalarScalar:
    dst[0] = f(x[0], y[0]);
    return;
  case BinaryLayout::ScalarVector: {
    In xs = x[0];
    run([&](size_t i) { dst[i] = f(xs, y[i]); });
    return;
  }
  case BinaryLayout::VectorScalar: {
    In ys = y[0];
    run([&](size_t i) { dst[i] = f(x[i], ys); });
    return;
  }
  case BinaryLayout::VectorVector:
    run([&](size_t i) { dst[i] = f(x[i], y[i]); });
    return;
  case BinaryLayout::General:
    strided_rows<3>(
        out.shape(),
        {a.strides(), b.strides(), out.strides()},
        [&](const std::array<int64_t, 3>& off,
            int32_t len,
            const std::array<int64_t, 3>& inc) {
          const In* xa = x + off[0];
          const In* yb = y + off[1];
          Out* d = dst + off[2];
          // Unit and broadcast strides get loops the compiler can vectorize
          // (same-shape rows, a row against a broadcast row or scalar).
          if (inc[2] == 1 && inc[0] == 1 && inc[1] == 1) {
            for (int32_t i = 0; i < len; ++i) {
              d[i] = f(xa[i], yb[i]);
            }
          } else if (inc[2] == 1 && inc[0] == 1 && inc[1] == 0) {
            In yv = yb[0];
            for (int32_t i = 0; i < len; ++i) {
              d[i] = f(xa[i], yv);
            }
          } else if (inc[2] == 1 && inc[0] == 0 && inc[1] == 1) {
            In xv = xa[0];
            for (int32_t i = 0; i < len; ++i) {
              d[i] = f(xv, yb[i]);
            }
          } else {
            for (int32_t i = 0; i < len; ++i) {
              d[i * inc[2]] = f(xa[i * inc[0]], yb[i * inc[1]]);
            }
          }
        });
    return;
  }
}

} // namespace mlx::core::cpu
