#!/usr/bin/env bash
# Training resumed from a checkpoint continues exactly as an uninterrupted
# run: check_resume.sh PROGRAM WORKDIR -- ARGS... (PROGRAM takes --epochs,
# --checkpoint and --resume, and prints one "epoch N ..." line per epoch).
set -euo pipefail
program="$1"
work="$2"
shift 3
rm -rf "$work" && mkdir -p "$work"
strip() { grep -o "epoch .*accuracy [0-9.]*"; }
full=$("$program" "$@" --epochs 2 --checkpoint "$work/full" | strip)
"$program" "$@" --epochs 1 --checkpoint "$work/part" > /dev/null
resumed=$("$program" "$@" --epochs 2 --checkpoint "$work/part" --resume | strip)
echo "uninterrupted: $full"
echo "resumed:       $resumed"
[ "$(echo "$full" | tail -1)" = "$resumed" ] || { echo "resumed run differs"; exit 1; }
