#!/usr/bin/env bash
# Installs dependencies, builds the library and tests, and runs ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
jobs=$(nproc)
cmake -S . -B build-tests -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMLX_BUILD_TESTS=ON -DMLX_BUILD_EXAMPLES=ON
cmake --build build-tests -j "$jobs"
ctest --test-dir build-tests --output-on-failure -j "$jobs" --timeout 600
