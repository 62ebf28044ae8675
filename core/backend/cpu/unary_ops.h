// The element math of the Unary ops, in one place: stateless functors and
// the table saying which dtypes each op supports. The Unary kernels
// (unary.cpp) and the fused kernels of compile (compiled_steps.cpp) both
// take their element functions from dispatch_unary.
#pragma once

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <type_traits>

#include "mlx/array.h"
#include "mlx/backend/cpu/math.h"
#include "mlx/primitives/elementwise.h"

namespace mlx::core::cpu {

/** exp over n contiguous floats, the hot case of Exp (softmax,
 * activations), with a clone for AVX2 + FMA (defined in unary.cpp). */
void exp_float_contiguous(const float* src, float* dst, size_t n);

[[noreturn]] inline void unsupported_dtype(const char* name, Dtype t) {
  std::ostringstream msg;
  msg << "[" << name << "] Not supported for dtype " << t << ".";
  throw std::invalid_argument(msg.str());
}

namespace unary_fn {

struct Abs {
  template <typename T> T operator()(T x) const {
    if constexpr (std::is_unsigned_v<T> || std::is_same_v<T, bool>) {
      return x;
    } else if constexpr (std::is_same_v<T, complex64_t>) {
      return complex64_t(std::abs(x), 0.0f);
    } else if constexpr (std::is_integral_v<T>) {
      // The minimum is its own absolute value, as NumPy (no overflow UB).
      using U = std::make_unsigned_t<T>;
      return x < T(0) ? static_cast<T>(U(0) - static_cast<U>(x)) : x;
    } else {
      return x < T(0) ? T(-x) : x;
    }
  }
};

struct Negative {
  template <typename T> T operator()(T x) const {
    if constexpr (std::is_unsigned_v<T> && !std::is_same_v<T, bool>) {
      return T(T(0) - x); // wraps, as NumPy
    } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      // Two's complement negation without the overflow UB for the minimum.
      using U = std::make_unsigned_t<T>;
      return static_cast<T>(U(0) - static_cast<U>(x));
    } else {
      return -x;
    }
  }
};

struct Sign {
  template <typename T> T operator()(T x) const {
    if constexpr (std::is_same_v<T, bool>) {
      return x;
    } else if constexpr (std::is_unsigned_v<T>) {
      return T(x != 0);
    } else if constexpr (std::is_same_v<T, complex64_t>) {
      float m = std::abs(x);
      return m == 0.0f ? complex64_t(0.0f) : x / m;
    } else if constexpr (std::is_floating_point_v<T>) {
      return x != x ? x : T((x > 0) - (x < 0));
    } else {
      return T((x > 0) - (x < 0));
    }
  }
};

struct Square {
  template <typename T> T operator()(T x) const {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      // Wraps modulo 2^bits, as NumPy: in the unsigned type of the
      // promotion (signed overflow, and uint16 promoted to int, are UB).
      using U = std::make_unsigned_t<decltype(x * x)>;
      return static_cast<T>(U(x) * U(x));
    } else {
      return T(x * x);
    }
  }
};

struct Exp {
  template <typename T> T operator()(T x) const {
    if constexpr (std::is_same_v<T, float>) {
      return fast_expf(x);
    } else {
      return std::exp(x);
    }
  }
};

struct Log2 {
  template <typename T> T operator()(T x) const {
    if constexpr (std::is_same_v<T, complex64_t>) {
      return std::log(x) / std::log(2.0f);
    } else {
      return std::log2(x);
    }
  }
};

struct Rsqrt {
  template <typename T> T operator()(T x) const { return T(1) / std::sqrt(x); }
};

struct Sigmoid {
  template <typename T> T operator()(T x) const {
    if constexpr (std::is_same_v<T, float>) {
      return fast_sigmoid(x);
    } else {
      return T(1) / (T(1) + std::exp(-x));
    }
  }
};

struct ErfInv {
  template <typename T> T operator()(T x) const { return erfinv(x); }
};

// The std:: functions, wrapped so that they can be passed as types.
#define MLX_STD_UNARY_FN(Name, fn)                                             \
  struct Name {                                                                \
    template <typename T> T operator()(T x) const { return std::fn(x); }       \
  };
MLX_STD_UNARY_FN(Sqrt, sqrt)
MLX_STD_UNARY_FN(Expm1, expm1)
MLX_STD_UNARY_FN(Log, log)
MLX_STD_UNARY_FN(Log10, log10)
MLX_STD_UNARY_FN(Log1p, log1p)
MLX_STD_UNARY_FN(Sin, sin)
MLX_STD_UNARY_FN(Cos, cos)
MLX_STD_UNARY_FN(Tan, tan)
MLX_STD_UNARY_FN(ArcSin, asin)
MLX_STD_UNARY_FN(ArcCos, acos)
MLX_STD_UNARY_FN(ArcTan, atan)
MLX_STD_UNARY_FN(Sinh, sinh)
MLX_STD_UNARY_FN(Cosh, cosh)
MLX_STD_UNARY_FN(Tanh, tanh)
MLX_STD_UNARY_FN(ArcSinh, asinh)
MLX_STD_UNARY_FN(ArcCosh, acosh)
MLX_STD_UNARY_FN(ArcTanh, atanh)
MLX_STD_UNARY_FN(Floor, floor)
MLX_STD_UNARY_FN(Ceil, ceil)
// Round half to even, as NumPy (the default rounding mode).
MLX_STD_UNARY_FN(Round, nearbyint)
MLX_STD_UNARY_FN(Erf, erf)
#undef MLX_STD_UNARY_FN

/** Op on T, computed in float for the half types; the result is a T. */
template <typename Op, typename T> struct Lifted {
  T operator()(T x) const {
    if constexpr (is_half_v<T>) {
      return T(Op{}(static_cast<float>(x)));
    } else {
      return T(Op{}(x));
    }
  }
};

struct LogicalNot {
  bool operator()(bool x) const { return !x; }
};

template <typename T> struct BitwiseInvert {
  T operator()(T x) const {
    if constexpr (std::is_same_v<T, bool>) {
      return !x;
    } else {
      return T(~x);
    }
  }
};

struct Conjugate {
  complex64_t operator()(complex64_t x) const { return std::conj(x); }
};

struct Real {
  float operator()(complex64_t x) const { return x.real(); }
};

struct Imag {
  float operator()(complex64_t x) const { return x.imag(); }
};

} // namespace unary_fn

namespace detail_unary {

// Op on every dtype, output of the same dtype.
template <typename Op, typename F> void any_dtype(Dtype dtype, F& f) {
  detail::dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    f(unary_fn::Lifted<Op, T>{}, T{}, T{});
  });
}

// Op on the floating dtypes (and complex64 when `complex_ok`).
template <typename Op, bool complex_ok, typename F>
void inexact_dtype(Dtype dtype, const char* name, F& f) {
  switch (dtype.val()) {
  case Dtype::Val::float16:
    return f(unary_fn::Lifted<Op, float16_t>{}, float16_t{}, float16_t{});
  case Dtype::Val::bfloat16:
    return f(unary_fn::Lifted<Op, bfloat16_t>{}, bfloat16_t{}, bfloat16_t{});
  case Dtype::Val::float32:
    return f(unary_fn::Lifted<Op, float>{}, float{}, float{});
  case Dtype::Val::float64:
    return f(unary_fn::Lifted<Op, double>{}, double{}, double{});
  case Dtype::Val::complex64:
    if constexpr (complex_ok) {
      return f(
          unary_fn::Lifted<Op, complex64_t>{}, complex64_t{}, complex64_t{});
    }
    [[fallthrough]];
  default:
    unsupported_dtype(name, dtype);
  }
}

} // namespace detail_unary

/** Calls f(fn, In{}, Out{}) with `fn` the stateless element functor
 * (Out fn(In)) of `op` on inputs of `dtype`; throws
 * "[name] Not supported for dtype ..." for dtypes the op does not take. */
template <typename F>
void dispatch_unary(UnaryOp op, Dtype dtype, const char* name, F&& f) {
  using namespace unary_fn;
  using detail_unary::any_dtype;
  auto inexact = [&](auto op_tag) {
    detail_unary::inexact_dtype<std::decay_t<decltype(op_tag)>, true>(
        dtype, name, f);
  };
  auto real_float = [&](auto op_tag) {
    detail_unary::inexact_dtype<std::decay_t<decltype(op_tag)>, false>(
        dtype, name, f);
  };
  auto complex_only = [&](auto fn) {
    if (dtype != complex64) {
      unsupported_dtype(name, dtype);
    }
    using Out = std::invoke_result_t<decltype(fn), complex64_t>;
    f(fn, complex64_t{}, Out{});
  };
  switch (op) {
  case UnaryOp::Abs:
    return any_dtype<Abs>(dtype, f);
  case UnaryOp::Negative:
    return any_dtype<Negative>(dtype, f);
  case UnaryOp::Sign:
    return any_dtype<Sign>(dtype, f);
  case UnaryOp::Square:
    return any_dtype<Square>(dtype, f);
  case UnaryOp::Sqrt:
    return inexact(Sqrt{});
  case UnaryOp::Rsqrt:
    return inexact(Rsqrt{});
  case UnaryOp::Exp:
    return inexact(Exp{});
  case UnaryOp::Expm1:
    return real_float(Expm1{});
  case UnaryOp::Log:
    return inexact(Log{});
  case UnaryOp::Log2:
    return inexact(Log2{});
  case UnaryOp::Log10:
    return inexact(Log10{});
  case UnaryOp::Log1p:
    return real_float(Log1p{});
  case UnaryOp::Sin:
    return inexact(Sin{});
  case UnaryOp::Cos:
    return inexact(Cos{});
  case UnaryOp::Tan:
    return inexact(Tan{});
  case UnaryOp::ArcSin:
    return inexact(ArcSin{});
  case UnaryOp::ArcCos:
    return inexact(ArcCos{});
  case UnaryOp::ArcTan:
    return inexact(ArcTan{});
  case UnaryOp::Sinh:
    return inexact(Sinh{});
  case UnaryOp::Cosh:
    return inexact(Cosh{});
  case UnaryOp::Tanh:
    return inexact(Tanh{});
  case UnaryOp::ArcSinh:
    return inexact(ArcSinh{});
  case UnaryOp::ArcCosh:
    return inexact(ArcCosh{});
  case UnaryOp::ArcTanh:
    return inexact(ArcTanh{});
  case UnaryOp::Floor:
    return real_float(Floor{});
  case UnaryOp::Ceil:
    return real_float(Ceil{});
  case UnaryOp::Round:
    return real_float(Round{});
  case UnaryOp::Erf:
    return real_float(Erf{});
  case UnaryOp::ErfInv:
    return real_float(ErfInv{});
  case UnaryOp::Sigmoid:
    return real_float(Sigmoid{});
  case UnaryOp::LogicalNot:
    if (dtype != bool_) {
      unsupported_dtype(name, dtype);
    }
    return f(LogicalNot{}, bool{}, bool{});
  case UnaryOp::BitwiseInvert:
    return detail::dispatch_dtype(dtype, [&](auto tag) {
      using T = decltype(tag);
      if constexpr (std::is_integral_v<T>) {
        f(BitwiseInvert<T>{}, T{}, T{});
      } else {
        unsupported_dtype(name, dtype);
      }
    });
  case UnaryOp::Conjugate:
    return complex_only(Conjugate{});
  case UnaryOp::Real:
    return complex_only(Real{});
  case UnaryOp::Imag:
    return complex_only(Imag{});
  }
}

} // namespace mlx::core::cpu
