"""NumPy's peer of fft_bench.cpp: numpy.fft.fft / rfft (pocketfft, which
computes in double) on complex64 / float32 batches of about 2^20 values.
Prints "<kind> <n> <batch> <seconds>", the median of timed calls.
Usage: fft_numpy_bench.py [N ...]"""
import sys
import time

import numpy as np

DEFAULT = [1 << 10, 1 << 12, 1 << 14, 1 << 16, 1 << 18, 1 << 20, 1000,
           100000, 1009, 10007, 100003]


def median_seconds(fn, x):
    fn(x)
    times, total = [], 0.0
    while len(times) < 5 or (total < 0.3 and len(times) < 200):
        start = time.perf_counter()
        fn(x)
        d = time.perf_counter() - start
        times.append(d)
        total += d
    times.sort()
    return times[len(times) // 2]


rng = np.random.default_rng(0)
for n in [int(a) for a in sys.argv[1:]] or DEFAULT:
    batch = max(1, (1 << 20) // n)
    re = rng.standard_normal((batch, n)).astype(np.float32)
    z = (re + 1j * rng.standard_normal((batch, n))).astype(np.complex64)
    print(f"fft {n} {batch} {median_seconds(np.fft.fft, z):.9f}")
    print(f"rfft {n} {batch} {median_seconds(np.fft.rfft, re):.9f}", flush=True)
