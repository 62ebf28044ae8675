"""The linear-regression example (examples/linear_regression.cpp) in PyTorch:
the same problem sizes, the same SGD loop, autograd for the gradient."""
import time

import torch

num_features = 100
num_examples = 1_000
num_iters = 10_000
lr = 0.01

torch.manual_seed(0)
w_star = torch.randn(num_features)
X = torch.randn(num_examples, num_features)
y = X @ w_star + 1e-2 * torch.randn(num_examples)


def loss_fn(w):
    return 0.5 * torch.mean(torch.square(X @ w - y))


w = (1e-2 * torch.randn(num_features)).requires_grad_()
start = time.perf_counter()
for _ in range(num_iters):
    (grad,) = torch.autograd.grad(loss_fn(w), w)
    with torch.no_grad():
        w = (w - lr * grad).requires_grad_()
seconds = time.perf_counter() - start

with torch.no_grad():
    loss = loss_fn(w).item()
    error_norm = torch.sum(torch.square(w - w_star)).item() ** 0.5
print(
    f"Loss {loss:.5f}, |w-w*| = {error_norm:.5f}, "
    f"Throughput {num_iters / seconds:.2f} (it/s)"
)
