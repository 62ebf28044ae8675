#!/usr/bin/env bash
# Installs the Debian 12 packages the project builds and tests with.
# Idempotent; run as root.
set -euo pipefail
packages=(
  build-essential cmake pkg-config
  libopenblas-dev liblapacke-dev
  libgtest-dev libbenchmark-dev
  libopenmpi-dev openmpi-bin
  zlib1g-dev python3-numpy
  # HDF5 checkpoints (checkpoint/): the C library, and h5py for the test
  # that reads our files from Python.
  libhdf5-dev python3-h5py
  dataset-fashion-mnist fortunes
  # scripts/plot_training.py: the examples' --log curves drawn to a PNG.
  python3-matplotlib
  # finetune_lm's second text: German fortunes, a new language for a model
  # pretrained on the English ones; they sit in fortunes/de, a sub-folder
  # that train_lm's corpus (the folder's own files) does not read.
  fortunes-de
  # Vulkan backend: loader and headers, the build-time shader compiler and
  # validator, and Mesa's lavapipe (a CPU Vulkan device the tests run on).
  # vulkan-tools (vulkaninfo) is optional, for looking at the devices.
  libvulkan-dev glslang-tools spirv-tools mesa-vulkan-drivers vulkan-tools
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}"
fi
