// Linear regression by gradient descent: the "Linear Regression" example of
// the MLX documentation, in C++.
#include <chrono>
#include <cmath>
#include <cstdio>

#include "mlx/mlx.h"

namespace mx = mlx::core;

int main() {
  int num_features = 100;
  int num_examples = 1'000;
  int num_iters = 10'000; // iterations of SGD
  float lr = 0.01f;       // learning rate for SGD

  // True parameters, the design matrix and noisy labels.
  auto w_star = mx::random::normal({num_features});
  auto X = mx::random::normal({num_examples, num_features});
  auto eps = mx::multiply(mx::array(1e-2f), mx::random::normal({num_examples}));
  auto y = mx::add(mx::matmul(X, w_star), eps);
  mx::eval(w_star, X, y);

  // The squared loss and its gradient with respect to the parameters.
  auto loss_fn = [&](const mx::array& w) {
    auto residual = mx::subtract(mx::matmul(X, w), y);
    return mx::multiply(mx::array(0.5f), mx::mean(mx::square(residual)));
  };
  auto grad_fn = mx::grad(loss_fn);

  auto w = mx::multiply(mx::array(1e-2f), mx::random::normal({num_features}));
  auto start = std::chrono::steady_clock::now();
  for (int it = 0; it < num_iters; ++it) {
    auto grad = grad_fn(w);
    w = mx::subtract(w, mx::multiply(mx::array(lr), grad));
    mx::eval(w);
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();

  auto loss = loss_fn(w);
  double error_norm =
      std::sqrt(mx::sum(mx::square(mx::subtract(w, w_star))).item<float>());
  std::printf(
      "Loss %.5f, |w-w*| = %.5f, Throughput %.2f (it/s)\n",
      loss.item<float>(),
      error_norm,
      num_iters / seconds);
  return 0;
}
