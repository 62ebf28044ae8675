// The table-driven transform checks shared by grad_shape_test and
// grad_indexing_test: each case is checked with vjp/jvp against finite
// differences (on contiguous and on strided inputs) and with vmap against a
// loop, over several in_axes/out_axes combinations.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "grad_check.h"

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

/** The same values as `x` in a strided (non-contiguous) layout: transposed
 * storage for 2+ dims, every other element of a longer buffer for 1-D. */
inline mx::array strided(const mx::array& x) {
  mx::array out = x;
  if (x.ndim() >= 2) {
    out = mx::swapaxes(mx::contiguous(mx::swapaxes(x, 0, -1)), 0, -1);
  } else if (x.ndim() == 1 && x.size() > 0) {
    int n = x.shape(0);
    out = mx::slice(mx::repeat(x, 2), {0}, {2 * n}, {2});
  }
  out.eval();
  return out;
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

/** Wraps a one-input, one-output function. */
inline Fn unary(std::function<mx::array(const mx::array&)> f) {
  return [f](const std::vector<mx::array>& x) {
    return std::vector<mx::array>{f(x[0])};
  };
}

/** Wraps a two-input, one-output function. */
inline Fn
binary(std::function<mx::array(const mx::array&, const mx::array&)> f) {
  return [f](const std::vector<mx::array>& x) {
    return std::vector<mx::array>{f(x[0], x[1])};
  };
}

} // namespace mlx_test
