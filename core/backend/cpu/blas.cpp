#include "mlx/backend/cpu/blas.h"

#include <cblas.h>
#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <string>

#include "mlx/backend/cpu/thread_pool.h"

namespace mlx::core::cpu {

namespace {

// OpenBLAS's idle threads poll (sched_yield) for 2^28 cycles, about 0.1 s,
// after each threaded gemm before they sleep, so through a training step
// they hold a core each while our pool's threads run the kernels between
// gemms. With several ranks on one host that oversubscribes it: on a
// 16-core host, 8 ranks of 2 threads ran at 43-50% weak-scaling efficiency
// (benchmarks/RESULTS.md, "Sixth session"). Unless the user set
// OPENBLAS_THREAD_TIMEOUT, shorten the poll to 2^kBlasPollLog2 cycles
// (about 0.1 ms, still covering back-to-back gemms). OpenBLAS reads the
// value when its threads start, at load: so re-read the environment and
// stop them (they restart at the next threaded call). Both functions are
// exported by OpenBLAS's pthread build only; another BLAS keeps its own.
constexpr int kBlasPollLog2 = 18;

struct ShortenBlasPoll {
  ShortenBlasPoll() {
    if (std::getenv("OPENBLAS_THREAD_TIMEOUT") ||
        std::getenv("GOTO_THREAD_TIMEOUT")) {
      return;
    }
    auto read_env =
        reinterpret_cast<void (*)()>(dlsym(RTLD_DEFAULT, "openblas_read_env"));
    auto stop_threads = reinterpret_cast<int (*)()>(
        dlsym(RTLD_DEFAULT, "blas_thread_shutdown_"));
    if (!read_env || !stop_threads) {
      return;
    }
    setenv("OPENBLAS_THREAD_TIMEOUT", std::to_string(kBlasPollLog2).c_str(), 0);
    read_env();
    unsetenv("OPENBLAS_THREAD_TIMEOUT"); // not inherited by child processes
    stop_threads();
  }
};

// At load, after OpenBLAS's own initialization (a library's constructors
// run after those of the libraries it links) and before any thread of ours
// can be inside OpenBLAS.
const ShortenBlasPoll shorten_blas_poll;

CBLAS_TRANSPOSE transpose(bool trans) {
  return trans ? CblasTrans : CblasNoTrans;
}

} // namespace

void configure_blas_threads() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (!std::getenv("OPENBLAS_NUM_THREADS") &&
        !std::getenv("GOTO_NUM_THREADS") && !std::getenv("OMP_NUM_THREADS")) {
      openblas_set_num_threads(cpu::num_threads());
    }
  });
}

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
