"""examples/train_lm.cpp's training step with PyTorch DistributedDataParallel
(gloo, CPU), to compare data-parallel weak scaling with ours: the same model
(train_step_torch.LanguageModel: dims 128, 4 heads, 4 layers, mlp 512,
context 128), AdamW lr 1e-3, a fixed batch per rank.

  python3 benchmarks/train_lm_ddp.py --batch 32            (1 process, no DDP)
  python3 benchmarks/train_lm_ddp.py --nproc 4 --batch 32  (4 ranks, DDP)

--nproc N starts N copies of this script as the ranks (RANK, WORLD_SIZE,
MASTER_ADDR=127.0.0.1, MASTER_PORT=--port), as torchrun would, and waits for
them (torchrun's elastic agent fails on Debian's PyTorch 1.13 with Python
3.11).

One process runs the plain step (no DDP wrapper), as train_lm's single rank
has no all-reduce. Each rank trains on its own random byte windows (the
bytes do not change the work). Rank 0 prints one line: the ranks, the
threads, the per-rank batch, the global and per-rank tokens/s over --steps
timed steps after --warmup steps, the slowest rank's time.
"""
import argparse
import os
import subprocess
import sys
import time

import torch
import torch.distributed as dist
from torch import nn

from train_step_torch import LanguageModel, train_step

CONTEXT = 128


def spawn_ranks(nproc, port):
    """Runs this script as ranks 0..nproc-1; returns the worst exit code."""
    children = []
    for rank in range(nproc):
        env = dict(
            os.environ,
            RANK=str(rank),
            WORLD_SIZE=str(nproc),
            MASTER_ADDR="127.0.0.1",
            MASTER_PORT=str(port),
        )
        children.append(subprocess.Popen([sys.executable] + sys.argv, env=env))
    return max(child.wait() for child in children)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=32, help="per rank")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--nproc", type=int, default=1, help="ranks to start")
    parser.add_argument("--port", type=int, default=29500)
    args = parser.parse_args()
    if args.nproc > 1 and "RANK" not in os.environ:
        sys.exit(spawn_ranks(args.nproc, args.port))

    torch.set_num_threads(args.threads)
    ranks = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    if ranks > 1:
        dist.init_process_group("gloo")

    torch.manual_seed(0)  # the same initial model on every rank
    model = LanguageModel(CONTEXT, 128, 4, 4)
    if ranks > 1:
        model = nn.parallel.DistributedDataParallel(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    data = torch.Generator().manual_seed(1000 + rank)

    def step():
        windows = torch.randint(
            0, 256, (args.batch, CONTEXT + 1), generator=data
        )
        x, y = windows[:, :CONTEXT], windows[:, 1:]
        return train_step(model, optimizer, loss_fn, x, y)

    for _ in range(args.warmup):
        step()
    if ranks > 1:
        dist.barrier()
    start = time.perf_counter()
    for _ in range(args.steps):
        loss = step()
    seconds = torch.tensor(time.perf_counter() - start, dtype=torch.float64)
    if ranks > 1:
        dist.all_reduce(seconds, op=dist.ReduceOp.MAX)
    seconds = seconds.item()

    if rank == 0:
        tokens = args.steps * args.batch * CONTEXT * ranks
        print(
            f"ddp ranks {ranks} threads {torch.get_num_threads()} "
            f"batch/rank {args.batch} loss {loss.item():.3f} "
            f"ms/step {1e3 * seconds / args.steps:.1f} "
            f"tokens/s {tokens / seconds:.0f} "
            f"tokens/s/rank {tokens / seconds / ranks:.0f}",
            flush=True,
        )
    if ranks > 1:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
