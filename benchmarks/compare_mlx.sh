#!/usr/bin/env bash
# The MLP training step of benchmarks/mlx_api_mlp.cpp (MLX's C++ API only)
# against Apple's MLX (a CPU build): builds the same file against MLX, then
# runs ours and MLX's binaries alternately ROUNDS times (the order swapped
# every round) with the same thread count; prints every run, the medians
# (wall and CPU time per step) and the ratio MLX ms / ours ms (above 1: ours
# is faster).
# Usage: benchmarks/compare_mlx.sh MLX_SRC MLX_BUILD [OUR_BUILD] [ROUNDS]
#          [THREADS]
#   MLX_SRC: MLX's source tree; MLX_BUILD: its CPU build (libmlx.a, linked
#   to OpenBLAS as ours is); OUR_BUILD: our build directory with
#   benchmarks/mlx_api_mlp (default build); ROUNDS default 5; THREADS
#   default nproc. STEPS=200 WARMUP=20 in the environment.
# MLX's CPU backend runs its ops on one stream thread and its GEMMs in
# OpenBLAS; ours runs ops over a pool of MLX_NUM_THREADS and GEMMs in
# OpenBLAS: both get OPENBLAS_NUM_THREADS = MLX_NUM_THREADS = THREADS.
set -euo pipefail
mlx_src=${1:?MLX source directory}
mlx_build=${2:?MLX build directory (with libmlx.a)}
our_build=${3:-build}
rounds=${4:-5}
threads=${5:-$(nproc)}
here=$(cd "$(dirname "$0")" && pwd)
ours=$our_build/benchmarks/mlx_api_mlp
theirs=$mlx_build/mlx_api_mlp
args=(--steps "${STEPS:-200}" --warmup "${WARMUP:-20}")

# The same compiler, -O2 and C++20 (MLX's headers need it) as our
# RelWithDebInfo build compiles the file with; MLX's own code is as
# optimised as its build (Release: -O3).
g++ -O2 -std=c++20 -I"$mlx_src" -I"$mlx_build" "$here/mlx_api_mlp.cpp" \
  -o "$theirs" -L"$mlx_build" -lmlx -lopenblas -lpthread -ldl
[[ -x $ours ]] || {
  echo "compare_mlx.sh: $ours not built (cmake --build $our_build" \
    "--target mlx_api_mlp)" >&2
  exit 1
}

export MLX_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads
field() { sed -E "s|.* $1 ([0-9.]+).*|\1|" <<<" $2"; }
median() {
  printf '%s\n' "$@" | sort -g |
    awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'
}
load() { cut -d' ' -f"$1" /proc/loadavg; }

echo "# $(date -u '+%F %T') UTC, $(nproc) cores, threads $threads," \
  "load $(load 1-3)"
ours_ms=() mlx_ms=() ours_cpu=() mlx_cpu=()
run() { # label binary
  local line
  line=$("$2" "${args[@]}")
  echo "$1: $line  [load $(load 1)]"
  if [[ $1 == ours ]]; then
    ours_ms+=("$(field ms/step "$line")")
    ours_cpu+=("$(field cpu_ms/step "$line")")
  else
    mlx_ms+=("$(field ms/step "$line")")
    mlx_cpu+=("$(field cpu_ms/step "$line")")
  fi
}
for r in $(seq "$rounds"); do
  if ((r % 2)); then run ours "$ours" && run mlx "$theirs"; else
    run mlx "$theirs" && run ours "$ours"; fi
done
o=$(median "${ours_ms[@]}") m=$(median "${mlx_ms[@]}")
echo "median ms/step: ours $o, mlx $m;" \
  "samples/s: ours $(awk -v t="$o" 'BEGIN {printf "%.0f", 256000/t}')," \
  "mlx $(awk -v t="$m" 'BEGIN {printf "%.0f", 256000/t}');" \
  "ratio mlx/ours $(awk -v a="$m" -v b="$o" 'BEGIN {printf "%.2f", a/b}')" \
  "(goal >= 1.2)"
oc=$(median "${ours_cpu[@]}") mc=$(median "${mlx_cpu[@]}")
echo "median cpu_ms/step: ours $oc, mlx $mc;" \
  "ratio mlx/ours $(awk -v a="$mc" -v b="$oc" 'BEGIN {printf "%.2f", a/b}')"
