#!/bin/bash
# Data-parallel CPU scaling on one idle many-core host (benchmarks/RESULTS.md,
# "Data-parallel CPU scaling on a 16-core host"), in one go:
#   1. average_gradients vs one all_sum of the same bytes, MPI and ring,
#      2 and 4 ranks (and train_lm's parameter shapes at 2 ranks)
#   2. data_parallel_step_bench: 1 rank vs 2 and 4 ranks, MPI and ring
#   3. weak scaling of examples/train_lm (a fixed batch per rank, THREADS
#      threads per rank) at RANKS ranks over MPI and over the ring, each
#      rank count alternating with PyTorch DDP (benchmarks/train_lm_ddp.py)
#
#   benchmarks/scaling_16core.sh BIN OUT
#     BIN  a build folder (examples/train_lm, launch/mlx.launch,
#          benchmarks/average_gradients_bench and data_parallel_step_bench:
#          -DMLX_BUILD_BENCHMARKS=ON), or one folder holding the four
#     OUT  folder for the log (scaling.log) and the train_lm JSON lines
# Environment (defaults): MPIRUN (mpirun), PYTHON (python3), CORPUS
# (/usr/share/games/fortunes), RANKS ("1 2 4 8"), BATCH (32 sequences of
# 128 bytes per rank), STEPS (30, logged every 10; the first 10 are the
# warm-up), LOG_EVERY (10), THREADS (2), LIB_PATH (LD_LIBRARY_PATH for our
# programs and mpirun only, so that Python keeps its own libraries), PARTS
# ("1 2 3": which of the above, in this order), BENCH_ARGS (extra arguments of the two
# benchmarks, e.g. "--blocks 1" for a quick check).
set -u -o pipefail
BIN=$(cd "$1" && pwd)
OUT=$(mkdir -p "$2" && cd "$2" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
prog() { # prog NAME: where BIN holds it, directly or as a build folder does
  local d
  for d in "$BIN" "$BIN/examples" "$BIN/launch" "$BIN/benchmarks"; do
    [ -x "$d/$1" ] && echo "$d/$1" && return
  done
  echo "scaling_16core.sh: no $1 in $BIN" >&2
}
TRAIN_LM=$(prog train_lm)
LAUNCH=$(prog mlx.launch)
AVG_BENCH=$(prog average_gradients_bench)
STEP_BENCH=$(prog data_parallel_step_bench)
[ -n "$TRAIN_LM" ] && [ -n "$LAUNCH" ] && [ -n "$AVG_BENCH" ] &&
  [ -n "$STEP_BENCH" ] || exit 2
MPIRUN=${MPIRUN:-mpirun}
PYTHON=${PYTHON:-python3}
CORPUS=${CORPUS:-/usr/share/games/fortunes}
RANKS=${RANKS:-1 2 4 8}
BATCH=${BATCH:-32}
STEPS=${STEPS:-30}
THREADS=${THREADS:-2}
LOG_EVERY=${LOG_EVERY:-10}
PARTS=${PARTS:-1 2 3}
read -r -a bench_args <<<"${BENCH_ARGS:-}"
LOG=$OUT/scaling.log
# MLX_NUM_THREADS sizes our pool and OpenBLAS's; OMP_NUM_THREADS PyTorch's,
# whose idle threads sleep rather than spin (as in compare_training.sh).
export MLX_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS OMP_WAIT_POLICY=PASSIVE
export OPENBLAS_NUM_THREADS=$THREADS GLOO_SOCKET_IFNAME=lo
port=30000 # each ring / DDP run gets fresh ports: next_port before it
next_port() { port=$((port + 100)); }

say() { echo "$@" | tee -a "$LOG"; }
ours() { LD_LIBRARY_PATH=${LIB_PATH:-${LD_LIBRARY_PATH:-}} "$@"; }
mpi_args=(--allow-run-as-root --oversubscribe --bind-to none
  --mca btl self,vader --mca pml ob1 -x MLX_NUM_THREADS)
mpi() { # mpi N program args...
  local n=$1
  shift
  ours timeout 150 "$MPIRUN" "${mpi_args[@]}" -np "$n" "$@" 2>&1 | tee -a "$LOG"
}
ring() { # ring N program args...
  local n=$1
  shift
  next_port
  ours timeout 150 "$LAUNCH" -n "$n" --starting-port $port -- "$@" \
    2>&1 | tee -a "$LOG"
}
one() { ours timeout 150 "$@" 2>&1 | tee -a "$LOG"; }

say "# host: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo)"
lscpu 2>/dev/null | grep -E '^(Thread|Core|Socket|NUMA node\(s\)|L3)' |
  tee -a "$LOG"
say "# load: $(cat /proc/loadavg)"

# Shared memory without CMA (process_vm_readv) where the kernel lacks it.
if ! ours timeout 60 "$MPIRUN" "${mpi_args[@]}" -np 2 \
  "$AVG_BENCH" --iters 1 --blocks 1 >/dev/null; then
  mpi_args+=(--mca btl_vader_single_copy_mechanism none)
  say "# MPI: retrying without single-copy: ${mpi_args[*]}"
fi

part1() {
  say "## 1. average_gradients vs one all_sum"
  for n in 2 4; do
    say "# MPI, $n ranks"
    mpi $n "$AVG_BENCH" "${bench_args[@]}"
    say "# ring, $n ranks"
    ring $n "$AVG_BENCH" "${bench_args[@]}"
  done
  say "# MPI, 2 ranks, train_lm's shapes"
  mpi 2 "$AVG_BENCH" --shapes lm "${bench_args[@]}"
  say "# ring, 2 ranks, train_lm's shapes"
  ring 2 "$AVG_BENCH" --shapes lm "${bench_args[@]}"
}

part2() {
  say "## 2. data-parallel step, 1 rank vs N ranks"
  step_args=(--bucket-mib 4 "${bench_args[@]}")
  say "# 1 rank"
  one "$STEP_BENCH" "${step_args[@]}"
  for n in 2 4; do
    say "# MPI, $n ranks"
    mpi $n "$STEP_BENCH" "${step_args[@]}"
    say "# ring, $n ranks"
    ring $n "$STEP_BENCH" "${step_args[@]}"
  done
  say "# 1 rank again"
  one "$STEP_BENCH" "${step_args[@]}"
}

part3() {
  say "## 3. weak scaling: train_lm, batch $BATCH x 128 per rank, $THREADS threads per rank"
  lm() { # lm NAME N launcher...: tokens/s per rank, median of the timed windows
    local name=$1 n=$2
    shift 2
    local jsonl=$OUT/lm-$name-$n.jsonl
    rm -f "$jsonl"
    "$@" "$TRAIN_LM" --steps "$STEPS" --batch-size $((BATCH * n)) \
      --log-every $LOG_EVERY --corpus "$CORPUS" --log "$jsonl" >/dev/null
    # Skip the first window (warm-up); median of the rest, divided by n.
    sed -n 's/.*"throughput":\([0-9.e+]*\).*/\1/p' "$jsonl" | tail -n +2 |
      sort -g | awk -v n="$n" '{v[NR]=$1} END {
        if (NR == 0) { print "failed"; exit }
        m = NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; printf "%.0f\n", m / n }'
  }
  ddp() { # ddp N: tokens/s per rank (call next_port first)
    timeout 150 "$PYTHON" "$HERE/train_lm_ddp.py" --nproc "$1" --port $port \
      --batch "$BATCH" --steps $((STEPS - LOG_EVERY)) --warmup $LOG_EVERY \
      --threads "$THREADS" 2>&1 | tee -a "$LOG" |
      sed -n 's/.*tokens\/s\/rank \([0-9]*\).*/\1/p'
  }
  mpi_launch() { ours timeout 150 "$MPIRUN" "${mpi_args[@]}" -np "$1" "${@:2}"; }
  ring_launch() { # (call next_port first)
    ours timeout 150 "$LAUNCH" -n "$1" --starting-port $port -- "${@:2}"
  }
  plain() { ours timeout 150 "${@:2}"; }
  declare -A rate
  for n in $RANKS; do
    if [ "$n" = 1 ]; then
      rate[mpi,1]=$(lm one 1 plain 1)
      rate[ring,1]=${rate[mpi,1]}
    else
      rate[mpi,$n]=$(lm mpi $n mpi_launch $n)
      next_port
      rate[ring,$n]=$(lm ring $n ring_launch $n)
    fi
    next_port
    rate[ddp,$n]=$(ddp $n)
    say "# $n rank(s): tokens/s per rank: ours MPI ${rate[mpi,$n]}, ours ring ${rate[ring,$n]}, DDP ${rate[ddp,$n]}"
  done
  # The 1-rank runs again, after the others, to see the drift.
  next_port
  say "# 1 rank again: ours $(lm one-again 1 plain 1), DDP $(ddp 1)"

  say "| ranks | ours MPI tok/s/rank (eff.) | ours ring tok/s/rank (eff.) | DDP tok/s/rank (eff.) |"
  say "|---|---|---|---|"
  for n in $RANKS; do
    row="| $n"
    for b in mpi ring ddp; do
      row+=" | ${rate[$b,$n]} ($(awk -v r="${rate[$b,$n]}" -v one="${rate[$b,1]}" \
        'BEGIN { if (r + 0 > 0 && one + 0 > 0) printf "%.0f%%", 100 * r / one; else print "-" }'))"
    done
    say "$row |"
  done
}

for p in $PARTS; do
  part$p
done
