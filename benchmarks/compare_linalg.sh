#!/usr/bin/env bash
# mlx::core::linalg against numpy.linalg (by default Debian's python3-numpy,
# on the same OpenBLAS/LAPACK): for each round and each thread setting,
# benchmarks/linalg_bench then benchmarks/linalg_numpy.py, REPEATS rounds
# alternately. Prints the medians over rounds and the ratios NumPy time /
# ours (> 1: ours is faster).
# Usage: benchmarks/compare_linalg.sh BUILD_DIR [REPEATS] [OP ...]
# Environment: THREADS, the thread settings (default "1 default": a number
# sets OPENBLAS_NUM_THREADS, MLX_NUM_THREADS and OMP_NUM_THREADS, "default"
# leaves each library its own); BENCH, the linalg_bench binary (default
# BUILD_DIR/benchmarks/linalg_bench); PYTHON (default /usr/bin/python3).
set -euo pipefail
build=${1:?build directory with benchmarks/linalg_bench}
repeats=${2:-5}
shift $(($# < 2 ? $# : 2))
here=$(cd "$(dirname "$0")" && pwd)
bench=${BENCH:-$build/benchmarks/linalg_bench}
python=${PYTHON:-/usr/bin/python3}
threads=${THREADS:-1 default}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "# $(date -u '+%F %T') UTC, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$repeats"); do
  for t in $threads; do
    run=(env)
    if [ "$t" != default ]; then
      run=(env OPENBLAS_NUM_THREADS="$t" MLX_NUM_THREADS="$t" OMP_NUM_THREADS="$t")
    fi
    "${run[@]}" "$bench" "$@" >"$out/ours.$t.$r"
    "${run[@]}" "$python" "$here/linalg_numpy.py" "$@" >"$out/numpy.$t.$r"
  done
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$python" - "$out" "$repeats" $threads <<'PY'
import statistics, sys
out, repeats, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def medians(tag):
    runs = {}
    for r in range(1, repeats + 1):
        for line in open(f"{out}/{tag}.{r}"):
            op, batch, n, sec = line.split()
            runs.setdefault((op, int(batch), int(n)), []).append(float(sec))
    return {k: statistics.median(v) for k, v in runs.items()}
ours = {t: medians(f"ours.{t}") for t in threads}
numpy = {t: medians(f"numpy.{t}") for t in threads}
name = lambda t: "all" if t == "default" else f"{t} thread" + ("s" if t != "1" else "")
head = ["op", "batch x n x n"]
for t in threads:
    head += [f"ours {name(t)}", f"NumPy {name(t)}", f"ratio {name(t)}"]
print("| " + " | ".join(head) + " |")
print("|" + "---|" * len(head))
ms = lambda s: f"{s * 1e3:.3f} ms"
for k in ours[threads[0]]:
    row = [k[0], f"{k[1]} x {k[2]} x {k[2]}"]
    for t in threads:
        o, n = ours[t][k], numpy[t][k]
        row += [ms(o), ms(n), f"{n / o:.2f}"]
    print("| " + " | ".join(row) + " |")
PY
