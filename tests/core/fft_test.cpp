// mlx::core::fft forward values: 1-D transforms against a direct O(n^2)
// DFT in double on lengths 1, 2, primes (small, and large ones that take
// Bluestein's path), powers of two and products of small primes, real and
// complex; round trips; the n-D forms, n / s / axes and norms against
// NumPy (fft_numpy.py writes its results to an .npz); shifts, frequencies,
// and the errors of bad arguments; batches through the SIMD-lane path.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <unistd.h>

#include "test_utils.h"

namespace {

using namespace mlx_test;
namespace fft = mx::fft;
namespace fs = std::filesystem;
using cd = std::complex<double>;

std::vector<cd> random_values(size_t n, uint32_t seed, bool complex) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<cd> v(n);
  for (auto& x : v) {
    x = cd(u(gen), complex ? u(gen) : 0.0);
  }
  return v;
}

mx::array to_array(const std::vector<cd>& v, mx::Shape shape, bool complex) {
  if (complex) {
    std::vector<mx::complex64_t> c(v.begin(), v.end());
    return mx::array(c.begin(), shape, mx::complex64);
  }
  std::vector<float> r;
  for (auto& x : v) {
    r.push_back(float(x.real()));
  }
  return mx::array(r.begin(), shape, mx::float32);
}

// The DFT of x in double; sign -1 forward, +1 inverse (unscaled).
std::vector<cd> direct_dft(const std::vector<cd>& x, int sign) {
  size_t n = x.size();
  std::vector<cd> roots(n);
  for (size_t k = 0; k < n; ++k) {
    double angle = sign * 2 * M_PI * double(k) / double(n);
    roots[k] = cd(std::cos(angle), std::sin(angle));
  }
  std::vector<cd> out(n);
  for (size_t k = 0; k < n; ++k) {
    cd acc = 0;
    for (size_t j = 0; j < n; ++j) {
      acc += x[j] * roots[(j * k) % n];
    }
    out[k] = acc;
  }
  return out;
}

// Max |got - want| relative to the largest |want|.
double max_error(mx::array got, const std::vector<cd>& want) {
  auto g = to_complex(got);
  EXPECT_EQ(g.size(), want.size());
  double err = 0, scale = 1e-30;
  for (size_t i = 0; i < g.size() && i < want.size(); ++i) {
    err = std::max(err, std::abs(g[i] - want[i]));
    scale = std::max(scale, std::abs(want[i]));
  }
  return err / scale;
}

// float32 error grows like log n (and a little more through Bluestein).
double tol_for(int n) {
  return 2e-6 * (4 + std::log2(double(n)));
}

// 56 and 176: a radix-7 / radix-11 pass over 8 interleaved sequences, so
// taken packed 8 values at a time (fft_plan.cpp).
const std::vector<int> kLengths = {
    1,   2,   3,    4,    5,    7,    8,    11,   13,   16,
    17,  30,  56,   64,   97,   120,  127,  176,  210,  243,
    256, 625, 1000, 1009, 1024, 2018, 2310, 3001, 4096, 4099};

TEST(FFT, ComplexMatchesDirectDFT) {
  for (int n : kLengths) {
    SCOPED_TRACE("n = " + std::to_string(n));
    auto x = random_values(n, n, true);
    auto a = to_array(x, {n}, true);
    EXPECT_LT(max_error(fft::fft(a), direct_dft(x, -1)), tol_for(n));
    auto inv = direct_dft(x, 1);
    for (auto& v : inv) {
      v /= n;
    }
    EXPECT_LT(max_error(fft::ifft(a), inv), tol_for(n));
    EXPECT_LT(max_error(fft::ifft(fft::fft(a)), x), tol_for(n));
  }
}

TEST(FFT, RealMatchesDirectDFT) {
  for (int n : kLengths) {
    SCOPED_TRACE("n = " + std::to_string(n));
    auto x = random_values(n, 7 * n, false);
    auto a = to_array(x, {n}, false);
    auto full = direct_dft(x, -1);
    std::vector<cd> half(full.begin(), full.begin() + n / 2 + 1);
    auto y = fft::rfft(a);
    EXPECT_EQ(y.shape(), mx::Shape({n / 2 + 1}));
    EXPECT_EQ(y.dtype(), mx::complex64);
    EXPECT_LT(max_error(y, half), tol_for(n));
    auto back = fft::irfft(y, n, -1);
    EXPECT_EQ(back.dtype(), mx::float32);
    EXPECT_LT(max_error(back, x), tol_for(n));
  }
}

TEST(FFT, IrfftIgnoresImaginaryPartsOfSelfConjugateBins) {
  // NumPy (pocketfft) drops Im of bin 0 and, for even n, of bin n / 2.
  auto bins = to_array({{1, 5}, {2, -1}, {3, 4}}, {3}, true);
  auto even = direct_dft({1, {2, -1}, 3, {2, 1}}, 1);
  for (auto& v : even) {
    v /= 4;
  }
  EXPECT_LT(max_error(fft::irfft(bins), even), 1e-6);
  auto odd = direct_dft({1, {2, -1}, {3, 4}, {3, -4}, {2, 1}}, 1);
  for (auto& v : odd) {
    v /= 5;
  }
  EXPECT_LT(max_error(fft::irfft(bins, 5, -1), odd), 1e-6);
}

TEST(FFT, BatchedLinesAlongEveryAxis) {
  // Each line of a (3, 5, 6) array along each axis against its own DFT.
  auto x = random_values(90, 3, true);
  auto a = to_array(x, {3, 5, 6}, true);
  for (int axis = 0; axis < 3; ++axis) {
    SCOPED_TRACE("axis " + std::to_string(axis));
    auto got = to_complex(fft::fft(a, axis));
    mx::Shape shape = {3, 5, 6};
    mx::Strides strides = {30, 6, 1};
    int n = shape[axis];
    double err = 0;
    for (int i = 0; i < 90; ++i) {
      int pos = (i / strides[axis]) % n;
      if (pos != 0) {
        continue;
      }
      std::vector<cd> line;
      for (int k = 0; k < n; ++k) {
        line.push_back(x[i + k * strides[axis]]);
      }
      auto want = direct_dft(line, -1);
      for (int k = 0; k < n; ++k) {
        err = std::max(err, std::abs(got[i + k * strides[axis]] - want[k]));
      }
    }
    EXPECT_LT(err, 1e-5);
  }
}

TEST(FFT, ThreadedBatchesMatchOneLineAtATime) {
  // 64 lines of 1024 split into chunks over the pool, against each line
  // transformed on its own; also along the first axis and round trips.
  auto x = random_values(64 * 1024, 11, true);
  auto a = to_array(x, {64, 1024}, true);
  auto batched = fft::fft(a);
  auto real_batched = fft::rfft(mx::real(a));
  for (int row : {0, 17, 63}) {
    auto line = mx::slice(a, {row, 0}, {row + 1, 1024});
    auto got = mx::slice(batched, {row, 0}, {row + 1, 1024});
    EXPECT_LT(max_error(got, to_complex(fft::fft(line))), 1e-6);
    auto real_got = mx::slice(real_batched, {row, 0}, {row + 1, 513});
    EXPECT_LT(max_error(real_got, to_complex(fft::rfft(mx::real(line)))), 1e-6);
  }
  EXPECT_LT(max_error(fft::ifft(fft::fft(a, 0), 0), x), 1e-5);
  auto r = mx::real(a);
  EXPECT_LT(
      max_error(fft::irfftn(fft::rfftn(r), r.shape(), {0, 1}), to_complex(r)),
      1e-5);
}

// Lines of a batch go 8 at a time through SIMD lanes (fft.cpp), the rest
// one at a time: 19 lines (two groups of 8 and 3 left over) of lengths that
// take every kind of pass, along the last axis and, strided, along the
// first, each line against its own DFT in double.
TEST(FFT, LaneGroupsMatchDirectDFT) {
  const int lines = 19;
  for (int n : {1, 2, 3, 6, 8, 12, 16, 30, 64, 97, 120, 625, 1000, 1009}) {
    SCOPED_TRACE("n = " + std::to_string(n));
    auto x = random_values(size_t(lines) * n, n + 1, true);
    auto a = to_array(x, {lines, n}, true);
    auto re = mx::real(a);
    auto columns = mx::contiguous(mx::transpose(a)); // (n, lines)
    auto got = to_complex(fft::fft(a));
    auto got_inv = to_complex(fft::ifft(a));
    auto got_real = to_complex(fft::rfft(re));
    auto got_columns = to_complex(fft::fft(columns, 0));
    int bins = n / 2 + 1;
    double err = 0, err_inv = 0, err_real = 0, err_columns = 0;
    for (int i = 0; i < lines; ++i) {
      std::vector<cd> line(x.begin() + i * n, x.begin() + (i + 1) * n);
      std::vector<cd> real_line;
      for (auto& v : line) {
        real_line.push_back(v.real());
      }
      auto want = direct_dft(line, -1);
      auto want_inv = direct_dft(line, 1);
      auto want_real = direct_dft(real_line, -1);
      double scale = 0;
      for (auto& v : want) {
        scale = std::max(scale, std::abs(v));
      }
      for (int k = 0; k < n; ++k) {
        err = std::max(err, std::abs(got[i * n + k] - want[k]) / scale);
        err_inv = std::max(
            err_inv,
            std::abs(double(n) * got_inv[i * n + k] - want_inv[k]) / scale);
        err_columns = std::max(
            err_columns,
            std::abs(got_columns[k * lines + i] - want[k]) / scale);
        if (k < bins) {
          err_real = std::max(
              err_real,
              std::abs(got_real[i * bins + k] - want_real[k]) / scale);
        }
      }
    }
    EXPECT_LT(err, tol_for(n));
    EXPECT_LT(err_inv, tol_for(n));
    EXPECT_LT(err_real, tol_for(n));
    EXPECT_LT(err_columns, tol_for(n));
  }
}

TEST(FFT, StridedInputAndDtypes) {
  auto x = random_values(12, 5, false);
  auto a = to_array(x, {3, 4}, false);
  auto t = mx::transpose(a); // (4, 3), not row-contiguous
  auto want = fft::fft(mx::contiguous(t));
  EXPECT_LT(max_error(fft::fft(t), to_complex(want)), 1e-6);
  // Integer and float64 inputs are cast (complex64 out).
  auto i = mx::array({1, 2, 3, 4}, {4}, mx::int32);
  EXPECT_EQ(fft::fft(i).dtype(), mx::complex64);
  EXPECT_LT(max_error(fft::fft(i), direct_dft({1, 2, 3, 4}, -1)), 1e-6);
  EXPECT_EQ(fft::rfft(mx::astype(i, mx::float64)).dtype(), mx::complex64);
}

TEST(FFT, ShiftsAndFrequencies) {
  auto a = mx::arange(0, 5, mx::float32);
  expect_array_values(fft::fftshift(a), {5}, {3, 4, 0, 1, 2});
  expect_array_values(fft::ifftshift(a), {5}, {2, 3, 4, 0, 1});
  auto b = mx::reshape(mx::arange(0, 6, mx::float32), {2, 3});
  expect_array_values(fft::fftshift(b), {2, 3}, {5, 3, 4, 2, 0, 1});
  expect_array_values(fft::fftshift(b, {1}), {2, 3}, {2, 0, 1, 5, 3, 4});
  expect_array_values(
      fft::ifftshift(fft::fftshift(b)), {2, 3}, {0, 1, 2, 3, 4, 5});
  expect_array_near(
      fft::fftfreq(5, 0.5), {0, 0.4, 0.8, -0.8, -0.4}, {5}, 1e-6, 1e-7);
  expect_array_near(fft::fftfreq(4), {0, 0.25, -0.5, -0.25}, {4}, 1e-6, 1e-7);
  expect_array_near(fft::rfftfreq(5, 2.0), {0, 0.1, 0.2}, {3}, 1e-6, 1e-7);
  expect_array_near(fft::rfftfreq(4), {0, 0.25, 0.5}, {3}, 1e-6, 1e-7);
}

TEST(FFT, BadArguments) {
  auto a = mx::zeros({4, 4}, mx::complex64);
  expect_throws_with_prefix([&] { fft::fft(mx::array(1.0f)); }, "[fftn]");
  expect_throws_with_prefix([&] { fft::fft(a, 2); }, "[fftn]", "Axis 2");
  expect_throws_with_prefix([&] { fft::fft(a, 0, 0); }, "[fftn]", "(0,)");
  expect_throws_with_prefix([&] { fft::ifft(a, -3, 0); }, "[ifftn]", "(-3,)");
  expect_throws_with_prefix(
      [&] {
        fft::fftn(a, {0, 0});
      },
      "[fftn]",
      "duplicate");
  expect_throws_with_prefix(
      [&] {
        fft::fftn(a, {4}, {0, 1});
      },
      "[fftn]",
      "1 lengths n for 2 axes");
  expect_throws_with_prefix([&] { fft::rfft(a); }, "[rfftn]", "complex64");
  expect_throws_with_prefix(
      [&] { fft::irfft(mx::zeros({1}, mx::complex64)); }, "[irfftn]", "1 bins");
  expect_throws_with_prefix([&] { fft::fftfreq(0); }, "[fftfreq]", "got 0");
  expect_throws_with_prefix([&] { fft::rfftfreq(3, 0.0); }, "[rfftfreq]", "d");
  expect_throws_with_prefix(
      [&] { fft::fftshift(a, {2}); }, "[fftshift]", "Axis 2");
}

// ---- n-D forms, n / s / axes and norms against NumPy.

struct Case {
  const char* name;
  const char* input; // "c" (complex64 (4, 6, 5)) or "r" (float32 same)
  std::function<mx::array(const mx::array&)> fun;
};

using N = fft::FFTNorm;

// The same names, inputs and calls as in fft_numpy.py.
std::vector<Case> numpy_cases() {
  return {
      {"fft", "c", [](auto& x) { return fft::fft(x); }},
      {"fft_n_pad", "c", [](auto& x) { return fft::fft(x, 8, 1); }},
      {"fft_n_crop", "c", [](auto& x) { return fft::fft(x, 3, 0); }},
      {"fft_ortho", "c", [](auto& x) { return fft::fft(x, -1, N::Ortho); }},
      {"ifft_forward",
       "c",
       [](auto& x) { return fft::ifft(x, 0, N::Forward); }},
      {"fft2", "c", [](auto& x) { return fft::fft2(x); }},
      {"fft2_s_axes",
       "c",
       [](auto& x) {
         return fft::fft2(x, {3, 7}, {0, 2});
       }},
      {"ifft2", "c", [](auto& x) { return fft::ifft2(x); }},
      {"fftn", "c", [](auto& x) { return fft::fftn(x); }},
      {"fftn_axes",
       "c",
       [](auto& x) {
         return fft::fftn(x, {2, 0});
       }},
      {"fftn_s",
       "c",
       [](auto& x) {
         return fft::fftn(x, {2, 8}, {1, 0});
       }},
      {"ifftn", "c", [](auto& x) { return fft::ifftn(x); }},
      {"ifftn_s_ortho",
       "c",
       [](auto& x) {
         return fft::ifftn(x, {5, 4, 3}, {0, 1, 2}, N::Ortho);
       }},
      {"rfft", "r", [](auto& x) { return fft::rfft(x); }},
      {"rfft_n", "r", [](auto& x) { return fft::rfft(x, 9, 1); }},
      {"rfft_axis0", "r", [](auto& x) { return fft::rfft(x, 0); }},
      {"rfft2", "r", [](auto& x) { return fft::rfft2(x); }},
      {"rfft2_s",
       "r",
       [](auto& x) {
         return fft::rfft2(x, {5, 3}, {2, 0});
       }},
      {"rfftn", "r", [](auto& x) { return fft::rfftn(x); }},
      {"rfftn_forward",
       "r",
       [](auto& x) {
         return fft::rfftn(x, {0, 1}, N::Forward);
       }},
      {"irfft", "c", [](auto& x) { return fft::irfft(x); }},
      {"irfft_n_odd", "c", [](auto& x) { return fft::irfft(x, 9, -1); }},
      {"irfft_axis1", "c", [](auto& x) { return fft::irfft(x, 1); }},
      {"irfft2", "c", [](auto& x) { return fft::irfft2(x); }},
      {"irfft2_s",
       "c",
       [](auto& x) {
         return fft::irfft2(x, {3, 7}, {0, 1});
       }},
      {"irfftn", "c", [](auto& x) { return fft::irfftn(x); }},
      {"irfftn_s_ortho",
       "c",
       [](auto& x) {
         return fft::irfftn(x, {4, 5, 4}, {0, 1, 2}, N::Ortho);
       }},
      {"fftshift", "c", [](auto& x) { return fft::fftshift(x); }},
      {"ifftshift_axes",
       "c",
       [](auto& x) {
         return fft::ifftshift(x, {0, 2});
       }},
  };
}

TEST(FFT, MatchesNumPy) {
  if (std::system("/usr/bin/python3 -c 'import numpy' > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "/usr/bin/python3 with NumPy is not available";
  }
  fs::path script = fs::path(__FILE__).parent_path() / "fft_numpy.py";
  fs::path dir = fs::temp_directory_path() /
                 ("mlx_fft_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::path file = dir / "cases.npz";
  std::string command =
      "/usr/bin/python3 " + script.string() + " " + file.string();
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  auto arrays = mx::load_npz(file.string());
  fs::remove_all(dir);
  for (const auto& c : numpy_cases()) {
    SCOPED_TRACE(c.name);
    auto want = arrays.at(c.name);
    auto got = c.fun(arrays.at(c.input));
    ASSERT_EQ(got.shape(), want.shape());
    EXPECT_EQ(
        got.dtype(),
        want.dtype() == mx::complex64 ? mx::complex64 : mx::float32);
    double err = max_error(got, to_complex(want));
    EXPECT_LT(err, 1e-5);
  }
}

} // namespace
