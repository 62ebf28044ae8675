#!/usr/bin/env bash
# Training steps side by side with PyTorch (Debian's python3-torch): for each
# model, benchmarks/train_step_bench (ours) and benchmarks/train_step_torch.py
# run alternately REPEATS times with the same thread count; prints every run,
# the medians and the ratios (throughput ours/torch, memory ours/torch).
# Usage: benchmarks/compare_training.sh BUILD_DIR [REPEATS] [THREADS] [MODELS]
#   PYTHON: the interpreter with torch (default /usr/bin/python3, Debian's).
#   BASELINE: another build directory (say, of the main branch) whose
#   train_step_bench also runs in every round: "before" rates and the
#   ratio ours/before.
#   MODELS: "mlp transformer" (default), or one of them.
#   Step counts (timed, warm-up): MLP_STEPS=200 MLP_WARMUP=20,
#   LM_STEPS=30 LM_WARMUP=5 in the environment.
set -euo pipefail
build=${1:?build directory with benchmarks/train_step_bench}
repeats=${2:-5}
threads=${3:-$(nproc)}
models=${4:-mlp transformer}
here=$(cd "$(dirname "$0")" && pwd)
export MLX_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads
# PyTorch at its best on a small machine: passive OpenMP waiting.
export OMP_NUM_THREADS=$threads OMP_WAIT_POLICY=PASSIVE

field() { sed -E "s|.* $1 ([0-9.]+).*|\1|" <<<" $2"; }
median() {
  printf '%s\n' "$@" | sort -g |
    awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }

load() { cut -d' ' -f"$1" /proc/loadavg; }
echo "# $(date -u '+%F %T') UTC, $(nproc) cores, threads $threads," \
  "load $(load 1-3)"
for model in $models; do
  if [[ $model == mlp ]]; then
    args=(--model mlp --steps "${MLP_STEPS:-200}" --warmup "${MLP_WARMUP:-20}")
    rate=samples/s
  else
    args=(--model transformer --steps "${LM_STEPS:-30}"
      --warmup "${LM_WARMUP:-5}")
    rate=tokens/s
  fi
  ours_rate=() torch_rate=() ours_mem=() torch_mem=() ours_peak=()
  ours_ms=() floor_ms=() before_rate=()
  for _ in $(seq "$repeats"); do
    if [[ -n ${BASELINE:-} ]]; then
      line=$("$BASELINE/benchmarks/train_step_bench" "${args[@]}")
      echo "before: $line  [load $(load 1)]"
      before_rate+=("$(field "$rate" "$line")")
    fi
    line=$("$build/benchmarks/train_step_bench" "${args[@]}")
    echo "ours:  $line  [load $(load 1)]"
    ours_rate+=("$(field "$rate" "$line")")
    ours_mem+=("$(field peak_rss_increase_mib "$line")")
    ours_peak+=("$(field mlx_peak_increase_mib "$line")")
    ours_ms+=("$(field ms/step "$line")")
    if [[ $model == mlp ]]; then
      floor_ms+=("$(field gemm_floor_ms "$line")")
    fi
    line=$("${PYTHON:-/usr/bin/python3}" "$here/train_step_torch.py" "${args[@]}")
    echo "torch: $line  [load $(load 1)]"
    torch_rate+=("$(field "$rate" "$line")")
    torch_mem+=("$(field peak_rss_increase_mib "$line")")
  done
  o=$(median "${ours_rate[@]}") t=$(median "${torch_rate[@]}")
  om=$(median "${ours_mem[@]}") tm=$(median "${torch_mem[@]}")
  echo "$model median $rate: ours $o, torch $t," \
    "ratio ours/torch $(ratio "$o" "$t")"
  if [[ -n ${BASELINE:-} ]]; then
    bm=$(median "${before_rate[@]}")
    echo "$model median $rate before: $bm, ratio ours/before $(ratio "$o" "$bm")," \
      "before/torch $(ratio "$bm" "$t")"
  fi
  if [[ $model == mlp ]]; then
    f=$(median "${floor_ms[@]}") s=$(median "${ours_ms[@]}")
    echo "$model median ms/step: ours $s, cblas_sgemm floor $f," \
      "ratio ours/floor $(ratio "$s" "$f")"
  fi
  echo "$model median peak RSS increase (MiB): ours $om, torch $tm," \
    "ratio ours/torch $(ratio "$om" "$tm");" \
    "ours mlx_peak_increase $(median "${ours_peak[@]}") MiB"
done
