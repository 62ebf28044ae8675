// The element-wise reductions the backends combine buffers with (MPI's
// user-defined ops, the ring's reduce steps), and the division of an
// average.
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <type_traits>

#include "mlx/array.h"
#include "mlx/distributed/distributed_impl.h"

namespace mlx::core::distributed::detail {

namespace {

template <typename T> bool is_nan(T v) {
  if constexpr (std::is_same_v<T, complex64_t>) {
    return std::isnan(v.real()) || std::isnan(v.imag());
  } else if constexpr (std::is_floating_point_v<T>) {
    return std::isnan(v);
  } else {
    return false;
  }
}

// NumPy's order for complex numbers: by real part, then imaginary part.
template <typename T> bool less(T a, T b) {
  if constexpr (std::is_same_v<T, complex64_t>) {
    return a.real() < b.real() || (a.real() == b.real() && a.imag() < b.imag());
  } else {
    return a < b;
  }
}

// T is the computation type (float for the half types).
template <ReduceOp Op, typename T> T combine(T acc, T v) {
  if constexpr (std::is_same_v<T, bool>) {
    return Op == ReduceOp::Min ? (acc && v) : (acc || v);
  } else if constexpr (Op == ReduceOp::Sum && std::is_integral_v<T>) {
    // Wraps like the unsigned type (signed overflow is undefined).
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(acc) + static_cast<U>(v));
  } else if constexpr (Op == ReduceOp::Sum) {
    return acc + v;
  } else if constexpr (Op == ReduceOp::Max) {
    return (is_nan(v) || less(acc, v)) && !is_nan(acc) ? v : acc;
  } else {
    return (is_nan(v) || less(v, acc)) && !is_nan(acc) ? v : acc;
  }
}

// out[i] = op(a[i], b[i]) (/ d where D), in float for the half types,
// then divided as divide_into divides. `out` never aliases `b`; `a` and `out`
// either are equal or do not overlap, one loop each so that both vectorize.
template <ReduceOp Op, bool D, typename T>
void combine_typed(
    const T* a, const T* __restrict b, T* out, size_t count, int divisor) {
  using C = std::conditional_t<is_half_v<T>, float, T>;
  auto step = [d = C(divisor)](T x, T y) {
    T v = T(combine<Op>(C(x), C(y)));
    if constexpr (D) {
      v = T(C(v) / d);
    }
    return v;
  };
  if (a == out) {
    for (size_t i = 0; i < count; ++i) {
      out[i] = step(out[i], b[i]);
    }
  } else {
    const T* __restrict src = a;
    T* __restrict dst = out;
    for (size_t i = 0; i < count; ++i) {
      dst[i] = step(src[i], b[i]);
    }
  }
}

[[noreturn]] void not_averageable(const char* op, Dtype dtype) {
  std::ostringstream msg;
  msg << "[" << op << "] Averages need a floating dtype, not " << dtype << ".";
  throw std::invalid_argument(msg.str());
}

template <typename T>
constexpr bool is_averageable_v = std::is_floating_point_v<T> || is_half_v<T> ||
                                  std::is_same_v<T, complex64_t>;

} // namespace

void combine_into(
    ReduceOp op,
    Dtype dtype,
    const void* a,
    const void* b,
    void* out,
    size_t count,
    int divisor) {
  mlx::core::detail::dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    auto x = static_cast<const T*>(a);
    auto y = static_cast<const T*>(b);
    auto o = static_cast<T*>(out);
    auto run = [&](auto divide) {
      constexpr bool D = decltype(divide)::value;
      switch (op) {
      case ReduceOp::Sum:
        return combine_typed<ReduceOp::Sum, D>(x, y, o, count, divisor);
      case ReduceOp::Max:
        return combine_typed<ReduceOp::Max, D>(x, y, o, count, divisor);
      case ReduceOp::Min:
        return combine_typed<ReduceOp::Min, D>(x, y, o, count, divisor);
      }
    };
    if (divisor == 1) {
      run(std::false_type{});
    } else if constexpr (is_averageable_v<T>) {
      run(std::true_type{});
    } else {
      not_averageable("combine_into", dtype);
    }
  });
}

void reduce_into(
    ReduceOp op, Dtype dtype, const void* in, void* inout, size_t count) {
  combine_into(op, dtype, inout, in, inout, count, 1);
}

void divide_into(
    Dtype dtype, const void* in, void* out, size_t count, int divisor) {
  if (!issubdtype(dtype, floating) && dtype != complex64) {
    not_averageable("divide_into", dtype);
  }
  mlx::core::detail::dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (is_averageable_v<T>) {
      // The computation type of the divide op: float for the half types.
      using C = std::conditional_t<is_half_v<T>, float, T>;
      C d = C(divisor);
      // One loop per case, each with pointers that cannot alias, so that
      // GCC's -O2 vectorizes them (it adds no runtime alias checks).
      if (in == out) {
        T* p = static_cast<T*>(out);
        for (size_t i = 0; i < count; ++i) {
          p[i] = T(C(p[i]) / d);
        }
      } else {
        const T* __restrict src = static_cast<const T*>(in);
        T* __restrict dst = static_cast<T*>(out);
        for (size_t i = 0; i < count; ++i) {
          dst[i] = T(C(src[i]) / d);
        }
      }
    }
  });
}

} // namespace mlx::core::distributed::detail
