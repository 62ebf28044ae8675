// Table-driven checks of transform rules shared by the grad_*_test suites
// of the reduce, scan, sort and linalg families: a case is a function, its
// float64 inputs (for check_grads) and vmap axis specs (for check_vmap on
// fresh batched inputs), plus helpers for non-contiguous inputs.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "grad_check.h"
#include "mlx/mlx.h"
#include "test_utils.h"

namespace grad_cases {

using mlx_test::check_grads;
using mlx_test::check_vmap;
using mlx_test::Fn;
using mlx_test::random_input;
using mlx_test::values_of;

/** A one-input case function of `x`. */
#define X1(body)                                                               \
  [](const std::vector<mx::array>& v) {                                        \
    const mx::array& x = v[0];                                                 \
    return std::vector<mx::array>{body};                                       \
  }

/** A two-input case function of `a`, `b`. */
#define X2(body)                                                               \
  [](const std::vector<mx::array>& v) {                                        \
    const mx::array& a = v[0];                                                 \
    const mx::array& b = v[1];                                                 \
    return std::vector<mx::array>{body};                                       \
  }

/** A three-input case function of `c`, `a`, `b` (addmm's order). */
#define X3(body)                                                               \
  [](const std::vector<mx::array>& v) {                                        \
    const mx::array& c = v[0];                                                 \
    const mx::array& a = v[1];                                                 \
    const mx::array& b = v[2];                                                 \
    return std::vector<mx::array>{body};                                       \
  }

struct VmapSpec {
  std::vector<int> in_axes;
  std::vector<int> out_axes;
};

struct Case {
  std::string name;
  Fn fun;
  std::vector<mx::array> inputs;
  std::vector<VmapSpec> vmaps;
};

// check_grads on the case, then check_vmap with a batch of 3 inserted at
// each in_axis of fresh random inputs (unbatched inputs are reused).
inline void run_cases(const std::vector<Case>& cases) {
  uint32_t seed = 100;
  for (const auto& c : cases) {
    check_grads(c.name, c.fun, c.inputs);
    for (const auto& spec : c.vmaps) {
      std::vector<mx::array> batched;
      for (size_t i = 0; i < c.inputs.size(); ++i) {
        if (spec.in_axes[i] < 0) {
          batched.push_back(c.inputs[i]);
          continue;
        }
        mx::Shape shape = c.inputs[i].shape();
        shape.insert(shape.begin() + spec.in_axes[i], 3);
        batched.push_back(random_input(shape, seed++));
      }
      check_vmap(
          c.name + " (vmap)", c.fun, batched, spec.in_axes, spec.out_axes);
    }
  }
}

// Same number of elements, each within 1e-12 of `expected`.
inline void
expect_near(const mx::array& a, const std::vector<double>& expected) {
  expect_array_near(a, expected, a.shape(), 1e-12, 1e-12);
}

// A non-contiguous input of `shape`: a transposed contiguous array.
inline mx::array transposed(const mx::Shape& shape, uint32_t seed) {
  mx::Shape reversed(shape.rbegin(), shape.rend());
  return mx::transpose(random_input(reversed, seed));
}

// A non-contiguous input of `shape`: every other element of the last axis.
inline mx::array strided(const mx::Shape& shape, uint32_t seed) {
  mx::Shape wide = shape;
  wide.back() *= 2;
  mx::Shape start(shape.size(), 0);
  mx::Shape strides(shape.size(), 1);
  strides.back() = 2;
  return mx::slice(random_input(wide, seed), start, wide, strides);
}

// `a` with the elements at the flat `positions` set to zero.
inline mx::array
with_zeros(const mx::array& a, const std::vector<int>& positions) {
  auto v = values_of(a);
  for (int p : positions) {
    v[p] = 0;
  }
  return mx::array(v.begin(), a.shape(), mx::float64);
}

} // namespace grad_cases
