#!/usr/bin/env bash
# Builds the library and the whole test suite with AddressSanitizer and
# UndefinedBehaviorSanitizer, then runs ctest (CPU and, where built, the
# Vulkan tests on lavapipe). Not part of CI: a full run takes long on a
# small machine. Usage: bash scripts/sanitize.sh [build-dir] [ctest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-asan}
shift || true
bash scripts/install_deps.sh
flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMLX_BUILD_TESTS=ON -DMLX_BUILD_EXAMPLES=ON \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_C_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined"
cmake --build "$build" -j "$(nproc)"
# The install tests build programs outside the project against the
# installed (sanitized) static libraries: they need the runtimes too.
export CXXFLAGS="$flags" CFLAGS="$flags" LDFLAGS="-fsanitize=address,undefined"
# Open MPI and the Vulkan loader keep some allocations until exit: leaks
# are not what this run looks for.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" --timeout 1800 "$@"
