// CPU kernels of Reduce and ArgReduce. The input is viewed as
// [kept axes..., reduced axes...]; each output element reduces its
// sub-array, or, for a full reduction, threads reduce chunks that are
// combined at the end.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <type_traits>

#include "mlx/backend/cpu/strided.h"
#include "mlx/primitives/reduce.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

// Accumulate half types in float.
template <typename T> using acc_t = std::conditional_t<is_half_v<T>, float, T>;

template <typename T> bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>) {
    return x != x;
  } else {
    return false;
  }
}

template <typename A> A reduce_init(ReduceOp op) {
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

template <typename A> bool complex_less(A x, A y) {
  if constexpr (std::is_same_v<A, complex64_t>) {
    return x.real() < y.real() || (x.real() == y.real() && x.imag() < y.imag());
  } else {
    return x < y;
  }
}

// One step of the reduction.
template <ReduceOp Op, typename A> inline A accumulate(A acc, A v) {
  if constexpr (std::is_same_v<A, bool> && Op == ReduceOp::Sum) {
    return acc || v;
  } else if constexpr (std::is_same_v<A, bool> && Op == ReduceOp::Prod) {
    return acc && v;
  } else if constexpr (std::is_integral_v<A> && Op == ReduceOp::Sum) {
    // Integers wrap modulo 2^bits (signed overflow is undefined in C++).
    using U = std::make_unsigned_t<decltype(A() + A())>;
    return static_cast<A>(U(acc) + U(v));
  } else if constexpr (std::is_integral_v<A> && Op == ReduceOp::Prod) {
    using U = std::make_unsigned_t<decltype(A() + A())>;
    return static_cast<A>(U(acc) * U(v));
  } else if constexpr (Op == ReduceOp::Sum) {
    return acc + v;
  } else if constexpr (Op == ReduceOp::Prod) {
    return acc * v;
  } else if constexpr (Op == ReduceOp::And) {
    return acc && v;
  } else if constexpr (Op == ReduceOp::Or) {
    return acc || v;
  } else if constexpr (Op == ReduceOp::Min) {
    // NaN propagates, as NumPy.
    return (is_nan(v) || complex_less(v, acc)) && !is_nan(acc) ? v : acc;
  } else {
    return (is_nan(v) || complex_less(acc, v)) && !is_nan(acc) ? v : acc;
  }
}

// Combines acc with the n values src[0], src[inc], ... .
template <ReduceOp Op, typename T, typename A>
A reduce_row(A acc, const T* src, int32_t n, int64_t inc) {
  int32_t i = 0;
  if constexpr (Op == ReduceOp::Sum && std::is_floating_point_v<A>) {
    // Blocks of kBlock values summed in eight lanes (vectorizable), block
    // totals accumulated in double: the rounding error stays near that of
    // one float addition per block instead of growing with n.
    constexpr int32_t kBlock = 256;
    auto block = [&](auto step) {
      double total = acc;
      for (; i + kBlock <= n; i += kBlock) {
        A part[8] = {};
        for (int32_t j = 0; j < kBlock; j += 8) {
          for (int k = 0; k < 8; ++k) {
            part[k] += static_cast<A>(src[(i + j + k) * step]);
          }
        }
        total += ((part[0] + part[1]) + (part[2] + part[3])) +
                 ((part[4] + part[5]) + (part[6] + part[7]));
      }
      acc = static_cast<A>(total);
    };
    if (n >= kBlock) {
      // A compile-time unit step lets the contiguous case vectorize.
      inc == 1 ? block(std::integral_constant<int64_t, 1>{}) : block(inc);
    }
  } else if constexpr (
      (Op == ReduceOp::Max || Op == ReduceOp::Min) &&
      std::is_floating_point_v<A>) {
    // Eight independent lanes, each a compare and a blend (vectorizable,
    // no loop-carried branch). A NaN is taken and then kept, since no
    // comparison with it is true: NaN propagates, as NumPy.
    constexpr int32_t kLanes = 8;
    if (inc == 1 && n >= 2 * kLanes) {
      A lane[kLanes];
      for (int k = 0; k < kLanes; ++k) {
        lane[k] = static_cast<A>(src[k]);
      }
      for (i = kLanes; i + kLanes <= n; i += kLanes) {
        for (int k = 0; k < kLanes; ++k) {
          A v = static_cast<A>(src[i + k]);
          bool better = Op == ReduceOp::Max ? v > lane[k] : v < lane[k];
          lane[k] = better || v != v ? v : lane[k];
        }
      }
      for (int k = 0; k < kLanes; ++k) {
        acc = accumulate<Op>(acc, lane[k]);
      }
    }
  }
  for (; i < n; ++i) {
    acc = accumulate<Op>(acc, static_cast<A>(src[i * inc]));
  }
  return acc;
}

template <ReduceOp Op, typename A> A combine(A a, A b) {
  return accumulate<Op>(a, b);
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
        red_shape,
        rs,
        row_begin,
        row_end,
        [&](const std::array<int64_t, 1>& off,
            int32_t n,
            const std::array<int64_t, 1>& inc) {
          acc = reduce_row<Op>(acc, base + off[0], n, inc[0]);
        });
    return acc;
  };

  if (n_out == 1 && n_red > cpu::kElementwiseGrain) {
    // One output: threads reduce disjoint parts, then combine. A single
    // (collapsed) reduced dim is split by elements, several by rows.
    int chunks = cpu::num_threads();
    // (not std::vector: A may be bool)
    std::unique_ptr<A[]> partial(new A[chunks]);
    std::fill(partial.get(), partial.get() + chunks, reduce_init<A>(Op));
    bool flat = red_shape.size() == 1;
    size_t units = flat ? n_red : red_rows;
    size_t per = (units + chunks - 1) / chunks;
    cpu::parallel_for(chunks, 1, [&](size_t b, size_t e) {
      for (size_t c = b; c < e; ++c) {
        size_t u0 = c * per, u1 = std::min(units, u0 + per);
        if (u0 >= u1) {
          continue;
        }
        if (flat) {
          int64_t inc = rs[0][0];
          partial[c] = reduce_row<Op>(
              reduce_init<A>(Op),
              src + u0 * inc,
              static_cast<int32_t>(u1 - u0),
              inc);
        } else {
          partial[c] = reduce_range(src, u0, u1);
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
  // Reduced axes leading a row-contiguous input ("column" reduction, e.g.
  // a sum over the batch axis): add whole rows into the outputs so the
  // inner loop runs over contiguous memory.
  bool leading = true;
  for (size_t k = 0; k < axes.size(); ++k) {
    leading &= axes[k] == static_cast<int>(k);
  }
  if (leading && in.flags().row_contiguous && n_out > 1 && n_red > 1) {
    size_t grain = std::max<size_t>(64, cpu::kElementwiseGrain / n_red);
    cpu::parallel_for(n_out, grain, [&](size_t b, size_t e) {
      std::unique_ptr<A[]> acc(new A[e - b]);
      std::fill(acc.get(), acc.get() + (e - b), reduce_init<A>(Op));
      for (size_t r = 0; r < n_red; ++r) {
        const T* row = src + r * n_out;
        for (size_t j = b; j < e; ++j) {
          acc[j - b] = accumulate<Op>(acc[j - b], static_cast<A>(row[j]));
        }
      }
      for (size_t j = b; j < e; ++j) {
        dst[j] = static_cast<O>(acc[j - b]);
      }
    });
    return;
  }
  size_t grain =
      std::max<size_t>(1, cpu::kElementwiseGrain / std::max<size_t>(n_red, 1));
  cpu::parallel_for(n_out, grain, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      const T* base = src + cpu::elem_to_loc(i, kept_shape, kept_strides);
      dst[i] = static_cast<O>(
          n_red == 0 ? reduce_init<A>(Op) : reduce_range(base, 0, red_rows));
    }
  });
}

template <ReduceOp Op>
void reduce_dispatch(
    const array& in, array& out, const std::vector<int>& axes) {
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
          bool better = is_nan(v) || (is_max ? complex_less(best, v)
                                             : complex_less(v, best));
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
