// MLX's general gather and scatter ops (core/ops/scatter.h): values against
// NumPy, on contiguous and strided inputs, errors, and their transforms
// against finite differences and a vmap loop (grad_table.h).
#include <gtest/gtest.h>

#include <vector>

#include "grad_table.h"
#include "test_utils.h"

namespace mx = mlx::core;
using mlx_test::GradCase;
using mlx_test::random_input;

namespace {

using Arrays = std::vector<mx::array>;

mx::array ints(std::vector<int> v, const mx::Shape& shape) {
  return mx::array(v.begin(), shape, mx::int32);
}

// np.arange(12.).reshape(3, 4), contiguous and as a transposed view.
mx::array a34() {
  return mx::reshape(mx::arange(12.0f), {3, 4});
}
mx::array a34_strided() {
  return mlx_test::strided(a34());
}

} // namespace

TEST(GatherTest, RowsAlongOneAxis) {
  // a[[2, 0]][:, None, :] in NumPy.
  for (auto a : {a34(), a34_strided()}) {
    auto out = mx::gather(a, ints({2, 0}, {2}), 0, {1, 4});
    expect_array_values(out, {2, 1, 4}, {8, 9, 10, 11, 0, 1, 2, 3});
  }
}

TEST(GatherTest, PointsAlongTwoAxesWithNegativeIndices) {
  // a[[0, 2, -1], [1, 3, 0]] = [1, 11, 8], each with a (1, 1) slice.
  auto out = mx::gather(
      a34(), {ints({0, 2, -1}, {3}), ints({1, 3, 0}, {3})}, {0, 1}, {1, 1});
  expect_array_values(out, {3, 1, 1}, {1, 11, 8});
  // The index arrays broadcast: rows [[0], [2]] against columns [1, 3].
  out = mx::gather(
      a34_strided(), {ints({0, 2}, {2, 1}), ints({1, 3}, {2})}, {0, 1}, {1, 1});
  expect_array_values(out, {2, 2, 1, 1}, {1, 3, 9, 11});
}

TEST(GatherTest, SlicesLongerThanOne) {
  // Starts (0, 0) and (0, 2) with 2x2 slices: a[0:2, 0:2], a[0:2, 2:4].
  auto out = mx::gather(a34(), ints({0, 2}, {2}), 1, {2, 2});
  expect_array_values(out, {2, 2, 2}, {0, 1, 4, 5, 2, 3, 6, 7});
}

TEST(GatherTest, Errors) {
  auto a = a34();
  expect_throws_with_prefix(
      [&] { mx::gather(a, ints({0}, {1}), 0, {1}); },
      "[gather]",
      "slice shape");
  expect_throws_with_prefix(
      [&] {
        mx::gather(a, ints({0}, {1}), 0, {1, 5});
      },
      "[gather]",
      "5");
  expect_throws_with_prefix(
      [&] {
        mx::gather(a, {ints({0}, {1})}, {0, 1}, {1, 1});
      },
      "[gather]",
      "1 index arrays for 2 axes");
  expect_throws_with_prefix(
      [&] {
        mx::gather(a, {mx::array({0.5f})}, {0}, {1, 1});
      },
      "[gather]",
      "float32");
  expect_throws_with_prefix(
      [&] {
        mx::gather(a, {ints({0}, {1}), ints({0}, {1})}, {1, -1}, {1, 1});
      },
      "[gather]",
      "twice");
  // An index past the end (3 rows) is caught when evaluated.
  EXPECT_THROW(
      mx::eval(mx::gather(a, ints({3}, {1}), 0, {1, 4})),
      std::invalid_argument);
}

TEST(ScatterTest, AddAccumulatesDuplicates) {
  // np.add.at(np.zeros(5), [0, 0, 2, -1], 1) -> [2, 0, 1, 0, 1]
  auto out = mx::scatter_add(
      mx::zeros({5}), ints({0, 0, 2, -1}, {4}), mx::ones({4, 1}), 0);
  expect_array_values(out, {5}, {2, 0, 1, 0, 1});
}

TEST(ScatterTest, WritesRowsOfAStridedArray) {
  // b = a.copy(); b[1] = [-1, -2, -3, -4]
  auto upd = mx::reshape(mx::array({-1.0f, -2.0f, -3.0f, -4.0f}), {1, 1, 4});
  for (auto a : {a34(), a34_strided()}) {
    auto out = mx::scatter(a, ints({1}, {1}), upd, 0);
    expect_array_values(
        out, {3, 4}, {0, 1, 2, 3, -1, -2, -3, -4, 8, 9, 10, 11});
  }
  // Two axes, broadcast updates: b[[0, 2], [3, 0]] = 7
  auto out = mx::scatter(
      a34(),
      {ints({0, 2}, {2}), ints({3, 0}, {2})},
      mx::full({1, 1, 1}, 7.0f),
      {0, 1});
  expect_array_values(out, {3, 4}, {0, 1, 2, 7, 4, 5, 6, 7, 7, 9, 10, 11});
}

TEST(ScatterTest, Reductions) {
  auto idx = ints({0, 0, 1}, {3});
  auto upd = mx::reshape(mx::array({5.0f, 3.0f, -1.0f}), {3, 1});
  // np.maximum.at / np.minimum.at on zeros(3).
  expect_array_values(
      mx::scatter_max(mx::zeros({3}), idx, upd, 0), {3}, {5, 0, 0});
  expect_array_values(
      mx::scatter_min(mx::zeros({3}), idx, upd, 0), {3}, {0, -1, 0});
  // np.multiply.at(full(3, 2), [0, 0, 2], [3, 4, 5]) -> [24, 2, 10]
  auto prod = mx::scatter_prod(
      mx::full({3}, 2.0f),
      ints({0, 0, 2}, {3}),
      mx::reshape(mx::array({3.0f, 4.0f, 5.0f}), {3, 1}),
      0);
  expect_array_values(prod, {3}, {24, 2, 10});
  // Integer arrays keep their dtype.
  auto i =
      mx::scatter_add(ints({1, 2}, {2}), ints({1}, {1}), ints({5}, {1, 1}), 0);
  EXPECT_EQ(i.dtype(), mx::int32);
  expect_array_values(i, {2}, {1, 7});
}

TEST(ScatterTest, Errors) {
  auto a = a34();
  expect_throws_with_prefix(
      [&] {
        mx::scatter_add(a, ints({0}, {1}), mx::ones({1, 4}), 0);
      },
      "[scatter_add]",
      "3 dimensions");
  expect_throws_with_prefix(
      [&] {
        mx::scatter(a, ints({0}, {1}), mx::ones({2, 1, 4}), 0);
      },
      "[scatter]",
      "cannot be broadcast");
  expect_throws_with_prefix(
      [&] {
        mx::scatter_max(a, ints({0}, {1}), mx::ones({1, 1, 5}), 0);
      },
      "[scatter_max]",
      "5");
  expect_throws_with_prefix(
      [&] {
        mx::scatter_min(
            mx::zeros({2}, mx::complex64),
            ints({0}, {1}),
            mx::zeros({1, 1}),
            0);
      },
      "[scatter_min]",
      "complex64");
  try {
    mx::eval(mx::scatter_prod(a, ints({-4}, {1}), mx::ones({1, 1, 4}), 0));
    ADD_FAILURE() << "expected an out-of-range error";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).rfind("[scatter_prod]", 0), 0u) << e.what();
  }
}

TEST(GradGatherScatterTest, Transforms) {
  auto x = random_input({3, 4}, 1);
  auto rows = ints({2, 0, -1}, {3});
  std::vector<GradCase> cases = {
      {"gather rows",
       mlx_test::binary([](auto& a, auto& i) {
         return mx::gather(a, i, 0, {1, 4});
       }),
       {x, rows}},
      {"gather 2x2 slices",
       mlx_test::binary([](auto& a, auto& i) {
         return mx::gather(a, i, 1, {2, 2});
       }),
       {x, ints({0, 2, 2}, {3})}},
      {"scatter",
       [](const Arrays& in) {
         return Arrays{mx::scatter(in[0], in[1], in[2], 0)};
       },
       {x, ints({2, 0}, {2}), random_input({2, 1, 4}, 2)}},
      {"scatter_add duplicates",
       [](const Arrays& in) {
         return Arrays{mx::scatter_add(in[0], in[1], in[2], 0)};
       },
       {x, rows, random_input({3, 1, 4}, 3)}},
      {"scatter_max",
       [](const Arrays& in) {
         return Arrays{mx::scatter_max(in[0], in[1], in[2], 1)};
       },
       {x, ints({1, 3}, {2}), random_input({2, 3, 1}, 4)}},
      {"scatter_min",
       [](const Arrays& in) {
         return Arrays{mx::scatter_min(in[0], in[1], in[2], 1)};
       },
       {x, ints({0, 2}, {2}), random_input({2, 3, 1}, 5)}},
  };
  mlx_test::check_cases(cases);
}

TEST(GradGatherScatterTest, ScatterProdHasNoVjp) {
  auto f = [](const mx::array& a) {
    return mx::sum(mx::scatter_prod(a, ints({0}, {1}), mx::ones({1, 1}), 0));
  };
  EXPECT_THROW(mx::grad(f)(mx::ones({2})), std::invalid_argument);
}
