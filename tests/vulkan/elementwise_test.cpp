// Unary, Binary, Select, Arange and Compiled on the Vulkan GPU
// (shaders/{unary,binary,ternary,arange}.comp) against the CPU backend:
// every op on every dtype the CPU kernel takes (the same errors for the
// others), bit for bit where the math is exact and within a few ulp for
// transcendental functions; NaN and inf; broadcast, transposed, sliced,
// empty and 0-d inputs; compiled regions and the gradients train_mnist
// takes. Runs on lavapipe (MLX_VULKAN_DEVICE=cpu, set by CMakeLists.txt).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "gpu_test_utils.h"
#include "mlx/backend/vulkan/encoder.h"
#include "mlx/mlx.h"

namespace mx = mlx::core;
using namespace gpu_test;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// Inputs of `dtype`: floats with NaN, ±inf, ±0, halves (rounding ties) and
// values across exp's range; integers (through int64, wrapping) with signs,
// extremes and shift counts beyond the width. 37 elements: not a multiple
// of any word or workgroup size.
mx::array sample(mx::Dtype dtype, int rotate = 0) {
  std::vector<double> f = {0.0,  -0.0, 1.0,   -1.0,  0.5,    -0.5,  1.5, 2.5,
                           -2.5, 3.0,  0.25,  -0.75, 7.0,    -7.0,  0.1, 0.9,
                           -0.9, 10.0, -10.0, 100.0, -100.0, 1e-3,  2.0, -3.0,
                           0.7,  1.25, 60.0,  -60.0, kInf,   -kInf, NAN, 4.0,
                           -4.0, 0.3,  88.0,  1e-6,  5.5};
  std::vector<int64_t> i = {
      0,
      1,
      -1,
      2,
      -2,
      3,
      7,
      -7,
      8,
      15,
      16,
      31,
      32,
      33,
      63,
      64,
      100,
      -100,
      127,
      -128,
      255,
      256,
      1000,
      -1000,
      4,
      5,
      -5,
      6,
      9,
      12,
      -12,
      40000,
      -40000,
      int64_t(1) << 40,
      -(int64_t(1) << 40),
      INT64_MAX,
      INT64_MIN};
  int n = int(f.size());
  std::rotate(f.begin(), f.begin() + rotate % n, f.end());
  std::rotate(i.begin(), i.begin() + rotate % n, i.end());
  if (mx::issubdtype(dtype, mx::floating)) {
    std::vector<double> v = f;
    return mx::astype(mx::array(v.data(), {n}, mx::float64), dtype, kCpu);
  }
  if (dtype == mx::bool_) {
    std::vector<bool> b;
    for (auto x : i) {
      b.push_back(x % 3 != 0);
    }
    std::vector<int32_t> b32(b.begin(), b.end());
    return mx::astype(mx::array(b32.data(), {n}, mx::int32), dtype, kCpu);
  }
  return mx::astype(mx::array(i.data(), {n}, mx::int64), dtype, kCpu);
}

std::vector<double> doubles_of(const mx::array& a) {
  mx::array c = mx::astype(a, mx::float64, kCpu);
  mx::eval(c);
  auto b = bytes_of(c);
  std::vector<double> v(b.size() / 8);
  if (!b.empty()) {
    std::memcpy(v.data(), b.data(), b.size());
  }
  return v;
}

// gpu == cpu: bit for bit (any NaN equals any NaN) when rtol is 0, else
// within rtol relative (or rtol absolute near 0; ±inf and NaN must agree).
void expect_match(const mx::array& gpu, const mx::array& cpu, double rtol) {
  mx::eval(gpu);
  mx::eval(cpu);
  ASSERT_EQ(gpu.shape(), cpu.shape());
  ASSERT_EQ(gpu.dtype(), cpu.dtype());
  if (!mx::issubdtype(cpu.dtype(), mx::floating)) {
    EXPECT_EQ(bytes_of(gpu), bytes_of(cpu));
    return;
  }
  auto g = doubles_of(gpu), c = doubles_of(cpu);
  for (size_t k = 0; k < c.size(); ++k) {
    SCOPED_TRACE(::testing::Message() << "element " << k);
    if (std::isnan(c[k]) || std::isnan(g[k])) {
      EXPECT_TRUE(std::isnan(c[k]) && std::isnan(g[k]))
          << "gpu " << g[k] << " cpu " << c[k];
    } else if (rtol == 0 || std::isinf(c[k])) {
      uint64_t gb, cb;
      std::memcpy(&gb, &g[k], 8);
      std::memcpy(&cb, &c[k], 8);
      EXPECT_EQ(gb, cb) << "gpu " << g[k] << " cpu " << c[k];
    } else {
      EXPECT_LE(std::abs(g[k] - c[k]), rtol * std::max(1.0, std::abs(c[k])))
          << "gpu " << g[k] << " cpu " << c[k];
    }
  }
}

// A few ulp of the dtype's precision for the transcendental functions.
double approx_tol(mx::Dtype t) {
  if (t == mx::float16) {
    return 2e-3;
  }
  if (t == mx::bfloat16) {
    return 1.6e-2;
  }
  return 2e-6;
}

// Runs `op` on both devices: equal results, or both raising (the GPU may
// also refuse float64 transcendentals and complex64 with a clear error).
template <typename Op>
void check_op(const std::string& name, Op op, mx::Dtype dtype, double tol) {
  SCOPED_TRACE(::testing::Message() << name << " on " << dtype);
  mx::array cpu = mx::array(0.0f);
  try {
    cpu = op(kCpu);
    mx::eval(cpu);
  } catch (const std::exception& e) {
    EXPECT_ANY_THROW(mx::eval(op(kGpu))) << "cpu refused: " << e.what();
    return;
  }
  try {
    mx::array gpu = op(kGpu);
    mx::eval(gpu);
    expect_match(gpu, cpu, tol);
  } catch (const std::exception& e) {
    std::string what = e.what();
    EXPECT_NE(
        what.find("is not supported on the Vulkan backend"), std::string::npos)
        << what;
    EXPECT_EQ(dtype, mx::float64) << what;
  }
}

using UnaryFn = mx::array (*)(const mx::array&, mx::StreamOrDevice);
using BinaryFn =
    mx::array (*)(const mx::array&, const mx::array&, mx::StreamOrDevice);

} // namespace

TEST(VulkanElementwise, UnaryEveryOpAndDtypeMatchesTheCpu) {
  REQUIRE_GPU();
  struct Case {
    const char* name;
    UnaryFn fn;
    bool exact;
  };
  const std::vector<Case> cases = {
      {"abs", mx::abs, true},
      {"negative", mx::negative, true},
      {"sign", mx::sign, true},
      {"square", mx::square, true},
      {"floor", mx::floor, true},
      {"ceil", mx::ceil, true},
      {"round", mx::round, true},
      {"logical_not", mx::logical_not, true},
      {"bitwise_invert", mx::bitwise_invert, true},
      {"sqrt", mx::sqrt, false},
      {"rsqrt", mx::rsqrt, false},
      {"exp", mx::exp, false},
      {"expm1", mx::expm1, false},
      {"log", mx::log, false},
      {"log2", mx::log2, false},
      {"log10", mx::log10, false},
      {"log1p", mx::log1p, false},
      {"sin", mx::sin, false},
      {"cos", mx::cos, false},
      {"tan", mx::tan, false},
      {"arcsin", mx::arcsin, false},
      {"arccos", mx::arccos, false},
      {"arctan", mx::arctan, false},
      {"sinh", mx::sinh, false},
      {"cosh", mx::cosh, false},
      {"tanh", mx::tanh, false},
      {"arcsinh", mx::arcsinh, false},
      {"arccosh", mx::arccosh, false},
      {"arctanh", mx::arctanh, false},
      {"erf", mx::erf, false},
      {"erfinv", mx::erfinv, false},
      {"sigmoid", mx::sigmoid, false},
  };
  for (auto dtype : kRealDtypes) {
    mx::array x = sample(dtype);
    mx::eval(x);
    for (auto& c : cases) {
      // These dtypes' samples reach 1e9..1e19 as floats, where sin, cos and
      // tan need a Payne-Hanek reduction that GPU built-ins do not do.
      bool huge =
          dtype == mx::uint32 || dtype == mx::uint64 || dtype == mx::int64;
      std::string name = c.name;
      if (huge && (name == "sin" || name == "cos" || name == "tan")) {
        continue;
      }
      double tol = c.exact ? 0.0 : approx_tol(dtype);
      check_op(
          c.name, [&](mx::Device d) { return c.fn(x, d); }, dtype, tol);
    }
  }
}

TEST(VulkanElementwise, BinaryEveryOpAndDtypeMatchesTheCpu) {
  REQUIRE_GPU();
  struct Case {
    const char* name;
    BinaryFn fn;
    bool exact;
  };
  const std::vector<Case> cases = {
      {"add", mx::add, true},
      {"subtract", mx::subtract, true},
      {"multiply", mx::multiply, true},
      {"divide", mx::divide, true},
      {"remainder", mx::remainder, true},
      {"floor_divide", mx::floor_divide, true},
      {"maximum", mx::maximum, true},
      {"minimum", mx::minimum, true},
      {"equal", mx::equal, true},
      {"not_equal", mx::not_equal, true},
      {"less", mx::less, true},
      {"less_equal", mx::less_equal, true},
      {"greater", mx::greater, true},
      {"greater_equal", mx::greater_equal, true},
      {"logical_and", mx::logical_and, true},
      {"logical_or", mx::logical_or, true},
      {"bitwise_and", mx::bitwise_and, true},
      {"bitwise_or", mx::bitwise_or, true},
      {"bitwise_xor", mx::bitwise_xor, true},
      {"left_shift", mx::left_shift, true},
      {"right_shift", mx::right_shift, true},
      {"power", mx::power, false},
      {"arctan2", mx::arctan2, false},
      {"logaddexp", mx::logaddexp, false},
  };
  for (auto dtype : kRealDtypes) {
    // b is a rotation of a: every pairing of signs, zeros and specials.
    mx::array a = sample(dtype), b = sample(dtype, 5);
    mx::eval(a, b);
    for (auto& c : cases) {
      double tol = c.exact ? 0.0 : approx_tol(dtype);
      if (c.fn == mx::power) {
        // Integers are exact; float pow is exp2(y log2 x), whose error grows
        // with |y log2 x| (up to ~60 here; see PowerOfSmallFloats).
        tol = mx::issubdtype(dtype, mx::floating) ? 10 * tol : 0.0;
      }
      check_op(
          c.name, [&](mx::Device d) { return c.fn(a, b, d); }, dtype, tol);
    }
  }
}

// The float32 fast path (shaders/vec4.glsl: contiguous or scalar operands,
// whole vec4s) gives the generic kernels' bits, which match the CPU; views
// that do not start on a vec4 fall back to the generic kernels.
TEST(VulkanElementwise, Float32Vec4PathGivesTheGenericKernelsBits) {
  REQUIRE_GPU();
  // 4144 elements: 1036 vec4s, a second workgroup that is mostly empty.
  mx::array a = mx::tile(sample(mx::float32), {112});
  mx::array b = mx::tile(sample(mx::float32, 5), {112});
  mx::array scalar = mx::array(1.5f);
  mx::eval(a, b, scalar);
  std::vector<std::pair<std::string, std::function<mx::array(mx::Device)>>>
      ops = {
          {"add", [&](mx::Device d) { return mx::add(a, b, d); }},
          {"divide", [&](mx::Device d) { return mx::divide(a, b, d); }},
          {"maximum", [&](mx::Device d) { return mx::maximum(a, b, d); }},
          {"logaddexp", [&](mx::Device d) { return mx::logaddexp(a, b, d); }},
          {"scalar - a",
           [&](mx::Device d) { return mx::subtract(scalar, a, d); }},
          {"b * scalar",
           [&](mx::Device d) { return mx::multiply(b, scalar, d); }},
          {"exp", [&](mx::Device d) { return mx::exp(a, d); }},
          {"tanh", [&](mx::Device d) { return mx::tanh(a, d); }},
          {"sigmoid", [&](mx::Device d) { return mx::sigmoid(a, d); }},
          {"exp of a broadcast scalar",
           [&](mx::Device d) {
             return mx::exp(mx::broadcast_to(scalar, {4, 16}), d);
           }},
          {"abs of a view at element 4",
           [&](mx::Device d) { return mx::abs(mx::slice(a, {4}, {4144}), d); }},
          {"add of views at element 1 (generic kernels)",
           [&](mx::Device d) {
             return mx::add(
                 mx::slice(a, {1}, {4141}), mx::slice(b, {2}, {4142}), d);
           }},
      };
  for (auto& [name, op] : ops) {
    SCOPED_TRACE(name);
    mx::array fast = op(kGpu);
    mx::eval(fast);
    setenv("MLX_VULKAN_EW_VEC4", "0", 1);
    mx::array generic = op(kGpu);
    mx::eval(generic);
    unsetenv("MLX_VULKAN_EW_VEC4");
    EXPECT_EQ(bytes_of(fast), bytes_of(generic));
    expect_match(fast, op(kCpu), approx_tol(mx::float32));
  }
}

TEST(VulkanElementwise, PowerOfSmallFloatsIsWithinAFewUlp) {
  REQUIRE_GPU();
  // pow's error grows with |y log2 x|: moderate values, as models use.
  std::vector<float> x = {0.5f, 1.5f, 2.0f, 3.0f, -2.0f, -0.5f, 0.0f, -0.0f};
  std::vector<float> y = {2.0f, -1.0f, 0.5f, 3.0f, 3.0f, -2.0f, -1.0f, 3.0f};
  mx::array a(x.data(), {8}, mx::float32), b(y.data(), {8}, mx::float32);
  expect_match(mx::power(a, b, kGpu), mx::power(a, b, kCpu), 4e-7);
}

TEST(VulkanElementwise, BroadcastTransposedSlicedAndScalarOperands) {
  REQUIRE_GPU();
  for (auto dtype : {mx::float32, mx::int8, mx::float16, mx::uint64}) {
    SCOPED_TRACE(::testing::Message() << dtype);
    mx::array a = mx::reshape(
        mx::astype(mx::arange(0, 4 * 5 * 6, 1, mx::int32, kCpu), dtype, kCpu),
        {4, 5, 6});
    mx::array row = mx::slice(a, {0, 0, 0}, {1, 1, 6}); // (1, 1, 6)
    mx::array t = mx::transpose(a, {2, 0, 1});          // (6, 4, 5)
    mx::array s = mx::slice(a, {1, 0, 1}, {4, 5, 6}, {2, 2, 3});
    mx::array scalar = mx::astype(mx::array(3), dtype, kCpu);
    auto both = [&](auto f) { expect_match(f(kGpu), f(kCpu), 0.0); };
    both([&](mx::Device d) { return mx::add(a, row, d); });
    both([&](mx::Device d) { return mx::subtract(row, a, d); });
    both([&](mx::Device d) { return mx::multiply(t, scalar, d); });
    both([&](mx::Device d) { return mx::maximum(scalar, t, d); });
    both([&](mx::Device d) { return mx::add(s, s, d); });
    both([&](mx::Device d) {
      return mx::subtract(
          mx::transpose(a, {0, 2, 1}), mx::transpose(row, {0, 2, 1}), d);
    });
    both([&](mx::Device d) { return mx::negative(t, d); });
    both([&](mx::Device d) { return mx::abs(s, d); });
    both([&](mx::Device d) { return mx::add(scalar, scalar, d); });
    // An (n, 1) column against a (1, m) row: both broadcast.
    mx::array col = mx::reshape(mx::slice(a, {0, 0, 0}, {4, 1, 1}), {4, 1});
    mx::array r2 = mx::reshape(row, {1, 6});
    both([&](mx::Device d) { return mx::less(col, r2, d); });
  }
}

TEST(VulkanElementwise, ManyDimensionsAndGpuMadeInputs) {
  REQUIRE_GPU();
  // 10 axes of 2, reversed: nothing merges, the strides of both inputs go
  // to the metadata buffer; the inputs are made by the GPU (one sliced at
  // an odd element offset).
  mx::array a = mx::astype(
      mx::reshape(mx::arange(0, 1024, 1, mx::int32, kCpu), mx::Shape(10, 2)),
      mx::int16,
      kGpu);
  mx::array b = mx::astype(
      mx::reshape(mx::arange(3, 1027, 1, mx::int32, kCpu), mx::Shape(10, 2)),
      mx::int16,
      kGpu);
  mx::eval(a, b);
  std::vector<int> axes{9, 8, 7, 6, 5, 4, 3, 2, 1, 0};
  mx::array t = mx::transpose(a, axes);
  expect_match(mx::subtract(t, b, kGpu), mx::subtract(t, b, kCpu), 0.0);
  mx::array s = mx::slice(mx::reshape(b, {1024}), {3}, {1003});
  mx::array u = mx::slice(mx::reshape(a, {1024}), {1}, {1001});
  expect_match(mx::multiply(s, u, kGpu), mx::multiply(s, u, kCpu), 0.0);
  expect_match(
      mx::where(mx::greater(s, u, kGpu), s, u, kGpu),
      mx::where(mx::greater(s, u, kCpu), s, u, kCpu),
      0.0);
}

TEST(VulkanElementwise, EmptyZeroDimAndLargeInputs) {
  REQUIRE_GPU();
  mx::array empty = mx::zeros({0, 3}, mx::float32, kCpu);
  expect_match(mx::exp(empty, kGpu), mx::exp(empty, kCpu), 0.0);
  expect_match(mx::add(empty, empty, kGpu), mx::add(empty, empty, kCpu), 0.0);
  mx::array z(2.5f);
  expect_match(mx::floor(z, kGpu), mx::floor(z, kCpu), 0.0);
  expect_match(mx::multiply(z, z, kGpu), mx::multiply(z, z, kCpu), 0.0);
  // Several workgroups plus a partial one, packed 1-byte results.
  mx::array big =
      mx::astype(mx::arange(0, 70001, 1, mx::int32, kCpu), mx::float32, kCpu);
  expect_match(
      mx::greater(big, mx::array(3000.0f), kGpu),
      mx::greater(big, mx::array(3000.0f), kCpu),
      0.0);
  expect_match(mx::negative(big, kGpu), mx::negative(big, kCpu), 0.0);
}

TEST(VulkanElementwise, ChainedGpuResultsAreDonatedAndStayCorrect) {
  REQUIRE_GPU();
  // Each intermediate is used once: the kernels may write into its buffer.
  mx::array x =
      mx::astype(mx::arange(0, 1001, 1, mx::int32, kCpu), mx::float32, kCpu);
  auto f = [&](mx::Device d) {
    mx::array y = mx::multiply(x, mx::array(0.01f), d);
    y = mx::exp(mx::negative(y, d), d);
    y = mx::add(y, y, d);
    return mx::maximum(mx::subtract(y, mx::array(0.5f), d), mx::array(0.0f), d);
  };
  expect_match(f(kGpu), f(kCpu), 2e-6);
}

TEST(VulkanElementwise, SelectEveryDtypeAndBroadcastCondition) {
  REQUIRE_GPU();
  std::vector<mx::Dtype> dtypes = kRealDtypes;
  dtypes.push_back(mx::complex64);
  for (auto dtype : dtypes) {
    SCOPED_TRACE(::testing::Message() << dtype);
    mx::array x = mx::astype(sample(mx::int64), dtype, kCpu);
    mx::array y = mx::astype(sample(mx::int64, 3), dtype, kCpu);
    mx::array c = sample(mx::bool_, 1);
    expect_match(mx::where(c, x, y, kGpu), mx::where(c, x, y, kCpu), 0.0);
    // A (3, 1) condition against (1, 37) values; a scalar y.
    mx::array c3 = mx::array({true, false, true}, {3, 1});
    mx::array x2 = mx::reshape(x, {1, 37});
    mx::array ys = mx::astype(mx::array(-9), dtype, kCpu);
    expect_match(mx::where(c3, x2, ys, kGpu), mx::where(c3, x2, ys, kCpu), 0.0);
  }
}

TEST(VulkanElementwise, ArangeEveryDtype) {
  REQUIRE_GPU();
  for (auto dtype : kRealDtypes) {
    if (dtype == mx::bool_) {
      continue;
    }
    SCOPED_TRACE(::testing::Message() << dtype);
    expect_match(
        mx::arange(0, 300, 1, dtype, kGpu),
        mx::arange(0, 300, 1, dtype, kCpu),
        0.0);
    expect_match(
        mx::arange(5, -3, -0.7, dtype, kGpu),
        mx::arange(5, -3, -0.7, dtype, kCpu),
        0.0);
    expect_match(
        mx::arange(0.1, 1.0, 0.1, dtype, kGpu),
        mx::arange(0.1, 1.0, 0.1, dtype, kCpu),
        0.0);
  }
  expect_match(
      mx::arange(3, 3, 1, mx::float32, kGpu),
      mx::arange(3, 3, 1, mx::float32, kCpu),
      0.0);
}

namespace {

std::vector<mx::array> fused(const std::vector<mx::array>& in) {
  // exp, multiply, maximum, where, astype and a broadcast input: one
  // element-wise region for compile.
  mx::array e = mx::exp(mx::negative(in[0]));
  mx::array m = mx::maximum(mx::multiply(e, in[1]), mx::array(0.1f));
  mx::array w = mx::where(mx::greater(in[0], in[1]), m, mx::square(in[0]));
  return {mx::astype(mx::add(w, mx::astype(in[2], mx::float32)), mx::float16)};
}

// Runs `f` with the default device set to `d`.
template <typename F> auto on_device(mx::Device d, F f) {
  mx::Device before = mx::default_device();
  mx::set_default_device(d);
  auto out = f();
  mx::eval(out);
  mx::set_default_device(before);
  return out;
}

} // namespace

TEST(VulkanElementwise, CompiledRegionMatchesTheCpu) {
  REQUIRE_GPU();
  mx::array x = mx::astype(sample(mx::float32), mx::float32, kCpu);
  x = mx::reshape(mx::slice(x, {0}, {36}), {6, 6});
  mx::array y = mx::transpose(x); // strided
  mx::array z =
      mx::astype(mx::arange(0, 6, 1, mx::int32, kCpu), mx::int32, kCpu);
  auto compiled = mx::compile(fused);
  auto gpu = on_device(kGpu, [&] { return compiled({x, y, z}); });
  auto cpu = on_device(kCpu, [&] { return compiled({x, y, z}); });
  expect_match(gpu[0], cpu[0], 2e-3);
  // Bit-exact parts alone: integer arithmetic through a fused region.
  auto int_fn = mx::compile([](const std::vector<mx::array>& in) {
    mx::array a = mx::multiply(in[0], in[0]);
    return std::vector<mx::array>{
        mx::right_shift(mx::add(a, in[1]), mx::array(2))};
  });
  mx::array i = sample(mx::int32), j = sample(mx::int32, 4);
  auto gi = on_device(kGpu, [&] { return int_fn({i, j}); });
  auto ci = on_device(kCpu, [&] { return int_fn({i, j}); });
  expect_match(gi[0], ci[0], 0.0);
}

namespace {

// A float32 region with every kind of fused step: unary and binary math,
// comparisons, logic on bools, select, conversions and broadcast inputs.
std::vector<mx::array> float_region(const std::vector<mx::array>& in) {
  mx::array e = mx::exp(mx::negative(in[0]));
  mx::array m = mx::maximum(mx::multiply(e, in[1]), in[2]);
  mx::array c = mx::logical_and(
      mx::greater(in[0], in[1]), mx::logical_not(mx::equal(in[3], in[2])));
  mx::array w = mx::where(c, m, mx::sqrt(mx::abs(in[0])));
  mx::array l = mx::logaddexp(w, mx::divide(in[3], in[1]));
  return {mx::add(l, mx::astype(c, mx::float32))};
}

// GPU commands recorded on the default GPU stream while running f.
template <typename F> size_t commands_of(F f) {
  auto& enc = mx::vulkan::encoder(mx::default_stream(kGpu).index);
  size_t before = enc.command_count();
  f();
  return enc.command_count() - before;
}

} // namespace

TEST(VulkanElementwise, FusedRegionIsOnePassAndMatchesTheUnfusedKernels) {
  REQUIRE_GPU();
  std::vector<float> v(36);
  for (int k = 0; k < 36; ++k) {
    v[k] = 0.37f * float((k * 7) % 17) - 2.9f;
  }
  float inf = std::numeric_limits<float>::infinity();
  v[5] = std::nanf("");
  v[11] = inf;
  v[17] = -inf;
  v[23] = -0.0f;
  mx::array x(v.data(), {6, 6}, mx::float32);
  mx::array y = mx::transpose(x);             // strided
  mx::array s = mx::array(0.25f);             // a scalar
  mx::array b = mx::slice(x, {1, 0}, {2, 6}); // one row, broadcast
  b = mx::reshape(b, {6});
  std::vector<mx::array> in{x, y, s, b};
  auto compiled = mx::compile(float_region);
  std::vector<mx::array> fused;
  size_t commands = commands_of(
      [&] { fused = on_device(kGpu, [&] { return compiled(in); }); });
  // One dispatch per region: the compiler makes the mask a region of its
  // own (a bool output) that the float region reads.
  EXPECT_EQ(commands, 2u);
  auto unfused = on_device(kGpu, [&] { return float_region(in); });
  expect_same(fused[0], unfused[0]); // the same math, bit for bit
  auto cpu = on_device(kCpu, [&] { return compiled(in); });
  expect_match(fused[0], cpu[0], 1e-6);
}

TEST(VulkanElementwise, RegionsBeyondTheFusedLimitsRunStepByStep) {
  REQUIRE_GPU();
  // Seven inputs: more than fused.comp binds.
  auto seven = mx::compile([](const std::vector<mx::array>& in) {
    mx::array acc = in[0];
    for (size_t k = 1; k < in.size(); ++k) {
      acc = mx::add(mx::multiply(acc, mx::array(0.5f)), in[k]);
    }
    return std::vector<mx::array>{acc};
  });
  std::vector<mx::array> in;
  for (int k = 0; k < 7; ++k) {
    in.push_back(mx::full({5, 3}, float(k) - 2.5f, mx::float32, kCpu));
  }
  auto gpu = on_device(kGpu, [&] { return seven(in); });
  auto cpu = on_device(kCpu, [&] { return seven(in); });
  expect_match(gpu[0], cpu[0], 1e-6);
  // Forty steps: more values than fused.comp keeps.
  auto long_chain = mx::compile([](const std::vector<mx::array>& in) {
    mx::array acc = in[0];
    for (int k = 0; k < 40; ++k) {
      acc = k % 2 ? mx::sin(acc) : mx::add(acc, in[1]);
    }
    return std::vector<mx::array>{acc};
  });
  auto g2 = on_device(kGpu, [&] { return long_chain({in[0], in[1]}); });
  auto c2 = on_device(kCpu, [&] { return long_chain({in[0], in[1]}); });
  expect_match(g2[0], c2[0], 1e-5);
}

TEST(VulkanElementwise, GradientsOfMnistOpsMatchTheCpu) {
  REQUIRE_GPU();
  // relu (maximum), exp/log (log-softmax), multiply, divide, where: the
  // vjps run on the default device.
  auto loss = [](const std::vector<mx::array>& in) {
    mx::array h = mx::maximum(mx::multiply(in[0], in[1]), mx::array(0.0f));
    mx::array e = mx::exp(mx::subtract(h, mx::array(1.0f)));
    mx::array l = mx::log(mx::add(e, mx::array(1.0f)));
    mx::array q = mx::divide(l, mx::add(mx::square(in[1]), mx::array(1.0f)));
    mx::array w =
        mx::where(mx::greater(in[0], mx::array(0.0f)), q, mx::negative(q));
    // No sum (Reduce has no GPU kernel yet): the vjp starts from a
    // cotangent of ones instead.
    return std::vector<mx::array>{w};
  };
  std::vector<float> xv, wv;
  for (int k = 0; k < 45; ++k) {
    xv.push_back(0.13f * float(k % 11) - 0.6f);
    wv.push_back(0.07f * float((k * 5) % 13) - 0.4f);
  }
  mx::array x(xv.data(), {5, 9}, mx::float32),
      w(wv.data(), {5, 9}, mx::float32);
  auto grads = [&](mx::Device d) {
    return on_device(d, [&] {
      auto [out, vjps] = mx::vjp(loss, {x, w}, {mx::ones({5, 9}, mx::float32)});
      std::vector<mx::array> all = vjps;
      all.push_back(out[0]);
      return all;
    });
  };
  auto g = grads(kGpu), c = grads(kCpu);
  ASSERT_EQ(g.size(), c.size());
  for (size_t k = 0; k < g.size(); ++k) {
    SCOPED_TRACE(::testing::Message() << "output " << k);
    expect_match(g[k], c[k], 4e-6);
  }
}

TEST(VulkanElementwise, UnsupportedDtypesAreClearErrors) {
  REQUIRE_GPU();
  mx::array c = mx::astype(mx::array({1.0f, 2.0f}), mx::complex64, kCpu);
  try {
    mx::eval(mx::abs(c, kGpu));
    FAIL() << "expected an exception";
  } catch (const std::exception& e) {
    EXPECT_NE(
        std::string(e.what()).find(
            "complex64 is not supported on the Vulkan backend"),
        std::string::npos)
        << e.what();
  }
  // The CPU's own refusal (floats have no bitwise ops), same message.
  mx::array f = mx::array({1.0f});
  EXPECT_ANY_THROW(mx::eval(mx::bitwise_and(f, f, kGpu)));
}
