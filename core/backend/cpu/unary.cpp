// CPU kernels of the Unary primitive.
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "mlx/backend/cpu/elementwise.h"
#include "mlx/backend/cpu/math.h"
#include "mlx/primitives/elementwise.h"

namespace mlx::core {

namespace {

using cpu::unary_kernel;
using cpu::via_float;

[[noreturn]] void unsupported(const Unary& p, Dtype t) {
  std::ostringstream msg;
  msg << "[" << p.name() << "] Not supported for dtype " << t << ".";
  throw std::invalid_argument(msg.str());
}

// f applied to floating (and, if `complex_ok`, complex64) elements; half
// types compute in float.
template <bool complex_ok = true, typename F>
void inexact_op(const Unary& p, const array& in, array& out, F f) {
  switch (in.dtype().val) {
  case Dtype::Val::float16:
    return unary_kernel<float16_t, float16_t>(
        in, out, [&](float16_t x) { return via_float(x, f); });
  case Dtype::Val::bfloat16:
    return unary_kernel<bfloat16_t, bfloat16_t>(
        in, out, [&](bfloat16_t x) { return via_float(x, f); });
  case Dtype::Val::float32:
    return unary_kernel<float, float>(in, out, f);
  case Dtype::Val::float64:
    return unary_kernel<double, double>(in, out, f);
  case Dtype::Val::complex64:
    if constexpr (complex_ok) {
      return unary_kernel<complex64_t, complex64_t>(in, out, f);
    }
    [[fallthrough]];
  default:
    unsupported(p, in.dtype());
  }
}

template <typename F>
void real_float_op(const Unary& p, const array& in, array& out, F f) {
  inexact_op<false>(p, in, out, f);
}

// f applied to any dtype, output of the same dtype.
template <typename F> void any_op(const array& in, array& out, F f) {
  detail::dispatch_dtype(in.dtype(), [&](auto tag) {
    using T = decltype(tag);
    unary_kernel<T, T>(in, out, [&](T x) { return T(via_float(x, f)); });
  });
}

template <typename T> T abs_value(T x) {
  if constexpr (std::is_unsigned_v<T> || std::is_same_v<T, bool>) {
    return x;
  } else if constexpr (std::is_same_v<T, complex64_t>) {
    return complex64_t(std::abs(x), 0.0f);
  } else {
    return x < T(0) ? T(-x) : x;
  }
}

template <typename T> T sign_value(T x) {
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

template <typename T> T negate(T x) {
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

// exp over contiguous float32 (the hot case: softmax, activations). On
// x86-64 it is built twice, for AVX2 + FMA (x86-64-v3) and for the baseline,
// and the loader picks the clone that fits the CPU: the 8-wide version is
// what keeps exp near memory bandwidth (benchmarks/RESULTS.md).
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
void exp_float_contiguous(const float* src, float* dst, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    dst[i] = cpu::fast_expf(src[i]);
  }
}

} // namespace

void Unary::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  if (in.size() == 0) {
    out.set_data(allocator::malloc(0));
    return;
  }
  switch (op_) {
  case UnaryOp::Abs:
    return any_op(in, out, [](auto x) { return abs_value(x); });
  case UnaryOp::Negative:
    return any_op(in, out, [](auto x) { return negate(x); });
  case UnaryOp::Sign:
    return any_op(in, out, [](auto x) { return sign_value(x); });
  case UnaryOp::Square:
    return any_op(in, out, [](auto x) { return decltype(x)(x * x); });
  case UnaryOp::Sqrt:
    return inexact_op(*this, in, out, [](auto x) { return std::sqrt(x); });
  case UnaryOp::Rsqrt:
    return inexact_op(
        *this, in, out, [](auto x) { return decltype(x)(1) / std::sqrt(x); });
  case UnaryOp::Exp:
    if (in.dtype() == float32 && in.flags().contiguous) {
      cpu::set_unary_output(in, out);
      const float* src = in.data<float>();
      float* dst = out.data<float>();
      cpu::parallel_for(
          in.data_size(), cpu::kElementwiseGrain, [&](size_t b, size_t e) {
            exp_float_contiguous(src + b, dst + b, e - b);
          });
      return;
    }
    return inexact_op(*this, in, out, [](auto x) {
      if constexpr (std::is_same_v<decltype(x), float>) {
        return cpu::fast_expf(x);
      } else {
        return std::exp(x);
      }
    });
  case UnaryOp::Expm1:
    return real_float_op(*this, in, out, [](auto x) { return std::expm1(x); });
  case UnaryOp::Log:
    return inexact_op(*this, in, out, [](auto x) { return std::log(x); });
  case UnaryOp::Log2:
    return inexact_op(*this, in, out, [](auto x) {
      if constexpr (std::is_same_v<decltype(x), complex64_t>) {
        return std::log(x) / std::log(2.0f);
      } else {
        return std::log2(x);
      }
    });
  case UnaryOp::Log10:
    return inexact_op(*this, in, out, [](auto x) { return std::log10(x); });
  case UnaryOp::Log1p:
    return real_float_op(*this, in, out, [](auto x) { return std::log1p(x); });
  case UnaryOp::Sin:
    return inexact_op(*this, in, out, [](auto x) { return std::sin(x); });
  case UnaryOp::Cos:
    return inexact_op(*this, in, out, [](auto x) { return std::cos(x); });
  case UnaryOp::Tan:
    return inexact_op(*this, in, out, [](auto x) { return std::tan(x); });
  case UnaryOp::ArcSin:
    return inexact_op(*this, in, out, [](auto x) { return std::asin(x); });
  case UnaryOp::ArcCos:
    return inexact_op(*this, in, out, [](auto x) { return std::acos(x); });
  case UnaryOp::ArcTan:
    return inexact_op(*this, in, out, [](auto x) { return std::atan(x); });
  case UnaryOp::Sinh:
    return inexact_op(*this, in, out, [](auto x) { return std::sinh(x); });
  case UnaryOp::Cosh:
    return inexact_op(*this, in, out, [](auto x) { return std::cosh(x); });
  case UnaryOp::Tanh:
    return inexact_op(*this, in, out, [](auto x) { return std::tanh(x); });
  case UnaryOp::ArcSinh:
    return inexact_op(*this, in, out, [](auto x) { return std::asinh(x); });
  case UnaryOp::ArcCosh:
    return inexact_op(*this, in, out, [](auto x) { return std::acosh(x); });
  case UnaryOp::ArcTanh:
    return inexact_op(*this, in, out, [](auto x) { return std::atanh(x); });
  case UnaryOp::Floor:
    return real_float_op(*this, in, out, [](auto x) { return std::floor(x); });
  case UnaryOp::Ceil:
    return real_float_op(*this, in, out, [](auto x) { return std::ceil(x); });
  case UnaryOp::Round:
    // Round half to even, as NumPy (the default rounding mode).
    return real_float_op(
        *this, in, out, [](auto x) { return std::nearbyint(x); });
  case UnaryOp::Erf:
    return real_float_op(*this, in, out, [](auto x) { return std::erf(x); });
  case UnaryOp::ErfInv:
    return real_float_op(*this, in, out, [](auto x) { return cpu::erfinv(x); });
  case UnaryOp::Sigmoid:
    return real_float_op(*this, in, out, [](auto x) {
      using T = decltype(x);
      if constexpr (std::is_same_v<T, float>) {
        return cpu::fast_sigmoid(x);
      } else {
        return T(1) / (T(1) + std::exp(-x));
      }
    });
  case UnaryOp::LogicalNot:
    if (in.dtype() != bool_) {
      unsupported(*this, in.dtype());
    }
    return unary_kernel<bool, bool>(in, out, [](bool x) { return !x; });
  case UnaryOp::BitwiseInvert:
    return detail::dispatch_dtype(in.dtype(), [&](auto tag) {
      using T = decltype(tag);
      if constexpr (std::is_same_v<T, bool>) {
        unary_kernel<T, T>(in, out, [](bool x) { return !x; });
      } else if constexpr (std::is_integral_v<T>) {
        unary_kernel<T, T>(in, out, [](T x) { return T(~x); });
      } else {
        unsupported(*this, in.dtype());
      }
    });
  case UnaryOp::Conjugate:
    if (in.dtype() != complex64) {
      unsupported(*this, in.dtype());
    }
    return unary_kernel<complex64_t, complex64_t>(
        in, out, [](complex64_t x) { return std::conj(x); });
  case UnaryOp::Real:
  case UnaryOp::Imag:
    if (in.dtype() != complex64) {
      unsupported(*this, in.dtype());
    }
    if (op_ == UnaryOp::Real) {
      return unary_kernel<complex64_t, float>(
          in, out, [](complex64_t x) { return x.real(); });
    }
    return unary_kernel<complex64_t, float>(
        in, out, [](complex64_t x) { return x.imag(); });
  }
}

} // namespace mlx::core
