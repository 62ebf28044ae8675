// The table-driven transform checks shared by the grad_*_test suites: each
// case is checked with vjp/jvp against finite differences (on its inputs and
// on strided copies of them) and with vmap against a loop, over given or
// default in_axes/out_axes combinations. Also makers of non-contiguous and
// zero-holding inputs for the cases.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "grad_check.h"
#include "test_utils.h"

namespace mlx_test {

struct VmapAxes {
  std::vector<int> in;
  std::vector<int> out;
};

struct GradCase {
  std::string name;
  Fn fn;
  std::vector<mx::array> inputs;
  /** Empty: the default combinations (see default_vmap_axes). */
  std::vector<VmapAxes> vmaps = {};
};

/** The values of `x` with its first and last axes swapped in storage (a
 * transposed view, the full transpose for 2-D and 3-D); `x` below 2 dims. */
inline mx::array transposed_layout(const mx::array& x) {
  if (x.ndim() < 2) {
    return x;
  }
  auto out = mx::swapaxes(mx::contiguous(mx::swapaxes(x, 0, -1)), 0, -1);
  out.eval();
  return out;
}

/** The values of `x` at every other element of the last axis of a buffer
 * twice as long (a view with step 2); `x` itself when 0-d or empty. */
inline mx::array step2_layout(const mx::array& x) {
  if (x.ndim() == 0 || x.size() == 0) {
    return x;
  }
  int last = static_cast<int>(x.ndim()) - 1;
  mx::Shape start(x.ndim(), 0);
  mx::Shape stop = x.shape();
  stop.back() *= 2;
  mx::Shape steps(x.ndim(), 1);
  steps.back() = 2;
  auto out = mx::slice(mx::repeat(x, 2, last), start, stop, steps);
  out.eval();
  return out;
}

/** The same values as `x` in a strided (non-contiguous) layout: transposed
 * storage for 2+ dims, step 2 for 1-D. */
inline mx::array strided(const mx::array& x) {
  return x.ndim() >= 2 ? transposed_layout(x) : step2_layout(x);
}

/** `a` (float64) with the elements at the flat `positions` set to zero. */
inline mx::array
with_zeros(const mx::array& a, const std::vector<int>& positions) {
  auto v = values_of(a);
  for (int p : positions) {
    v[p] = 0;
  }
  return mx::array(v.begin(), a.shape(), mx::float64);
}

/** Same number of elements as `expected`, each within 1e-12 of it. */
inline void
expect_near(const mx::array& a, const std::vector<double>& expected) {
  expect_array_near(a, expected, a.shape(), 1e-12, 1e-12);
}

/** Batched inputs of `batch` elements along `axis` (-1: `x` itself). Float
 * inputs are new random values; integer ones (indices) are the values of
 * `x` rolled by 0, 1, ..., so every element stays a valid index. */
inline mx::array
batched_input(const mx::array& x, int axis, int batch, uint32_t seed) {
  if (axis < 0) {
    return x;
  }
  if (mx::issubdtype(x.dtype(), mx::floating)) {
    mx::Shape shape = x.shape();
    shape.insert(shape.begin() + axis, batch);
    return mx::astype(random_input(shape, seed), x.dtype());
  }
  std::vector<mx::array> parts;
  for (int b = 0; b < batch; ++b) {
    parts.push_back(x.ndim() == 0 ? x : mx::roll(x, b));
  }
  return mx::contiguous(mx::stack(parts, axis));
}

/** All inputs batched on axis 0 (outputs on 0); all on their last axis
 * (outputs on their last); and, with several inputs, each one left
 * unbatched in turn. */
inline std::vector<VmapAxes> default_vmap_axes(const GradCase& c) {
  auto outputs = c.fn(c.inputs);
  std::vector<VmapAxes> combos;
  std::vector<int> zeros_in(c.inputs.size(), 0);
  std::vector<int> zeros_out(outputs.size(), 0);
  combos.push_back({zeros_in, zeros_out});
  std::vector<int> last_in, last_out, one_out;
  for (auto& x : c.inputs) {
    last_in.push_back(static_cast<int>(x.ndim()));
  }
  for (auto& o : outputs) {
    last_out.push_back(static_cast<int>(o.ndim()));
    one_out.push_back(o.ndim() >= 1 ? 1 : 0);
  }
  combos.push_back({last_in, last_out});
  if (c.inputs.size() >= 2) {
    for (size_t i = 0; i < c.inputs.size(); ++i) {
      std::vector<int> in;
      for (size_t j = 0; j < c.inputs.size(); ++j) {
        in.push_back(j == i ? -1 : (c.inputs[j].ndim() >= 1 ? 1 : 0));
      }
      combos.push_back({in, one_out});
    }
  }
  return combos;
}

inline void check_case(const GradCase& c, int batch = 3) {
  SCOPED_TRACE(c.name);
  check_grads(c.name, c.fn, c.inputs);
  std::vector<mx::array> strided_inputs;
  bool any_strided = false;
  for (auto& x : c.inputs) {
    bool floating = mx::issubdtype(x.dtype(), mx::floating) && x.ndim() >= 1;
    strided_inputs.push_back(floating ? strided(x) : x);
    any_strided |= floating;
  }
  if (any_strided) {
    check_grads(c.name + " [strided inputs]", c.fn, strided_inputs);
  }
  auto combos = c.vmaps.empty() ? default_vmap_axes(c) : c.vmaps;
  uint32_t seed = 77;
  for (auto& axes : combos) {
    std::vector<mx::array> inputs;
    for (size_t i = 0; i < c.inputs.size(); ++i) {
      inputs.push_back(batched_input(c.inputs[i], axes.in[i], batch, seed++));
    }
    std::string label = c.name + " vmap in=(";
    for (int a : axes.in) {
      label += std::to_string(a) + ",";
    }
    label += ") out=(";
    for (int a : axes.out) {
      label += std::to_string(a) + ",";
    }
    check_vmap(label + ")", c.fn, inputs, axes.in, axes.out);
    if (&axes == &combos.front()) {
      // Once with strided batched inputs too.
      for (auto& x : inputs) {
        x = mx::issubdtype(x.dtype(), mx::floating) ? strided(x) : x;
      }
      check_vmap(label + ") [strided]", c.fn, inputs, axes.in, axes.out);
    }
  }
}

inline void check_cases(const std::vector<GradCase>& cases) {
  for (const auto& c : cases) {
    check_case(c);
  }
}

} // namespace mlx_test
