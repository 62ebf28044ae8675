#include "mlx/ops/scatter.h"

#include "mlx/ops/creation.h"
#include "mlx/ops/shape.h"
#include "mlx/primitives/scatter.h"
#include "mlx/utils.h"

namespace mlx::core {

array scatter_add_axis(
    const array& a,
    const array& indices,
    const array& values,
    int axis,
    StreamOrDevice s) {
  if (!issubdtype(indices.dtype(), integer)) {
    throw_error(
        "[scatter_add_axis] Indices must have an integer dtype, got ",
        indices.dtype(),
        ".");
  }
  int ax = normalize_axis(axis, static_cast<int>(a.ndim()), "scatter_add_axis");
  if (indices.ndim() != a.ndim()) {
    throw_error(
        "[scatter_add_axis] Indices of shape ",
        indices.shape(),
        " must have as many dimensions as the array of shape ",
        a.shape(),
        ".");
  }
  // Off the axis, a and the indices broadcast against each other; the
  // values broadcast to the result (the update shape).
  Shape off_axis = a.shape();
  off_axis[ax] = 1;
  Shape shape = broadcast_shapes(off_axis, indices.shape(), "scatter_add_axis");
  if (broadcast_shapes(values.shape(), shape, "scatter_add_axis") != shape) {
    throw_error(
        "[scatter_add_axis] Values of shape ",
        values.shape(),
        " cannot be broadcast to the indices' shape ",
        shape,
        ".");
  }
  return array(
      a.shape(),
      a.dtype(),
      std::make_shared<ScatterAddAxis>(to_stream(s), ax),
      {a,
       broadcast_to(indices, shape, s),
       broadcast_to(astype(values, a.dtype(), s), shape, s)});
}

} // namespace mlx::core
