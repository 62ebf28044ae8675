// Checks of the transforms against independent computations: vjp and jvp
// against central finite differences (float64), vmap against a loop over
// the batch stacked with `stack`.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "mlx/mlx.h"

namespace mlx_test {

namespace mx = mlx::core;

using Fn = std::function<std::vector<mx::array>(const std::vector<mx::array>&)>;

/** Wraps a one-input, one-output function as an Fn. */
inline Fn unary(std::function<mx::array(const mx::array&)> f) {
  return [f](const std::vector<mx::array>& x) {
    return std::vector<mx::array>{f(x[0])};
  };
}

/** Wraps a two-input, one-output function as an Fn. */
inline Fn
binary(std::function<mx::array(const mx::array&, const mx::array&)> f) {
  return [f](const std::vector<mx::array>& x) {
    return std::vector<mx::array>{f(x[0], x[1])};
  };
}

/** Wraps a three-input, one-output function as an Fn. */
inline Fn
ternary(std::function<
        mx::array(const mx::array&, const mx::array&, const mx::array&)> f) {
  return [f](const std::vector<mx::array>& x) {
    return std::vector<mx::array>{f(x[0], x[1], x[2])};
  };
}

inline std::vector<double> values_of(mx::array a) {
  a = mx::astype(a, mx::float64);
  a = mx::reshape(mx::contiguous(a), {static_cast<int>(a.size())});
  a.eval();
  return std::vector<double>(a.data<double>(), a.data<double>() + a.size());
}

/** A float64 array of `shape` with values uniform in [low, high). */
inline mx::array random_input(
    const mx::Shape& shape, uint32_t seed, double low = -1, double high = 1) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(low, high);
  size_t n = 1;
  for (int d : shape) {
    n *= d;
  }
  std::vector<double> v(n);
  for (auto& x : v) {
    x = dist(gen);
  }
  return mx::array(v.begin(), shape, mx::float64);
}

/** Max |a - b| / (1 + max |b|), the measure the checks bound. */
inline double
relative_error(const std::vector<double>& a, const std::vector<double>& b) {
  double err = 0;
  double scale = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    err = std::max(err, std::abs(a[i] - b[i]));
    scale = std::max(scale, std::abs(b[i]));
  }
  return err / (1 + scale);
}

/**
 * Checks vjp and jvp of `fun` at `inputs` (float64; non-float inputs are
 * held fixed) against the Jacobian from central differences: vjp with a
 * random cotangent against J^T c, jvp with a random tangent against J t.
 */
inline void check_grads(
    const std::string& name,
    const Fn& fun,
    const std::vector<mx::array>& inputs,
    double tol = 1e-6,
    double eps = 1e-6) {
  SCOPED_TRACE(name);
  auto outputs = fun(inputs);
  mx::eval(outputs);
  std::vector<int> diff_args;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (mx::issubdtype(inputs[i].dtype(), mx::floating)) {
      diff_args.push_back(static_cast<int>(i));
    }
  }
  std::vector<mx::array> cotangents;
  uint32_t seed = 1234;
  for (auto& o : outputs) {
    cotangents.push_back(
        mx::astype(random_input(o.shape(), seed++), o.dtype()));
  }
  std::vector<mx::array> tangents;
  for (auto& in : inputs) {
    tangents.push_back(
        mx::issubdtype(in.dtype(), mx::floating)
            ? mx::astype(random_input(in.shape(), seed++), in.dtype())
            : mx::zeros_like(in));
  }

  // Numerical J^T c (per input) and J t (per output).
  std::vector<std::vector<double>> numeric_vjp(inputs.size());
  std::vector<std::vector<double>> numeric_jvp(outputs.size());
  for (size_t k = 0; k < outputs.size(); ++k) {
    numeric_jvp[k].assign(outputs[k].size(), 0.0);
  }
  std::vector<std::vector<double>> cot_values;
  for (auto& c : cotangents) {
    cot_values.push_back(values_of(c));
  }
  for (int i : diff_args) {
    auto base = values_of(inputs[i]);
    auto t = values_of(tangents[i]);
    numeric_vjp[i].assign(base.size(), 0.0);
    for (size_t j = 0; j < base.size(); ++j) {
      auto shifted = [&](double delta) {
        auto v = base;
        v[j] += delta;
        auto args = inputs;
        args[i] = mx::astype(
            mx::array(v.begin(), inputs[i].shape(), mx::float64),
            inputs[i].dtype());
        auto outs = fun(args);
        std::vector<std::vector<double>> vals;
        for (auto& o : outs) {
          vals.push_back(values_of(o));
        }
        return vals;
      };
      auto plus = shifted(eps);
      auto minus = shifted(-eps);
      for (size_t k = 0; k < outputs.size(); ++k) {
        for (size_t e = 0; e < plus[k].size(); ++e) {
          double d = (plus[k][e] - minus[k][e]) / (2 * eps);
          numeric_vjp[i][j] += d * cot_values[k][e];
          numeric_jvp[k][e] += d * t[j];
        }
      }
    }
  }

  auto [vjp_outs, vjps] = mx::vjp(fun, inputs, cotangents);
  for (int i : diff_args) {
    double err = relative_error(values_of(vjps[i]), numeric_vjp[i]);
    EXPECT_LT(err, tol) << "vjp of input " << i;
    EXPECT_EQ(vjps[i].shape(), inputs[i].shape()) << "vjp of input " << i;
  }
  auto [jvp_outs, jvps] = mx::jvp(fun, inputs, tangents);
  for (size_t k = 0; k < outputs.size(); ++k) {
    double err = relative_error(values_of(jvps[k]), numeric_jvp[k]);
    EXPECT_LT(err, tol) << "jvp of output " << k;
    EXPECT_EQ(jvps[k].shape(), outputs[k].shape()) << "jvp of output " << k;
  }
}

/**
 * Checks vmap(fun, in_axes, out_axes) against calling `fun` on each slice
 * of the batch and stacking the results along the output axes.
 */
inline void check_vmap(
    const std::string& name,
    const Fn& fun,
    const std::vector<mx::array>& inputs,
    const std::vector<int>& in_axes,
    const std::vector<int>& out_axes = {},
    double tol = 1e-12) {
  SCOPED_TRACE(name);
  auto batched = mx::vmap(fun, in_axes, out_axes)(inputs);
  int batch = -1;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (in_axes[i] >= 0) {
      batch = inputs[i].shape(in_axes[i]);
    }
  }
  ASSERT_GE(batch, 0);
  std::vector<std::vector<mx::array>> per_output;
  for (int b = 0; b < batch; ++b) {
    std::vector<mx::array> args;
    for (size_t i = 0; i < inputs.size(); ++i) {
      args.push_back(
          in_axes[i] >= 0 ? mx::take(inputs[i], b, in_axes[i]) : inputs[i]);
    }
    auto outs = fun(args);
    per_output.resize(outs.size());
    for (size_t k = 0; k < outs.size(); ++k) {
      per_output[k].push_back(outs[k]);
    }
  }
  ASSERT_EQ(batched.size(), per_output.size());
  for (size_t k = 0; k < batched.size(); ++k) {
    int axis = out_axes.empty() ? 0 : out_axes[k];
    auto expected = mx::stack(per_output[k], axis);
    EXPECT_EQ(batched[k].shape(), expected.shape()) << "output " << k;
    EXPECT_EQ(batched[k].dtype(), expected.dtype()) << "output " << k;
    if (batched[k].shape() == expected.shape()) {
      EXPECT_LE(relative_error(values_of(batched[k]), values_of(expected)), tol)
          << "output " << k;
    }
  }
}

} // namespace mlx_test
