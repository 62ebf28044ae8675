"""The training steps of benchmarks/train_step_bench.cpp in PyTorch: the same
models, data, optimizers, step counts and memory measurement; prints the same
one-line format.

  --model mlp          784-512-512-10 MLP with ReLU, batch 256,
                       cross-entropy (mean), Adam lr 1e-3
  --model transformer  byte and position embeddings, nn.TransformerEncoder
                       (4 layers of TransformerEncoderLayer(d_model=128,
                       nhead=4, dim_feedforward=512, dropout=0, relu,
                       batch_first, norm_first) and a final LayerNorm),
                       causal mask, read-out to 256; batch 32 x 128 tokens,
                       AdamW lr 1e-3

peak_rss_increase = ru_maxrss at the end - the resident set right before the
first (warm-up) step, when the model, the data and the optimizer exist (freed
heap returned to the OS with malloc_trim first, as train_step_bench does).
"""
import argparse
import ctypes
import gc
import os
import resource
import time

import torch
from torch import nn

K_BATCHES = 4  # distinct batches, used in turn
CONTEXT = 128


def mib(nbytes):
    return nbytes / (1024.0 * 1024.0)


def current_rss_bytes():
    with open("/proc/self/statm") as f:
        resident = int(f.read().split()[1])
    return resident * os.sysconf("SC_PAGESIZE")


def peak_rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024.0


def golden_floats(shape):
    """Element i is frac(i * golden ratio) - 0.5 in double, then float32."""
    n = 1
    for d in shape:
        n *= d
    v = torch.arange(n, dtype=torch.float64) * 0.6180339887498949
    return (v - torch.floor(v) - 0.5).to(torch.float32).reshape(shape)


def hashed_ints(shape, classes):
    """Element i is ((i * 2654435761) >> 7) % classes."""
    n = 1
    for d in shape:
        n *= d
    i = torch.arange(n, dtype=torch.int64)
    return torch.remainder((i * 2654435761) >> 7, classes).reshape(shape)


class LanguageModel(nn.Module):
    def __init__(self, context, dims, heads, layers):
        super().__init__()
        self.tokens = nn.Embedding(256, dims)
        self.positions = nn.Embedding(context, dims)
        layer = nn.TransformerEncoderLayer(
            d_model=dims,
            nhead=heads,
            dim_feedforward=4 * dims,
            dropout=0.0,
            activation="relu",
            batch_first=True,
            norm_first=True,
        )
        self.transformer = nn.TransformerEncoder(
            layer, layers, norm=nn.LayerNorm(dims), enable_nested_tensor=False
        )
        self.out = nn.Linear(dims, 256)

    def forward(self, x):
        length = x.shape[1]
        h = self.tokens(x) + self.positions(torch.arange(length))
        mask = nn.Transformer.generate_square_subsequent_mask(length)
        return self.out(self.transformer(h, mask=mask))


def train_step(model, optimizer, loss_fn, x, y):
    """One step: gradients of the mean cross-entropy of model(x) against y
    (logits flattened to rows), then the optimizer's update."""
    optimizer.zero_grad(set_to_none=True)
    logits = model(x)
    loss = loss_fn(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
    loss.backward()
    optimizer.step()
    return loss


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--model", choices=["mlp", "transformer"], default="mlp"
    )
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()

    torch.manual_seed(0)
    mlp = args.model == "mlp"
    batch = 256 if mlp else 32
    if mlp:
        model = nn.Sequential(
            nn.Linear(784, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10),
        )
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        x = golden_floats((K_BATCHES, batch, 784))
        y = hashed_ints((K_BATCHES, batch), 10)
        inputs = [x[b] for b in range(K_BATCHES)]
        targets = [y[b] for b in range(K_BATCHES)]
    else:
        model = LanguageModel(CONTEXT, 128, 4, 4)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
        windows = hashed_ints((K_BATCHES, batch, CONTEXT + 1), 256)
        inputs = [windows[b, :, :CONTEXT] for b in range(K_BATCHES)]
        targets = [windows[b, :, 1:] for b in range(K_BATCHES)]
    loss_fn = nn.CrossEntropyLoss()

    def step(i):
        x = inputs[i % K_BATCHES]
        y = targets[i % K_BATCHES]
        return train_step(model, optimizer, loss_fn, x, y)

    # Freed temporaries (the data's float64 intermediates) go back to the OS.
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    rss_before = current_rss_bytes()
    maxrss_before = peak_rss_bytes()
    for i in range(args.warmup):
        step(i)
    start = time.perf_counter()
    for i in range(args.steps):
        loss = step(args.warmup + i)
    seconds = time.perf_counter() - start
    final_loss = loss.item()

    samples_per_s = args.steps * batch / seconds
    tokens_per_s = 0.0 if mlp else samples_per_s * CONTEXT
    line = (
        f"model {args.model} steps {args.steps} loss {final_loss:.4f} "
        f"ms/step {1e3 * seconds / args.steps:.3f} "
        f"samples/s {samples_per_s:.1f} tokens/s {tokens_per_s:.0f} "
        f"peak_rss_increase_mib {mib(peak_rss_bytes() - rss_before):.1f} "
        f"rss_before_mib {mib(rss_before):.1f} "
        f"threads {torch.get_num_threads()}"
    )
    if maxrss_before > rss_before + 1024.0 * 1024.0:
        line += f" (maxrss_before_mib {mib(maxrss_before):.1f})"
    print(line)


if __name__ == "__main__":
    main()
