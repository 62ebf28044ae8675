#include "mlx/primitives/linalg.h"

namespace mlx::core {

bool Inverse::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Inverse*>(&other);
  return o && o->kind_ == kind_;
}

bool Solve::is_equivalent(const Primitive& other) const {
  return dynamic_cast<const Solve*>(&other) != nullptr;
}

bool Cholesky::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Cholesky*>(&other);
  return o && o->upper_ == upper_;
}

bool LUF::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const LUF*>(&other);
  return o && o->of_transpose_ == of_transpose_;
}

bool QRF::is_equivalent(const Primitive& other) const {
  return dynamic_cast<const QRF*>(&other) != nullptr;
}

bool SVD::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const SVD*>(&other);
  return o && o->compute_uv_ == compute_uv_;
}

bool Eig::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Eig*>(&other);
  return o && o->compute_vectors_ == compute_vectors_;
}

bool Eigh::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Eigh*>(&other);
  return o && o->uplo_ == uplo_;
}

} // namespace mlx::core
