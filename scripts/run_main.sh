#!/usr/bin/env bash
# Installs dependencies, builds in Release and runs the main job: the MLP
# of train_mnist trained data-parallel on Fashion-MNIST by 2 ranks started
# by mlx.launch over the TCP ring (10 epochs; one line per epoch).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DMLX_BUILD_TESTS=OFF
cmake --build build -j "$(nproc)"
./build/launch/mlx.launch -n 2 -- ./build/examples/train_mnist --epochs 10
