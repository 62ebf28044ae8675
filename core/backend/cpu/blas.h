// What the kernels that call OpenBLAS share: the one gemm wrapper, its
// thread count and the size below which a gemm runs single-threaded on one
// of our pool's threads.
#pragma once

#include <cstddef>

#include "mlx/dtype.h"

namespace mlx::core::cpu {

// Gemms doing fewer multiply-adds than this run in parallel over the pool
// (each single-threaded inside OpenBLAS, which does not thread gemms this
// small); larger ones run one after the other, each threaded by OpenBLAS.
// 64^3 is about where a gemm takes tens of microseconds, well above the
// cost of waking a pool thread; it is also where OpenBLAS stops running a
// gemm on the calling thread alone (4 * 65536 multiply-adds: its
// GEMM_MULTITHREAD_THRESHOLD times SMP_THRESHOLD_MIN).
constexpr size_t kSmallGemmWork = size_t(64) * 64 * 64;

// OpenBLAS (Debian's pthread build) keeps its own threads. A stream worker
// that calls gemm waits inside it, and our pool's threads sleep unless some
// kernel calls parallel_for; OpenBLAS's idle threads poll only briefly
// (blas.cpp), so the two pools do not compete: OpenBLAS gets as many
// threads as our pool has (which honours MLX_NUM_THREADS), unless the user
// chose its count through its own environment variables. Called before the
// first gemm; later calls do nothing.
void configure_blas_threads();

/** Row-major c (m x n, ldc) = alpha * op(a) @ op(b) + beta * c, where
 * op(a) is m x k and op(b) is k x n, op transposing where asked: one
 * cblas ?gemm per element type. */
void gemm(
    bool trans_a,
    bool trans_b,
    int m,
    int n,
    int k,
    float alpha,
    const float* a,
    int lda,
    const float* b,
    int ldb,
    float beta,
    float* c,
    int ldc);
void gemm(
    bool trans_a,
    bool trans_b,
    int m,
    int n,
    int k,
    double alpha,
    const double* a,
    int lda,
    const double* b,
    int ldb,
    double beta,
    double* c,
    int ldc);
void gemm(
    bool trans_a,
    bool trans_b,
    int m,
    int n,
    int k,
    complex64_t alpha,
    const complex64_t* a,
    int lda,
    const complex64_t* b,
    int ldb,
    complex64_t beta,
    complex64_t* c,
    int ldc);

} // namespace mlx::core::cpu
