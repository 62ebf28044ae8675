// Times mlx::core::linalg on float32 matrices: inv, solve, cholesky, qr,
// svd, eigh and det of one 512 x 512 matrix and of a batch of 64 matrices
// of 64 x 64. Prints one line per case, "<op> <batch> <n> <seconds>", the
// median of timed calls (graph build + eval); linalg_numpy.py prints the
// same for NumPy, and compare_linalg.sh runs both alternately.
// Usage: linalg_bench [OP ...]   (default: all seven)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "mlx/mlx.h"

namespace mx = mlx::core;

namespace {

// Each case runs at least this many times, and keeps going (up to
// kMaxRuns) until kMinSeconds have been spent: enough calls for a stable
// median at 0.1 ms as at 100 ms.
constexpr int kMinRuns = 5;
constexpr int kMaxRuns = 200;
constexpr double kMinSeconds = 0.3;

double median_seconds(const std::function<std::vector<mx::array>()>& op) {
  mx::eval(op()); // buffers and BLAS threads
  std::vector<double> times;
  double total = 0;
  while (static_cast<int>(times.size()) < kMinRuns ||
         (total < kMinSeconds && static_cast<int>(times.size()) < kMaxRuns)) {
    auto start = std::chrono::steady_clock::now();
    mx::eval(op());
    std::chrono::duration<double> d = std::chrono::steady_clock::now() - start;
    times.push_back(d.count());
    total += d.count();
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// A well-conditioned symmetric positive definite batch: x x^T / n + I.
mx::array spd(int batch, int n) {
  auto x =
      mx::random::normal({batch, n, n}, mx::float32, 0, 1, mx::random::key(0));
  auto a = mx::add(
      mx::divide(mx::matmul(x, mx::swapaxes(x, -1, -2)), mx::array(float(n))),
      mx::eye(n));
  return batch == 1 ? mx::squeeze(a, 0) : a;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> ops(argv + 1, argv + argc);
  if (ops.empty()) {
    ops = {"inv", "solve", "cholesky", "qr", "svd", "eigh", "det"};
  }
  auto cpu = mx::Device(mx::Device::cpu);
  for (auto [batch, n] : {std::pair{1, 512}, std::pair{64, 64}}) {
    auto a = spd(batch, n);
    auto b = mx::random::normal(
        batch == 1 ? mx::Shape{n, 1} : mx::Shape{batch, n, 1},
        mx::float32,
        0,
        1,
        mx::random::key(1));
    mx::eval({a, b});
    std::map<std::string, std::function<std::vector<mx::array>()>> run = {
        {"inv", [&] { return std::vector{mx::linalg::inv(a, cpu)}; }},
        {"solve", [&] { return std::vector{mx::linalg::solve(a, b, cpu)}; }},
        {"cholesky",
         [&] { return std::vector{mx::linalg::cholesky(a, false, cpu)}; }},
        {"qr",
         [&] {
           auto [q, r] = mx::linalg::qr(a, cpu);
           return std::vector{q, r};
         }},
        {"svd", [&] { return mx::linalg::svd(a, true, cpu); }},
        {"eigh",
         [&] {
           auto [w, v] = mx::linalg::eigh(a, "L", cpu);
           return std::vector{w, v};
         }},
        {"det", [&] { return std::vector{mx::linalg::det(a, cpu)}; }},
    };
    for (auto& op : ops) {
      auto it = run.find(op);
      if (it == run.end()) {
        std::fprintf(stderr, "linalg_bench: unknown op '%s'\n", op.c_str());
        return 2;
      }
      std::printf(
          "%s %d %d %.9f\n", op.c_str(), batch, n, median_seconds(it->second));
      std::fflush(stdout);
    }
  }
  return 0;
}
