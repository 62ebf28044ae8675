#include "mlx/nn/layers/embedding.h"

#include <cmath>
#include <sstream>

#include "mlx/ops.h"
#include "mlx/random.h"
#include "mlx/utils.h"

namespace mlx::nn {

namespace mx = mlx::core;
using mx::throw_error;

Embedding::Embedding(int num_embeddings, int dims) {
  if (num_embeddings < 0 || dims <= 0) {
    throw_error(
        "[Embedding] num_embeddings must be non-negative and dims positive, "
        "got ",
        num_embeddings,
        " and ",
        dims,
        ".");
  }
  float scale = std::sqrt(1.0f / static_cast<float>(dims));
  register_parameter(
      "weight", mx::random::normal({num_embeddings, dims}, 0.0f, scale));
}

std::string Embedding::describe() const {
  const array& w = param("weight");
  std::ostringstream os;
  os << w.shape(0) << ", " << w.shape(1);
  return os.str();
}

array Embedding::operator()(const array& indices) {
  if (!mx::issubdtype(indices.dtype(), mx::integer)) {
    throw_error(
        "[Embedding] Indices must have an integer dtype, got ",
        indices.dtype(),
        ".");
  }
  return mx::take(param("weight"), indices, 0);
}

array Embedding::as_linear(const array& x) const {
  const array& w = param("weight");
  if (x.ndim() == 0 || x.shape(-1) != w.shape(1)) {
    throw_error(
        "[Embedding] as_linear expects an input of shape (..., ",
        w.shape(1),
        "), got ",
        x.shape(),
        ".");
  }
  return mx::matmul(x, mx::transpose(w));
}

} // namespace mlx::nn
