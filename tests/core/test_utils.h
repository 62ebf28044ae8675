// Small helpers shared by the core test suites: read an array's elements in
// logical (row-major) order whatever its layout, compare against expected
// values, and check error messages.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "mlx/mlx.h"

namespace mx = mlx::core;

namespace mlx_test {

/** Every dtype, in MLX's order. */
inline const std::vector<mx::Dtype> kAllDtypes = {
    mx::bool_,
    mx::uint8,
    mx::uint16,
    mx::uint32,
    mx::uint64,
    mx::int8,
    mx::int16,
    mx::int32,
    mx::int64,
    mx::float16,
    mx::float32,
    mx::float64,
    mx::bfloat16,
    mx::complex64};

// Calls f(flat_offset_in_elements) for each element in row-major logical
// order, following the array's strides (works for views of any layout).
inline void
for_each_offset(const mx::array& a, const std::function<void(int64_t)>& f) {
  size_t n = a.size();
  if (n == 0) {
    return;
  }
  int nd = static_cast<int>(a.ndim());
  std::vector<int32_t> idx(nd, 0);
  for (size_t i = 0; i < n; ++i) {
    int64_t off = 0;
    for (int d = 0; d < nd; ++d) {
      off += idx[d] * a.strides()[d];
    }
    f(off);
    for (int d = nd - 1; d >= 0; --d) {
      if (++idx[d] < a.shape()[d]) {
        break;
      }
      idx[d] = 0;
    }
  }
}

/** Evaluates `a` and returns its elements as doubles (complex: real part). */
// 0, 1, 2, ... in row-major order, shaped (a NumPy np.arange(n).reshape).
inline mx::array range(const mx::Shape& shape, mx::Dtype t = mx::float32) {
  int n = 1;
  for (int d : shape) {
    n *= d;
  }
  return mx::reshape(mx::arange(0, n, t), shape);
}

inline std::vector<double> to_doubles(mx::array a) {
  a.eval();
  std::vector<double> out;
  out.reserve(a.size());
  mx::detail::dispatch_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* p = a.data<T>();
    for_each_offset(a, [&](int64_t off) {
      if constexpr (std::is_same_v<T, mx::complex64_t>) {
        out.push_back(p[off].real());
      } else {
        out.push_back(static_cast<double>(
            static_cast<std::conditional_t<mx::is_half_v<T>, float, T>>(
                p[off])));
      }
    });
  });
  return out;
}

/** Evaluates a complex64 array and returns its elements. */
inline std::vector<std::complex<double>> to_complex(mx::array a) {
  a.eval();
  std::vector<std::complex<double>> out;
  out.reserve(a.size());
  mx::detail::dispatch_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* p = a.data<T>();
    for_each_offset(a, [&](int64_t off) {
      if constexpr (std::is_same_v<T, mx::complex64_t>) {
        out.emplace_back(p[off].real(), p[off].imag());
      } else if constexpr (mx::is_half_v<T>) {
        out.emplace_back(static_cast<float>(p[off]), 0.0);
      } else {
        out.emplace_back(static_cast<double>(p[off]), 0.0);
      }
    });
  });
  return out;
}

inline std::string shape_str(const mx::Shape& s) {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < s.size(); ++i) {
    os << (i ? ", " : "") << s[i];
  }
  os << ")";
  return os.str();
}

inline bool close_enough(double got, double want, double rtol, double atol) {
  if (std::isnan(want)) {
    return std::isnan(got);
  }
  if (std::isinf(want)) {
    return got == want;
  }
  return std::abs(got - want) <= atol + rtol * std::abs(want);
}

} // namespace mlx_test

/** Shape equals `shape` and each element is within atol + rtol*|expected|
 * (NaN matches NaN, inf must match exactly). */
inline void expect_array_near(
    mx::array a,
    const std::vector<double>& expected,
    const mx::Shape& shape,
    double rtol = 1e-6,
    double atol = 1e-6) {
  EXPECT_EQ(a.shape(), shape) << "shape " << mlx_test::shape_str(a.shape())
                              << " != " << mlx_test::shape_str(shape);
  auto got = mlx_test::to_doubles(a);
  ASSERT_EQ(got.size(), expected.size()) << "element count";
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_TRUE(mlx_test::close_enough(got[i], expected[i], rtol, atol))
        << "element " << i << ": got " << got[i] << ", expected "
        << expected[i];
  }
}

/** Complex version: compares real and imaginary parts. */
inline void expect_complex_near(
    mx::array a,
    const std::vector<std::complex<double>>& expected,
    const mx::Shape& shape,
    double rtol = 1e-5,
    double atol = 1e-5) {
  EXPECT_EQ(a.dtype(), mx::complex64);
  EXPECT_EQ(a.shape(), shape);
  auto got = mlx_test::to_complex(a);
  ASSERT_EQ(got.size(), expected.size()) << "element count";
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_TRUE(
        mlx_test::close_enough(got[i].real(), expected[i].real(), rtol, atol) &&
        mlx_test::close_enough(got[i].imag(), expected[i].imag(), rtol, atol))
        << "element " << i << ": got " << got[i] << ", expected "
        << expected[i];
  }
}

/** Shape equals `shape` and the elements, in row-major order, equal
 * `expected` exactly. */
inline void expect_array_values(
    const mx::array& a,
    const mx::Shape& shape,
    const std::vector<double>& expected) {
  EXPECT_EQ(a.shape(), shape) << "shape " << mlx_test::shape_str(a.shape())
                              << " != " << mlx_test::shape_str(shape);
  EXPECT_EQ(mlx_test::to_doubles(a), expected);
}

/** Same shape, same dtype and exactly equal values (NaN equals NaN). */
inline void expect_array_eq(mx::array a, mx::array expected) {
  EXPECT_EQ(a.dtype(), expected.dtype());
  EXPECT_EQ(a.shape(), expected.shape())
      << "shape " << mlx_test::shape_str(a.shape())
      << " != " << mlx_test::shape_str(expected.shape());
  if (a.shape() != expected.shape()) {
    return;
  }
  if (a.dtype() == mx::complex64 || expected.dtype() == mx::complex64) {
    auto g = mlx_test::to_complex(a);
    auto w = mlx_test::to_complex(expected);
    for (size_t i = 0; i < g.size(); ++i) {
      EXPECT_EQ(g[i], w[i]) << "element " << i;
    }
    return;
  }
  auto g = mlx_test::to_doubles(a);
  auto w = mlx_test::to_doubles(expected);
  for (size_t i = 0; i < g.size(); ++i) {
    EXPECT_TRUE(g[i] == w[i] || (std::isnan(g[i]) && std::isnan(w[i])))
        << "element " << i << ": got " << g[i] << ", expected " << w[i];
  }
}

/** f() throws std::invalid_argument whose what() starts with `prefix`
 * (and contains `part`, when given). */
template <class F>
void expect_throws_with_prefix(
    F f, const std::string& prefix, const std::string& part = "") {
  try {
    f();
    ADD_FAILURE() << "expected std::invalid_argument starting with '" << prefix
                  << "', nothing was thrown";
  } catch (const std::invalid_argument& e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.rfind(prefix, 0), 0u)
        << "message '" << msg << "' does not start with '" << prefix << "'";
    if (!part.empty()) {
      EXPECT_NE(msg.find(part), std::string::npos)
          << "message '" << msg << "' does not contain '" << part << "'";
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected std::invalid_argument, got another exception: "
                  << e.what();
  }
}

/** The printed form of an array (operator<<). */
inline std::string to_string(const mx::array& a) {
  std::ostringstream os;
  os << a;
  return os.str();
}
