#!/usr/bin/env bash
# Runs a training command and checks the test accuracy of its last
# "epoch ..." line: check_accuracy.sh MIN_ACCURACY -- COMMAND...
set -euo pipefail
min="$1"
shift 2
log=$("$@" 2>&1) || { echo "$log"; echo "command failed"; exit 1; }
echo "$log"
last=$(echo "$log" | grep -o "test accuracy [0-9.]*" | tail -1 | awk '{print $3}')
if [ -z "$last" ]; then
  echo "no accuracy line in the output"
  exit 1
fi
awk -v a="$last" -v m="$min" 'BEGIN { exit !(a >= m) }' ||
  { echo "accuracy $last below $min"; exit 1; }
echo "accuracy $last >= $min"
