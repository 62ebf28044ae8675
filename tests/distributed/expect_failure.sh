#!/usr/bin/env bash
# Runs a job that must fail: passes when the command exits non-zero within
# LIMIT seconds and its output contains every PATTERN (extended regexes).
#   expect_failure.sh LIMIT [PATTERN...] -- COMMAND...
set -uo pipefail
limit=$1
shift
patterns=()
while [ "$1" != "--" ]; do
  patterns+=("$1")
  shift
done
shift
start=$(date +%s)
output=$(timeout --kill-after=5 "$limit" "$@" 2>&1)
status=$?
elapsed=$(($(date +%s) - start))
echo "$output"
echo "exit status $status after ${elapsed} s"
if [ "$status" -eq 0 ]; then
  echo "FAIL: the job succeeded"
  exit 1
fi
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  echo "FAIL: the job did not end within $limit s"
  exit 1
fi
for p in "${patterns[@]}"; do
  if ! grep -Eq -- "$p" <<<"$output"; then
    echo "FAIL: the output does not match '$p'"
    exit 1
  fi
done
echo "PASS"
