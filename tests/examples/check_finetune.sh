#!/usr/bin/env bash
# finetune_lm end to end: check_finetune.sh WORKDIR TRAIN_LM
# FINETUNE_LM MLX_LAUNCH PORT. A small base model trained on the fortunes
# is fine-tuned with LoRA on 2 ranks; the fine-tuned validation loss on the
# new text must be clearly below the base's, the fused model and reloaded
# adapters must give the fine-tuned loss, and check_finetune.py checks the
# files (adapters only, frozen weights bit-identical, fused = W + s a b).
set -euo pipefail
work="$1" train_lm="$2" finetune="$3" launch="$4" port="$5"
here="$(cd "$(dirname "$0")" && pwd)"
rm -rf "$work" && mkdir -p "$work"
run() { "$@" > "$work/log" 2>&1 || { cat "$work/log"; echo "failed: $*"; exit 1; }; cat "$work/log"; }
# The number after "$1" on the output's line that has it.
value() { grep -o "$1 [0-9.]*" "$work/log" | tail -1 | awk '{print $NF}'; }
close() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; exit !(d < 2e-4 && d > -2e-4) }'; }

run "$train_lm" --checkpoint "$work/base" --context 32 --dims 32 --heads 2 \
  --layers 2 --steps 150 --batch-size 16 --lr 0.003 --log-every 50
base="$work/base/checkpoint.h5"
run "$launch" -n 2 --starting-port "$port" -- "$finetune" --base "$base" \
  --steps 60 --batch-size 16 --lr 0.003 --rank 4 --scale 2 --log-every 20 \
  --adapters "$work/adapters.safetensors" --fuse "$work/fused.h5"
base_val=$(value "base val loss")
tuned_val=$(value "fine-tuned val loss")
fused_val=$(value "fused val loss")
awk -v t="$tuned_val" -v b="$base_val" 'BEGIN { exit !(t < b - 0.1) }' ||
  { echo "fine-tuned val loss $tuned_val not clearly below the base's $base_val"; exit 1; }
close "$fused_val" "$tuned_val" ||
  { echo "fused val loss $fused_val differs from the fine-tuned $tuned_val"; exit 1; }

# The fused model loads as a base checkpoint and evaluates the same; the
# saved adapters on the base give the same loss again.
run "$finetune" --base "$work/fused.h5" --steps 0
close "$(value "base val loss")" "$tuned_val" ||
  { echo "the fused checkpoint evaluates differently"; exit 1; }
run "$finetune" --base "$base" --load-adapters "$work/adapters.safetensors" \
  --rank 4 --scale 2 --steps 0
close "$(value "fine-tuned val loss")" "$tuned_val" ||
  { echo "the reloaded adapters evaluate differently"; exit 1; }

/usr/bin/python3 "$here/check_finetune.py" "$base" "$work/adapters.safetensors" \
  "$work/fused.h5" 2
echo "base $base_val -> fine-tuned $tuned_val (fused $fused_val)"
