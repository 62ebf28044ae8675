// Transform rules of the FFT primitive: vjp and jvp of every transform kind
// (complex forward and inverse, real forward and inverse of even and odd
// lengths, several axes, padding and cropping, norms) against central
// finite differences, and vmap against a loop over the batch. Complex
// values enter as (real, imaginary) pairs and leave as their concatenation,
// so that the checks see real functions; the transforms compute in float32,
// hence the wide step (they are linear: exact differences up to rounding).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "grad_check.h"

namespace {

using namespace mlx_test;
namespace fft = mx::fft;
using N = fft::FFTNorm;

mx::array complex_of(const mx::array& re, const mx::array& im) {
  return mx::add(
      mx::astype(re, mx::complex64),
      mx::multiply(
          mx::astype(im, mx::complex64),
          mx::array(mx::complex64_t(0.0f, 1.0f))));
}

// Real and imaginary parts side by side (a real result passes as is).
mx::array split(const mx::array& z) {
  if (z.dtype() != mx::complex64) {
    return z;
  }
  return mx::concatenate({mx::real(z), mx::imag(z)}, -1);
}

using ComplexFn = std::function<mx::array(const mx::array&)>;

// f of a complex input built from two real ones.
Fn of_complex(ComplexFn f) {
  return binary(
      [f](auto& re, auto& im) { return split(f(complex_of(re, im))); });
}
// f of a real input.
Fn of_real(ComplexFn f) {
  return unary([f](auto& x) { return split(f(x)); });
}

constexpr double kTol = 2e-3;
constexpr double kEps = 1e-2;

TEST(GradFFT, ComplexTransformsMatchFiniteDifferences) {
  auto re = random_input({3, 5}, 1), im = random_input({3, 5}, 2);
  std::vector<std::pair<std::string, ComplexFn>> cases = {
      {"fft", [](auto& z) { return fft::fft(z); }},
      {"ifft axis 0", [](auto& z) { return fft::ifft(z, 0); }},
      {"fft ortho", [](auto& z) { return fft::fft(z, -1, N::Ortho); }},
      {"fft2 pad and crop",
       [](auto& z) {
         return fft::fft2(z, {2, 7}, {0, 1});
       }},
      {"ifftn forward norm",
       [](auto& z) {
         return fft::ifftn(z, {0, 1}, N::Forward);
       }},
  };
  for (auto& [name, f] : cases) {
    check_grads(name, of_complex(f), {re, im}, kTol, kEps);
  }
}

TEST(GradFFT, RealTransformsMatchFiniteDifferences) {
  // rfft of even (6) and odd (5) lengths, padded, and over two axes.
  std::vector<std::pair<std::string, ComplexFn>> real_in = {
      {"rfft even", [](auto& x) { return fft::rfft(x); }},
      {"rfft odd", [](auto& x) { return fft::rfft(x, 5, -1); }},
      {"rfft padded", [](auto& x) { return fft::rfft(x, 9, -1); }},
      {"rfft axis 0", [](auto& x) { return fft::rfft(x, 0); }},
      {"rfft2", [](auto& x) { return fft::rfft2(x); }},
      {"rfftn ortho",
       [](auto& x) {
         return fft::rfftn(x, {1, 0}, N::Ortho);
       }},
  };
  auto x = random_input({4, 6}, 3);
  for (auto& [name, f] : real_in) {
    check_grads(name, of_real(f), {x}, kTol, kEps);
  }
  // irfft from 4 bins to even (6) and odd (7) lengths, and over two axes.
  std::vector<std::pair<std::string, ComplexFn>> real_out = {
      {"irfft even", [](auto& z) { return fft::irfft(z); }},
      {"irfft odd", [](auto& z) { return fft::irfft(z, 7, -1); }},
      {"irfft cropped", [](auto& z) { return fft::irfft(z, 4, -1); }},
      {"irfft2", [](auto& z) { return fft::irfft2(z); }},
      {"irfftn odd forward norm",
       [](auto& z) {
         return fft::irfftn(z, {3, 5}, {0, 1}, N::Forward);
       }},
  };
  auto re = random_input({3, 4}, 4), im = random_input({3, 4}, 5);
  for (auto& [name, f] : real_out) {
    check_grads(name, of_complex(f), {re, im}, kTol, kEps);
  }
}

TEST(GradFFT, VmapMatchesLoop) {
  auto re = random_input({2, 3, 5}, 6), im = random_input({2, 3, 5}, 7);
  auto x = random_input({2, 3, 6}, 8);
  std::vector<std::pair<std::string, ComplexFn>> complex_in = {
      {"fft", [](auto& z) { return fft::fft(z); }},
      {"ifft axis 0", [](auto& z) { return fft::ifft(z, 0); }},
      {"fft2", [](auto& z) { return fft::fft2(z); }},
      {"irfft odd", [](auto& z) { return fft::irfft(z, 9, -1); }},
      {"irfft axis 0", [](auto& z) { return fft::irfft(z, 0); }},
  };
  for (auto& [name, f] : complex_in) {
    for (int ax : {0, 1, 2}) {
      check_vmap(
          name + " in_axis " + std::to_string(ax),
          of_complex(f),
          {re, im},
          {ax, ax},
          {0},
          1e-6);
    }
  }
  std::vector<std::pair<std::string, ComplexFn>> real_in = {
      {"rfft", [](auto& x) { return fft::rfft(x); }},
      {"rfft2 padded",
       [](auto& x) {
         return fft::rfft2(x, {4, 5}, {0, 1});
       }},
  };
  for (auto& [name, f] : real_in) {
    for (int ax : {0, 1, 2}) {
      check_vmap(
          name + " in_axis " + std::to_string(ax),
          of_real(f),
          {x},
          {ax},
          {0},
          1e-6);
    }
  }
}

TEST(GradFFT, SecondOrderThroughVjp) {
  // The vjp of a transform is built of transforms: differentiate it again.
  auto vjp_of_rfft = unary([](const mx::array& c) {
    auto g = mx::vjp(
        [](const std::vector<mx::array>& in) {
          return std::vector<mx::array>{split(fft::rfft(in[0], 7, -1))};
        },
        {mx::astype(mx::ones({6}), mx::float32)},
        {c});
    return g.second[0];
  });
  check_grads("vjp of rfft", vjp_of_rfft, {random_input({8}, 10)}, kTol, kEps);
}

} // namespace
