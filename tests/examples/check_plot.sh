#!/usr/bin/env bash
# scripts/plot_training.py draws the logs of two short runs into a valid
# PNG: check_plot.sh WORKDIR PLOT_SCRIPT -- COMMAND... (COMMAND takes
# --log FILE and --seed N). Debian's python3 runs the script (its
# python3-matplotlib); exits 77 (skipped) without matplotlib.
set -euo pipefail
work="$1"
plot="$2"
shift 3
rm -rf "$work" && mkdir -p "$work"
for seed in 1 2; do
  "$@" --seed "$seed" --log "$work/seed$seed.jsonl" > "$work/seed$seed.out" 2>&1 ||
    { cat "$work/seed$seed.out"; echo "run with seed $seed failed"; exit 1; }
done
status=0
/usr/bin/python3 "$plot" "$work/curves.png" "$work/seed1.jsonl" "$work/seed2.jsonl" \
  --label "seed 1" || status=$?
[ "$status" -ne 77 ] || exit 77
[ "$status" -eq 0 ] || { echo "plot_training.py failed ($status)"; exit 1; }

png="$work/curves.png"
# The 8-byte PNG signature, then the IHDR chunk: width and height as
# big-endian 32-bit integers at bytes 16-23.
signature=$(od -An -tx1 -N8 "$png" | tr -d ' \n')
[ "$signature" = 89504e470d0a1a0a ] || { echo "not a PNG: $signature"; exit 1; }
width=$((16#$(od -An -tx1 -j16 -N4 "$png" | tr -d ' \n')))
height=$((16#$(od -An -tx1 -j20 -N4 "$png" | tr -d ' \n')))
bytes=$(stat -c %s "$png")
echo "PNG ${width}x${height}, $bytes bytes"
# figsize 8 x 7 inches at 100 dpi; curves and text take well over 10 kB.
[ "$width" -eq 800 ] && [ "$height" -eq 700 ] || { echo "unexpected size"; exit 1; }
[ "$bytes" -gt 10000 ] || { echo "suspiciously small PNG"; exit 1; }
