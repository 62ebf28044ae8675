#!/usr/bin/env bash
# Runs the linear-regression example and the same algorithm in PyTorch
# (Debian's python3-torch) alternately, REPEATS times each, with the same
# thread count, and prints every run and the median throughputs.
# Usage: benchmarks/compare_linear_regression.sh BUILD_DIR [REPEATS] [THREADS]
set -euo pipefail
build=${1:?build directory with examples/linear_regression}
repeats=${2:-5}
threads=${3:-$(nproc)}
here=$(cd "$(dirname "$0")" && pwd)
export MLX_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads
# PyTorch at its best on a small machine: passive OpenMP waiting.
export OMP_NUM_THREADS=$threads OMP_WAIT_POLICY=PASSIVE
mlx_runs=()
torch_runs=()
for _ in $(seq "$repeats"); do
  line=$("$build/examples/linear_regression")
  echo "mlx:   $line"
  mlx_runs+=("$(sed -E 's/.*Throughput ([0-9.]+).*/\1/' <<<"$line")")
  line=$(/usr/bin/python3 "$here/linear_regression_torch.py")
  echo "torch: $line"
  torch_runs+=("$(sed -E 's/.*Throughput ([0-9.]+).*/\1/' <<<"$line")")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
m=$(median "${mlx_runs[@]}")
t=$(median "${torch_runs[@]}")
echo "median it/s: mlx $m, torch $t, ratio mlx/torch $(awk -v a="$m" -v b="$t" 'BEGIN {printf "%.2f", a/b}')"
