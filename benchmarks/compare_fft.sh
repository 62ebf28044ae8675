#!/usr/bin/env bash
# mlx::core::fft against NumPy's numpy.fft (Debian's python3-numpy): for
# each round, benchmarks/fft_bench with MLX_NUM_THREADS=1, then with all
# cores, then benchmarks/fft_numpy_bench.py (single-threaded), REPEATS
# rounds alternately. Prints the medians over rounds and the ratios NumPy
# time / ours (> 1: ours is faster).
# Usage: benchmarks/compare_fft.sh BUILD_DIR [REPEATS] [N ...]
set -euo pipefail
build=${1:?build directory with benchmarks/fft_bench}
repeats=${2:-5}
shift $(($# < 2 ? $# : 2))
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "# $(date -u '+%F %T') UTC, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$repeats"); do
  MLX_NUM_THREADS=1 "$build/benchmarks/fft_bench" "$@" >"$out/one.$r"
  "$build/benchmarks/fft_bench" "$@" >"$out/all.$r"
  /usr/bin/python3 "$here/fft_numpy_bench.py" "$@" >"$out/numpy.$r"
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$out" "$repeats" <<'PY'
import statistics, sys
out, repeats = sys.argv[1], int(sys.argv[2])
def medians(tag):
    runs = {}
    for r in range(1, repeats + 1):
        for line in open(f"{out}/{tag}.{r}"):
            kind, n, batch, sec = line.split()
            runs.setdefault((kind, int(n), int(batch)), []).append(float(sec))
    return {k: statistics.median(v) for k, v in runs.items()}
one, all_, ref = medians("one"), medians("all"), medians("numpy")
print("| kind | n | batch | ours 1 thread | ours all threads | NumPy | ratio 1 thread | ratio all |")
print("|---|---|---|---|---|---|---|---|")
for k in one:
    ms = lambda t: f"{t * 1e3:.3f} ms"
    print(f"| {k[0]} | {k[1]} | {k[2]} | {ms(one[k])} | {ms(all_[k])} | "
          f"{ms(ref[k])} | {ref[k] / one[k]:.2f} | {ref[k] / all_[k]:.2f} |")
PY
