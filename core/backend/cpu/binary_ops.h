// The element math of the Binary ops, in one place: stateless functors and
// the table saying which dtypes each op supports. The Binary kernels
// (binary.cpp) and the fused kernels of compile (compiled_steps.cpp) both
// take their element functions from dispatch_binary.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "mlx/backend/cpu/unary_ops.h"

namespace mlx::core::cpu {

namespace binary_fn {

template <typename T>
inline constexpr bool is_int_v =
    std::is_integral_v<T> && !std::is_same_v<T, bool>;

// Integer division rounding toward negative infinity. x / 0 gives 0 (as
// NumPy, which warns) and MIN / -1 wraps, instead of trapping.
template <typename T> T floor_div_int(T x, T y) {
  if (y == 0) {
    return 0;
  }
  if constexpr (std::is_signed_v<T>) {
    if (y == -1) {
      using U = std::make_unsigned_t<T>;
      return static_cast<T>(U(0) - static_cast<U>(x));
    }
    T q = x / y;
    return (x % y != 0 && ((x < 0) != (y < 0))) ? T(q - 1) : q;
  } else {
    return x / y;
  }
}

// Remainder with the sign of the divisor (Python's %), x % 0 gives 0.
template <typename T> T remainder_int(T x, T y) {
  if (y == 0) {
    return 0;
  }
  if constexpr (std::is_signed_v<T>) {
    if (y == -1) {
      return 0;
    }
    T r = x % y;
    return (r != 0 && ((r < 0) != (y < 0))) ? T(r + y) : r;
  } else {
    return x % y;
  }
}

template <typename T> T remainder_float(T x, T y) {
  T r = std::fmod(x, y);
  if (r != 0 && ((r < 0) != (y < 0))) {
    r += y;
  }
  return r;
}

template <typename T> T int_power(T base, T exp) {
  if constexpr (std::is_signed_v<T>) {
    if (exp < 0) {
      // Only 1 and -1 have integer reciprocals.
      if (base == 1) {
        return 1;
      }
      if (base == -1) {
        return (exp % 2 == 0) ? 1 : -1;
      }
      return 0;
    }
  }
  using U = std::make_unsigned_t<T>;
  U result = 1, b = static_cast<U>(base);
  auto e = exp;
  while (e > 0) {
    if (e & 1) {
      result *= b;
    }
    b *= b;
    e >>= 1;
  }
  return static_cast<T>(result);
}

template <typename T> T shift_left(T x, T y) {
  constexpr int bits = sizeof(T) * 8;
  if (y < 0 || y >= bits) {
    return 0;
  }
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(x) << y);
}

template <typename T> T shift_right(T x, T y) {
  constexpr int bits = sizeof(T) * 8;
  if (y < 0 || y >= bits) {
    return (std::is_signed_v<T> && x < 0) ? T(-1) : T(0);
  }
  return static_cast<T>(x >> y); // arithmetic for signed types
}

template <typename T> T logaddexp(T x, T y) {
  // Equal infinities: x - y would be nan; the answer is that infinity.
  if (std::isinf(x) && x == y) {
    return x;
  }
  T m = std::max(x, y);
  if (std::isnan(x) || std::isnan(y)) {
    return std::numeric_limits<T>::quiet_NaN();
  }
  return m + std::log1p(std::exp(-std::abs(x - y)));
}

// Ordering of complex numbers is lexicographic, as NumPy.
template <typename T> bool less_than(T x, T y) {
  if constexpr (std::is_same_v<T, complex64_t>) {
    return x.real() < y.real() || (x.real() == y.real() && x.imag() < y.imag());
  } else {
    return x < y;
  }
}

// Arithmetic functors get the compute type C (float for half types) and
// return void for the types they do not support.

// Integers wrap modulo 2^bits, as NumPy: their sums, differences and
// products run in the unsigned type of their promotion (signed overflow,
// and uint16 products promoted to int, are undefined in C++).
template <typename C> constexpr bool kWraps =
    std::is_integral_v<C> && !std::is_same_v<C, bool>;
template <typename C>
using WrapType = std::make_unsigned_t<decltype(C() + C())>;

struct Add {
  template <typename C> auto operator()(C x, C y) const {
    if constexpr (std::is_same_v<C, bool>) {
      return x || y;
    } else if constexpr (kWraps<C>) {
      return static_cast<C>(WrapType<C>(x) + WrapType<C>(y));
    } else {
      return x + y;
    }
  }
};

struct Subtract {
  template <typename C> auto operator()(C x, C y) const {
    if constexpr (kWraps<C>) {
      return static_cast<C>(WrapType<C>(x) - WrapType<C>(y));
    } else {
      return x - y;
    }
  }
};

struct Multiply {
  template <typename C> auto operator()(C x, C y) const {
    if constexpr (std::is_same_v<C, bool>) {
      return x && y;
    } else if constexpr (kWraps<C>) {
      return static_cast<C>(WrapType<C>(x) * WrapType<C>(y));
    } else {
      return x * y;
    }
  }
};

struct Divide {
  template <typename C> auto operator()(C x, C y) const {
    if constexpr (is_int_v<C>) {
      return floor_div_int(x, y);
    } else if constexpr (std::is_same_v<C, bool>) {
      return x;
    } else {
      return x / y;
    }
  }
};

struct Remainder {
  template <typename C> auto operator()(C x, C y) const {
    if constexpr (is_int_v<C>) {
      return remainder_int(x, y);
    } else if constexpr (std::is_floating_point_v<C>) {
      return remainder_float(x, y);
    } else {
      return; // bool, complex
    }
  }
};

struct FloorDivide {
  template <typename C> auto operator()(C x, C y) const {
    if constexpr (is_int_v<C>) {
      return floor_div_int(x, y);
    } else if constexpr (std::is_floating_point_v<C>) {
      return std::floor(x / y);
    } else {
      return;
    }
  }
};

struct Maximum {
  template <typename C> auto operator()(C x, C y) const {
    if constexpr (std::is_floating_point_v<C>) {
      return (x != x || y != y) ? std::numeric_limits<C>::quiet_NaN()
                                : (x > y ? x : y);
    } else {
      return less_than(x, y) ? y : x;
    }
  }
};

struct Minimum {
  template <typename C> auto operator()(C x, C y) const {
    if constexpr (std::is_floating_point_v<C>) {
      return (x != x || y != y) ? std::numeric_limits<C>::quiet_NaN()
                                : (x < y ? x : y);
    } else {
      return less_than(y, x) ? y : x;
    }
  }
};

struct Power {
  template <typename C> auto operator()(C x, C y) const {
    if constexpr (is_int_v<C>) {
      return int_power(x, y);
    } else if constexpr (std::is_same_v<C, bool>) {
      return x || !y;
    } else {
      return C(std::pow(x, y));
    }
  }
};

struct ArcTan2 {
  template <typename C> auto operator()(C x, C y) const {
    if constexpr (std::is_floating_point_v<C>) {
      return std::atan2(x, y);
    } else {
      return;
    }
  }
};

struct LogAddExp {
  template <typename C> auto operator()(C x, C y) const {
    if constexpr (std::is_floating_point_v<C>) {
      return logaddexp(x, y);
    } else {
      return;
    }
  }
};

// Bitwise ops take integers and bool; shifts of bools give x && !y.
#define MLX_BITWISE_FN(Name, expr, bool_expr)                                  \
  struct Name {                                                                \
    template <typename C> auto operator()(C x, C y) const {                    \
      if constexpr (is_int_v<C>) {                                             \
        return expr;                                                           \
      } else if constexpr (std::is_same_v<C, bool>) {                          \
        return C(bool_expr);                                                   \
      } else {                                                                 \
        return;                                                                \
      }                                                                        \
    }                                                                          \
  };
MLX_BITWISE_FN(BitwiseAnd, C(x& y), x& y)
MLX_BITWISE_FN(BitwiseOr, C(x | y), x | y)
MLX_BITWISE_FN(BitwiseXor, C(x ^ y), x ^ y)
MLX_BITWISE_FN(LeftShift, shift_left(x, y), x && !y)
MLX_BITWISE_FN(RightShift, shift_right(x, y), x && !y)
#undef MLX_BITWISE_FN

// Comparisons get the compute type and return bool.
struct Equal {
  template <typename C> bool operator()(C x, C y) const { return x == y; }
};
struct NaNEqual {
  template <typename C> bool operator()(C x, C y) const {
    return x == y || (x != x && y != y);
  }
};
struct NotEqual {
  template <typename C> bool operator()(C x, C y) const { return x != y; }
};
struct Less {
  template <typename C> bool operator()(C x, C y) const {
    return less_than(x, y);
  }
};
struct LessEqual {
  template <typename C> bool operator()(C x, C y) const {
    return less_than(x, y) || x == y;
  }
};
struct Greater {
  template <typename C> bool operator()(C x, C y) const {
    return less_than(y, x);
  }
};
struct GreaterEqual {
  template <typename C> bool operator()(C x, C y) const {
    return less_than(y, x) || x == y;
  }
};
struct LogicalAnd {
  bool operator()(bool x, bool y) const { return x && y; }
};
struct LogicalOr {
  bool operator()(bool x, bool y) const { return x || y; }
};

template <typename T>
using compute_t = std::conditional_t<is_half_v<T>, float, T>;

/** Op on two T, computed in compute_t<T>; the result converted to Out. */
template <typename Op, typename T, typename Out> struct Lifted2 {
  Out operator()(T x, T y) const {
    using C = compute_t<T>;
    return Out(Op{}(static_cast<C>(x), static_cast<C>(y)));
  }
};

} // namespace binary_fn

/** Calls f(fn, In{}, Out{}) with `fn` the stateless element functor
 * (Out fn(In, In)) of `op` on inputs of `dtype`; throws
 * "[name] Not supported for dtype ..." for dtypes the op does not take. */
template <typename F>
void dispatch_binary(BinaryOp op, Dtype dtype, const char* name, F&& f) {
  using namespace binary_fn;
  // Output of the input dtype; unsupported where Op returns void.
  auto arithmetic = [&](auto op_tag) {
    using Op = std::decay_t<decltype(op_tag)>;
    detail::dispatch_dtype(dtype, [&](auto tag) {
      using T = decltype(tag);
      using C = compute_t<T>;
      if constexpr (std::is_void_v<std::invoke_result_t<Op, C, C>>) {
        unsupported_dtype(name, dtype);
      } else {
        f(Lifted2<Op, T, T>{}, T{}, T{});
      }
    });
  };
  auto comparison = [&](auto op_tag) {
    using Op = std::decay_t<decltype(op_tag)>;
    detail::dispatch_dtype(dtype, [&](auto tag) {
      using T = decltype(tag);
      f(Lifted2<Op, T, bool>{}, T{}, bool{});
    });
  };
  auto logical = [&](auto fn) {
    if (dtype != bool_) {
      unsupported_dtype(name, dtype);
    }
    f(fn, bool{}, bool{});
  };
  switch (op) {
  case BinaryOp::Add:
    return arithmetic(Add{});
  case BinaryOp::Subtract:
    return arithmetic(Subtract{});
  case BinaryOp::Multiply:
    return arithmetic(Multiply{});
  case BinaryOp::Divide:
    return arithmetic(Divide{});
  case BinaryOp::Remainder:
    return arithmetic(Remainder{});
  case BinaryOp::FloorDivide:
    return arithmetic(FloorDivide{});
  case BinaryOp::Maximum:
    return arithmetic(Maximum{});
  case BinaryOp::Minimum:
    return arithmetic(Minimum{});
  case BinaryOp::Power:
    return arithmetic(Power{});
  case BinaryOp::ArcTan2:
    return arithmetic(ArcTan2{});
  case BinaryOp::LogAddExp:
    return arithmetic(LogAddExp{});
  case BinaryOp::Equal:
    return comparison(Equal{});
  case BinaryOp::NaNEqual:
    return comparison(NaNEqual{});
  case BinaryOp::NotEqual:
    return comparison(NotEqual{});
  case BinaryOp::Less:
    return comparison(Less{});
  case BinaryOp::LessEqual:
    return comparison(LessEqual{});
  case BinaryOp::Greater:
    return comparison(Greater{});
  case BinaryOp::GreaterEqual:
    return comparison(GreaterEqual{});
  case BinaryOp::LogicalAnd:
    return logical(LogicalAnd{});
  case BinaryOp::LogicalOr:
    return logical(LogicalOr{});
  case BinaryOp::BitwiseAnd:
    return arithmetic(BitwiseAnd{});
  case BinaryOp::BitwiseOr:
    return arithmetic(BitwiseOr{});
  case BinaryOp::BitwiseXor:
    return arithmetic(BitwiseXor{});
  case BinaryOp::LeftShift:
    return arithmetic(LeftShift{});
  case BinaryOp::RightShift:
    return arithmetic(RightShift{});
  }
}

} // namespace mlx::core::cpu
