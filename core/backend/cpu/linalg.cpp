// CPU kernels of the matrix factorizations: LAPACKE, one matrix of the batch
// at a time, in a buffer LAPACK may overwrite. Where a factorization of a^T
// gives what the op needs (inv, cholesky, det, qr), LAPACK is called
// column-major on the row-major data, which it reads as a^T: LAPACKE's
// row-major layout would copy each matrix into a transposed buffer and back.
// Failures LAPACK reports raise an error naming the op and the matrix's
// index in the batch.
#include <lapacke.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "mlx/backend/cpu/copy.h"
#include "mlx/primitives/linalg.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

// Overloads that pick the LAPACKE routine of the element type.
int getrf(int m, int n, float* a, int* ipiv) {
  return LAPACKE_sgetrf(LAPACK_ROW_MAJOR, m, n, a, n, ipiv);
}
int getrf(int m, int n, double* a, int* ipiv) {
  return LAPACKE_dgetrf(LAPACK_ROW_MAJOR, m, n, a, n, ipiv);
}
// LU of a^T (n x m column-major, i.e. a's row-major data as is): its U's
// diagonal and pivots give det(a) = det(a^T).
int getrf_of_transpose(int m, int n, float* a, int* ipiv) {
  return LAPACKE_sgetrf(LAPACK_COL_MAJOR, n, m, a, n, ipiv);
}
int getrf_of_transpose(int m, int n, double* a, int* ipiv) {
  return LAPACKE_dgetrf(LAPACK_COL_MAJOR, n, m, a, n, ipiv);
}
// Solves a x = b from getrf_of_transpose's factors of a^T: (a^T)^T x = b
// ('T'), with b and x column-major n x k.
int getrs_of_transpose(
    int n, int k, const float* lu, const int* ipiv, float* b) {
  return LAPACKE_sgetrs(LAPACK_COL_MAJOR, 'T', n, k, lu, n, ipiv, b, n);
}
int getrs_of_transpose(
    int n, int k, const double* lu, const int* ipiv, double* b) {
  return LAPACKE_dgetrs(LAPACK_COL_MAJOR, 'T', n, k, lu, n, ipiv, b, n);
}
// Inverse of a row-major a into the identity it overwrites: LAPACK reads
// row-major a as column-major a^T and returns (a^T)^-1 column-major, which
// read row-major is a^-1; so no transposes (LAPACKE's row-major layout would
// copy both matrices each way).
int inverse_gesv(int n, float* a, int* ipiv, float* identity) {
  return LAPACKE_sgesv(LAPACK_COL_MAJOR, n, n, a, n, ipiv, identity, n);
}
int inverse_gesv(int n, double* a, int* ipiv, double* identity) {
  return LAPACKE_dgesv(LAPACK_COL_MAJOR, n, n, a, n, ipiv, identity, n);
}
int trtri(char uplo, int n, float* a) {
  return LAPACKE_strtri(LAPACK_ROW_MAJOR, uplo, 'N', n, a, n);
}
int trtri(char uplo, int n, double* a) {
  return LAPACKE_dtrtri(LAPACK_ROW_MAJOR, uplo, 'N', n, a, n);
}
// Cholesky factor of a symmetric row-major a, `uplo` the triangle of the
// row-major factor: column-major LAPACK sees a^T = a, and its factor in the
// other triangle (a = U^T U for 'U') read row-major is U^T, lower (and the
// other way round). It reads only that triangle of the row-major data.
int potrf(char uplo, int n, float* a) {
  return LAPACKE_spotrf(LAPACK_COL_MAJOR, uplo == 'L' ? 'U' : 'L', n, a, n);
}
int potrf(char uplo, int n, double* a) {
  return LAPACKE_dpotrf(LAPACK_COL_MAJOR, uplo == 'L' ? 'U' : 'L', n, a, n);
}
int geqrf(int m, int n, float* a, float* tau) {
  return LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, m, n, a, n, tau);
}
int geqrf(int m, int n, double* a, double* tau) {
  return LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, m, n, a, n, tau);
}
int orgqr(int m, int k, int lda, float* a, const float* tau) {
  return LAPACKE_sorgqr(LAPACK_ROW_MAJOR, m, k, k, a, lda, tau);
}
int orgqr(int m, int k, int lda, double* a, const double* tau) {
  return LAPACKE_dorgqr(LAPACK_ROW_MAJOR, m, k, k, a, lda, tau);
}
// QR of a row-major (m, n) a as the LQ of a^T (column-major (n, m), lda n):
// a^T = L Q' gives a = Q'^T L^T, so R = L^T and Q = Q'^T, and read
// row-major both sit where row-major ?geqrf/?orgqr would put them: R on and
// above the diagonal, Q's k columns in the first k columns of each row.
int gelqf(int m, int n, float* a, float* tau) {
  return LAPACKE_sgelqf(LAPACK_COL_MAJOR, n, m, a, n, tau);
}
int gelqf(int m, int n, double* a, double* tau) {
  return LAPACKE_dgelqf(LAPACK_COL_MAJOR, n, m, a, n, tau);
}
// Q'^T (m, k) from gelqf's reflectors: orglq builds Q' (k, m) column-major.
int orglq(int m, int k, int lda, float* a, const float* tau) {
  return LAPACKE_sorglq(LAPACK_COL_MAJOR, k, m, k, a, lda, tau);
}
int orglq(int m, int k, int lda, double* a, const double* tau) {
  return LAPACKE_dorglq(LAPACK_COL_MAJOR, k, m, k, a, lda, tau);
}
int gesdd(char jobz, int m, int n, float* a, float* s, float* u, float* vt) {
  return LAPACKE_sgesdd(LAPACK_ROW_MAJOR, jobz, m, n, a, n, s, u, m, vt, n);
}
int gesdd(
    char jobz, int m, int n, double* a, double* s, double* u, double* vt) {
  return LAPACKE_dgesdd(LAPACK_ROW_MAJOR, jobz, m, n, a, n, s, u, m, vt, n);
}
int geev(char jobvr, int n, float* a, float* wr, float* wi, float* vr) {
  return LAPACKE_sgeev(
      LAPACK_ROW_MAJOR, 'N', jobvr, n, a, n, wr, wi, nullptr, n, vr, n);
}
int geev(char jobvr, int n, double* a, double* wr, double* wi, double* vr) {
  return LAPACKE_dgeev(
      LAPACK_ROW_MAJOR, 'N', jobvr, n, a, n, wr, wi, nullptr, n, vr, n);
}
int syevd(char uplo, int n, float* a, float* w) {
  return LAPACKE_ssyevd(LAPACK_ROW_MAJOR, 'V', uplo, n, a, n, w);
}
int syevd(char uplo, int n, double* a, double* w) {
  return LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', uplo, n, a, n, w);
}

// "matrix 4 (index [1, 1]) of the batch of shape [2, 3]" for messages.
std::string batch_position(const array& a, size_t b) {
  Shape batch(a.shape().begin(), a.shape().end() - 2);
  Shape index(batch.size());
  size_t rest = b;
  for (int d = static_cast<int>(batch.size()) - 1; d >= 0; --d) {
    index[d] = static_cast<int>(rest % batch[d]);
    rest /= batch[d];
  }
  std::ostringstream os;
  os << "matrix " << b;
  if (!batch.empty()) {
    os << " (index " << index << ") of the batch of shape " << batch;
  }
  return os.str();
}

// The matrices of `a` (row-contiguous), one at a time in a scratch copy:
// f(b, scratch) for b over the batch. T is a's element type.
template <typename T, typename F> void for_each_matrix(const array& a, F&& f) {
  array in = cpu::ensure_row_contiguous(a);
  size_t mn = size_t(a.shape(-2)) * a.shape(-1);
  size_t batch = mn == 0 ? 0 : a.size() / mn;
  std::vector<T> scratch(mn);
  const T* src = in.data<T>();
  for (size_t b = 0; b < batch; ++b) {
    std::copy(src + b * mn, src + (b + 1) * mn, scratch.data());
    f(b, scratch.data());
  }
}

void alloc(array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
}

// For kernels whose output has a's shape and is factored in place: matrix
// b of `out` gets a's matrix b (or out takes a's buffer when donatable),
// then f(b, that matrix). Copying one matrix just before it is factored
// keeps it hot in cache (a copy of the whole batch first measured slower).
template <typename T, typename F>
void for_each_matrix_in_place(const array& a, array& out, F&& f) {
  bool donated = a.is_donatable();
  array in = cpu::ensure_row_contiguous(a);
  if (donated) {
    out.copy_shared_buffer(a);
  } else {
    alloc(out);
  }
  size_t mn = size_t(a.shape(-2)) * a.shape(-1);
  size_t batch = mn == 0 ? 0 : a.size() / mn;
  const T* src = in.data<T>();
  T* dst = out.data<T>();
  for (size_t b = 0; b < batch; ++b) {
    if (!donated) {
      std::copy(src + b * mn, src + (b + 1) * mn, dst + b * mn);
    }
    f(b, dst + b * mn);
  }
}

template <typename T> bool all_finite(const T* a, size_t n) {
  return std::all_of(a, a + n, [](T x) { return std::isfinite(x); });
}

// out (cols x rows, row-major) = the transpose of in (rows x cols).
template <typename T>
void transpose_into(const T* in, int rows, int cols, T* out) {
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      out[int64_t(c) * rows + r] = in[int64_t(r) * cols + c];
    }
  }
}

// Zero the strict upper (keep 'L') or lower (keep 'U') triangle.
template <typename T> void keep_triangle(T* a, int n, char keep) {
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      if (keep == 'L' ? j > i : j < i) {
        a[int64_t(i) * n + j] = T(0);
      }
    }
  }
}

// Calls f(T{}) with T float or double from a's dtype.
template <typename F>
void dispatch_real(const array& a, const char* op, F&& f) {
  if (a.dtype() == float32) {
    f(float{});
  } else if (a.dtype() == float64) {
    f(double{});
  } else {
    throw_error("[", op, "] Unsupported dtype ", a.dtype(), ".");
  }
}

template <typename T>
void inverse(const array& a, array& out, Inverse::Kind kind, const char* op) {
  int n = a.shape(-1);
  T* dst = out.data<T>();
  std::vector<int> ipiv(n);
  for_each_matrix<T>(a, [&](size_t b, T* m) {
    int info = 0;
    T* inv = dst + b * int64_t(n) * n;
    if (kind == Inverse::Kind::general) {
      // Solving a X = I (?gesv), as NumPy does.
      std::fill(inv, inv + int64_t(n) * n, T(0));
      for (int i = 0; i < n; ++i) {
        inv[int64_t(i) * n + i] = T(1);
      }
      info = inverse_gesv(n, m, ipiv.data(), inv);
    } else {
      char uplo = kind == Inverse::Kind::lower ? 'L' : 'U';
      keep_triangle(m, n, uplo);
      info = trtri(uplo, n, m);
    }
    if (info > 0) {
      throw_error<std::runtime_error>(
          "[",
          op,
          "] The ",
          batch_position(a, b),
          " is singular (U[",
          info - 1,
          ", ",
          info - 1,
          "] is exactly zero).");
    }
    if (kind != Inverse::Kind::general) {
      std::copy(m, m + int64_t(n) * n, inv);
    }
  });
}

} // namespace

void Inverse::eval_cpu(const std::vector<array>& inputs, array& out) {
  alloc(out);
  dispatch_real(inputs[0], op_, [&](auto tag) {
    inverse<decltype(tag)>(inputs[0], out, kind_, op_);
  });
}

void Solve::eval_cpu(const std::vector<array>& inputs, array& out) {
  alloc(out);
  const array& a = inputs[0];
  int n = a.shape(-1), k = out.shape(-1);
  dispatch_real(a, "linalg::solve", [&](auto tag) {
    using T = decltype(tag);
    // ?getrs overwrites b with x: copy b into the output first. LU of a^T
    // and a transposed solve, so that LAPACK reads the row-major a as it is
    // (?gesv through LAPACKE's row-major layout transposed each matrix; for
    // one right-hand side b needs no transpose either).
    array b = cpu::ensure_row_contiguous(inputs[1]);
    T* x = out.data<T>();
    std::copy(b.data<T>(), b.data<T>() + b.size(), x);
    std::vector<int> ipiv(n);
    std::vector<T> column_major(k > 1 ? size_t(n) * k : 0);
    for_each_matrix<T>(a, [&](size_t i, T* m) {
      int info = getrf_of_transpose(n, n, m, ipiv.data());
      if (info == 0) {
        T* xi = x + i * int64_t(n) * k;
        if (k == 1) {
          getrs_of_transpose(n, 1, m, ipiv.data(), xi);
        } else {
          transpose_into(xi, n, k, column_major.data());
          getrs_of_transpose(n, k, m, ipiv.data(), column_major.data());
          transpose_into(column_major.data(), k, n, xi);
        }
      }
      if (info > 0) {
        throw_error<std::runtime_error>(
            "[linalg::solve] The ",
            batch_position(a, i),
            " is singular (U[",
            info - 1,
            ", ",
            info - 1,
            "] is exactly zero).");
      }
    });
  });
}

void Cholesky::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& a = inputs[0];
  int n = a.shape(-1);
  char uplo = upper_ ? 'U' : 'L';
  dispatch_real(a, "linalg::cholesky", [&](auto tag) {
    using T = decltype(tag);
    for_each_matrix_in_place<T>(a, out, [&](size_t b, T* m) {
      int info = potrf(uplo, n, m);
      if (info > 0) {
        throw_error<std::runtime_error>(
            "[linalg::cholesky] The ",
            batch_position(a, b),
            " is not positive definite (its leading minor of order ",
            info,
            " is not positive).");
      }
      keep_triangle(m, n, uplo);
    });
  });
}

void LUF::eval_cpu(
    const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& a = inputs[0];
  int m = a.shape(-2), n = a.shape(-1), k = std::min(m, n);
  alloc(outputs[1]);
  alloc(outputs[2]);
  std::vector<int> ipiv(k);
  dispatch_real(a, "linalg::lu_factor", [&](auto tag) {
    using T = decltype(tag);
    uint32_t* pivots = outputs[1].data<uint32_t>();
    uint32_t* rows = outputs[2].data<uint32_t>();
    for_each_matrix_in_place<T>(a, outputs[0], [&](size_t b, T* mat) {
      // info > 0 (an exact zero on U's diagonal) still gives a valid LU.
      if (of_transpose_) {
        getrf_of_transpose(m, n, mat, ipiv.data());
      } else {
        getrf(m, n, mat, ipiv.data());
      }
      uint32_t* piv = pivots + b * k;
      uint32_t* row = rows + b * m;
      for (int i = 0; i < m; ++i) {
        row[i] = i;
      }
      for (int i = 0; i < k; ++i) {
        piv[i] = static_cast<uint32_t>(ipiv[i] - 1);
      }
      // P a = L U with P the swaps in order; a = (L U)[rows] undoes them.
      for (int i = k - 1; i >= 0; --i) {
        std::swap(row[i], row[piv[i]]);
      }
    });
  });
}

void QRF::eval_cpu(
    const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& a = inputs[0];
  int m = a.shape(-2), n = a.shape(-1), k = std::min(m, n);
  alloc(outputs[0]);
  alloc(outputs[1]);
  dispatch_real(a, "linalg::qr", [&](auto tag) {
    using T = decltype(tag);
    T* q = outputs[0].data<T>();
    T* r = outputs[1].data<T>();
    std::vector<T> tau(k);
    // Small matrices: ?gelqf's row reflectors on column-major data measured
    // slower (64 x 64: 0.8x) than LAPACKE's transposes around ?geqrf; large
    // ones gain from skipping the transposes (512 x 512: 1.45x). Sizes in
    // between were not measured.
    bool lq = k >= 128;
    for_each_matrix<T>(a, [&](size_t b, T* mat) {
      if (lq) {
        gelqf(m, n, mat, tau.data());
      } else {
        geqrf(m, n, mat, tau.data());
      }
      T* rb = r + b * int64_t(k) * n;
      for (int i = 0; i < k; ++i) {
        for (int j = 0; j < n; ++j) {
          rb[int64_t(i) * n + j] = j >= i ? mat[int64_t(i) * n + j] : T(0);
        }
      }
      // Q's K columns overwrite the first K columns of the (M, N) buffer.
      if (lq) {
        orglq(m, k, n, mat, tau.data());
      } else {
        orgqr(m, k, n, mat, tau.data());
      }
      T* qb = q + b * int64_t(m) * k;
      for (int i = 0; i < m; ++i) {
        std::copy(mat + int64_t(i) * n, mat + int64_t(i) * n + k, qb + i * k);
      }
    });
  });
}

void SVD::eval_cpu(
    const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& a = inputs[0];
  int m = a.shape(-2), n = a.shape(-1), k = std::min(m, n);
  for (auto& o : outputs) {
    alloc(o);
  }
  dispatch_real(a, "linalg::svd", [&](auto tag) {
    using T = decltype(tag);
    const T nan = std::numeric_limits<T>::quiet_NaN();
    T* s = outputs[compute_uv_ ? 1 : 0].data<T>();
    T* u = compute_uv_ ? outputs[0].data<T>() : nullptr;
    T* vt = compute_uv_ ? outputs[2].data<T>() : nullptr;
    std::vector<T> u_unused(1), vt_unused(1);
    for_each_matrix<T>(a, [&](size_t b, T* mat) {
      T* sb = s + b * k;
      T* ub = compute_uv_ ? u + b * int64_t(m) * m : u_unused.data();
      T* vb = compute_uv_ ? vt + b * int64_t(n) * n : vt_unused.data();
      if (!all_finite(mat, size_t(m) * n)) {
        std::fill(sb, sb + k, nan);
        if (compute_uv_) {
          std::fill(ub, ub + int64_t(m) * m, nan);
          std::fill(vb, vb + int64_t(n) * n, nan);
        }
        return;
      }
      int info = gesdd(compute_uv_ ? 'A' : 'N', m, n, mat, sb, ub, vb);
      if (info != 0) {
        throw_error<std::runtime_error>(
            "[linalg::svd] LAPACK ?gesdd did not converge on the ",
            batch_position(a, b),
            " (info = ",
            info,
            ").");
      }
    });
  });
}

void Eig::eval_cpu(
    const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& a = inputs[0];
  int n = a.shape(-1);
  for (auto& o : outputs) {
    alloc(o);
  }
  dispatch_real(a, "linalg::eig", [&](auto tag) {
    using T = decltype(tag);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    complex64_t* w = outputs[0].data<complex64_t>();
    complex64_t* v =
        compute_vectors_ ? outputs[1].data<complex64_t>() : nullptr;
    std::vector<T> wr(n), wi(n), vr(compute_vectors_ ? size_t(n) * n : 1);
    for_each_matrix<T>(a, [&](size_t b, T* mat) {
      complex64_t* wb = w + b * n;
      complex64_t* vb = compute_vectors_ ? v + b * int64_t(n) * n : nullptr;
      if (!all_finite(mat, size_t(n) * n)) {
        std::fill(wb, wb + n, complex64_t(nan, nan));
        if (vb) {
          std::fill(vb, vb + int64_t(n) * n, complex64_t(nan, nan));
        }
        return;
      }
      int info = geev(
          compute_vectors_ ? 'V' : 'N',
          n,
          mat,
          wr.data(),
          wi.data(),
          vr.data());
      if (info != 0) {
        throw_error<std::runtime_error>(
            "[linalg::eig] LAPACK ?geev did not converge on the ",
            batch_position(a, b),
            " (info = ",
            info,
            ").");
      }
      for (int j = 0; j < n; ++j) {
        wb[j] = complex64_t(float(wr[j]), float(wi[j]));
      }
      if (!vb) {
        return;
      }
      // A complex pair j, j+1 stores re in column j and im in column j+1;
      // the second vector is the conjugate of the first.
      for (int j = 0; j < n; ++j) {
        bool pair = wi[j] != 0 && j + 1 < n;
        for (int i = 0; i < n; ++i) {
          T re = vr[int64_t(i) * n + j];
          T im = pair ? vr[int64_t(i) * n + j + 1] : T(0);
          vb[int64_t(i) * n + j] = complex64_t(float(re), float(im));
          if (pair) {
            vb[int64_t(i) * n + j + 1] = complex64_t(float(re), float(-im));
          }
        }
        j += pair ? 1 : 0;
      }
    });
  });
}

void Eigh::eval_cpu(
    const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& a = inputs[0];
  int n = a.shape(-1);
  alloc(outputs[0]);
  alloc(outputs[1]);
  dispatch_real(a, "linalg::eigh", [&](auto tag) {
    using T = decltype(tag);
    const T nan = std::numeric_limits<T>::quiet_NaN();
    T* w = outputs[0].data<T>();
    T* v = outputs[1].data<T>();
    for_each_matrix<T>(a, [&](size_t b, T* mat) {
      T* wb = w + b * n;
      T* vb = v + b * int64_t(n) * n;
      // Only the triangle LAPACK reads counts; its behaviour on NaN/inf is
      // unspecified, so those give NaN outputs instead.
      keep_triangle(mat, n, uplo_);
      if (!all_finite(mat, size_t(n) * n)) {
        std::fill(wb, wb + n, nan);
        std::fill(vb, vb + int64_t(n) * n, nan);
        return;
      }
      int info = syevd(uplo_, n, mat, wb);
      if (info != 0) {
        throw_error<std::runtime_error>(
            "[linalg::eigh] LAPACK ?syevd did not converge on the ",
            batch_position(a, b),
            " (info = ",
            info,
            ").");
      }
      std::copy(mat, mat + int64_t(n) * n, vb);
    });
  });
}

} // namespace mlx::core
