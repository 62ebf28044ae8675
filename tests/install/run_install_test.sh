#!/usr/bin/env bash
# Installs the built package into a scratch prefix, builds the outside
# example project against it, and checks what it prints.
set -euo pipefail
build_dir=$1
source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" > "$work/install.log"
cmake -S "$source_dir" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_BUILD_TYPE=Release > "$work/configure.log"
cmake --build "$work/build" > "$work/build.log"
out=$("$work/build/example")
expected="array([2, 4, 6], dtype=int32)"
if [ "$out" != "$expected" ]; then
  echo "example printed '$out', expected '$expected'"
  exit 1
fi
echo "example printed: $out"
