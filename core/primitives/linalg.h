// Matrix factorizations and inverses, computed with LAPACK on the CPU, one
// matrix of the batch (all leading axes) at a time. Inputs are float32 or
// float64 (..., M, N); the front ends (core/ops/linalg.cpp) check shapes and
// dtypes. Where LAPACK reports failure (a singular matrix to invert, a
// matrix that is not positive definite), the kernel raises an error naming
// the op and the matrix's index in the batch.
#pragma once

#include "mlx/primitives/primitive.h"

namespace mlx::core {

/** The inverse of square matrices a (..., n, n): general (?gesv of a X = I), or
 * triangular (?trtri), reading only the named triangle and returning a
 * triangular matrix. `op` names the front end (linalg::inv, linalg::solve,
 * ...) in the error a singular matrix raises. */
class Inverse : public UnaryPrimitive {
public:
  enum class Kind { general, lower, upper };
  Inverse(Stream stream, Kind kind, const char* op)
      : UnaryPrimitive(stream), kind_(kind), op_(op) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override { return "Inverse"; }
  bool is_equivalent(const Primitive& other) const override;
  Kind kind() const { return kind_; }
  const char* op() const { return op_; }

private:
  Kind kind_;
  const char* op_; // a string literal
};

/** x with a x = b for a (..., n, n) and b (..., n, k) of the same batch
 * shape (the front end broadcasts): LAPACK ?gesv (LU with partial
 * pivoting, then two triangular solves), cheaper and more accurate than
 * inv(a) @ b. A singular a raises an error naming linalg::solve. */
class Solve : public UnaryPrimitive {
public:
  explicit Solve(Stream stream) : UnaryPrimitive(stream) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override { return "Solve"; }
  bool is_equivalent(const Primitive& other) const override;
};

/** The Cholesky factor of symmetric positive definite a (..., n, n), read
 * from (and returned as) the lower triangle, or the upper one when
 * `upper`: a = L L^T = U^T U. The other triangle of the output is zero. */
class Cholesky : public UnaryPrimitive {
public:
  Cholesky(Stream stream, bool upper) : UnaryPrimitive(stream), upper_(upper) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override { return "Cholesky"; }
  bool upper() const { return upper_; }
  bool is_equivalent(const Primitive& other) const override;

private:
  bool upper_;
};

/** LU factorization with partial pivoting of a (..., M, N), K = min(M, N).
 * Outputs {lu (..., M, N): L below the diagonal (unit diagonal implied)
 * and U on and above it; pivots (..., K) uint32: row i was swapped with
 * row pivots[i] (0-based, LAPACK's order); rows (..., M) uint32: the
 * permutation with a = (L U)[rows]}. A singular matrix is factored (U has
 * a zero on its diagonal), not an error. Differentiable in lu for square
 * a (pivots and rows are constant).
 *
 * With of_transpose (square a only), the outputs are those of a^T, lu
 * transposed (LAPACK's column-major result on a's row-major data, with no
 * transposes): its diagonal is still U's, and with the pivots gives
 * det(a) = det(a^T). Not differentiable; det's custom rules are. */
class LUF : public Primitive {
public:
  explicit LUF(Stream stream, bool of_transpose = false)
      : Primitive(stream), of_transpose_(of_transpose) {}

  void eval_cpu(
      const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(
      const std::vector<array>& inputs, std::vector<array>& outputs) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override { return "LUF"; }
  bool of_transpose() const { return of_transpose_; }
  bool is_equivalent(const Primitive& other) const override;

private:
  bool of_transpose_;
};

/** Reduced QR of a (..., M, N), K = min(M, N): outputs {q (..., M, K) with
 * orthonormal columns, r (..., K, N) upper triangular}. Gradients need
 * M >= N (r square and, for a full-rank a, invertible). */
class QRF : public Primitive {
public:
  explicit QRF(Stream stream) : Primitive(stream) {}

  void eval_cpu(
      const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(
      const std::vector<array>& inputs, std::vector<array>& outputs) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override { return "QRF"; }
  bool is_equivalent(const Primitive& other) const override;
};

/** Singular value decomposition of a (..., M, N), K = min(M, N): outputs
 * {u (..., M, M), s (..., K) descending, vt (..., N, N)} with a = u[:, :K]
 * diag(s) vt[:K], or only {s} without `compute_uv`. Gradients of u and vt
 * need square matrices with distinct singular values. */
class SVD : public Primitive {
public:
  SVD(Stream stream, bool compute_uv)
      : Primitive(stream), compute_uv_(compute_uv) {}

  void eval_cpu(
      const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(
      const std::vector<array>& inputs, std::vector<array>& outputs) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override { return "SVD"; }
  bool is_equivalent(const Primitive& other) const override;
  bool compute_uv() const { return compute_uv_; }

private:
  bool compute_uv_;
};

/** Eigen-decomposition of general real square matrices (?geev): outputs
 * {w (..., n)} or {w, v (..., n, n)} with the right eigenvectors as columns
 * (unit norm), complex64 (this build has no complex128). Not
 * differentiable. */
class Eig : public Primitive {
public:
  Eig(Stream stream, bool compute_vectors)
      : Primitive(stream), compute_vectors_(compute_vectors) {}

  void eval_cpu(
      const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(
      const std::vector<array>& inputs, std::vector<array>& outputs) override;
  std::pair<std::vector<array>, std::vector<int>>
  vmap(const std::vector<array>& inputs, const std::vector<int>& axes) override;

  const char* name() const override { return "Eig"; }
  bool compute_vectors() const { return compute_vectors_; }
  bool is_equivalent(const Primitive& other) const override;

private:
  bool compute_vectors_;
};

/** Eigen-decomposition of real symmetric matrices a (..., n, n), reading
 * only the triangle named by `uplo` ('L' or 'U'). Outputs {w, v}: w (..., n)
 * the eigenvalues in ascending order and v (..., n, n) the orthonormal
 * eigenvectors as columns, a = v diag(w) v^T. float32 and float64. A matrix
 * holding NaN or inf gives NaN outputs. Gradients treat a as symmetric
 * (and need distinct eigenvalues when v's cotangent is not zero). */
class Eigh : public Primitive {
public:
  Eigh(Stream stream, char uplo) : Primitive(stream), uplo_(uplo) {}

  void eval_cpu(
      const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(
      const std::vector<array>& inputs, std::vector<array>& outputs) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override { return "Eigh"; }
  bool is_equivalent(const Primitive& other) const override;
  char uplo() const { return uplo_; }

private:
  char uplo_;
};

} // namespace mlx::core
