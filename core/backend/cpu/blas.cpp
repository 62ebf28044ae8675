#include "mlx/backend/cpu/blas.h"

#include <cblas.h>

#include <cstdlib>
#include <mutex>

#include "mlx/backend/cpu/thread_pool.h"

namespace mlx::core::cpu {

void configure_blas_threads() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (!std::getenv("OPENBLAS_NUM_THREADS") &&
        !std::getenv("GOTO_NUM_THREADS") && !std::getenv("OMP_NUM_THREADS")) {
      openblas_set_num_threads(cpu::num_threads());
    }
  });
}

namespace {

CBLAS_TRANSPOSE transpose(bool trans) {
  return trans ? CblasTrans : CblasNoTrans;
}

} // namespace

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
    int ldc) {
  cblas_sgemm(
      CblasRowMajor,
      transpose(trans_a),
      transpose(trans_b),
      m,
      n,
      k,
      alpha,
      a,
      lda,
      b,
      ldb,
      beta,
      c,
      ldc);
}

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
    int ldc) {
  cblas_dgemm(
      CblasRowMajor,
      transpose(trans_a),
      transpose(trans_b),
      m,
      n,
      k,
      alpha,
      a,
      lda,
      b,
      ldb,
      beta,
      c,
      ldc);
}

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
    int ldc) {
  // The complex variant takes alpha and beta by address.
  cblas_cgemm(
      CblasRowMajor,
      transpose(trans_a),
      transpose(trans_b),
      m,
      n,
      k,
      &alpha,
      a,
      lda,
      b,
      ldb,
      &beta,
      c,
      ldc);
}

} // namespace mlx::core::cpu
