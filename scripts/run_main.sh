#!/usr/bin/env bash
# Installs dependencies, builds in Release and runs the main job (for now
# the example program; the data-parallel training run replaces it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DMLX_BUILD_TESTS=OFF
cmake --build build -j "$(nproc)"
./build/examples/hello_mlx
