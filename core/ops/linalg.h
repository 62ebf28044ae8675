// Linear algebra (MLX's mlx.core.linalg): norms, factorizations, inverses
// and solvers over the last two axes, batched over the leading ones. The
// factorizations run through LAPACK on the CPU, as in MLX: on a GPU stream
// they raise an error asking for a CPU stream. Inputs are float32 or
// float64. Inverting a singular matrix or factoring a matrix that is not
// positive definite raises an error naming the op and the batch index.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mlx/array.h"
#include "mlx/device.h"
#include "mlx/ops.h"
#include "mlx/stream.h"

namespace mlx::core::linalg {

/**
 * Vector or matrix norms of order `ord`.
 * - No axis: a must be 1-D (vector norm) or 2-D (matrix norm).
 * - One axis: vector norm, ord any real (inf, -inf, 0 counts non-zeros).
 * - Two axes: matrix norm, ord in {1, -1, 2, -2, inf, -inf}.
 */
array norm(
    const array& a,
    const double ord,
    const std::optional<std::vector<int>>& axis = std::nullopt,
    bool keepdims = false,
    StreamOrDevice s = {});
inline array norm(
    const array& a,
    const double ord,
    int axis,
    bool keepdims = false,
    StreamOrDevice s = {}) {
  return norm(a, ord, std::vector<int>{axis}, keepdims, s);
}

/** Matrix norms 'fro' (Frobenius) and 'nuc' (nuclear, sum of singular
 * values) over two axes (a 2-D a when no axis is given). */
array norm(
    const array& a,
    const std::string& ord,
    const std::optional<std::vector<int>>& axis = std::nullopt,
    bool keepdims = false,
    StreamOrDevice s = {});
inline array norm(
    const array& a,
    const std::string& ord,
    int axis,
    bool keepdims = false,
    StreamOrDevice s = {}) {
  return norm(a, ord, std::vector<int>{axis}, keepdims, s);
}

/** The 2-norm of the flattened a (no axis), or along one axis, or the
 * Frobenius norm over two axes. */
array norm(
    const array& a,
    const std::optional<std::vector<int>>& axis = std::nullopt,
    bool keepdims = false,
    StreamOrDevice s = {});
inline array
norm(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {}) {
  return norm(a, std::vector<int>{axis}, keepdims, s);
}

/** Reduced QR: {q (..., M, K), r (..., K, N)}, K = min(M, N). */
std::pair<array, array> qr(const array& a, StreamOrDevice s = {});

/** {u (..., M, M), s (..., K), vt (..., N, N)} with a = u[:, :K] diag(s)
 * vt[:K], or {s} when not compute_uv. */
std::vector<array> svd(const array& a, bool compute_uv, StreamOrDevice s);
inline std::vector<array> svd(const array& a, StreamOrDevice s = {}) {
  return svd(a, true, s);
}

/** The inverse of square matrices. */
array inv(const array& a, StreamOrDevice s = {});

/** The inverse of triangular matrices (only the lower, or upper, triangle
 * of a is read). */
array tri_inv(const array& a, bool upper = false, StreamOrDevice s = {});

/** The Cholesky factor L (a = L L^T), or U (a = U^T U) when upper, of
 * symmetric positive definite matrices, reading that triangle of a. */
array cholesky(const array& a, bool upper = false, StreamOrDevice s = {});

/** The Moore-Penrose pseudo-inverse, from the SVD. */
array pinv(const array& a, StreamOrDevice s = {});

/** The inverse of the matrix whose Cholesky factor is a (lower, or upper
 * when upper): inv(L L^T) or inv(U^T U). */
array cholesky_inv(const array& a, bool upper = false, StreamOrDevice s = {});

/** {rows, L, U}: a = L[rows] @ U, rows (..., M) uint32, L (..., M, K)
 * unit lower triangular, U (..., K, N). */
std::vector<array> lu(const array& a, StreamOrDevice s = {});

/** {lu, pivots}: L and U packed in one (..., M, N) matrix, and the 0-based
 * row swaps (..., K) uint32 of LAPACK's ?getrf. */
std::pair<array, array> lu_factor(const array& a, StreamOrDevice s = {});

/** x with a @ x = b: b is (..., n) or (..., n, k), batch axes broadcast. */
array solve(const array& a, const array& b, StreamOrDevice s = {});

/** x with a @ x = b for triangular a (lower, or upper when upper). */
array solve_triangular(
    const array& a, const array& b, bool upper = false, StreamOrDevice s = {});

/** Cross product of 3-vectors (or 2-vectors, taken with z = 0) along axis. */
array cross(
    const array& a, const array& b, int axis = -1, StreamOrDevice s = {});

/** Eigenvalues and right eigenvectors (columns) of general square
 * matrices, complex64. */
std::pair<array, array> eig(const array& a, StreamOrDevice s = {});
array eigvals(const array& a, StreamOrDevice s = {});

/** Eigenvalues (ascending) of symmetric matrices, reading the triangle
 * UPLO ("L" or "U"). */
array eigvalsh(const array& a, std::string UPLO = "L", StreamOrDevice s = {});

/** {eigenvalues (ascending), eigenvectors (columns)} of symmetric matrices. */
std::pair<array, array>
eigh(const array& a, std::string UPLO = "L", StreamOrDevice s = {});

/** Determinants of square matrices (0 for a singular one). */
array det(const array& a, StreamOrDevice s = {});

/** {sign, log|det|} of square matrices ({0, -inf} for a singular one). */
std::pair<array, array> slogdet(const array& a, StreamOrDevice s = {});

namespace detail {

/** The LUF primitive's outputs {lu, pivots, rows} for a, or for a^T with
 * `of_transpose` (square a; what det and slogdet build on): lu_factor's and
 * det's common node, for import_function's check. */
std::vector<array>
lu_factorization(const array& a, bool of_transpose, StreamOrDevice s = {});

} // namespace detail

} // namespace mlx::core::linalg
