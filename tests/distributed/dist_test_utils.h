// Helpers of the distributed test programs. Each rank's input is a
// deterministic function of (rank, element index), so every rank can build
// every other rank's input locally and compute the expected result with
// plain loops, independently of the communication under test.
#pragma once

#include <algorithm>
#include <complex>
#include <functional>
#include <vector>

#include "../core/test_utils.h"
#include "mlx/distributed/ops.h"

namespace dist = mx::distributed;

namespace dist_test {

inline dist::Group world() {
  return dist::init();
}

/** Rank q's input: ((3 i + 5 q) mod 7), minus 3 for signed and floating
 * types; bool: (i + q) mod 3 == 0; complex64 gets imaginary part q - i mod 2.
 */
inline mx::array rank_input(int q, const mx::Shape& shape, mx::Dtype dtype) {
  size_t n = mx::shape_size(shape);
  if (dtype == mx::complex64) {
    std::vector<mx::complex64_t> v(n);
    for (size_t i = 0; i < n; ++i) {
      v[i] = {float((3 * i + 5 * q) % 7) - 3.0f, float(q - int(i % 2))};
    }
    return mx::array(v.begin(), shape, mx::complex64);
  }
  std::vector<double> v(n);
  bool is_signed = !mx::issubdtype(dtype, mx::unsignedinteger);
  for (size_t i = 0; i < n; ++i) {
    if (dtype == mx::bool_) {
      v[i] = (i + q) % 3 == 0;
    } else {
      v[i] = double((3 * i + 5 * q) % 7) - (is_signed ? 3.0 : 0.0);
    }
  }
  return mx::astype(mx::array(v.begin(), shape, mx::float64), dtype);
}

using Fold = std::function<double(double, double)>;

inline double add(double a, double b) {
  return a + b;
}
inline double max_of(double a, double b) {
  return std::max(a, b);
}
inline double min_of(double a, double b) {
  return std::min(a, b);
}

/** fold over ranks 0..n-1 of make(q)'s elements (logical order). */
inline std::vector<double>
fold_ranks(int n, const std::function<mx::array(int)>& make, const Fold& f) {
  auto acc = mlx_test::to_doubles(make(0));
  for (int q = 1; q < n; ++q) {
    auto v = mlx_test::to_doubles(make(q));
    for (size_t i = 0; i < acc.size(); ++i) {
      acc[i] = f(acc[i], v[i]);
    }
  }
  return acc;
}

/** Complex sum over ranks. */
inline std::vector<std::complex<double>>
sum_ranks_complex(int n, const std::function<mx::array(int)>& make) {
  auto acc = mlx_test::to_complex(make(0));
  for (int q = 1; q < n; ++q) {
    auto v = mlx_test::to_complex(make(q));
    for (size_t i = 0; i < acc.size(); ++i) {
      acc[i] += v[i];
    }
  }
  return acc;
}

/** make(0), ..., make(n-1) elements one after the other. */
inline std::vector<double>
concat_ranks(int n, const std::function<mx::array(int)>& make) {
  std::vector<double> out;
  for (int q = 0; q < n; ++q) {
    auto v = mlx_test::to_doubles(make(q));
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

/** `f` throws std::runtime_error whose message contains every part. */
template <class F>
void expect_runtime_error(F f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "expected std::runtime_error, nothing was thrown";
  } catch (const std::runtime_error& e) {
    std::string msg = e.what();
    for (auto& part : parts) {
      EXPECT_NE(msg.find(part), std::string::npos)
          << "message '" << msg << "' does not contain '" << part << "'";
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected std::runtime_error, got: " << e.what();
  }
}

} // namespace dist_test
