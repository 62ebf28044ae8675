// What the kernels that call OpenBLAS share: its thread count and the size
// below which a gemm runs single-threaded on one of our pool's threads.
#pragma once

#include <cstddef>

namespace mlx::core::cpu {

// Gemms doing fewer multiply-adds than this run in parallel over the pool
// (each single-threaded inside OpenBLAS, which does not thread gemms this
// small); larger ones run one after the other, each threaded by OpenBLAS.
// 64^3 is about where a gemm takes tens of microseconds, well above the
// cost of waking a pool thread.
constexpr size_t kSmallGemmWork = size_t(64) * 64 * 64;

// OpenBLAS (Debian's pthread build) keeps its own threads. A stream worker
// that calls gemm waits inside it, and our pool's threads sleep unless some
// kernel calls parallel_for, so the two pools do not compete: OpenBLAS gets
// as many threads as our pool has (which honours MLX_NUM_THREADS), unless
// the user chose its count through its own environment variables. Called
// before the first gemm; later calls do nothing.
void configure_blas_threads();

} // namespace mlx::core::cpu
