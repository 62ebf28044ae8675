// Times mlx::core::fft on batches of 1-D transforms: complex (fft) and real
// (rfft) inputs, lengths given on the command line, each batch holding about
// 2^20 values. Prints one line per case, "<kind> <n> <batch> <seconds>",
// the median of timed calls (graph build + eval); fft_numpy_bench.py prints
// the same for NumPy, and compare_fft.sh runs both alternately.
// Usage: fft_bench [N ...]   (default: the lengths of compare_fft.sh)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "mlx/mlx.h"

namespace mx = mlx::core;

namespace {

double median_seconds(const mx::array& x, bool real) {
  auto run = [&] {
    auto y = real ? mx::fft::rfft(x) : mx::fft::fft(x);
    mx::eval(y);
  };
  run(); // plan and buffers
  std::vector<double> times;
  double total = 0;
  while (times.size() < 5 || (total < 0.3 && times.size() < 200)) {
    auto start = std::chrono::steady_clock::now();
    run();
    std::chrono::duration<double> d = std::chrono::steady_clock::now() - start;
    times.push_back(d.count());
    total += d.count();
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
  std::vector<int> lengths;
  for (int i = 1; i < argc; ++i) {
    lengths.push_back(std::atoi(argv[i]));
  }
  if (lengths.empty()) {
    lengths = {
        1 << 10,
        1 << 12,
        1 << 14,
        1 << 16,
        1 << 18,
        1 << 20,
        1000,
        100000,
        1009,
        10007,
        100003};
  }
  auto key = mx::random::key(0);
  for (int n : lengths) {
    int batch = std::max(1, (1 << 20) / n);
    auto re = mx::random::normal({batch, n}, mx::float32, 0, 1, key);
    auto im =
        mx::random::normal({batch, n}, mx::float32, 0, 1, mx::random::key(1));
    auto z = mx::add(
        mx::astype(re, mx::complex64),
        mx::multiply(
            mx::astype(im, mx::complex64),
            mx::array(mx::complex64_t(0.0f, 1.0f))));
    mx::eval({re, z});
    std::printf("fft %d %d %.9f\n", n, batch, median_seconds(z, false));
    std::printf("rfft %d %d %.9f\n", n, batch, median_seconds(re, true));
    std::fflush(stdout);
  }
  return 0;
}
