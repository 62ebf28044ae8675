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

} // namespace mlx::core::cpu
