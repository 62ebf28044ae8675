// CPU kernels of the Binary, Select and AsType primitives.
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "mlx/backend/cpu/copy.h"
#include "mlx/backend/cpu/elementwise.h"
#include "mlx/backend/cpu/math.h"
#include "mlx/primitives/elementwise.h"

namespace mlx::core {

namespace {

using cpu::binary_kernel;

template <typename T>
inline constexpr bool is_int_v =
    std::is_integral_v<T> && !std::is_same_v<T, bool>;

template <typename T>
inline constexpr bool is_real_float_v =
    std::is_floating_point_v<T> || is_half_v<T>;

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

[[noreturn]] void unsupported(const Binary& p, Dtype t) {
  std::ostringstream msg;
  msg << "[" << p.name() << "] Not supported for dtype " << t << ".";
  throw std::invalid_argument(msg.str());
}

// Arithmetic producing the input dtype. `f(x, y)` receives float for half
// types and the element type otherwise; f returns void for dtypes the op
// does not support.
template <typename F>
void arithmetic(
    const Binary& p, const array& a, const array& b, array& out, F f) {
  detail::dispatch_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    // Half types compute in float.
    using C = std::conditional_t<is_half_v<T>, float, T>;
    if constexpr (std::is_void_v<std::invoke_result_t<F, C, C>>) {
      unsupported(p, a.dtype());
    } else {
      binary_kernel<T, T>(a, b, out, [&](T x, T y) {
        return T(f(static_cast<C>(x), static_cast<C>(y)));
      });
    }
  });
}

template <typename F>
void comparison(const array& a, const array& b, array& out, F f) {
  detail::dispatch_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (is_half_v<T>) {
      binary_kernel<T, bool>(a, b, out, [&](T x, T y) {
        return f(static_cast<float>(x), static_cast<float>(y));
      });
    } else {
      binary_kernel<T, bool>(a, b, out, f);
    }
  });
}

// Ordering of complex numbers is lexicographic, as NumPy.
template <typename T> bool less_than(T x, T y) {
  if constexpr (std::is_same_v<T, complex64_t>) {
    return x.real() < y.real() || (x.real() == y.real() && x.imag() < y.imag());
  } else {
    return x < y;
  }
}

} // namespace

void Binary::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& a = inputs[0];
  const array& b = inputs[1];
  switch (op_) {
  case BinaryOp::Add:
    return arithmetic(*this, a, b, out, [](auto x, auto y) {
      if constexpr (std::is_same_v<decltype(x), bool>) {
        return x || y;
      } else {
        return x + y;
      }
    });
  case BinaryOp::Subtract:
    return arithmetic(*this, a, b, out, [](auto x, auto y) { return x - y; });
  case BinaryOp::Multiply:
    return arithmetic(*this, a, b, out, [](auto x, auto y) {
      if constexpr (std::is_same_v<decltype(x), bool>) {
        return x && y;
      } else {
        return x * y;
      }
    });
  case BinaryOp::Divide:
    return arithmetic(*this, a, b, out, [](auto x, auto y) {
      using T = decltype(x);
      if constexpr (is_int_v<T>) {
        return floor_div_int(x, y);
      } else if constexpr (std::is_same_v<T, bool>) {
        return x;
      } else {
        return x / y;
      }
    });
  case BinaryOp::Remainder:
    return arithmetic(*this, a, b, out, [](auto x, auto y) {
      using T = decltype(x);
      if constexpr (is_int_v<T>) {
        return remainder_int(x, y);
      } else if constexpr (std::is_floating_point_v<T>) {
        return remainder_float(x, y);
      } else {
        return; // bool, complex
      }
    });
  case BinaryOp::FloorDivide:
    return arithmetic(*this, a, b, out, [](auto x, auto y) {
      using T = decltype(x);
      if constexpr (is_int_v<T>) {
        return floor_div_int(x, y);
      } else if constexpr (std::is_floating_point_v<T>) {
        return std::floor(x / y);
      } else {
        return;
      }
    });
  case BinaryOp::Maximum:
    return arithmetic(*this, a, b, out, [](auto x, auto y) {
      using T = decltype(x);
      if constexpr (std::is_floating_point_v<T>) {
        return (x != x || y != y) ? std::numeric_limits<T>::quiet_NaN()
                                  : (x > y ? x : y);
      } else {
        return less_than(x, y) ? y : x;
      }
    });
  case BinaryOp::Minimum:
    return arithmetic(*this, a, b, out, [](auto x, auto y) {
      using T = decltype(x);
      if constexpr (std::is_floating_point_v<T>) {
        return (x != x || y != y) ? std::numeric_limits<T>::quiet_NaN()
                                  : (x < y ? x : y);
      } else {
        return less_than(y, x) ? y : x;
      }
    });
  case BinaryOp::Power:
    return arithmetic(*this, a, b, out, [](auto x, auto y) {
      using T = decltype(x);
      if constexpr (is_int_v<T>) {
        return int_power(x, y);
      } else if constexpr (std::is_same_v<T, bool>) {
        return x || !y;
      } else {
        return T(std::pow(x, y));
      }
    });
  case BinaryOp::ArcTan2:
    return arithmetic(*this, a, b, out, [](auto x, auto y) {
      using T = decltype(x);
      if constexpr (std::is_floating_point_v<T>) {
        return std::atan2(x, y);
      } else {
        return;
      }
    });
  case BinaryOp::LogAddExp:
    return arithmetic(*this, a, b, out, [](auto x, auto y) {
      using T = decltype(x);
      if constexpr (std::is_floating_point_v<T>) {
        return logaddexp(x, y);
      } else {
        return;
      }
    });
  case BinaryOp::Equal:
    return comparison(a, b, out, [](auto x, auto y) { return x == y; });
  case BinaryOp::NaNEqual:
    return comparison(
        a, b, out, [](auto x, auto y) { return x == y || (x != x && y != y); });
  case BinaryOp::NotEqual:
    return comparison(a, b, out, [](auto x, auto y) { return x != y; });
  case BinaryOp::Less:
    return comparison(
        a, b, out, [](auto x, auto y) { return less_than(x, y); });
  case BinaryOp::LessEqual:
    return comparison(
        a, b, out, [](auto x, auto y) { return less_than(x, y) || x == y; });
  case BinaryOp::Greater:
    return comparison(
        a, b, out, [](auto x, auto y) { return less_than(y, x); });
  case BinaryOp::GreaterEqual:
    return comparison(
        a, b, out, [](auto x, auto y) { return less_than(y, x) || x == y; });
  case BinaryOp::LogicalAnd:
    if (a.dtype() != bool_) {
      unsupported(*this, a.dtype());
    }
    return binary_kernel<bool, bool>(
        a, b, out, [](bool x, bool y) { return x && y; });
  case BinaryOp::LogicalOr:
    if (a.dtype() != bool_) {
      unsupported(*this, a.dtype());
    }
    return binary_kernel<bool, bool>(
        a, b, out, [](bool x, bool y) { return x || y; });
  case BinaryOp::BitwiseAnd:
  case BinaryOp::BitwiseOr:
  case BinaryOp::BitwiseXor:
  case BinaryOp::LeftShift:
  case BinaryOp::RightShift: {
    BinaryOp op = op_;
    return arithmetic(*this, a, b, out, [op](auto x, auto y) {
      using T = decltype(x);
      if constexpr (std::is_integral_v<T>) {
        switch (op) {
        case BinaryOp::BitwiseAnd:
          return T(x & y);
        case BinaryOp::BitwiseOr:
          return T(x | y);
        case BinaryOp::BitwiseXor:
          return T(x ^ y);
        case BinaryOp::LeftShift:
          if constexpr (is_int_v<T>) {
            return shift_left(x, y);
          }
          return T(x && !y);
        default:
          if constexpr (is_int_v<T>) {
            return shift_right(x, y);
          }
          return T(x && !y);
        }
      } else {
        return;
      }
    });
  }
  }
}

void Select::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& cond = inputs[0];
  const array& x = inputs[1];
  const array& y = inputs[2];
  if (out.size() == 0) {
    out.set_data(allocator::malloc(0));
    return;
  }
  out.set_data(allocator::malloc(out.nbytes()));
  const bool* c = cond.data<bool>();
  detail::dispatch_dtype(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xs = x.data<T>();
    const T* ys = y.data<T>();
    T* dst = out.data<T>();
    cpu::strided_rows<4>(
        out.shape(),
        {cond.strides(), x.strides(), y.strides(), out.strides()},
        [&](const std::array<int64_t, 4>& off,
            int32_t n,
            const std::array<int64_t, 4>& inc) {
          const bool* cc = c + off[0];
          const T* xx = xs + off[1];
          const T* yy = ys + off[2];
          T* d = dst + off[3];
          for (int32_t i = 0; i < n; ++i) {
            d[i * inc[3]] = cc[i * inc[0]] ? xx[i * inc[1]] : yy[i * inc[2]];
          }
        });
  });
}

void AsType::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::copy_convert(inputs[0], out);
}

} // namespace mlx::core
