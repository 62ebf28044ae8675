// Every kernel has a contiguous fast path and a strided general path. For
// inputs laid out every way a view can be (transposed, reversed by a
// negative-step slice, broadcast, strided slice), each op must give exactly
// what it gives on a row-contiguous copy of the same values.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "mlx/mlx.h"
#include "test_utils.h"

using namespace mlx::core;

namespace {

constexpr int kN = 2 * 3 * 4 * 5;

// Integer-valued floats with both signs: sums and products are exact in
// float32, so any summation order gives the same bits.
array base_values() {
  return reshape(
      subtract(arange(0.0, double(kN), 1.0), array(57.0f)), {2, 3, 4, 5});
}

struct Layout {
  std::string name;
  array view; // shape (2, 3, 4, 5), not row-contiguous once evaluated
};

std::vector<Layout> layouts() {
  auto x = base_values();
  std::vector<Layout> out;
  // A transposed copy, transposed back: strides permuted.
  out.push_back(
      {"transposed",
       transpose(contiguous(transpose(x, {3, 1, 0, 2})), {2, 1, 3, 0})});
  // Reversed along two axes by negative steps over a flipped copy.
  auto flipped =
      contiguous(slice(x, {1, 2, 3, 4}, {-3, -4, -5, -6}, {-1, -1, -1, -1}));
  out.push_back(
      {"negative_steps",
       slice(flipped, {1, 2, 3, 4}, {-3, -4, -5, -6}, {-1, -1, -1, -1})});
  // Every other element of a larger array.
  auto big =
      reshape(subtract(arange(0.0, 1920.0, 1.0), array(100.0f)), {4, 6, 8, 10});
  out.push_back(
      {"strided_slice", slice(big, {0, 0, 0, 0}, {4, 6, 8, 10}, {2, 2, 2, 2})});
  // Broadcast along two axes (stride 0).
  auto small =
      reshape(subtract(arange(0.0, 15.0, 1.0), array(7.0f)), {1, 3, 1, 5});
  out.push_back({"broadcast", broadcast_to(small, {2, 3, 4, 5})});
  for (auto& l : out) {
    eval(l.view);
    EXPECT_FALSE(l.view.flags().row_contiguous) << l.name;
  }
  return out;
}

using Op = std::function<array(const array&)>;

// rtol = 0 asks for identical results; transcendental ops get 1e-6 because
// their contiguous float32 loops may use fused multiply-adds (AVX2 clones)
// where the strided loops do not.
void expect_same_on_all_layouts(
    const std::string& what, const Op& op, double rtol = 0) {
  for (auto& l : layouts()) {
    SCOPED_TRACE(what + " on " + l.name);
    auto copy = contiguous(l.view);
    eval(copy);
    ASSERT_TRUE(copy.flags().row_contiguous);
    auto expected = op(copy);
    if (rtol == 0) {
      expect_array_eq(op(l.view), expected);
    } else {
      expect_array_near(
          op(l.view),
          mlx_test::to_doubles(expected),
          expected.shape(),
          rtol,
          0);
    }
  }
}

} // namespace

TEST(LayoutTest, ElementWise) {
  expect_same_on_all_layouts("abs", [](auto& a) { return abs(a); });
  expect_same_on_all_layouts(
      "exp", [](auto& a) { return exp(divide(a, array(10.0f))); }, 1e-6);
  expect_same_on_all_layouts(
      "tanh", [](auto& a) { return tanh(a); }, 1e-6);
  expect_same_on_all_layouts(
      "astype", [](auto& a) { return astype(a, float16); });
  expect_same_on_all_layouts("add_self", [](auto& a) { return add(a, a); });
  expect_same_on_all_layouts(
      "add_contiguous", [](auto& a) { return add(a, base_values()); });
  expect_same_on_all_layouts(
      "multiply_scalar", [](auto& a) { return multiply(a, array(3.0f)); });
  expect_same_on_all_layouts("broadcast_row", [](auto& a) {
    return subtract(a, array({1.0f, 2.0f, 3.0f, 4.0f, 5.0f}));
  });
  expect_same_on_all_layouts(
      "compare", [](auto& a) { return greater(a, array(3.0f)); });
  expect_same_on_all_layouts("where", [](auto& a) {
    return where(greater(a, array(0.0f)), a, negative(a));
  });
  expect_same_on_all_layouts(
      "remainder", [](auto& a) { return remainder(a, array(7.0f)); });
}

TEST(LayoutTest, Reductions) {
  for (int axis = 0; axis < 4; ++axis) {
    expect_same_on_all_layouts("sum_" + std::to_string(axis), [axis](auto& a) {
      return sum(a, axis);
    });
    expect_same_on_all_layouts(
        "argmax_" + std::to_string(axis),
        [axis](auto& a) { return argmax(a, axis); });
  }
  expect_same_on_all_layouts("sum_all", [](auto& a) { return sum(a); });
  expect_same_on_all_layouts("max_02", [](auto& a) {
    return max(a, {0, 2}, true);
  });
  expect_same_on_all_layouts("prod_13", [](auto& a) {
    return prod(divide(a, array(50.0f)), {1, 3});
  });
  expect_same_on_all_layouts("any", [](auto& a) {
    return any(greater(a, array(50.0f)), {0, 1});
  });
  expect_same_on_all_layouts("min_all", [](auto& a) { return min(a); });
}

TEST(LayoutTest, ScansAndSorts) {
  expect_same_on_all_layouts("cumsum_2", [](auto& a) { return cumsum(a, 2); });
  expect_same_on_all_layouts(
      "cumsum_0_reverse", [](auto& a) { return cumsum(a, 0, true, false); });
  expect_same_on_all_layouts("cummax_3", [](auto& a) { return cummax(a, 3); });
  expect_same_on_all_layouts("sort_0", [](auto& a) { return sort(a, 0); });
  expect_same_on_all_layouts("sort_flat", [](auto& a) { return sort(a); });
  expect_same_on_all_layouts(
      "argsort_3", [](auto& a) { return argsort(a, 3); });
  expect_same_on_all_layouts("topk_1", [](auto& a) { return topk(a, 2, 1); });
}

TEST(LayoutTest, IndexingJoiningAndMatmul) {
  auto idx = array({2, 0, 1, -1}, {2, 2});
  expect_same_on_all_layouts(
      "take_1", [&](auto& a) { return take(a, idx, 1); });
  expect_same_on_all_layouts(
      "take_flat", [&](auto& a) { return take(a, idx); });
  expect_same_on_all_layouts("take_along_3", [](auto& a) {
    return take_along_axis(a, argsort(a, 3), 3);
  });
  expect_same_on_all_layouts("concatenate", [](auto& a) {
    return concatenate({a, a}, 2);
  });
  expect_same_on_all_layouts("pad", [](auto& a) {
    return pad(a, {1, 3}, {1, 0}, {0, 2}, array(9.0f));
  });
  expect_same_on_all_layouts("reshape", [](auto& a) {
    return reshape(a, {6, 20});
  });
  expect_same_on_all_layouts("slice_update", [](auto& a) {
    return slice_update(a, zeros({2, 1, 2, 5}), {0, 1, 1, 0}, {2, 2, 3, 5});
  });
  expect_same_on_all_layouts(
      "matmul", [](auto& a) { return matmul(a, swapaxes(a, -1, -2)); });
  expect_same_on_all_layouts(
      "softmax",
      [](auto& a) { return softmax(divide(a, array(20.0f)), -1); },
      1e-6);
  expect_same_on_all_layouts("put_along_1", [](auto& a) {
    auto idx = argmin(a, 1, true);
    return put_along_axis(a, idx, array(100.0f), 1);
  });
  expect_same_on_all_layouts(
      "diagonal", [](auto& a) { return diagonal(a, 1, 2, 3); });
  expect_same_on_all_layouts(
      "trace", [](auto& a) { return trace(a, 0, 0, 3); });
  expect_same_on_all_layouts("split", [](auto& a) {
    return split(a, {1, 3}, 2)[1];
  });
  expect_same_on_all_layouts("tile", [](auto& a) {
    return tile(a, {1, 2, 1, 1});
  });
  expect_same_on_all_layouts("repeat", [](auto& a) { return repeat(a, 2, 3); });
  expect_same_on_all_layouts("roll", [](auto& a) { return roll(a, 3, 2); });
  expect_same_on_all_layouts("stack", [](auto& a) { return stack({a, a}, 1); });
  expect_same_on_all_layouts("kron", [](auto& a) {
    return kron(slice(a, {0, 0, 0, 0}, {1, 1, 2, 3}), a);
  });
  expect_same_on_all_layouts("addmm", [](auto& a) {
    auto m = reshape(a, {24, 5});
    return addmm(full({24, 24}, 1.0f), m, transpose(m), 2.0f, 3.0f);
  });
}

TEST(LayoutTest, MoreReductionsAndScans) {
  expect_same_on_all_layouts(
      "var",
      [](auto& a) {
        return var(a, {1, 2});
      },
      1e-6);
  expect_same_on_all_layouts(
      "logsumexp", [](auto& a) { return logsumexp(a, 3); }, 1e-6);
  expect_same_on_all_layouts("argmin_2", [](auto& a) { return argmin(a, 2); });
  expect_same_on_all_layouts(
      "cumprod_1",
      [](auto& a) { return cumprod(divide(a, array(16.0f)), 1); },
      1e-6);
  expect_same_on_all_layouts(
      "logcumsumexp_3", [](auto& a) { return logcumsumexp(a, 3); }, 1e-6);
  expect_same_on_all_layouts("partition_kth", [](auto& a) {
    return take(partition(a, 2, 2), array({2}), 2);
  });
  expect_same_on_all_layouts(
      "flatten", [](auto& a) { return flatten(a, 1, 2); });
}
