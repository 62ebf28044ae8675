#!/usr/bin/env bash
# Installs the built package into a scratch prefix, builds the outside
# project against it, runs one of its programs (default: example) and
# checks what it prints: example's one line, or mlx_compat's output
# against mlx_compat.expected.
set -euo pipefail
build_dir=$1
source_dir=$2
program=${3:-example}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" > "$work/install.log"
cmake -S "$source_dir" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_BUILD_TYPE=Release > "$work/configure.log"
if ! cmake --build "$work/build" --target "$program" > "$work/build.log" 2>&1; then
  cat "$work/build.log"
  exit 1
fi
if ! out=$("$work/build/$program" 2>&1); then
  echo "$program failed:"
  echo "$out"
  exit 1
fi
if [ "$program" = example ]; then
  expected="array([2, 4, 6], dtype=int32)"
else
  expected=$(cat "$source_dir/$program.expected")
fi
if [ "$out" != "$expected" ]; then
  echo "$program printed:"
  echo "$out"
  echo "expected:"
  echo "$expected"
  exit 1
fi
echo "$program printed: $out"
