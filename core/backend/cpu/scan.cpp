// CPU kernel of Scan. The input is taken in a dense layout (row-contiguous,
// or a transpose of one such as a transposed view; anything else is copied
// row-contiguous first) and the output gets the same layout. In memory the
// data is then [outer, n, inner] with n the scanned axis and inner its
// stride. When inner == 1 each row is one contiguous run; otherwise a task
// carries a block of consecutive lanes through all n steps, so its inner
// loop reads and writes contiguous memory. Half types accumulate in float.
#include <algorithm>
#include <cmath>
#include <limits>

#include "mlx/backend/cpu/copy.h"
#include "mlx/backend/cpu/thread_pool.h"
#include "mlx/primitives/scan.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

template <typename T> using acc_t = std::conditional_t<is_half_v<T>, float, T>;

// Lanes carried together when the scanned axis is not innermost: large
// enough for long vector loops, small enough that the accumulators stay in L1.
constexpr int64_t kLaneBlock = 512;

template <typename A> bool is_nan(A x) {
  if constexpr (std::is_same_v<A, complex64_t>) {
    return std::isnan(x.real()) || std::isnan(x.imag());
  } else if constexpr (std::is_floating_point_v<A>) {
    return x != x;
  } else {
    return false;
  }
}

// Complex numbers order lexicographically (real, then imaginary), as NumPy.
template <typename A> bool less(A x, A y) {
  if constexpr (std::is_same_v<A, complex64_t>) {
    return x.real() < y.real() || (x.real() == y.real() && x.imag() < y.imag());
  } else {
    return x < y;
  }
}

template <ScanOp Op, typename A> A scan_init() {
  if constexpr (Op == ScanOp::Sum) {
    return A(0);
  } else if constexpr (Op == ScanOp::Prod) {
    return A(1);
  } else if constexpr (std::is_same_v<A, complex64_t>) {
    float inf = std::numeric_limits<float>::infinity();
    return A(Op == ScanOp::Min ? inf : -inf);
  } else if constexpr (Op == ScanOp::Min) {
    return std::numeric_limits<A>::has_infinity
               ? std::numeric_limits<A>::infinity()
               : std::numeric_limits<A>::max();
  } else {
    // Max and LogAddExp.
    return std::numeric_limits<A>::has_infinity
               ? -std::numeric_limits<A>::infinity()
               : std::numeric_limits<A>::lowest();
  }
}

template <ScanOp Op, typename A> inline A scan_apply(A acc, A x) {
  if constexpr (Op == ScanOp::Sum) {
    return acc + x;
  } else if constexpr (Op == ScanOp::Prod) {
    return acc * x;
  } else if constexpr (Op == ScanOp::Max) {
    // A NaN sticks once seen, as NumPy's maximum.accumulate.
    return (less(acc, x) || is_nan(x)) ? x : acc;
  } else if constexpr (Op == ScanOp::Min) {
    return (less(x, acc) || is_nan(x)) ? x : acc;
  } else {
    if (is_nan(acc) || is_nan(x)) {
      return acc + x;
    }
    A hi = acc < x ? x : acc;
    A lo = acc < x ? acc : x;
    // Both -inf, or +inf: exp(lo - hi) would be exp(nan).
    if (std::isinf(hi)) {
      return hi;
    }
    return hi + std::log1p(std::exp(lo - hi));
  }
}

// One contiguous row of n elements.
template <ScanOp Op, typename T>
void scan_row(const T* src, T* dst, int64_t n, bool reverse, bool inclusive) {
  using A = acc_t<T>;
  A acc = scan_init<Op, A>();
  for (int64_t s = 0; s < n; ++s) {
    int64_t i = reverse ? n - 1 - s : s;
    A x = static_cast<A>(src[i]);
    if (inclusive) {
      acc = scan_apply<Op>(acc, x);
      dst[i] = static_cast<T>(acc);
    } else {
      dst[i] = static_cast<T>(acc);
      acc = scan_apply<Op>(acc, x);
    }
  }
}

// `lanes` consecutive lanes, n steps apart by `step` elements.
template <ScanOp Op, typename T>
void scan_lanes(
    const T* src,
    T* dst,
    int64_t n,
    int64_t step,
    int64_t lanes,
    acc_t<T>* acc,
    bool reverse,
    bool inclusive) {
  using A = acc_t<T>;
  for (int64_t k = 0; k < lanes; ++k) {
    acc[k] = scan_init<Op, A>();
  }
  for (int64_t s = 0; s < n; ++s) {
    int64_t i = reverse ? n - 1 - s : s;
    const T* x = src + i * step;
    T* y = dst + i * step;
    if (inclusive) {
      for (int64_t k = 0; k < lanes; ++k) {
        acc[k] = scan_apply<Op>(acc[k], static_cast<A>(x[k]));
        y[k] = static_cast<T>(acc[k]);
      }
    } else {
      for (int64_t k = 0; k < lanes; ++k) {
        // Read before writing: src and dst may be the same buffer.
        A v = static_cast<A>(x[k]);
        y[k] = static_cast<T>(acc[k]);
        acc[k] = scan_apply<Op>(acc[k], v);
      }
    }
  }
}

template <ScanOp Op, typename T>
void scan_typed(
    const array& in, array& out, int axis, bool reverse, bool inclusive) {
  using A = acc_t<T>;
  int64_t n = in.shape(axis);
  // In a dense layout the dims strided below the axis fill exactly its
  // stride. A size-1 axis may carry any stride: each element is its own scan.
  int64_t inner = n == 1 ? static_cast<int64_t>(in.size()) : in.strides()[axis];
  int64_t outer = static_cast<int64_t>(in.size()) / (n * inner);
  const T* src = in.data<T>();
  T* dst = out.data<T>();
  if (inner == 1) {
    size_t grain = std::max<int64_t>(1, cpu::kElementwiseGrain / n);
    cpu::parallel_for(outer, grain, [&](size_t b, size_t e) {
      for (size_t o = b; o < e; ++o) {
        scan_row<Op>(src + o * n, dst + o * n, n, reverse, inclusive);
      }
    });
    return;
  }
  int64_t blocks = (inner + kLaneBlock - 1) / kLaneBlock;
  int64_t work = n * std::min(inner, kLaneBlock);
  size_t grain = std::max<int64_t>(1, cpu::kElementwiseGrain / work);
  cpu::parallel_for(outer * blocks, grain, [&](size_t b, size_t e) {
    A acc[kLaneBlock];
    for (size_t t = b; t < e; ++t) {
      int64_t o = t / blocks;
      int64_t k0 = (t % blocks) * kLaneBlock;
      int64_t base = o * n * inner + k0;
      int64_t lanes = std::min(kLaneBlock, inner - k0);
      scan_lanes<Op>(
          src + base, dst + base, n, inner, lanes, acc, reverse, inclusive);
    }
  });
}

template <ScanOp Op>
void scan_dispatch(
    const array& in, array& out, int axis, bool reverse, bool inclusive) {
  detail::dispatch_dtype(in.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using A = acc_t<T>;
    if constexpr (Op == ScanOp::LogAddExp && !std::is_floating_point_v<A>) {
      throw_error(
          "[logcumsumexp] Unsupported dtype ", in.dtype(), " in the kernel.");
    } else if constexpr (
        (Op == ScanOp::Sum || Op == ScanOp::Prod) && std::is_same_v<T, bool>) {
      // The front-end scans bools as int32.
      throw_error("[Scan] Sum and product of bool must be scanned as int32.");
    } else {
      scan_typed<Op, T>(in, out, axis, reverse, inclusive);
    }
  });
}

// Whether `a` is a permutation of a row-contiguous layout: sorted by stride,
// the dims (of size > 1) have strides 1, n0, n0 * n1, ...
bool is_dense(const array& a) {
  if (a.flags().row_contiguous) {
    return true;
  }
  if (!a.flags().contiguous || a.data_size() != a.size()) {
    return false;
  }
  std::vector<std::pair<int64_t, int32_t>> dims;
  for (size_t d = 0; d < a.ndim(); ++d) {
    if (a.shape(d) > 1) {
      dims.emplace_back(a.strides()[d], a.shape(d));
    }
  }
  std::sort(dims.begin(), dims.end());
  int64_t expected = 1;
  for (auto [stride, size] : dims) {
    if (stride != expected) {
      return false;
    }
    expected *= size;
  }
  return true;
}

} // namespace

void Scan::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& x = inputs[0];
  // Decide on donation before `in` takes a second reference to x.
  bool donate = x.is_donatable();
  bool dense = is_dense(x);
  // Other layouts get a fresh row-contiguous copy, scanned in place.
  array in = dense ? x : cpu::ensure_row_contiguous(x);
  if (!dense || donate) {
    out.copy_shared_buffer(in);
  } else if (x.flags().row_contiguous) {
    out.set_data(allocator::malloc(out.nbytes()));
  } else {
    // Same permuted layout as x (is_dense checked data_size == size).
    out.set_data(
        allocator::malloc(out.nbytes()), x.data_size(), x.strides(), x.flags());
  }
  if (out.size() == 0) {
    return;
  }
  switch (op_) {
  case ScanOp::Sum:
    return scan_dispatch<ScanOp::Sum>(in, out, axis_, reverse_, inclusive_);
  case ScanOp::Prod:
    return scan_dispatch<ScanOp::Prod>(in, out, axis_, reverse_, inclusive_);
  case ScanOp::Max:
    return scan_dispatch<ScanOp::Max>(in, out, axis_, reverse_, inclusive_);
  case ScanOp::Min:
    return scan_dispatch<ScanOp::Min>(in, out, axis_, reverse_, inclusive_);
  case ScanOp::LogAddExp:
    return scan_dispatch<ScanOp::LogAddExp>(
        in, out, axis_, reverse_, inclusive_);
  }
}

} // namespace mlx::core
