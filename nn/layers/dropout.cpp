#include "mlx/nn/layers/dropout.h"

#include <sstream>

#include "mlx/ops.h"
#include "mlx/random.h"
#include "mlx/utils.h"

namespace mlx::nn {

namespace mx = mlx::core;
using mx::throw_error;

Dropout::Dropout(float p) : Dropout("Dropout", p) {}

Dropout::Dropout(const char* layer, float p) : p_(p) {
  // Written so that NaN fails too.
  if (!(p >= 0.0f && p < 1.0f)) {
    throw_error(
        "[", layer, "] The dropout probability ", p, " is not in [0, 1).");
  }
}

std::string Dropout::describe() const {
  std::ostringstream os;
  os << "p=" << p_;
  return os.str();
}

array Dropout::apply_mask(const array& x, const mx::Shape& mask_shape) const {
  float keep = 1.0f - p_;
  // Floating inputs keep their dtype (the scale is a constant of x's
  // dtype); others compute in float32, as MLX's Python scalar would.
  mx::Dtype dtype =
      mx::issubdtype(x.dtype(), mx::floating) ? x.dtype() : mx::float32;
  array mask = mx::random::bernoulli(keep, mask_shape);
  return mx::multiply(
      mx::multiply(mx::astype(mask, dtype), x), array(1.0f / keep, dtype));
}

array Dropout::operator()(const array& x) {
  if (p_ == 0.0f || !training()) {
    return x;
  }
  return apply_mask(x, x.shape());
}

Dropout2d::Dropout2d(float p) : Dropout("Dropout2d", p) {}

array Dropout2d::operator()(const array& x) {
  if (x.ndim() != 3 && x.ndim() != 4) {
    throw_error(
        "[Dropout2d] Expected an input of 3 or 4 dimensions ((N,) H, W, C), "
        "got shape ",
        x.shape(),
        ".");
  }
  if (p() == 0.0f || !training()) {
    return x;
  }
  mx::Shape mask_shape = x.shape();
  mask_shape[x.ndim() - 2] = mask_shape[x.ndim() - 3] = 1;
  return apply_mask(x, mask_shape);
}

Dropout3d::Dropout3d(float p) : Dropout("Dropout3d", p) {}

array Dropout3d::operator()(const array& x) {
  if (x.ndim() != 4 && x.ndim() != 5) {
    throw_error(
        "[Dropout3d] Expected an input of 4 or 5 dimensions ((N,) D, H, W, "
        "C), got shape ",
        x.shape(),
        ".");
  }
  if (p() == 0.0f || !training()) {
    return x;
  }
  mx::Shape mask_shape = x.shape();
  for (int d = 2; d <= 4; ++d) {
    mask_shape[x.ndim() - d] = 1;
  }
  return apply_mask(x, mask_shape);
}

} // namespace mlx::nn
