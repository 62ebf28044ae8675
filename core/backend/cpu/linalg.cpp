// CPU kernels of the matrix factorizations: LAPACKE, one matrix at a time.
#include <lapacke.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "mlx/backend/cpu/copy.h"
#include "mlx/primitives/linalg.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

int syevd(char uplo, int n, float* a, float* w) {
  return LAPACKE_ssyevd(LAPACK_ROW_MAJOR, 'V', uplo, n, a, n, w);
}

int syevd(char uplo, int n, double* a, double* w) {
  return LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', uplo, n, a, n, w);
}

// Whether the triangle of the row-major n x n matrix that LAPACK reads is
// finite (LAPACK's behaviour on NaN/inf is unspecified).
template <typename T> bool triangle_is_finite(const T* a, int n, char uplo) {
  for (int i = 0; i < n; ++i) {
    int begin = uplo == 'L' ? 0 : i;
    int end = uplo == 'L' ? i + 1 : n;
    for (int j = begin; j < end; ++j) {
      if (!std::isfinite(a[int64_t(i) * n + j])) {
        return false;
      }
    }
  }
  return true;
}

template <typename T>
void eigh_batch(char uplo, int n, size_t batch, T* vectors, T* values) {
  const T nan = std::numeric_limits<T>::quiet_NaN();
  const int64_t nn = int64_t(n) * n;
  for (size_t b = 0; b < batch; ++b) {
    T* a = vectors + b * nn;
    T* w = values + b * n;
    if (!triangle_is_finite(a, n, uplo)) {
      std::fill(a, a + nn, nan);
      std::fill(w, w + n, nan);
      continue;
    }
    int info = syevd(uplo, n, a, w);
    if (info != 0) {
      throw_error<std::runtime_error>(
          "[Eigh] LAPACK ?syevd failed on matrix ",
          b,
          " of the batch (info = ",
          info,
          ").");
    }
  }
}

} // namespace

void Eigh::eval_cpu(
    const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& a = inputs[0];
  array& values = outputs[0];
  array& vectors = outputs[1];
  // LAPACK overwrites the matrix with its eigenvectors: work in v's buffer.
  cpu::copy_to_row_contiguous(a, vectors);
  values.set_data(allocator::malloc(values.nbytes()));
  int n = a.shape(-1);
  if (a.size() == 0) {
    return;
  }
  size_t batch = a.size() / (size_t(n) * n);
  if (a.dtype() == float32) {
    eigh_batch(uplo_, n, batch, vectors.data<float>(), values.data<float>());
  } else if (a.dtype() == float64) {
    eigh_batch(uplo_, n, batch, vectors.data<double>(), values.data<double>());
  } else {
    throw_error("[Eigh] Unsupported dtype ", a.dtype(), ".");
  }
}

} // namespace mlx::core
