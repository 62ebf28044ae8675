#!/usr/bin/env bash
# Installs dependencies, builds in Release and runs the main job: a
# data-parallel training run on 2 ranks started by mlx.launch over the TCP
# ring (for now data-parallel linear regression; the nn training examples
# replace it when they land).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DMLX_BUILD_TESTS=OFF
cmake --build build -j "$(nproc)"
./build/launch/mlx.launch -n 2 -- ./build/examples/linear_regression_dp
