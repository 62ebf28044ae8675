// Transform rules (vjp, jvp, vmap) of the layout, join and creation ops:
// every differentiable op of core/ops/shape.h, join.h and creation.h is
// checked against central finite differences (vjp and jvp, contiguous and
// strided inputs) and vmap against a loop over the batch (grad_table.h).
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
using mlx_test::VmapAxes;

namespace {

using Arrays = std::vector<mx::array>;

mx::array x234(uint32_t seed = 1) {
  return random_input({2, 3, 4}, seed);
}

std::vector<GradCase> shape_cases() {
  auto x = x234();
  return {
      {"reshape",
       unary([](auto& a) {
         return mx::reshape(a, {4, -1});
       }),
       {x}},
      {"reshape to scalar",
       unary([](auto& a) { return mx::reshape(a, {}); }),
       {random_input({1, 1}, 2)}},
      {"flatten axes",
       unary([](auto& a) { return mx::flatten(a, 1, 2); }),
       {x}},
      {"flatten", unary([](auto& a) { return mx::flatten(a); }), {x}},
      {"unflatten",
       unary([](auto& a) {
         return mx::unflatten(a, 2, {2, -1});
       }),
       {x}},
      {"squeeze axes",
       unary([](auto& a) {
         return mx::squeeze(a, {1, 3});
       }),
       {random_input({2, 1, 3, 1}, 3)}},
      {"squeeze axis",
       unary([](auto& a) { return mx::squeeze(a, -1); }),
       {random_input({2, 3, 1}, 4)}},
      {"squeeze all",
       unary([](auto& a) { return mx::squeeze(a); }),
       {random_input({1, 3, 1, 2}, 5)}},
      {"expand_dims axes",
       unary([](auto& a) {
         return mx::expand_dims(a, {0, 3});
       }),
       {x}},
      {"expand_dims axis",
       unary([](auto& a) { return mx::expand_dims(a, -1); }),
       {x}},
      {"transpose axes",
       unary([](auto& a) {
         return mx::transpose(a, {2, 0, 1});
       }),
       {x}},
      {"transpose reversed",
       unary([](auto& a) { return mx::transpose(a); }),
       {x}},
      {"swapaxes", unary([](auto& a) { return mx::swapaxes(a, 0, 2); }), {x}},
      {"moveaxis", unary([](auto& a) { return mx::moveaxis(a, 0, -1); }), {x}},
      {"broadcast_to",
       unary([](auto& a) {
         return mx::broadcast_to(a, {2, 3, 4});
       }),
       {random_input({3, 1}, 6)}},
      {"broadcast_to from scalar",
       unary([](auto& a) {
         return mx::broadcast_to(a, {2, 2});
       }),
       {random_input({}, 7)}},
      {"broadcast_arrays",
       [](const Arrays& in) { return mx::broadcast_arrays(in); },
       {random_input({3, 1}, 8), random_input({2, 1, 4}, 9)}},
      // Overlapping windows: each element is read up to four times.
      {"as_strided overlapping windows",
       unary([](auto& a) {
         return mx::as_strided(a, {4, 4}, {2, 1}, 1);
       }),
       {random_input({12}, 10)}},
      {"as_strided of a matrix with a zero stride",
       unary([](auto& a) {
         return mx::as_strided(a, {2, 3, 2}, {0, 4, 2}, 1);
       }),
       {random_input({3, 4}, 11)}},
      {"contiguous",
       unary([](auto& a) { return mx::contiguous(mx::transpose(a)); }),
       {x}},
      {"atleast_1d",
       unary([](auto& a) { return mx::atleast_1d(a); }),
       {random_input({}, 12)}},
      {"atleast_2d",
       unary([](auto& a) { return mx::atleast_2d(a); }),
       {random_input({3}, 13)}},
      {"atleast_3d",
       unary([](auto& a) { return mx::atleast_3d(a); }),
       {random_input({2, 3}, 14)}},
      {"atleast_2d of several",
       [](const Arrays& in) { return mx::atleast_2d(in); },
       {random_input({3}, 15), random_input({2, 2}, 16)}},
      {"slice with steps",
       unary([](auto& a) {
         return mx::slice(a, {1, -1}, {5, 0}, {2, -2});
       }),
       {random_input({5, 6}, 17)}},
      {"slice backwards through index 0",
       unary([](auto& a) { return mx::slice(a, {3}, {-10}, {-1}); }),
       {random_input({5}, 18)}},
      {"slice to nothing",
       unary([](auto& a) {
         return mx::slice(a, {0, 4}, {2, 1});
       }),
       {random_input({2, 5}, 19)}},
      {"slice start/stop",
       unary([](auto& a) {
         return mx::slice(a, {0, 1, 1}, {2, 3, 3});
       }),
       {x}},
  };
}

std::vector<GradCase> join_cases() {
  auto x = x234();
  return {
      {"concatenate",
       [](const Arrays& in) { return Arrays{mx::concatenate(in, 1)}; },
       {random_input({2, 3}, 20),
        random_input({2, 1}, 21),
        random_input({2, 2}, 22)}},
      {"concatenate flattened",
       [](const Arrays& in) { return Arrays{mx::concatenate(in)}; },
       {random_input({2, 2}, 23), random_input({3}, 24)},
       {{{0, 0}, {0}}, {{1, -1}, {0}}, {{-1, 0}, {1}}}},
      {"stack on axis 1",
       [](const Arrays& in) { return Arrays{mx::stack(in, 1)}; },
       {random_input({2, 3}, 25), random_input({2, 3}, 26)}},
      {"stack",
       [](const Arrays& in) { return Arrays{mx::stack(in)}; },
       {random_input({3}, 27), random_input({3}, 28)}},
      {"split in parts",
       [](const Arrays& in) { return mx::split(in[0], 2, 2); },
       {x}},
      {"split at indices",
       [](const Arrays& in) {
         return mx::split(in[0], {1, -1}, 1);
       },
       {x}},
      {"split on axis 0",
       [](const Arrays& in) { return mx::split(in[0], 2); },
       {random_input({4, 2}, 29)}},
      {"pad axes",
       unary([](auto& a) {
         return mx::pad(a, {0, 2}, {1, 0}, {2, 1}, mx::array(0.5));
       }),
       {x}},
      {"pad pairs",
       unary([](auto& a) {
         return mx::pad(a, std::vector<std::pair<int, int>>{{0, 1}, {2, 0}});
       }),
       {random_input({2, 3}, 30)}},
      {"pad pair",
       unary([](auto& a) { return mx::pad(a, std::make_pair(1, 2)); }),
       {random_input({2, 3}, 31)}},
      {"pad int",
       unary([](auto& a) { return mx::pad(a, 1); }),
       {random_input({3}, 32)}},
      {"pad edge",
       unary([](auto& a) {
         return mx::pad(a, {{1, 2}, {0, 1}}, mx::array(0), "edge");
       }),
       {random_input({2, 3}, 33)}},
      {"tile",
       unary([](auto& a) {
         return mx::tile(a, {2, 1, 2});
       }),
       {random_input({2, 3}, 34)}},
      {"tile shorter reps",
       unary([](auto& a) { return mx::tile(a, {2}); }),
       {x}},
      {"repeat on axis",
       unary([](auto& a) { return mx::repeat(a, 2, 1); }),
       {x}},
      {"repeat flattened",
       unary([](auto& a) { return mx::repeat(a, 3); }),
       {random_input({2, 2}, 35)}},
      {"roll flat", unary([](auto& a) { return mx::roll(a, 2); }), {x}},
      {"roll flat by shifts",
       unary([](auto& a) {
         return mx::roll(a, mx::Shape{1, 2});
       }),
       {x}},
      {"roll on axis", unary([](auto& a) { return mx::roll(a, -1, 1); }), {x}},
      {"roll on axes",
       unary([](auto& a) {
         return mx::roll(a, 1, std::vector<int>{0, 2});
       }),
       {x}},
      {"roll shifts on axis",
       unary([](auto& a) {
         return mx::roll(a, mx::Shape{1, -3}, 2);
       }),
       {x}},
      {"roll shifts on axes",
       unary([](auto& a) {
         return mx::roll(a, mx::Shape{1, 2}, std::vector<int>{0, 1});
       }),
       {x}},
  };
}

std::vector<GradCase> creation_cases() {
  return {
      // A non-scalar value: a broadcast and a copy.
      {"full with an array value",
       unary([](auto& v) {
         return mx::full({2, 3}, v);
       }),
       {random_input({3}, 40)}},
      {"full with an array value and dtype",
       unary([](auto& v) {
         return mx::full({2, 1, 2}, v, mx::float64);
       }),
       {random_input({1, 2}, 41)}},
      {"full_like",
       binary([](auto& a, auto& v) { return mx::full_like(a, v); }),
       {random_input({2, 3}, 42), random_input({2, 1}, 43)}},
      {"copy",
       unary([](auto& a) { return mx::copy(mx::transpose(a)); }),
       {x234()}},
      {"zeros_like",
       unary([](auto& a) { return mx::zeros_like(a); }),
       {random_input({2, 3}, 44)}},
      {"ones_like",
       unary([](auto& a) { return mx::ones_like(a); }),
       {random_input({2, 3}, 45)}},
      {"tril", unary([](auto& a) { return mx::tril(a, -1); }), {x234()}},
      {"triu",
       unary([](auto& a) { return mx::triu(a, 1); }),
       {random_input({3, 4}, 51)}},
      {"meshgrid xy",
       [](const Arrays& in) { return mx::meshgrid(in); },
       {random_input({3}, 46), random_input({2}, 47)}},
      {"meshgrid ij sparse",
       [](const Arrays& in) { return mx::meshgrid(in, true, "ij"); },
       {random_input({3}, 48), random_input({2}, 49), random_input({2}, 50)}},
  };
}

} // namespace

TEST(GradShapeTest, ShapeOps) {
  mlx_test::check_cases(shape_cases());
}

TEST(GradShapeTest, JoinOps) {
  mlx_test::check_cases(join_cases());
}

TEST(GradShapeTest, CreationOps) {
  mlx_test::check_cases(creation_cases());
}

TEST(GradShapeTest, AsStridedWindowsAddTheirCotangents) {
  // Windows of 3 over 5 elements: element i is in min(i+1, 3, 5-i)
  // windows (np.add.at over sliding_window_view(arange(5), 3)).
  auto [out, grad] = mx::vjp(
      [](const mx::array& a) {
        return mx::as_strided(a, {3, 3}, {1, 1}, 0);
      },
      random_input({5}, 60),
      mx::ones({3, 3}, mx::float64));
  EXPECT_EQ(mlx_test::values_of(grad), (std::vector<double>{1, 2, 3, 2, 1}));
}

TEST(GradShapeTest, StopGradientHasZeroDerivatives) {
  auto x = random_input({2, 3}, 61);
  auto c = random_input({2, 3}, 62);
  auto [out, grad] =
      mx::vjp([](const mx::array& a) { return mx::stop_gradient(a); }, x, c);
  EXPECT_EQ(mlx_test::values_of(out), mlx_test::values_of(x));
  EXPECT_EQ(mlx_test::values_of(grad), std::vector<double>(6, 0.0));
  auto [out2, tangent] =
      mx::jvp([](const mx::array& a) { return mx::stop_gradient(a); }, x, c);
  EXPECT_EQ(mlx_test::values_of(tangent), std::vector<double>(6, 0.0));
  // Its vmap rule, called directly (the vmap machinery does not enter
  // stop_gradient yet, see the report).
  auto xb = random_input({2, 3, 4}, 63);
  auto y = mx::stop_gradient(x);
  auto [outs, axes] = y.primitive().vmap({xb}, {1});
  EXPECT_EQ(axes, std::vector<int>{1});
  EXPECT_EQ(mlx_test::values_of(outs[0]), mlx_test::values_of(xb));
}

TEST(GradShapeTest, ViewVmapsAndIsNotDifferentiable) {
  // Same item size: the batch axis stays; another size: it moves first.
  mlx_test::check_vmap(
      "view float64 as int64",
      unary([](auto& a) { return mx::view(a, mx::int64); }),
      {random_input({2, 3, 4}, 64)},
      {1},
      {2});
  mlx_test::check_vmap(
      "view float32 as uint8",
      unary([](auto& a) { return mx::view(a, mx::uint8); }),
      {mx::astype(random_input({2, 3, 4}, 65), mx::float32)},
      {2},
      {0});
  mlx_test::check_vmap(
      "view int16 as float16",
      unary([](auto& a) { return mx::view(a, mx::float16); }),
      {mx::reshape(mx::astype(mx::arange(24), mx::int16), {4, 6})},
      {1},
      {1});
  // Reinterpreted float bits have no derivative.
  auto half = mx::astype(mx::array({1.0f, 2.0f}), mx::bfloat16);
  auto v = mx::view(half, mx::float16);
  EXPECT_THROW(
      v.primitive().vjp({half}, {mx::ones({2}, mx::float16)}, {0}, {v}),
      std::invalid_argument);
  // An integer input carries no gradient: zeros, not an error.
  auto bits = mx::array({1, 2, 3});
  auto w = mx::view(bits, mx::float32);
  auto g = w.primitive().vjp({bits}, {mx::ones({3})}, {0}, {w});
  EXPECT_EQ(g[0].dtype(), mx::int32);
  EXPECT_EQ(mlx_test::values_of(g[0]), (std::vector<double>{0, 0, 0}));
}

TEST(GradShapeTest, ConcatenateOfMixedDtypes) {
  // float32 and float64 join as float64: each part's cotangent comes back
  // in its own dtype; an integer part gets a zero cotangent.
  auto a = mx::array({1.0f, 2.0f});
  auto b = mx::astype(mx::array({3.0f, 4.0f, 5.0f}), mx::float64);
  auto i = mx::array({6, 7});
  auto c = mx::astype(
      mx::array({1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f, 7.0f}), mx::float64);
  auto y = mx::concatenate(std::vector<mx::array>{a, b, i}, 0);
  EXPECT_EQ(y.dtype(), mx::float64);
  auto grads = y.primitive().vjp(y.inputs(), {c}, {0, 1, 2}, {y});
  EXPECT_EQ(grads[0].dtype(), mx::float32);
  EXPECT_EQ(mlx_test::values_of(grads[0]), (std::vector<double>{1, 2}));
  EXPECT_EQ(mlx_test::values_of(grads[1]), (std::vector<double>{3, 4, 5}));
  EXPECT_EQ(grads[2].dtype(), mx::int32);
  EXPECT_EQ(mlx_test::values_of(grads[2]), (std::vector<double>{0, 0}));
  // jvp: tangents converted to the output dtype, zeros for the others.
  auto t = y.primitive().jvp(y.inputs(), {mx::array({1.0f, -1.0f})}, {0});
  EXPECT_EQ(t[0].dtype(), mx::float64);
  EXPECT_EQ(
      mlx_test::values_of(t[0]), (std::vector<double>{1, -1, 0, 0, 0, 0, 0}));
}

TEST(GradShapeTest, FullOfAScalarValue) {
  // Every element copies the scalar: the vjp sums the cotangent.
  auto c = random_input({2, 3}, 66);
  auto [out, grad] = mx::vjp(
      [](const mx::array& v) {
        return mx::full({2, 3}, v);
      },
      mx::array(1.5, mx::float64),
      c);
  EXPECT_EQ(grad.shape(), mx::Shape{});
  double total = 0;
  for (double v : mlx_test::values_of(c)) {
    total += v;
  }
  EXPECT_NEAR(grad.item<double>(), total, 1e-12);
  // jvp: the scalar's tangent in every element.
  auto fill = [](const mx::array& v) { return mx::full({2, 3}, v); };
  auto [value, tangent] =
      mx::jvp(fill, mx::array(1.5, mx::float64), mx::array(2.0, mx::float64));
  EXPECT_EQ(tangent.shape(), (mx::Shape{2, 3}));
  EXPECT_EQ(mlx_test::values_of(tangent), std::vector<double>(6, 2.0));
  // vmap over a vector of fill values, against a loop.
  mlx_test::check_vmap(
      "full",
      [&](const std::vector<mx::array>& xs) {
        return std::vector<mx::array>{fill(xs[0])};
      },
      {mx::astype(mx::array({1.0, 2.0, 3.0}), mx::float64)},
      {0},
      {1});
}

TEST(GradShapeTest, SecondOrderThroughLayoutOps) {
  // f(x) = sum(pad(tile(x, 2), 1)^2) over a 0-d x broadcast to (2,):
  // four copies of x, so f = 4 x^2 and f'' = 8.
  auto f = [](const mx::array& x) {
    auto t = mx::tile(mx::broadcast_to(x, {2}), {2});
    auto p = mx::pad(mx::as_strided(t, {2, 2}, {2, 1}, 0), 1);
    return mx::sum(mx::square(mx::transpose(p)));
  };
  auto x = mx::array(-0.3, mx::float64);
  EXPECT_NEAR(mx::grad(f)(x).item<double>(), 8 * -0.3, 1e-12);
  EXPECT_NEAR(mx::grad(mx::grad(f))(x).item<double>(), 8.0, 1e-12);
}
