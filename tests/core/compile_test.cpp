// compile: results match the uncompiled function (bit for bit, or within
// 1 ulp), traces are cached per signature, common subexpressions merge,
// element-wise chains fuse into one Compiled kernel that keeps its
// intermediates out of memory, and the transforms compose with it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <set>
#include <sstream>
#include <stack>
#include <string>

#include "mlx/mlx.h"
#include "mlx/primitives/compiled.h"
#include "mlx/primitives/elementwise.h"
#include "test_utils.h"

namespace {

using Arrays = std::vector<mx::array>;

mx::array scalar_like(double v, const mx::array& x) {
  return mx::array(v, x.dtype());
}

// Ten element-wise ops (also the benchmark's chain).
Arrays chain10(const Arrays& xs) {
  const auto& x = xs[0];
  auto y = mx::multiply(x, scalar_like(1.5f, x));
  y = mx::add(y, scalar_like(0.25f, x));
  y = mx::sin(y);
  y = mx::multiply(y, x);
  y = mx::exp(y);
  y = mx::subtract(y, scalar_like(1.0f, x));
  y = mx::abs(y);
  y = mx::sqrt(y);
  y = mx::maximum(y, x);
  y = mx::tanh(y);
  return {y};
}

Arrays gelu(const Arrays& xs) {
  const auto& x = xs[0];
  auto c = [&](double v) { return scalar_like(v, x); };
  return {x * c(0.5) * (c(1.0) + mx::erf(x / c(std::sqrt(2.0))))};
}

// Largest distance in units in the last place between the elements of a
// and b (same dtype and shape), read in logical order.
int64_t max_ulps(mx::array a, mx::array b) {
  EXPECT_EQ(a.dtype(), b.dtype());
  EXPECT_EQ(a.shape(), b.shape());
  mx::eval(a, b);
  int64_t worst = 0;
  mx::detail::dispatch_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8) {
      using Bits = std::conditional_t<
          sizeof(T) == 2,
          int16_t,
          std::conditional_t<sizeof(T) == 4, int32_t, int64_t>>;
      std::vector<int64_t> va, vb;
      auto collect = [](const mx::array& x, std::vector<int64_t>& out) {
        const char* base = x.data<char>();
        mlx_test::for_each_offset(x, [&](int64_t off) {
          Bits bits;
          std::memcpy(&bits, base + off * sizeof(T), sizeof(T));
          // Sign-magnitude to a monotonic integer line.
          int64_t v = bits;
          out.push_back(v < 0 ? std::numeric_limits<Bits>::min() - v : v);
        });
      };
      collect(a, va);
      collect(b, vb);
      for (size_t i = 0; i < va.size(); ++i) {
        worst = std::max(worst, std::abs(va[i] - vb[i]));
      }
    }
  });
  return worst;
}

// The primitives (printed) of the unevaluated graph of `outputs`.
std::multiset<std::string> graph_primitives(const Arrays& outputs) {
  std::multiset<std::string> names;
  std::set<std::uintptr_t> seen;
  std::stack<mx::array> todo;
  for (auto& o : outputs) {
    todo.push(o);
  }
  while (!todo.empty()) {
    auto a = todo.top();
    todo.pop();
    if (!a.has_primitive() || !seen.insert(a.id()).second) {
      continue;
    }
    std::ostringstream os;
    a.primitive().print(os);
    names.insert(os.str());
    for (auto& in : a.inputs()) {
      todo.push(in);
    }
  }
  return names;
}

mx::array f64(const std::vector<double>& v, const mx::Shape& shape) {
  return mx::array(v.begin(), shape, mx::float64);
}

mx::array inputs_on(double low, double high, const mx::Shape& shape) {
  size_t n = mx::shape_size(shape);
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i) {
    v[i] = low + (high - low) * double((i * 7919) % 1009) / 1008.0;
  }
  return mx::array(v.begin(), shape, mx::float64);
}

} // namespace

TEST(CompileTest, ChainOfTenOpsMatchesUncompiledForEveryFloatDtype) {
  for (auto dtype : {mx::float32, mx::float64, mx::float16, mx::bfloat16}) {
    auto x = mx::astype(inputs_on(-3, 3, {3000}), dtype);
    mx::eval(x);
    auto compiled = mx::compile(chain10);
    EXPECT_LE(max_ulps(compiled({x})[0], chain10({x})[0]), 1) << dtype;
    auto compiled_gelu = mx::compile(gelu);
    EXPECT_LE(max_ulps(compiled_gelu({x})[0], gelu({x})[0]), 1) << dtype;
  }
}

TEST(CompileTest, ResultsMatchNumPy) {
  // NumPy (math.erf for erf), float64:
  //   x * 0.5 * (1 + erf(x / sqrt(2))) and the chain of chain10 above.
  auto x = f64({-3.0, -1.5, -0.5, 0.0, 0.25, 1.0, 2.5}, {7});
  expect_array_near(
      mx::compile(gelu)({x})[0],
      {-0.00404969409489031,
       -0.10021080190328713,
       -0.15426876936299344,
       0.0,
       0.14967658142073093,
       0.8413447460685429,
       2.4844758366855597},
      {7},
      1e-12,
      1e-15);
  expect_array_near(
      mx::compile(chain10)({x})[0],
      {0.7466253367724636,
       0.9361970372468078,
       0.47805900208598345,
       0.0,
       0.3772761416807663,
       0.8602370459175992,
       0.9866142981514303},
      {7},
      1e-12,
      1e-15);
}

TEST(CompileTest, BroadcastAndScalarInputs) {
  auto fun = [](const Arrays& xs) {
    return Arrays{(xs[0] + xs[1]) * xs[2] - mx::exp(xs[1])};
  };
  // x = arange(6).reshape(2, 1, 3) * 0.5 - 1, y = arange(12).reshape(4, 3)
  // * 0.25 - 1, in float64.
  auto x = mx::reshape(
      mx::arange(6.0, mx::float64) * mx::array(0.5, mx::float64) -
          mx::array(1.0, mx::float64),
      {2, 1, 3});
  auto y = mx::reshape(
      mx::arange(12.0, mx::float64) * mx::array(0.25, mx::float64) -
          mx::array(1.0, mx::float64),
      {4, 3});
  auto s = mx::array(1.5, mx::float64);
  auto out = mx::compile(fun)({x, y, s})[0];
  EXPECT_EQ(max_ulps(out, fun({x, y, s})[0]), 0);
  // NumPy: (X + Y) * 1.5 - np.exp(Y), shape (2, 4, 3).
  expect_array_near(
      out,
      {-3.3678794411714423,
       -2.347366552741015,
       -1.3565306597126334,
       -2.653800783071405,
       -1.75,
       -0.9090254166877414,
       -2.398721270700128,
       -1.7420000166126748,
       -1.218281828459045,
       -3.1153429574618414,
       -2.9816890703380645,
       -3.1296026760057307,
       -1.1178794411714423,
       -0.09736655274101469,
       0.8934693402873666,
       -0.4038007830714049,
       0.5,
       1.3409745833122586,
       -0.1487212707001282,
       0.5079999833873252,
       1.031718171540955,
       -0.8653429574618414,
       -0.7316890703380645,
       -0.8796026760057307},
      {2, 4, 3},
      1e-12,
      1e-14);
  // Scalar (0-d) and empty inputs.
  auto zero_d = mx::array(0.75f);
  EXPECT_EQ(
      max_ulps(mx::compile(chain10)({zero_d})[0], chain10({zero_d})[0]), 0);
  auto empty = mx::zeros({0, 3});
  EXPECT_EQ(mx::compile(chain10)({empty})[0].shape(), (mx::Shape{0, 3}));
}

TEST(CompileTest, NonContiguousInputs) {
  auto base = mx::astype(inputs_on(-2, 2, {64, 48}), mx::float32);
  mx::eval(base);
  auto fun = [](const Arrays& xs) {
    return Arrays{mx::sin(xs[0]) * xs[1] + mx::exp(xs[0] - xs[1])};
  };
  auto compiled = mx::compile(fun);
  auto t = mx::transpose(base);                       // 48 x 64, transposed
  auto s = mx::slice(base, {0, 0}, {64, 48}, {2, 3}); // 32 x 16, stepped
  auto row = mx::slice(base, {5, 0}, {6, 48});        // 1 x 48
  auto b = mx::broadcast_to(row, {64, 48});           // zero strides
  auto col = mx::slice(base, {0, 7}, {64, 8});        // 64 x 1, strided
  mx::eval(t, s, b, col);
  const std::vector<Arrays> cases = {
      {t, mx::transpose(base)},
      {s, mx::slice(base, {1, 1}, {64, 48}, {2, 3})},
      {b, base},
      {base, col},
      {col, row},
      {mx::astype(mx::transpose(base), mx::float32), t},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    auto& in = cases[i];
    EXPECT_LE(max_ulps(compiled(in)[0], fun(in)[0]), 1) << "case " << i;
  }
}

TEST(CompileTest, LargeInputsSpanManyBlocks) {
  // 1000 x 777 elements: blocks end mid-row; a broadcast column, a
  // broadcast row and a transposed input.
  auto a = mx::astype(inputs_on(-1, 1, {1000, 777}), mx::float32);
  auto col = mx::astype(inputs_on(0.5, 2, {1000, 1}), mx::float32);
  auto row = mx::astype(inputs_on(-2, 2, {777}), mx::float32);
  auto t =
      mx::transpose(mx::astype(inputs_on(-1, 1, {777, 1000}), mx::float32));
  mx::eval(a, col, row, t);
  auto fun = [](const Arrays& xs) {
    return Arrays{mx::tanh(xs[0] * xs[1] + xs[2]) - mx::square(xs[3])};
  };
  EXPECT_LE(
      max_ulps(mx::compile(fun)({a, col, row, t})[0], fun({a, col, row, t})[0]),
      1);
}

TEST(CompileTest, ComparisonsSelectCastsAndIntegers) {
  auto fun = [](const Arrays& xs) {
    auto x = xs[0];
    auto big = mx::greater(mx::abs(x), mx::array(0.5f));
    auto y = mx::where(big, mx::sin(x), mx::cos(x) * mx::array(2.0f));
    auto as_half = mx::astype(y * mx::array(3.0f), mx::float16);
    auto i = mx::astype(x * mx::array(10.0f), mx::int32);
    auto k = mx::remainder(i * mx::array(3), mx::array(7)) + mx::array(1);
    return Arrays{
        mx::astype(as_half, mx::float32) + mx::astype(k, mx::float32),
        mx::logical_and(big, mx::less(x, mx::array(1.0f)))};
  };
  auto x = mx::astype(inputs_on(-2, 2, {4099}), mx::float32);
  auto got = mx::compile(fun)({x});
  auto want = fun({x});
  EXPECT_EQ(max_ulps(got[0], want[0]), 0);
  expect_array_eq(got[1], want[1]);
  // An op the kernel does not take for a dtype (the front-ends reject it
  // earlier, so the primitive is built directly) fails as it does unfused.
  auto c = mx::astype(x, mx::complex64);
  auto bad = [](const Arrays& xs) {
    mx::array r(
        xs[0].shape(),
        mx::complex64,
        std::make_shared<mx::Binary>(
            mx::to_stream({}), mx::BinaryOp::Remainder),
        {xs[0], xs[0]});
    return Arrays{r + xs[0]};
  };
  expect_throws_with_prefix(
      [&] { mx::eval(bad({c})); }, "[Remainder]", "complex64");
  auto fused_bad = mx::compile(bad)({c});
  EXPECT_STREQ(fused_bad[0].primitive().name(), "Compiled");
  expect_throws_with_prefix(
      [&] { mx::eval(fused_bad); }, "[Remainder]", "complex64");
}

TEST(CompileTest, FunctionRunsOncePerSignature) {
  int calls = 0;
  auto compiled = mx::compile([&calls](const Arrays& xs) {
    ++calls;
    return Arrays{mx::exp(xs[0]) * xs[1]};
  });
  auto x = mx::array({1.0f, 2.0f, 3.0f});
  auto y = mx::array({0.5f, 0.25f, 2.0f});
  auto first = compiled({x, y})[0];
  auto second = compiled({y, x})[0];
  EXPECT_EQ(calls, 1);
  // NumPy: np.exp(x) * y and np.exp(y) * x.
  expect_array_near(
      first,
      {1.3591409142295225, 1.8472640247326626, 40.171073846375336},
      {3},
      1e-6);
  expect_array_near(
      second,
      {1.6487212707001282, 2.568050833375483, 22.16716829679195},
      {3},
      1e-6);
  compiled({mx::array({1.0f, 2.0f}), mx::array({1.0f, 2.0f})}); // new shape
  EXPECT_EQ(calls, 2);
  compiled({f64({1.0, 2.0, 3.0}, {3}), y}); // new dtype
  EXPECT_EQ(calls, 3);
  compiled({x, y, y}); // another number of inputs: traced again
  EXPECT_EQ(calls, 4);
  compiled({x, y});
  compiled({mx::array({5.0f, 6.0f}), mx::array({1.0f, 2.0f})});
  EXPECT_EQ(calls, 4);
}

TEST(CompileTest, ShapelessReusesTheTraceForNewShapes) {
  int calls = 0;
  auto compiled = mx::compile(
      [&calls](const Arrays& xs) {
        ++calls;
        return Arrays{mx::exp(xs[0]) * xs[1] + mx::array(1.0f)};
      },
      /* shapeless */ true);
  auto check = [&](mx::Shape sx, mx::Shape sy) {
    auto x = mx::astype(inputs_on(-1, 1, sx), mx::float32);
    auto y = mx::astype(inputs_on(0, 2, sy), mx::float32);
    auto want = mx::exp(x) * y + mx::array(1.0f);
    auto got = compiled({x, y})[0];
    EXPECT_EQ(got.shape(), want.shape());
    EXPECT_EQ(max_ulps(got, want), 0);
  };
  check({3}, {3});
  check({1000}, {1000});
  check({7}, {1}); // broadcasts differently from the trace
  EXPECT_EQ(calls, 1);
  check({2, 5}, {2, 5}); // another number of dimensions
  EXPECT_EQ(calls, 2);
  check({4, 6}, {4, 1});
  EXPECT_EQ(calls, 2);

  // A constant broadcast read by two fused regions is copied into both.
  int calls2 = 0;
  auto two = mx::compile(
      [&calls2](const Arrays& xs) {
        ++calls2;
        auto one = mx::array(1.0f);
        return Arrays{mx::exp(xs[0]) + one, mx::sin(xs[0]) - one};
      },
      true);
  for (int n : {5, 300}) {
    auto x = mx::astype(inputs_on(-1, 1, {n}), mx::float32);
    mx::eval(x);
    auto outs = two({x});
    auto names = graph_primitives(outs);
    EXPECT_EQ(names.count("Compiled(Exp, Add)"), 1u);
    EXPECT_EQ(names.count("Compiled(Sin, Subtract)"), 1u);
    EXPECT_EQ(names.size(), 2u) << ::testing::PrintToString(names);
    EXPECT_EQ(max_ulps(outs[0], mx::exp(x) + mx::array(1.0f)), 0);
    EXPECT_EQ(max_ulps(outs[1], mx::sin(x) - mx::array(1.0f)), 0);
  }
  EXPECT_EQ(calls2, 1);
}

TEST(CompileTest, ShapelessRetracesWhenShapesCannotBeInferred) {
  int calls = 0;
  // sum and reshape fix their output shapes: traced once per shape.
  auto compiled = mx::compile(
      [&calls](const Arrays& xs) {
        ++calls;
        return Arrays{mx::sum(mx::exp(xs[0])), mx::reshape(xs[0], {-1, 1})};
      },
      true);
  auto a = compiled({mx::array({0.0f, 0.0f})});
  auto b = compiled({mx::array({0.0f, 0.0f, 0.0f})});
  EXPECT_EQ(calls, 2);
  EXPECT_FLOAT_EQ(a[0].item<float>(), 2.0f);
  EXPECT_FLOAT_EQ(b[0].item<float>(), 3.0f);
  EXPECT_EQ(b[1].shape(), (mx::Shape{3, 1}));
  compiled({mx::array({1.0f, 2.0f, 3.0f})});
  EXPECT_EQ(calls, 2);
}

TEST(CompileTest, CommonSubexpressionsAreMerged) {
  auto fun = [](const Arrays& xs) {
    auto a = mx::exp(mx::sin(xs[0]));
    auto b = mx::exp(mx::sin(xs[0]));
    return Arrays{a * b, mx::sum(a) + mx::sum(b)};
  };
  auto x = mx::array({0.5f, 1.0f});
  mx::set_compile_mode(mx::CompileMode::no_fuse);
  auto outs = mx::compile(fun)({x});
  auto names = graph_primitives(outs);
  EXPECT_EQ(names.count("Sin"), 1u);
  EXPECT_EQ(names.count("Exp"), 1u);
  EXPECT_EQ(names.count("Sum"), 1u) << names.size();
  mx::set_compile_mode(mx::CompileMode::no_simplify);
  auto unsimplified = graph_primitives(mx::compile(fun)({x}));
  mx::enable_compile();
  EXPECT_EQ(unsimplified.count("Compiled(Sin, Exp)"), 2u);
  expect_array_eq(outs[0], fun({x})[0]);
  expect_array_eq(outs[1], fun({x})[1]);
}

TEST(CompileTest, EqualScalarConstantsAreMerged) {
  auto fun = [](const Arrays& xs) {
    return Arrays{
        xs[0] * mx::array(2.0f) + xs[0] * mx::array(2.0f),
        xs[0] * mx::array(3.0f)};
  };
  auto x = mx::array({1.0f, -4.0f});
  auto outs = mx::compile(fun)({x});
  // One Multiply by 2 (the scalars merged, then the products), fused.
  EXPECT_EQ(graph_primitives({outs[0]}).count("Compiled(Multiply, Add)"), 1u);
  expect_array_values(outs[0], {2}, {4, -16});
  expect_array_values(outs[1], {2}, {3, -12});
}

TEST(CompileTest, TenOpChainBecomesOneCompiledNode) {
  auto x = mx::array({0.5f, 1.5f});
  auto out = mx::compile(chain10)({x})[0];
  EXPECT_STREQ(out.primitive().name(), "Compiled");
  auto names = graph_primitives({out});
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(
      *names.begin(),
      "Compiled(Multiply, Add, Sin, Multiply, Exp, Subtract, Abs, Sqrt, "
      "Maximum, Tanh)");
  // The inputs: x and the three scalar constants.
  EXPECT_EQ(out.inputs().size(), 4u);
}

TEST(CompileTest, ValuesUsedOutsideARegionEndIt) {
  auto fun = [](const Arrays& xs) {
    auto shared = mx::exp(mx::sin(xs[0])); // read by two regions
    auto y = mx::log(shared + mx::array(1.0f)) * mx::array(2.0f);
    auto z = mx::sqrt(shared) - mx::array(1.0f);
    return Arrays{y, z, mx::sum(z)};
  };
  auto x = mx::array({0.5f, -1.0f, 2.0f});
  auto outs = mx::compile(fun)({x});
  auto names = graph_primitives(outs);
  EXPECT_EQ(names.count("Compiled(Sin, Exp)"), 1u);
  EXPECT_EQ(names.count("Compiled(Add, Log, Multiply)"), 1u);
  EXPECT_EQ(names.count("Compiled(Sqrt, Subtract)"), 1u);
  auto want = fun({x});
  for (int i = 0; i < 3; ++i) {
    EXPECT_LE(max_ulps(outs[i], want[i]), 1);
  }
}

TEST(CompileTest, PeakMemoryOfFusedChainIsOneBuffer) {
  constexpr int n = 4 << 20; // 16 MiB of float32
  const size_t mib16 = n * sizeof(float);
  auto x = mx::full({n}, 0.5f);
  mx::eval(x);
  auto compiled = mx::compile(chain10);
  auto measure = [&](const std::function<mx::array()>& make) {
    mx::clear_cache();
    mx::reset_peak_memory();
    size_t before = mx::get_active_memory();
    auto y = make();
    mx::eval(y);
    return mx::get_peak_memory() - before;
  };
  compiled({x}); // trace outside the measurement
  size_t fused = measure([&] { return compiled({x})[0]; });
  EXPECT_LE(fused, mib16 + mib16 / 8)
      << "fused peak " << fused / double(mib16) << " buffers";
  // GELU keeps two intermediate arrays alive when unfused, none fused.
  auto compiled_gelu = mx::compile(gelu);
  compiled_gelu({x});
  size_t gelu_fused = measure([&] { return compiled_gelu({x})[0]; });
  size_t gelu_unfused = measure([&] { return gelu({x})[0]; });
  EXPECT_LE(gelu_fused, mib16 + mib16 / 8)
      << "fused GELU peak " << gelu_fused / double(mib16) << " buffers";
  EXPECT_GE(gelu_unfused, 2 * mib16)
      << "unfused GELU peak " << gelu_unfused / double(mib16) << " buffers";
  // A temporary input is donated: still one buffer at the peak.
  size_t donated = measure([&] { return compiled({x + mx::array(1.0f)})[0]; });
  EXPECT_LE(donated, mib16 + mib16 / 8)
      << "peak " << donated / double(mib16) << " buffers";
  auto y = compiled({x + mx::array(1.0f)})[0];
  EXPECT_EQ(max_ulps(y, chain10({x + mx::array(1.0f)})[0]), 0);
}

TEST(CompileTest, GradOfCompiledFunction) {
  auto f = [](const Arrays& xs) {
    return Arrays{mx::sum(mx::sin(xs[0]) * xs[0])};
  };
  auto x = f64({0.5, -1.0, 2.0}, {3});
  auto g =
      mx::grad([&](const Arrays& xs) { return mx::compile(f)(xs)[0]; })({x})[0];
  // NumPy: cos(x) * x + sin(x).
  expect_array_near(
      g,
      {0.9182168195493894, -1.3817732906760363, 0.0770037537313969},
      {3},
      1e-12);
  // Through a fused region (grad of its inputs: Compiled's vjp).
  auto h = [](const Arrays& xs) {
    return Arrays{mx::exp(xs[0] * xs[1]) * mx::array(0.5, mx::float64)};
  };
  auto ch = mx::compile(h);
  auto y = f64({1.5, 0.25, -2.0}, {3});
  auto loss = [&](auto fun) {
    return [fun](const Arrays& xs) { return mx::sum(fun(xs)[0]); };
  };
  auto g_compiled = mx::grad(loss(ch), {0, 1})({x, y});
  auto g_plain = mx::grad(loss(h), {0, 1})({x, y});
  expect_array_eq(g_compiled[0], g_plain[0]);
  expect_array_eq(g_compiled[1], g_plain[1]);
  // jvp and second derivatives go through the same re-expansion.
  auto [outs, tangents] =
      mx::jvp(ch, {x, y}, {mx::ones_like(x), mx::zeros_like(y)});
  auto [outs2, tangents2] =
      mx::jvp(h, {x, y}, {mx::ones_like(x), mx::zeros_like(y)});
  expect_array_eq(tangents[0], tangents2[0]);
  auto gg = mx::grad([&](const mx::array& a) {
    return mx::sum(mx::grad(loss(ch))({a, y})[0]);
  })(x);
  auto gg_plain = mx::grad([&](const mx::array& a) {
    return mx::sum(mx::grad(loss(h))({a, y})[0]);
  })(x);
  expect_array_near(gg, mlx_test::to_doubles(gg_plain), {3}, 1e-12);
}

TEST(CompileTest, CompiledGradient) {
  int calls = 0;
  auto f = [&calls](const Arrays& xs) {
    ++calls;
    return mx::sum(mx::sin(xs[0]) * xs[0]);
  };
  auto compiled = mx::compile(mx::grad(f));
  auto x = f64({0.5, -1.0, 2.0}, {3});
  auto g = compiled({x})[0];
  compiled({x * mx::array(2.0, mx::float64)});
  EXPECT_EQ(calls, 1);
  expect_array_near(
      g,
      {0.9182168195493894, -1.3817732906760363, 0.0770037537313969},
      {3},
      1e-12);
}

TEST(CompileTest, VmapOfCompiledAndCompiledVmap) {
  auto fun = [](const Arrays& xs) {
    return Arrays{mx::exp(xs[0]) * xs[1] - mx::sin(xs[1])};
  };
  auto x = mx::astype(inputs_on(-1, 1, {3, 4}), mx::float32);
  auto y3 = mx::astype(inputs_on(-2, 2, {3}), mx::float32);
  auto y4 = mx::astype(inputs_on(-2, 2, {4}), mx::float32);
  // Batched over x's axis 1, y not batched: out[:, b] = f(x[:, b], y).
  auto vm = mx::vmap(mx::compile(fun), {1, -1}, {1})({x, y3})[0];
  auto plain = mx::vmap(fun, {1, -1}, {1})({x, y3})[0];
  EXPECT_EQ(vm.shape(), (mx::Shape{3, 4}));
  EXPECT_LE(max_ulps(vm, plain), 1);
  // Batched over axis 0 of both: the same as the function itself.
  auto batched =
      mx::vmap(mx::compile(fun))({x, mx::broadcast_to(y4, {3, 4})})[0];
  EXPECT_EQ(batched.shape(), (mx::Shape{3, 4}));
  EXPECT_LE(max_ulps(batched, fun({x, y4})[0]), 1);
  // The fused kernel itself is batched (no re-expansion).
  auto names =
      graph_primitives({mx::vmap(mx::compile(fun), {0, -1})({x, y4})[0]});
  EXPECT_EQ(names.count("Compiled(Exp, Multiply, Sin, Subtract)"), 1u);
  auto y = y3;
  auto cv = mx::compile(mx::vmap(fun, {1, -1}, {1}))({x, y})[0];
  EXPECT_LE(max_ulps(cv, plain), 1);
}

TEST(CompileTest, CapturedAndCreatedConstants) {
  int calls = 0;
  auto w = mx::array({1.0f, 2.0f, 3.0f});
  auto lazy = mx::exp(mx::zeros({3})); // unevaluated when captured
  auto compiled = mx::compile([&calls, w, lazy](const Arrays& xs) {
    ++calls;
    auto b = mx::full({3}, 0.5f); // created inside, independent of xs
    return Arrays{xs[0] * w + b + lazy};
  });
  auto a = compiled({mx::array({1.0f, 1.0f, 1.0f})})[0];
  auto b = compiled({mx::array({2.0f, 0.0f, -1.0f})})[0];
  EXPECT_EQ(calls, 1);
  expect_array_values(a, {3}, {2.5, 3.5, 4.5});
  expect_array_values(b, {3}, {3.5, 1.5, -1.5});
}

TEST(CompileTest, OutputsMayBeInputsOrConstants) {
  auto c = mx::array(7.0f);
  auto compiled = mx::compile([c](const Arrays& xs) {
    return Arrays{xs[1], c, xs[0] + xs[1]};
  });
  auto x = mx::array({1.0f});
  auto y = mx::array({2.0f});
  auto outs = compiled({x, y});
  EXPECT_TRUE(outs[0].is_same(y));
  EXPECT_EQ(outs[1].item<float>(), 7.0f);
  EXPECT_EQ(outs[2].item<float>(), 3.0f);
  auto none = mx::compile([](const Arrays&) { return Arrays{}; })({x});
  EXPECT_TRUE(none.empty());
}

TEST(CompileTest, DisableAndEnable) {
  int calls = 0;
  auto fun = [&calls](const Arrays& xs) {
    ++calls;
    return Arrays{mx::exp(xs[0]) + mx::array(1.0f)};
  };
  auto compiled = mx::compile(fun);
  auto x = mx::array({0.0f});
  compiled({x});
  mx::disable_compile();
  auto out = compiled({x})[0];
  compiled({x});
  auto plain = mx::compile(fun); // compile while disabled: `fun` itself
  plain({x});
  mx::enable_compile();
  EXPECT_EQ(calls, 4);
  EXPECT_STREQ(out.primitive().name(), "Add");
  EXPECT_EQ(out.item<float>(), 2.0f);
  compiled({x});
  plain({x});
  EXPECT_EQ(calls, 5);
}

TEST(CompileTest, EnvironmentVariableDisables) {
  if (std::getenv("MLX_COMPILE_TEST_CHILD")) {
    // In the child, MLX_DISABLE_COMPILE is set before anything compiles.
    int calls = 0;
    auto compiled = mx::compile([&calls](const Arrays& xs) {
      ++calls;
      return Arrays{xs[0] * mx::array(2.0f) + mx::array(1.0f)};
    });
    compiled({mx::array(1.0f)});
    compiled({mx::array(1.0f)});
    EXPECT_EQ(calls, 2);
    mx::enable_compile(); // overrides the variable
    auto again = mx::compile([&calls](const Arrays& xs) {
      ++calls;
      return Arrays{xs[0] * mx::array(2.0f) + mx::array(1.0f)};
    });
    again({mx::array(1.0f)});
    again({mx::array(1.0f)});
    EXPECT_EQ(calls, 3);
    return;
  }
  std::string self = std::filesystem::read_symlink("/proc/self/exe");
  std::string cmd =
      "MLX_DISABLE_COMPILE=1 MLX_COMPILE_TEST_CHILD=1 " + self +
      " --gtest_filter=CompileTest.EnvironmentVariableDisables > /dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

TEST(CompileTest, Errors) {
  // Values depending on the inputs do not exist while tracing.
  auto peeks = mx::compile([](const Arrays& xs) {
    auto y = mx::exp(xs[0]);
    if (y.item<float>() > 1.0f) {
      return Arrays{y};
    }
    return Arrays{-y};
  });
  expect_throws_with_prefix(
      [&] { peeks({mx::array(1.0f)}); }, "[compile]", "traces");
  // The function's own errors pass through and nothing is cached.
  int calls = 0;
  auto picky = mx::compile([&calls](const Arrays& xs) {
    ++calls;
    return Arrays{mx::add(xs[0], xs[1])};
  });
  expect_throws_with_prefix(
      [&] {
        picky({mx::zeros({2}), mx::zeros({3})});
      },
      "[add]");
  expect_throws_with_prefix(
      [&] {
        picky({mx::zeros({2}), mx::zeros({3})});
      },
      "[add]");
  EXPECT_EQ(calls, 2);
  // A fused region applied to the wrong number of inputs.
  auto out = mx::compile(chain10)({mx::array({1.0f})})[0];
  auto& fused = static_cast<mx::Compiled&>(out.primitive());
  expect_throws_with_prefix(
      [&] { fused.expand({mx::array({1.0f})}); }, "[compile]", "inputs");
}

namespace {
Arrays square_plus_one(const Arrays& xs) {
  return {xs[0] * xs[0] + mx::array(1.0f)};
}
int pointer_calls = 0;
Arrays counted(const Arrays& xs) {
  ++pointer_calls;
  return square_plus_one(xs);
}
} // namespace

TEST(CompileTest, FunctionPointersShareTraces) {
  auto x = mx::array({3.0f});
  EXPECT_EQ(mx::compile(counted)({x})[0].item<float>(), 10.0f);
  EXPECT_EQ(mx::compile(counted)({x})[0].item<float>(), 10.0f);
  EXPECT_EQ(pointer_calls, 1);
  // A capture-less lambda converts to a function pointer.
  auto lambda =
      mx::compile([](const Arrays& xs) { return square_plus_one(xs); });
  EXPECT_EQ(lambda({x})[0].item<float>(), 10.0f);
}
