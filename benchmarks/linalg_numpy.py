"""NumPy's peer of linalg_bench.cpp: numpy.linalg inv, solve, cholesky, qr,
svd, eigh and det on float32, one 512 x 512 matrix and a batch of 64
matrices of 64 x 64 (the same well-conditioned x x^T / n + I kind).
Prints "<op> <batch> <n> <seconds>", the median of timed calls.
Usage: linalg_numpy.py [OP ...]"""
import sys
import time
import warnings

import numpy as np

# det of a 512 x 512 x x^T / n + I overflows float32 (to inf) on both
# sides; only the time matters here.
warnings.simplefilter("ignore", RuntimeWarning)

OPS = {
    "inv": lambda a, b: np.linalg.inv(a),
    "solve": lambda a, b: np.linalg.solve(a, b),
    "cholesky": lambda a, b: np.linalg.cholesky(a),
    "qr": lambda a, b: np.linalg.qr(a),
    "svd": lambda a, b: np.linalg.svd(a),
    "eigh": lambda a, b: np.linalg.eigh(a),
    "det": lambda a, b: np.linalg.det(a),
}


def median_seconds(fn, a, b):
    fn(a, b)
    times, total = [], 0.0
    while len(times) < 5 or (total < 0.3 and len(times) < 200):
        start = time.perf_counter()
        fn(a, b)
        d = time.perf_counter() - start
        times.append(d)
        total += d
    times.sort()
    return times[len(times) // 2]


rng = np.random.default_rng(0)
for batch, n in [(1, 512), (64, 64)]:
    x = rng.standard_normal((batch, n, n)).astype(np.float32)
    a = (x @ x.transpose(0, 2, 1) / n + np.eye(n, dtype=np.float32))
    b = rng.standard_normal((batch, n, 1)).astype(np.float32)
    if batch == 1:
        a, b = a[0], b[0]
    for op in sys.argv[1:] or list(OPS):
        t = median_seconds(OPS[op], a, b)
        print(f"{op} {batch} {n} {t:.9f}", flush=True)
