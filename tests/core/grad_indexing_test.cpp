// Transform rules (vjp, jvp, vmap) of the indexing and scatter ops: every
// differentiable op of core/ops/indexing.h and scatter.h is checked against
// central finite differences and vmap against a loop (grad_table.h); the
// explicit tests pin down duplicate indices, which must accumulate (take,
// take_along_axis, scatter_add_axis) or follow the last write
// (put_along_axis).
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "grad_table.h"
#include "mlx/primitives/primitive.h"

namespace mx = mlx::core;
using mlx_test::binary;
using mlx_test::GradCase;
using mlx_test::random_input;
using mlx_test::unary;
using mlx_test::values_of;

namespace {

using Arrays = std::vector<mx::array>;

mx::array ints(std::vector<int> v, const mx::Shape& shape) {
  return mx::array(v.begin(), shape, mx::int32);
}

std::vector<GradCase> indexing_cases() {
  auto x45 = random_input({4, 5}, 1);
  // Duplicate and negative indices.
  auto dup = ints({0, 3, 3, -1, 0, 0}, {2, 3});
  return {
      {"take on axis 1",
       binary([](auto& a, auto& i) { return mx::take(a, i, 1); }),
       {x45, dup}},
      {"take on axis 0 with 1-D indices",
       binary([](auto& a, auto& i) { return mx::take(a, i, 0); }),
       {random_input({3, 2, 2}, 2), ints({2, 2, 0, -3}, {4})}},
      {"take with a 0-d index array",
       binary([](auto& a, auto& i) { return mx::take(a, i, -1); }),
       {x45, ints({-2}, {})}},
      {"take with no indices",
       binary([](auto& a, auto& i) { return mx::take(a, i, 0); }),
       {x45, ints({}, {0})}},
      {"take flattened",
       binary([](auto& a, auto& i) { return mx::take(a, i); }),
       {x45, ints({19, 0, 7, 7, -20}, {5})}},
      {"take int index on axis",
       unary([](auto& a) { return mx::take(a, -1, 1); }),
       {x45}},
      {"take int index flattened",
       unary([](auto& a) { return mx::take(a, 6); }),
       {x45}},
      {"take_along_axis",
       binary([](auto& a, auto& i) { return mx::take_along_axis(a, i, 1); }),
       {x45, ints({0, 0, 4, 1, 1, 1, -1, 2, 2, 3, 0, 3}, {4, 3})}},
      {"take_along_axis broadcasting",
       binary([](auto& a, auto& i) { return mx::take_along_axis(a, i, 0); }),
       {random_input({3, 1, 4}, 3), ints({2, 0, 2, 1, 0, -1}, {2, 3, 1})}},
      {"put_along_axis",
       [](const Arrays& in) {
         return Arrays{mx::put_along_axis(in[0], in[1], in[2], 1)};
       },
       {x45, ints({1, 1, 4, 0, 2, 3, 3, 3}, {4, 2}), random_input({4, 2}, 4)}},
      {"put_along_axis broadcast values",
       [](const Arrays& in) {
         return Arrays{mx::put_along_axis(in[0], in[1], in[2], 0)};
       },
       {x45,
        ints({0, 3, 3, 1, 2, 0, 0, 1, 1, 2}, {2, 5}),
        random_input({1, 5}, 5)}},
      {"slice_update",
       binary([](auto& s, auto& u) {
         return mx::slice_update(s, u, {0, 1}, {4, 5}, {2, 3});
       }),
       {x45, random_input({2, 2}, 6)}},
      {"slice_update backwards with broadcast update",
       binary([](auto& s, auto& u) {
         return mx::slice_update(s, u, {-1, 4}, {-10, -10}, {-2, -2});
       }),
       {x45, random_input({3}, 7)}},
      {"slice_update start/stop",
       binary([](auto& s, auto& u) {
         return mx::slice_update(s, u, {1, 0, 1}, {2, 3, 3});
       }),
       {random_input({2, 3, 4}, 8), random_input({1, 3, 2}, 9)}},
      {"diagonal", unary([](auto& a) { return mx::diagonal(a, 1); }), {x45}},
      {"diagonal of 3-D on axes (2, 0)",
       unary([](auto& a) { return mx::diagonal(a, -1, 2, 0); }),
       {random_input({3, 2, 4}, 10)}},
      {"diagonal empty",
       unary([](auto& a) { return mx::diagonal(a, 7); }),
       {x45}},
      {"diag of a vector",
       unary([](auto& a) { return mx::diag(a, 1); }),
       {random_input({3}, 11)}},
      {"diag of a vector below",
       unary([](auto& a) { return mx::diag(a, -2); }),
       {random_input({2}, 12)}},
      {"diag of a matrix",
       unary([](auto& a) { return mx::diag(a, -1); }),
       {x45}},
      {"trace",
       unary([](auto& a) { return mx::trace(a, 1, 2, 0); }),
       {random_input({3, 2, 4}, 13)}},
      {"trace of a matrix", unary([](auto& a) { return mx::trace(a); }), {x45}},
      {"scatter_add_axis",
       [](const Arrays& in) {
         return Arrays{mx::scatter_add_axis(in[0], in[1], in[2], 1)};
       },
       {x45, ints({1, 1, 4, 0, 2, 2, 3, 3}, {4, 2}), random_input({4, 2}, 14)}},
      {"scatter_add_axis broadcasting",
       [](const Arrays& in) {
         return Arrays{mx::scatter_add_axis(in[0], in[1], in[2], 0)};
       },
       {random_input({3, 1}, 15),
        ints({0, 0, 2, -1, 1, 0}, {2, 3}),
        random_input({1, 3}, 16)}},
  };
}

} // namespace

TEST(GradIndexingTest, IndexingOps) {
  mlx_test::check_cases(indexing_cases());
}

TEST(GradIndexingTest, DuplicateIndicesAccumulateInTheVjp) {
  // np.add.at(zeros((3, 2)), [0, 2, 0, 0], ones((4, 2)))
  auto [out, grad] = mx::vjp(
      [](const mx::array& a) {
        return mx::take(a, ints({0, 2, 0, 0}, {4}), 0);
      },
      random_input({3, 2}, 20),
      mx::ones({4, 2}, mx::float64));
  EXPECT_EQ(values_of(grad), (std::vector<double>{3, 3, 0, 0, 1, 1}));

  // np.add.at(zeros((2, 3)), (arange(2)[:, None], idx), c)
  auto idx = ints({0, 0, 2, 0, 1, 1, 1, -1}, {2, 4});
  auto c = mx::array({1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0}, {2, 4});
  auto [out2, grad2] = mx::vjp(
      [&](const mx::array& a) { return mx::take_along_axis(a, idx, 1); },
      mx::astype(random_input({2, 3}, 21), mx::float32),
      c);
  EXPECT_EQ(grad2.dtype(), mx::float32);
  EXPECT_EQ(values_of(grad2), (std::vector<double>{7, 0, 3, 0, 18, 8}));
}

TEST(GradIndexingTest, PutAlongAxisGivesTheGradientToTheLastWrite) {
  // Index 1 is written twice: the later value (30) survives, so the first
  // (10) gets no gradient; the overwritten elements of x get none either.
  auto x = random_input({5}, 22);
  auto vals = mx::astype(mx::array({10.0f, 20.0f, 30.0f}), mx::float64);
  auto c = mx::astype(mx::array({1.0f, 2.0f, 3.0f, 4.0f, 5.0f}), mx::float64);
  auto [outs, grads] = mx::vjp(
      [](const Arrays& in) {
        return Arrays{
            mx::put_along_axis(in[0], ints({1, 3, 1}, {3}), in[1], 0)};
      },
      {x, vals},
      {c});
  EXPECT_EQ(values_of(outs[0])[1], 30.0);
  EXPECT_EQ(values_of(grads[0]), (std::vector<double>{1, 0, 3, 0, 5}));
  EXPECT_EQ(values_of(grads[1]), (std::vector<double>{0, 4, 2}));
}

TEST(GradIndexingTest, IndicesGetNoGradient) {
  auto x = random_input({3, 2}, 23);
  auto idx = ints({2, 0}, {2});
  auto c = mx::ones({2, 2}, mx::float64);
  for (auto y :
       {mx::take(x, idx, 0),
        mx::take_along_axis(x, mx::reshape(idx, {2, 1}), 0)}) {
    SCOPED_TRACE(y.primitive().name());
    auto grads = y.primitive().vjp(y.inputs(), {c}, {0, 1}, {y});
    ASSERT_EQ(grads.size(), 2u);
    EXPECT_EQ(grads[1].dtype(), mx::int32);
    EXPECT_EQ(grads[1].shape(), y.inputs()[1].shape());
    for (double v : values_of(grads[1])) {
      EXPECT_EQ(v, 0.0);
    }
  }
  // Through a whole function, the integer argument's gradient is zero.
  auto grads = mx::grad(
      [](const Arrays& in) { return mx::sum(mx::take(in[0], in[1], 0)); },
      std::vector<int>{0, 1})({x, idx});
  EXPECT_EQ(values_of(grads[0]), (std::vector<double>{1, 1, 0, 0, 1, 1}));
  EXPECT_EQ(values_of(grads[1]), (std::vector<double>{0, 0}));
}

TEST(GradIndexingTest, SecondOrder) {
  // f(x) = sum(take(broadcast(x, 3), [0, 0, 2, 1])^2) = 4 x^2, so
  // f''(x) = 8: through take's scatter-add vjp and its own vjp.
  auto f = [](const mx::array& x) {
    auto t = mx::take(mx::broadcast_to(x, {3}), ints({0, 0, 2, 1}, {4}), 0);
    return mx::sum(mx::square(t));
  };
  auto x = mx::array(0.7, mx::float64);
  EXPECT_NEAR(mx::grad(f)(x).item<double>(), 8 * 0.7, 1e-12);
  EXPECT_NEAR(mx::grad(mx::grad(f))(x).item<double>(), 8.0, 1e-12);

  // The vjp of each gather / scatter, as a function of the cotangent, is
  // linear: its own vjp and jvp (second-order rules) against finite
  // differences.
  auto idx = ints({0, 0, 4, 1, 1, 1, -1, 2, 2, 3, 0, 3}, {4, 3});
  auto x45 = random_input({4, 5}, 24);
  std::vector<
      std::pair<std::string, std::function<mx::array(const mx::array&)>>>
      fns = {
          {"take", [&](auto& a) { return mx::take(a, idx, 1); }},
          {"take_along_axis",
           [&](auto& a) { return mx::take_along_axis(a, idx, 1); }},
          {"put_along_axis",
           [&](auto& a) {
             return mx::put_along_axis(a, idx, mx::array(2.0, mx::float64), 1);
           }},
          {"slice_update",
           [&](auto& a) {
             return mx::slice_update(
                 a, mx::array(1.0, mx::float64), {1, 0}, {3, 5}, {1, 2});
           }},
          {"diagonal", [&](auto& a) { return mx::diagonal(a, 1); }},
          {"scatter_add_axis",
           [&](auto& a) {
             return mx::scatter_add_axis(
                 a, idx, mx::ones({4, 3}, mx::float64), 1);
           }},
      };
  for (auto& [name, fn] : fns) {
    auto out = fn(x45);
    auto cot_fn = [&, fn = fn](const Arrays& in) {
      return Arrays{mx::vjp(fn, x45, in[0]).second};
    };
    mlx_test::check_grads(
        "vjp of " + name, cot_fn, {random_input(out.shape(), 25)});
  }
}

TEST(GradIndexingTest, IndicesComputedFromTheInputGiveZeroDerivatives) {
  // The gathered values are constants; only the (integer) indices depend
  // on x, so the derivatives are zero (and the rules see no tangent for
  // the array).
  auto table = mx::astype(mx::array({5.0f, 6.0f, 7.0f}), mx::float64);
  auto f = [&](const mx::array& x) {
    auto idx = mx::astype(mx::floor(x), mx::int32);
    return mx::add(mx::take(table, idx, 0), mx::take_along_axis(table, idx, 0));
  };
  auto x = mx::astype(mx::array({0.5f, 2.5f}), mx::float64);
  auto c = mx::astype(mx::array({1.0f, 1.0f}), mx::float64);
  auto [out, grad] = mx::vjp(f, x, c);
  EXPECT_EQ(values_of(out), (std::vector<double>{10, 14}));
  EXPECT_EQ(values_of(grad), (std::vector<double>{0, 0}));
  auto [out2, tangent] = mx::jvp(f, x, c);
  EXPECT_EQ(values_of(tangent), (std::vector<double>{0, 0}));
}
