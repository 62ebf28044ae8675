// Data-parallel linear regression: every rank holds a shard of the
// examples, computes the gradient of its shard's loss, and the ranks
// average their gradients with all_sum before the same SGD step — so the
// parameters stay identical on every rank. Run it with
//   mlx.launch -n 2 ./linear_regression_dp            (TCP ring)
//   mlx.launch --backend mpi -n 2 ./linear_regression_dp
// or on its own (a group of one).
#include <chrono>
#include <cmath>
#include <cstdio>

#include "mlx/distributed/distributed.h"
#include "mlx/distributed/ops.h"
#include "mlx/mlx.h"

namespace mx = mlx::core;
namespace dist = mlx::core::distributed;

int main() {
  auto world = dist::init();
  int rank = world.rank();
  int size = world.size();

  int num_features = 100;
  int examples_per_rank = 1'000;
  int num_iters = 1'000;
  float lr = 0.01f;

  // The same true parameters everywhere (same key), a different shard of
  // examples on each rank (the shard's key is folded with the rank).
  auto w_star = mx::random::normal({num_features}, mx::random::key(0));
  auto shard_key = mx::random::split(mx::random::key(1 + rank), 2);
  auto X = mx::random::normal(
      {examples_per_rank, num_features}, mx::take(shard_key, 0, 0));
  auto noise =
      mx::random::normal({examples_per_rank}, mx::take(shard_key, 1, 0));
  auto y =
      mx::add(mx::matmul(X, w_star), mx::multiply(mx::array(1e-2f), noise));
  mx::eval(w_star, X, y);

  auto loss_fn = [&](const mx::array& w) {
    auto residual = mx::subtract(mx::matmul(X, w), y);
    return mx::multiply(mx::array(0.5f), mx::mean(mx::square(residual)));
  };
  auto value_and_grad = mx::value_and_grad(loss_fn);

  auto w = mx::zeros({num_features});
  auto start = std::chrono::steady_clock::now();
  for (int it = 0; it < num_iters; ++it) {
    auto [loss, grad] = value_and_grad(w);
    // The mean of the shards' gradients is the gradient of the global loss.
    grad = mx::divide(dist::all_sum(grad, world), mx::array(float(size)));
    w = mx::subtract(w, mx::multiply(mx::array(lr), grad));
    mx::eval(w);
    if (rank == 0 && (it + 1) % 250 == 0) {
      auto global_loss =
          mx::divide(dist::all_sum(loss, world), mx::array(float(size)));
      std::printf("step %4d  loss %.5f\n", it + 1, global_loss.item<float>());
    } else if ((it + 1) % 250 == 0) {
      dist::all_sum(loss, world).eval(); // every rank joins the collective
    }
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();

  double error_norm =
      std::sqrt(mx::sum(mx::square(mx::subtract(w, w_star))).item<float>());
  // Identical parameters on every rank: their spread is exactly zero.
  float spread =
      mx::max(mx::subtract(dist::all_max(w, world), dist::all_min(w, world)))
          .item<float>();
  if (rank == 0) {
    std::printf(
        "%d rank(s): |w-w*| = %.5f, parameter spread across ranks %g, "
        "%.0f steps/s\n",
        size,
        error_norm,
        spread,
        num_iters / seconds);
  }
  return 0;
}
