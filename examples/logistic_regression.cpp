// Logistic regression by gradient descent on a synthetic, linearly
// separable problem: labels are the sign of X @ w_star.
#include <chrono>
#include <cstdio>

#include "mlx/mlx.h"

namespace mx = mlx::core;

int main() {
  int num_features = 100;
  int num_examples = 1'000;
  int num_iters = 10'000;
  float lr = 0.1f;

  auto w_star = mx::random::normal({num_features});
  auto X = mx::random::normal({num_examples, num_features});
  auto y = mx::greater(mx::matmul(X, w_star), mx::array(0.0f));
  auto y_float = mx::astype(y, mx::float32);
  mx::eval(w_star, X, y_float);

  // Mean binary cross-entropy written with logaddexp, stable for any logit:
  // log(1 + e^z) - y z.
  auto loss_fn = [&](const mx::array& w) {
    auto logits = mx::matmul(X, w);
    auto per_example = mx::subtract(
        mx::logaddexp(mx::array(0.0f), logits), mx::multiply(y_float, logits));
    return mx::mean(per_example);
  };
  auto grad_fn = mx::grad(loss_fn);

  auto w = mx::multiply(mx::array(1e-2f), mx::random::normal({num_features}));
  auto start = std::chrono::steady_clock::now();
  for (int it = 0; it < num_iters; ++it) {
    w = mx::subtract(w, mx::multiply(mx::array(lr), grad_fn(w)));
    mx::eval(w);
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();

  auto predictions = mx::greater(mx::matmul(X, w), mx::array(0.0f));
  auto accuracy = mx::mean(mx::astype(mx::equal(predictions, y), mx::float32));
  std::printf(
      "Loss %.5f, Accuracy %.5f, Throughput %.2f (it/s)\n",
      loss_fn(w).item<float>(),
      accuracy.item<float>(),
      num_iters / seconds);
  return 0;
}
