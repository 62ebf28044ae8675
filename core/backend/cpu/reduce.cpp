// CPU kernels of Reduce and ArgReduce. The input is viewed as
// [kept axes..., reduced axes...]; each output element reduces its
// sub-array, or, for a full reduction, threads reduce chunks that are
// combined at the end.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>

#include "mlx/backend/cpu/strided.h"
#include "mlx/primitives/reduce.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

// Accumulate half types in float.
template <typename T>
using acc_t = std::conditional_t<is_half_v<T>, float, T>;

template <typename T>
bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>) {
    return x != x;
  } else {
    return false;
  }
}

template <typename A>
A reduce_init(ReduceOp op) {
  switch (op) {
    case ReduceOp::And:
      return A(true);
    case ReduceOp::Or:
      return A(false);
    case ReduceOp::Sum:
      return A(0);
    case ReduceOp::Prod:
      return A(1);
    case ReduceOp::Min:
      if constexpr (std::is_same_v<A, complex64_t>) {
        return A(std::numeric_limits<float>::infinity());
      } else if constexpr (std::numeric_limits<A>::has_infinity) {
        return std::numeric_limits<A>::infinity();
      } else {
        return std::numeric_limits<A>::max();
      }
    case ReduceOp::Max:
      if constexpr (std::is_same_v<A, complex64_t>) {
        return A(-std::numeric_limits<float>::infinity());
      } else if constexpr (std::numeric_limits<A>::has_infinity) {
        return -std::numeric_limits<A>::infinity();
      } else {
        return std::numeric_limits<A>::lowest();
      }
  }
  return A(0);
}

template <typename A>
bool complex_less(A x, A y) {
  if constexpr (std::is_same_v<A, complex64_t>) {
    return x.real() < y.real() || (x.real() == y.real() && x.imag() < y.imag());
  } else {
    return x < y;
  }
}

// Combines acc with the n values src[0], src[inc], ... .
template <ReduceOp Op, typename T, typename A>
A reduce_row(A acc, const T* src, int32_t n, int64_t inc) {
  int32_t i = 0;
  if constexpr (Op == ReduceOp::Sum && std::is_floating_point_v<A>) {
    // Eight independent partial sums: vectorizable, and more accurate
    // than one running sum.
    if (inc == 1 && n >= 16) {
      A part[8] = {};
      for (; i + 8 <= n; i += 8) {
        for (int k = 0; k < 8; ++k) {
          part[k] += static_cast<A>(src[i + k]);
        }
      }
      for (int k = 0; k < 8; ++k) {
        acc += part[k];
      }
    }
  }
  for (; i < n; ++i) {
    A v = static_cast<A>(src[i * inc]);
    if constexpr (std::is_same_v<A, bool> && Op == ReduceOp::Sum) {
      acc = acc || v;
    } else if constexpr (std::is_same_v<A, bool> && Op == ReduceOp::Prod) {
      acc = acc && v;
    } else if constexpr (Op == ReduceOp::Sum) {
      acc += v;
    } else if constexpr (Op == ReduceOp::Prod) {
      acc *= v;
    } else if constexpr (Op == ReduceOp::And) {
      acc = acc && v;
    } else if constexpr (Op == ReduceOp::Or) {
      acc = acc || v;
    } else if constexpr (Op == ReduceOp::Min) {
      // NaN propagates, as NumPy.
      acc = (is_nan(v) || complex_less(v, acc)) && !is_nan(acc) ? v : acc;
    } else {
      acc = (is_nan(v) || complex_less(acc, v)) && !is_nan(acc) ? v : acc;
    }
  }
  return acc;
}

template <ReduceOp Op, typename A>
A combine(A a, A b) {
  return reduce_row<Op, A, A>(a, &b, 1, 0);
}

template <ReduceOp Op, typename T, typename O>
void reduce_typed(const array& in, array& out, const std::vector<int>& axes) {
  using A = acc_t<O>;
  // Split axes into kept and reduced, in order.
  Shape kept_shape, red_shape;
  Strides kept_strides, red_strides;
  for (int d = 0; d < static_cast<int>(in.ndim()); ++d) {
    bool reduced = std::find(axes.begin(), axes.end(), d) != axes.end();
    (reduced ? red_shape : kept_shape).push_back(in.shape(d));
    (reduced ? red_strides : kept_strides).push_back(in.strides()[d]);
  }
  std::array<Strides, 1> rs{red_strides};
  cpu::collapse_dims<1>(red_shape, rs);
  red_strides = rs[0];
  size_t red_rows = 1;
  for (size_t d = 0; d + 1 < red_shape.size(); ++d) {
    red_rows *= red_shape[d];
  }
  const T* src = in.data<T>();
  O* dst = out.data<O>();
  size_t n_out = out.size();
  size_t n_red = red_rows * red_shape.back();

  auto reduce_range = [&](const T* base, size_t row_begin, size_t row_end) {
    A acc = reduce_init<A>(Op);
    cpu::for_each_row<1>(
        red_shape, rs, row_begin, row_end,
        [&](const std::array<int64_t, 1>& off, int32_t n, const std::array<int64_t, 1>& inc) {
          acc = reduce_row<Op>(acc, base + off[0], n, inc[0]);
        });
    return acc;
  };

  if (n_out == 1 && n_red > cpu::kElementwiseGrain) {
    // One output: threads reduce disjoint row ranges, then combine.
    int chunks = cpu::num_threads();
    // (not std::vector: A may be bool)
    std::unique_ptr<A[]> partial(new A[chunks]);
    std::fill(partial.get(), partial.get() + chunks, reduce_init<A>(Op));
    size_t per = (red_rows + chunks - 1) / chunks;
    cpu::parallel_for(chunks, 1, [&](size_t b, size_t e) {
      for (size_t c = b; c < e; ++c) {
        size_t r0 = c * per, r1 = std::min(red_rows, r0 + per);
        if (r0 < r1) {
          partial[c] = reduce_range(src, r0, r1);
        }
      }
    });
    A acc = reduce_init<A>(Op);
    for (int c = 0; c < chunks; ++c) {
      acc = combine<Op>(acc, partial[c]);
    }
    dst[0] = static_cast<O>(acc);
    return;
  }
  size_t grain = std::max<size_t>(1, cpu::kElementwiseGrain / std::max<size_t>(n_red, 1));
  cpu::parallel_for(n_out, grain, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      const T* base = src + cpu::elem_to_loc(i, kept_shape, kept_strides);
      dst[i] = static_cast<O>(n_red == 0 ? reduce_init<A>(Op) : reduce_range(base, 0, red_rows));
    }
  });
}

template <ReduceOp Op>
void reduce_dispatch(const array& in, array& out, const std::vector<int>& axes) {
  detail::dispatch_dtype(in.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (Op == ReduceOp::And || Op == ReduceOp::Or) {
      reduce_typed<Op, bool, bool>(in, out, axes);
    } else if constexpr (std::is_same_v<T, bool>) {
      // Sum/prod of bool counts in int32; min/max stay bool.
      if (out.dtype() == int32) {
        reduce_typed<Op, bool, int32_t>(in, out, axes);
      } else {
        reduce_typed<Op, bool, bool>(in, out, axes);
      }
    } else {
      reduce_typed<Op, T, T>(in, out, axes);
    }
  });
}

} // namespace

void Reduce::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  switch (op_) {
    case ReduceOp::And:
      return reduce_dispatch<ReduceOp::And>(in, out, axes_);
    case ReduceOp::Or:
      return reduce_dispatch<ReduceOp::Or>(in, out, axes_);
    case ReduceOp::Sum:
      return reduce_dispatch<ReduceOp::Sum>(in, out, axes_);
    case ReduceOp::Prod:
      return reduce_dispatch<ReduceOp::Prod>(in, out, axes_);
    case ReduceOp::Min:
      return reduce_dispatch<ReduceOp::Min>(in, out, axes_);
    case ReduceOp::Max:
      return reduce_dispatch<ReduceOp::Max>(in, out, axes_);
  }
}

void ArgReduce::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  Shape kept_shape = in.shape();
  Strides kept_strides = in.strides();
  kept_shape.erase(kept_shape.begin() + axis_);
  kept_strides.erase(kept_strides.begin() + axis_);
  int32_t n = in.shape(axis_);
  int64_t inc = in.strides()[axis_];
  uint32_t* dst = out.data<uint32_t>();
  bool is_max = op_ == ArgReduceOp::ArgMax;
  detail::dispatch_dtype(in.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using A = acc_t<T>;
    const T* src = in.data<T>();
    size_t grain = std::max<size_t>(1, cpu::kElementwiseGrain / std::max(n, 1));
    cpu::parallel_for(out.size(), grain, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) {
        const T* row = src + cpu::elem_to_loc(i, kept_shape, kept_strides);
        uint32_t best_i = 0;
        A best = static_cast<A>(row[0]);
        for (int32_t j = 1; j < n && !is_nan(best); ++j) {
          A v = static_cast<A>(row[j * inc]);
          // The first NaN wins, as NumPy; ties keep the first index.
          bool better = is_nan(v) ||
              (is_max ? complex_less(best, v) : complex_less(v, best));
          if (better) {
            best = v;
            best_i = static_cast<uint32_t>(j);
          }
        }
        dst[i] = best_i;
      }
    });
  });
}

} // namespace mlx::core
