#!/usr/bin/env bash
# mlx::core::linalg against numpy.linalg (Debian's python3-numpy, on the
# same OpenBLAS/LAPACK): for each round, benchmarks/linalg_bench then
# benchmarks/linalg_numpy.py, both single-threaded (OPENBLAS_NUM_THREADS=1,
# MLX_NUM_THREADS=1), then both with their default threads, REPEATS rounds
# alternately. Prints the medians over rounds and the ratios NumPy time /
# ours (> 1: ours is faster).
# Usage: benchmarks/compare_linalg.sh BUILD_DIR [REPEATS] [OP ...]
set -euo pipefail
build=${1:?build directory with benchmarks/linalg_bench}
repeats=${2:-5}
shift $(($# < 2 ? $# : 2))
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

one=(env OPENBLAS_NUM_THREADS=1 MLX_NUM_THREADS=1)
echo "# $(date -u '+%F %T') UTC, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$repeats"); do
  "${one[@]}" "$build/benchmarks/linalg_bench" "$@" >"$out/ours1.$r"
  "${one[@]}" /usr/bin/python3 "$here/linalg_numpy.py" "$@" >"$out/numpy1.$r"
  "$build/benchmarks/linalg_bench" "$@" >"$out/ours.$r"
  /usr/bin/python3 "$here/linalg_numpy.py" "$@" >"$out/numpy.$r"
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$out" "$repeats" <<'PY'
import statistics, sys
out, repeats = sys.argv[1], int(sys.argv[2])
def medians(tag):
    runs = {}
    for r in range(1, repeats + 1):
        for line in open(f"{out}/{tag}.{r}"):
            op, batch, n, sec = line.split()
            runs.setdefault((op, int(batch), int(n)), []).append(float(sec))
    return {k: statistics.median(v) for k, v in runs.items()}
o1, n1, o, n = (medians(t) for t in ("ours1", "numpy1", "ours", "numpy"))
print("| op | batch x n x n | ours 1 thread | NumPy 1 thread | ratio 1 thread "
      "| ours all | NumPy all | ratio all |")
print("|---|---|---|---|---|---|---|---|")
ms = lambda t: f"{t * 1e3:.3f} ms"
for k in o1:
    print(f"| {k[0]} | {k[1]} x {k[2]} x {k[2]} | {ms(o1[k])} | {ms(n1[k])} | "
          f"{n1[k] / o1[k]:.2f} | {ms(o[k])} | {ms(n[k])} | {n[k] / o[k]:.2f} |")
PY
