// Matrix factorizations, computed with LAPACK on the CPU. For now only what
// mlx::core::random needs (multivariate_normal); the linalg module adds its
// primitives here.
#pragma once

#include "mlx/primitives/primitive.h"

namespace mlx::core {

/** Eigen-decomposition of real symmetric matrices a (..., n, n), reading
 * only the triangle named by `uplo` ('L' or 'U'). Outputs {w, v}: w (..., n)
 * the eigenvalues in ascending order and v (..., n, n) the orthonormal
 * eigenvectors as columns, a = v diag(w) v^T. float32 and float64. A matrix
 * holding NaN or inf gives NaN outputs. */
class Eigh : public Primitive {
public:
  Eigh(Stream stream, char uplo) : Primitive(stream), uplo_(uplo) {}

  void eval_cpu(
      const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(
      const std::vector<array>& inputs, std::vector<array>& outputs) override;

  const char* name() const override { return "Eigh"; }
  bool is_equivalent(const Primitive& other) const override;
  char uplo() const { return uplo_; }

private:
  char uplo_;
};

} // namespace mlx::core
