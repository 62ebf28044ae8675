// Variants of matmul composed from existing ops: gather_mm and the
// Hadamard transform.
#include <cmath>
#include <numeric>

#include "mlx/ops/creation.h"
#include "mlx/ops/elementwise.h"
#include "mlx/ops/indexing.h"
#include "mlx/ops/join.h"
#include "mlx/ops/linalg_ops.h"
#include "mlx/ops/shape.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

// x [..., R, C] with its batch dims flattened, gathered at `indices`
// (default: every batch in order, in x's batch shape).
array gathered(
    const array& x,
    const std::optional<array>& indices,
    const char* name,
    StreamOrDevice s) {
  if (!indices) {
    return x; // matmul broadcasts the batch shapes
  }
  if (!issubdtype(indices->dtype(), integer)) {
    throw_error(
        "[gather_mm] ",
        name,
        " must have an integer dtype, got ",
        indices->dtype(),
        ".");
  }
  array flat = reshape(x, {-1, x.shape(-2), x.shape(-1)}, s);
  return take(flat, *indices, 0, s);
}

} // namespace

array gather_mm(
    array a,
    array b,
    std::optional<array> lhs_indices,
    std::optional<array> rhs_indices,
    bool /* sorted_indices */,
    StreamOrDevice s) {
  if (a.ndim() < 2 || b.ndim() < 2) {
    throw_error(
        "[gather_mm] The inputs must have at least 2 dims, got shapes ",
        a.shape(),
        " and ",
        b.shape(),
        ".");
  }
  // matmul checks K and broadcasts the gathered batch shapes.
  return matmul(
      gathered(a, lhs_indices, "lhs_indices", s),
      gathered(b, rhs_indices, "rhs_indices", s),
      s);
}

array hadamard_transform(
    const array& a, std::optional<float> scale, StreamOrDevice s) {
  int n = a.ndim() == 0 ? 0 : a.shape(-1);
  if (n < 1 || (n & (n - 1)) != 0) {
    throw_error(
        "[hadamard_transform] The last axis must have a power-of-2 size, got "
        "shape ",
        a.shape(),
        ".");
  }
  Dtype dtype = issubdtype(a.dtype(), floating) ? a.dtype() : float32;
  array x = astype(a, dtype, s);
  Shape shape = x.shape();
  // Sylvester's construction: with the last axis split as (left, 2, right),
  // each stage maps the pair (u, v) along the 2 to (u + v, u - v).
  for (int half = 1; half < n; half *= 2) {
    Shape split(shape.begin(), shape.end() - 1);
    split.insert(split.end(), {n / (2 * half), 2, half});
    array y = reshape(x, split, s);
    int axis = static_cast<int>(split.size()) - 2;
    array u = take(y, 0, axis, s), v = take(y, 1, axis, s);
    x = reshape(stack({add(u, v, s), subtract(u, v, s)}, axis, s), shape, s);
  }
  float factor = scale ? *scale : 1.0f / std::sqrt(static_cast<float>(n));
  return multiply(x, array(factor, dtype), s);
}

} // namespace mlx::core
