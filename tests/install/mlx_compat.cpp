// Compiles (as C++17, against the installed package) the way MLX users
// write calls to MLX's public C++ API: braced lists with a dtype, braced
// lists of arrays, scalars where MLX takes scalars, default arguments
// omitted. Each declaration of MLX's headers that this package provides is
// called at least once; docs/mlx_api.md lists them. The program prints a
// few values that run_install_test.sh compares with mlx_compat.expected.
#include <cmath>
#include <filesystem>
#include <iostream>
#include <type_traits>

#include "mlx/mlx.h"

namespace mx = mlx::core;

// Value-changing implicit conversions must not compile.
static_assert(!std::is_convertible_v<double, mx::array>);
static_assert(!std::is_convertible_v<float, mx::array>);
static_assert(!std::is_convertible_v<int, mx::array>);
static_assert(std::is_same_v<decltype(mx::float16.size()), uint8_t>);
static_assert(mx::float32.val() == mx::Dtype::Val::float32);
static_assert(mx::float16.size() == 2);
static_assert(std::is_same_v<
              mx::Dtype::Category,
              std::remove_cv_t<decltype(mx::floating)>>);

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::cout << "FAILED: " << what << std::endl;
    ++failures;
  }
}

float item(const mx::array& a) {
  auto b = mx::astype(a, mx::float32);
  return b.item<float>();
}

void dtypes_and_arrays() {
  // The float list keeps its values whatever the target dtype.
  mx::array h({0.5f}, mx::float16);
  check(item(h) == 0.5f, "array({0.5f}, float16)");
  float v = 0.25f; // a non-constant float list keeps its values too
  mx::array hv({v, 2 * v}, mx::float16);
  check(item(mx::sum(hv)) == 0.75f, "array({v, 2 * v}, float16)");
  mx::array d({1.5, 2.5}, mx::float32);
  check(d.dtype() == mx::float32 && item(mx::sum(d)) == 4.0f, "double list");
  mx::array i({1.5, 2.5}, mx::int32); // explicit dtype: truncates as MLX
  check(item(mx::sum(i)) == 3.0f, "array({1.5, 2.5}, int32)");
  mx::array ints({1, 2, 3}, mx::float32);
  check(ints.dtype() == mx::float32, "int list with dtype");
  mx::array shaped({1.0f, 2.0f, 3.0f, 4.0f}, {2, 2});
  mx::array shaped16({1.0f, 2.0f, 3.0f, 4.0f}, {2, 2}, mx::bfloat16);
  check(shaped16.dtype() == mx::bfloat16, "list, shape, dtype");
  mx::array empty({}, mx::float32);
  check(empty.size() == 0, "array({}, float32)");
  mx::array s(2.5f);
  mx::array sb(true);
  mx::array c(mx::complex64_t{1.0f, 2.0f});
  check(c.dtype() == mx::complex64, "complex scalar");
  std::vector<float> buf{1, 2, 3, 4};
  mx::array from_it(buf.begin(), {2, 2});
  mx::array from_ptr(
      static_cast<void*>(buf.data()), {4}, mx::float32, [](void*) {});
  check(item(mx::sum(from_ptr)) == 10.0f, "array(void*, ...)");
  (void)s.itemsize();
  (void)s.nbytes();
  (void)shaped.ndim();
  (void)shaped.shape(0);
  (void)shaped.strides(-1);
  (void)shaped.dtype().size();
  check(mx::size_of(mx::float64) == 8, "size_of");
  check(mx::issubdtype(mx::float16, mx::floating), "issubdtype");
  check(mx::promote_types(mx::int32, mx::float16) == mx::float16, "promote");
  (void)mx::kindof(mx::int8);
  check(mx::finfo(mx::float16).max == 65504.0, "finfo");
  check(
      mx::iinfo(mx::int8).min == -128 && mx::iinfo(mx::uint8).max == 255,
      "iinfo");
  check(mx::result_type(ints, h) == mx::float32, "result_type");
  check(mx::result_type({ints, h, d}) == mx::float32, "result_type(vector)");
}

void ops() {
  auto a = mx::arange(6.0f);
  auto m = mx::reshape(mx::arange(12), {3, 4});
  auto f = mx::astype(m, mx::float32);
  mx::eval(a, m, f);
  mx::eval({a, m});
  mx::async_eval(a);
  // Creation.
  (void)mx::arange(0, 10, 2);
  (void)mx::arange(0.0, 1.0, 0.25, mx::float32);
  (void)mx::linspace(0.0, 1.0);
  (void)mx::linspace(0.0, 1.0, 4, false);
  (void)mx::full({2, 2}, 1.5f);
  (void)mx::full({2, 2}, 1, mx::float16);
  (void)mx::full({2, 2}, mx::array(2.0f));
  (void)mx::full_like(f, 3.0f);
  (void)mx::full_like(f, 3, mx::int32);
  (void)mx::zeros({2});
  (void)mx::zeros_like(f, mx::int32);
  (void)mx::ones({2}, mx::int8);
  (void)mx::ones_like(f, mx::bool_);
  (void)mx::eye(3);
  (void)mx::identity(2);
  (void)mx::tri(3, mx::float32);
  (void)mx::tril(f);
  (void)mx::triu(f, 1);
  (void)mx::hanning(5);
  (void)mx::hamming(5);
  (void)mx::blackman(5);
  (void)mx::bartlett(5);
  (void)mx::meshgrid({a, a});
  // Shapes.
  (void)mx::flatten(f);
  (void)mx::flatten(f, 0, -1);
  (void)mx::unflatten(a, 0, {2, 3});
  (void)mx::squeeze(mx::expand_dims(a, 0));
  (void)mx::expand_dims(a, {0, 2});
  (void)mx::flip(f);
  (void)mx::flip(f, 1);
  (void)mx::flip(f, {0, 1});
  (void)mx::slice(f, {0, 0}, {2, 2});
  (void)mx::slice(f, {0, 0}, {3, 4}, {2, 2});
  (void)mx::slice_update(f, mx::array(0.0f), {0, 0}, {1, 1});
  (void)mx::slice_update_add(f, mx::array(1.0f), {0, 0}, {1, 1});
  (void)mx::slice_update_prod(f, mx::array(1.0f), {0, 0}, {3, 4}, {1, 2});
  (void)mx::slice_update_max(f, mx::array(1.0f), {0, 0}, {1, 1});
  (void)mx::slice_update_min(f, mx::array(1.0f), {0, 0}, {1, 1});
  (void)mx::number_of_elements(f, {0}, true, mx::float32);
  (void)mx::split(a, 2);
  (void)mx::split(f, {1, 2}, 1);
  (void)mx::concatenate({a, a});
  (void)mx::concatenate({f, f}, 1);
  (void)mx::stack({a, a});
  (void)mx::stack({a, a}, 1);
  auto parts = mx::unstack(f);
  check(parts.size() == 3, "unstack");
  (void)mx::unstack(f, 1);
  (void)mx::repeat(a, 2);
  (void)mx::tile(a, {2});
  (void)mx::transpose(f);
  (void)mx::transpose(f, {1, 0});
  (void)mx::swapaxes(f, 0, 1);
  (void)mx::moveaxis(f, 0, 1);
  (void)mx::pad(f, 1);
  (void)mx::pad(f, {1, 2});
  (void)mx::broadcast_to(a, {2, 6});
  (void)mx::broadcast_arrays({mx::ones({4}), f});
  (void)mx::atleast_1d(mx::array(1.0f));
  (void)mx::atleast_2d({a, a});
  (void)mx::roll(a, 1);
  (void)mx::diagonal(f);
  (void)mx::diag(a);
  (void)mx::trace(f);
  (void)mx::view(f, mx::int32);
  (void)mx::as_strided(f, {2, 2}, {4, 1}, 0);
  (void)mx::copy(f);
  (void)mx::astype(f, mx::float16);
  (void)mx::stop_gradient(f);
  // Element-wise.
  (void)mx::abs(f);
  (void)mx::positive(f);
  (void)mx::negative(f);
  (void)mx::sign(f);
  (void)mx::logical_not(f);
  (void)mx::logical_and(f, f);
  (void)mx::logical_or(f, f);
  (void)mx::logical_xor(f, f);
  (void)mx::reciprocal(f);
  (void)mx::add(f, f);
  (void)mx::subtract(f, mx::array(1.0f));
  (void)mx::multiply(mx::array(2), f);
  (void)mx::divide(f, mx::array(2.0));
  (void)(1.0 / f);
  (void)(f / 2.0);
  (void)mx::divmod(f, f);
  (void)mx::floor_divide(f, f);
  (void)mx::remainder(f, f);
  (void)mx::maximum(f, mx::array(0.5f));
  (void)mx::minimum(f, mx::array(0.5f));
  (void)mx::floor(f);
  (void)mx::ceil(f);
  (void)mx::trunc(f);
  (void)mx::round(f);
  (void)mx::round(f, 1);
  (void)mx::square(f);
  (void)mx::exp(f);
  (void)mx::sin(f);
  (void)mx::cos(f);
  (void)mx::tan(f);
  (void)mx::arcsin(f);
  (void)mx::arctan2(f, f);
  (void)mx::sinh(f);
  (void)mx::degrees(f);
  (void)mx::radians(f);
  (void)mx::log(f);
  (void)mx::log2(f);
  (void)mx::log10(f);
  (void)mx::log1p(f);
  (void)mx::logaddexp(f, f);
  (void)mx::sigmoid(f);
  (void)mx::erf(f);
  (void)mx::erfinv(f);
  (void)mx::expm1(f);
  (void)mx::sqrt(f);
  (void)mx::rsqrt(f);
  (void)mx::power(f, mx::array(2.0f));
  (void)mx::conjugate(f);
  (void)mx::real(f);
  (void)mx::imag(f);
  (void)mx::where(f > 2, f, mx::array(0.0f));
  (void)mx::nan_to_num(f);
  (void)mx::clip(f, mx::array(1.0f), mx::array(2.0f));
  (void)mx::clip(f, mx::array(1.0f));
  (void)mx::isnan(f);
  (void)mx::isinf(f);
  (void)mx::isfinite(f);
  (void)mx::isposinf(f);
  (void)mx::isneginf(f);
  (void)mx::isclose(f, f);
  (void)mx::allclose(f, f);
  (void)mx::array_equal(f, f);
  (void)mx::array_equal(f, f, true);
  (void)mx::equal(f, f);
  (void)mx::not_equal(f, f);
  (void)mx::greater(f, f);
  (void)mx::less_equal(f, f);
  (void)mx::bitwise_and(m, m);
  (void)mx::bitwise_or(m, m);
  (void)mx::bitwise_xor(m, m);
  (void)mx::bitwise_invert(m);
  (void)mx::left_shift(m, m);
  (void)mx::right_shift(m, m);
  (void)(f + f - 1.0f * f / 2.0);
  (void)(m % 3 == 0 || m >= 2);
  (void)((m & 1) | (m ^ 2) | (m << 1) | (m >> 1));
  (void)(!(m > 1) && (m < 5) && (m <= 5) && (m != 3));
  (void)(-f);
  (void)(~m);
  // Reductions, scans, sorts.
  (void)mx::all(f);
  (void)mx::any(f, 0);
  (void)mx::sum(f, {0, 1}, true);
  (void)mx::prod(f);
  (void)mx::max(f, 1);
  (void)mx::min(f);
  (void)mx::mean(f);
  (void)mx::var(f, 0, false, 1);
  (void)mx::std(f);
  (void)mx::median(f);
  (void)mx::median(f, 1);
  (void)mx::median(f, {0, 1}, true);
  (void)mx::count_nonzero(f);
  (void)mx::count_nonzero(f, 1);
  (void)mx::count_nonzero(f, {0, 1}, true);
  (void)mx::logsumexp(f, 1);
  (void)mx::softmax(f, 1);
  (void)mx::softmax(f, true);
  (void)mx::argmax(f);
  (void)mx::argmin(f, 1);
  (void)mx::cumsum(f);
  (void)mx::cumsum(f, 1, false, true, mx::float64);
  (void)mx::cumprod(f, 1);
  (void)mx::cummax(f);
  (void)mx::cummin(f, 0, true);
  (void)mx::logcumsumexp(f, 1);
  (void)mx::sort(f);
  (void)mx::sort(f, 1);
  (void)mx::argsort(f, 0);
  (void)mx::partition(a, 2);
  (void)mx::argpartition(a, 2, 0);
  (void)mx::topk(a, 2);
  (void)mx::searchsorted(a, mx::array({2.5f, 7.0f}));
  (void)mx::searchsorted(a, mx::array(2.0f), "right");
  (void)mx::diff(a);
  (void)mx::diff(f, 2, 0);
  // Products.
  (void)mx::matmul(f, mx::transpose(f));
  (void)mx::addmm(f, f, mx::eye(4));
  (void)mx::inner(a, a);
  (void)mx::outer(a, a);
  (void)mx::tensordot(f, f, {1}, {1});
  (void)mx::tensordot(f, mx::transpose(f), 1);
  (void)mx::kron(f, f);
  (void)mx::vecdot(f, f);
  (void)mx::vecdot(f, f, 0);
  // Indexing.
  auto idx = mx::array({0, 2});
  (void)mx::take(f, idx, 0);
  (void)mx::take(f, 1);
  (void)mx::take_along_axis(f, mx::argsort(f, 1), 1);
  (void)mx::put_along_axis(
      f, mx::zeros({3, 1}, mx::int32), mx::zeros({3, 1}), 1);
  (void)mx::gather(f, idx, 0, {1, 4});
  (void)mx::gather(f, {idx, idx}, {0, 1}, {1, 1});
  (void)mx::scatter(f, idx, mx::zeros({2, 1, 4}), 0);
  (void)mx::scatter_add(f, {idx}, mx::ones({2, 1, 4}), {0});
  (void)mx::scatter_prod(f, idx, mx::ones({2, 1, 4}), 0);
  (void)mx::scatter_max(f, idx, mx::ones({2, 1, 4}), 0);
  (void)mx::scatter_min(f, idx, mx::ones({2, 1, 4}), 0);
  // Convolution.
  auto img = mx::ones({1, 5, 5, 1});
  (void)mx::conv2d(img, mx::ones({1, 3, 3, 1}));
  (void)mx::conv1d(mx::ones({1, 5, 1}), mx::ones({1, 3, 1}), 1, 1);
}

void transforms() {
  auto fn = [](const mx::array& x) { return mx::sum(mx::square(x)); };
  auto x = mx::array({1.0f, 2.0f});
  auto g = mx::grad(fn)(x);
  check(item(mx::sum(g)) == 6.0f, "grad");
  auto [v, dv] = mx::value_and_grad(fn)(x);
  check(item(v) == 5.0f, "value_and_grad");
  (void)dv;
  auto vecfn = [](const std::vector<mx::array>& xs) {
    return std::vector<mx::array>{mx::sum(xs[0] * xs[1])};
  };
  (void)mx::vjp(vecfn, {x, x}, {mx::array(1.0f)});
  (void)mx::jvp(vecfn, {x, x}, {x, x});
  (void)mx::vjp(fn, x, mx::array(1.0f));
  (void)mx::jvp(fn, x, x);
  (void)mx::value_and_grad(vecfn, {0, 1});
  (void)mx::grad(
      [](const std::vector<mx::array>& xs) { return mx::sum(xs[0]); }, 0);
  (void)mx::vmap(fn)(mx::ones({3, 2}));
  (void)mx::vmap([](const mx::array& a, const mx::array& b) { return a * b; })(
      x, x);
  (void)mx::vmap(vecfn, {0, 0})({mx::ones({3, 2}), mx::ones({3, 2})});
  auto compiled = mx::compile(vecfn);
  (void)compiled({x, x});
  mx::disable_compile();
  mx::enable_compile();
  (void)mx::checkpoint(vecfn)({x, x});
  (void)mx::custom_vjp(
      vecfn,
      [](const std::vector<mx::array>& primals,
         const std::vector<mx::array>&,
         const std::vector<mx::array>&) { return primals; });
}

void random_and_rest() {
  auto key = mx::random::key(0);
  mx::random::seed(1);
  (void)mx::random::split(key);
  (void)mx::random::split(key, 3);
  (void)mx::random::bits({2});
  (void)mx::random::uniform({2});
  (void)mx::random::uniform(0.0f, 1.0f, {2});
  (void)mx::random::uniform({2}, mx::float16, key);
  (void)mx::random::normal({2});
  (void)mx::random::normal({2}, 0.0f, 2.0f);
  (void)mx::random::randint(0, 10, {3});
  (void)mx::random::bernoulli(0.5f, {3});
  (void)mx::random::bernoulli();
  (void)mx::random::truncated_normal(mx::array(-1.0f), mx::array(1.0f), {2});
  (void)mx::random::gumbel({2});
  (void)mx::random::categorical(mx::zeros({2, 3}));
  (void)mx::random::laplace({2});
  (void)mx::random::permutation(4);
  (void)mx::random::permutation(mx::arange(4));
  // fast.
  auto x = mx::ones({2, 4});
  (void)mx::fast::rms_norm(x, mx::ones({4}), 1e-5f);
  (void)mx::fast::layer_norm(x, std::nullopt, std::nullopt, 1e-5f);
  (void)mx::fast::rope(mx::ones({1, 2, 4}), 4, false, 10000.0f, 1.0f, 0);
  auto q = mx::ones({1, 1, 2, 4});
  (void)mx::fast::scaled_dot_product_attention(q, q, q, 0.5f);
  (void)mx::fast::scaled_dot_product_attention(q, q, q, 0.5f, "causal");
  // I/O.
  std::string dir = std::filesystem::temp_directory_path().string();
  mx::save(dir + "/mlx_compat.npy", x);
  check(item(mx::sum(mx::load(dir + "/mlx_compat.npy"))) == 8.0f, "npy");
  mx::save_safetensors(dir + "/mlx_compat.safetensors", {{"x", x}});
  auto [weights, meta] = mx::load_safetensors(dir + "/mlx_compat.safetensors");
  check(weights.count("x") == 1 && meta.empty(), "safetensors");
  mx::save_gguf(
      dir + "/mlx_compat.gguf", {{"x", x}}, {{"k", std::string("v")}});
  auto [tensors, gguf_meta] = mx::load_gguf(dir + "/mlx_compat.gguf");
  check(
      tensors.count("x") == 1 &&
          std::get<std::string>(gguf_meta.at("k")) == "v",
      "gguf");
  // Exporting functions: to a file and imported, and to a callback, as
  // MLX's export.h declares them.
  auto twice = [](const mx::Args& args) {
    return std::vector<mx::array>{mx::multiply(args[0], mx::array(2.0f))};
  };
  mx::export_function(dir + "/mlx_compat.mlxfn", twice, {x});
  auto imported = mx::import_function(dir + "/mlx_compat.mlxfn");
  check(
      mx::array_equal(imported({x})[0], twice({x})[0]).item<bool>(),
      "import_function");
  int primitives = 0;
  mx::ExportCallback callback = [&](const mx::ExportCallbackInput& event) {
    if (std::get<std::string>(event.at("type")) == "primitive") {
      ++primitives;
    }
  };
  mx::export_function(callback, twice, {x});
  int per_trace = primitives;
  auto traces = mx::exporter(callback, twice);
  traces({x});
  check(
      per_trace > 0 && primitives == 2 * per_trace,
      "export_function with a callback");
  // Memory, devices, streams.
  (void)mx::get_active_memory();
  (void)mx::get_peak_memory();
  mx::reset_peak_memory();
  (void)mx::get_cache_memory();
  (void)mx::set_cache_limit(mx::get_memory_limit());
  mx::clear_cache();
  (void)mx::is_available(mx::Device::cpu);
  mx::Device cpu = mx::default_device();
  check(cpu == mx::Device::cpu, "device == type");
  mx::set_default_device(cpu);
  auto st = mx::new_stream(cpu);
  (void)mx::default_stream(cpu);
  mx::synchronize(st);
  mx::synchronize();
  (void)mx::add(x, x, st);
  (void)mx::add(x, x, cpu);
  mx::StreamContext ctx(st);
  // Distributed.
  check(mx::distributed::is_available(), "distributed::is_available()");
  check(mx::distributed::is_available("ring"), "is_available(ring)");
  auto world = mx::distributed::init();
  check(world.size() >= 1, "init");
  auto summed = mx::distributed::all_sum(x);
  (void)mx::distributed::all_gather(x);
  (void)mx::distributed::all_max(x, world);
  (void)mx::distributed::all_min(x);
  check(item(mx::sum(summed)) == 8.0f * world.size(), "all_sum");
}

} // namespace

int main() {
  dtypes_and_arrays();
  ops();
  transforms();
  random_and_rest();
  // Values users see (NumPy gives the same numbers).
  auto a = mx::array({1.0f, 3.0f, 6.0f, 10.0f});
  std::cout << mx::diff(a) << "\n";
  std::cout << mx::median(mx::array({3.0f, 1.0f, 2.0f, 8.0f})) << "\n";
  std::cout << mx::searchsorted(a, mx::array({3.0f, 7.0f})) << "\n";
  std::cout << mx::count_nonzero(mx::array({0, 1, 2, 0})) << "\n";
  std::cout << mx::array({0.5f}, mx::float16) << "\n";
  std::cout << mx::scatter_add(
                   mx::zeros({3}), mx::array({0, 0, 2}), mx::ones({3, 1}), 0)
            << "\n";
  std::cout << mx::logical_xor(mx::array({true, false}), mx::array(true))
            << "\n";
  std::cout << (failures == 0 ? "ok" : "FAILED") << std::endl;
  return failures == 0 ? 0 : 1;
}
