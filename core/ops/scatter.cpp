#include "mlx/ops/scatter.h"

#include <algorithm>
#include <limits>

#include "mlx/ops/creation.h"
#include "mlx/ops/elementwise.h"
#include "mlx/ops/indexing.h"
#include "mlx/ops/shape.h"
#include "mlx/primitives/scatter.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

// A flat position no flattened array has (wrapping leaves it negative and
// out of range): marks an out-of-range index so the kernel raises.
constexpr int64_t kInvalidPosition = std::numeric_limits<int64_t>::min() / 2;

// The shape I the index arrays broadcast to.
Shape index_shape(const std::vector<array>& indices, const char* op) {
  Shape shape;
  for (const auto& idx : indices) {
    if (!issubdtype(idx.dtype(), integer)) {
      throw_error(
          "[",
          op,
          "] Indices must have an integer dtype, got ",
          idx.dtype(),
          ".");
    }
    shape = broadcast_shapes(shape, idx.shape(), op);
  }
  return shape;
}

// Positions in the flattened `a` of the slice elements, shape
// I + slice: the indexed starts (0 along dims not in `axes`) plus the
// offsets inside a slice.
array flat_positions(
    const array& a,
    const std::vector<array>& indices,
    const std::vector<int>& axes,
    const Shape& slice,
    const char* op,
    Stream s) {
  int nd = static_cast<int>(a.ndim());
  if (indices.size() != axes.size()) {
    throw_error(
        "[",
        op,
        "] Got ",
        indices.size(),
        " index arrays for ",
        axes.size(),
        " axes.");
  }
  if (static_cast<int>(slice.size()) != nd) {
    throw_error(
        "[",
        op,
        "] The slice shape ",
        slice,
        " must have one size per "
        "dimension of the array of shape ",
        a.shape(),
        ".");
  }
  for (int d = 0; d < nd; ++d) {
    if (slice[d] < 0 || slice[d] > a.shape(d)) {
      throw_error(
          "[",
          op,
          "] Slice size ",
          slice[d],
          " along axis ",
          d,
          " is out of range for the array of shape ",
          a.shape(),
          ".");
    }
  }
  Shape idx_shape = index_shape(indices, op);
  std::vector<int> seen;
  Strides rs = row_major_strides(a.shape());
  array flat = zeros(idx_shape, int64, s);
  array valid = full(idx_shape, array(true), s);
  for (size_t k = 0; k < axes.size(); ++k) {
    int ax = normalize_axis(axes[k], nd, op);
    if (std::find(seen.begin(), seen.end(), ax) != seen.end()) {
      throw_error("[", op, "] Axis ", axes[k], " is given twice.");
    }
    seen.push_back(ax);
    int64_t n = a.shape(ax);
    array idx = astype(indices[k], int64, s);
    array wrapped =
        where(less(idx, array(int64_t{0}), s), add(idx, array(n), s), idx, s);
    // The whole slice must fit: start + slice size <= n.
    valid = logical_and(
        valid,
        logical_and(
            greater_equal(wrapped, array(int64_t{0}), s),
            less_equal(wrapped, array(n - slice[ax]), s),
            s),
        s);
    flat = add(flat, multiply(wrapped, array(rs[ax]), s), s);
  }
  flat = where(valid, flat, array(kInvalidPosition), s);

  array offsets = zeros(slice, int64, s);
  for (int d = 0; d < nd; ++d) {
    Shape along(nd, 1);
    along[d] = slice[d];
    array steps = multiply(
        arange(0.0, static_cast<double>(slice[d]), int64, s), array(rs[d]), s);
    offsets = add(offsets, reshape(steps, along, s), s);
  }
  Shape lead = idx_shape;
  lead.insert(lead.end(), nd, 1);
  Shape trail(idx_shape.size(), 1);
  trail.insert(trail.end(), slice.begin(), slice.end());
  return add(reshape(flat, lead, s), reshape(offsets, trail, s), s);
}

array scatter_op(
    const array& a,
    const std::vector<array>& indices,
    const array& updates,
    const std::vector<int>& axes,
    Scatter::ReduceType reduce,
    const char* op,
    StreamOrDevice s) {
  auto stream = to_stream(s);
  size_t ni = index_shape(indices, op).size();
  if (updates.ndim() != ni + a.ndim()) {
    throw_error(
        "[",
        op,
        "] Updates of shape ",
        updates.shape(),
        " must have ",
        ni + a.ndim(),
        " dimensions: the index shape (",
        ni,
        " dims) followed by a slice of the array of shape ",
        a.shape(),
        ".");
  }
  if ((reduce == Scatter::Max || reduce == Scatter::Min) &&
      a.dtype() == complex64) {
    throw_error("[", op, "] Not supported for complex64.");
  }
  Shape slice(updates.shape().begin() + ni, updates.shape().end());
  array pos = flat_positions(a, indices, axes, slice, op, stream);
  if (broadcast_shapes(updates.shape(), pos.shape(), op) != pos.shape()) {
    throw_error(
        "[",
        op,
        "] Updates of shape ",
        updates.shape(),
        " cannot be broadcast to the index and slice shape ",
        pos.shape(),
        ".");
  }
  array upd =
      broadcast_to(astype(updates, a.dtype(), stream), pos.shape(), stream);
  array out = scatter_flat(
      flatten(a, stream),
      flatten(pos, stream),
      flatten(upd, stream),
      reduce,
      stream);
  return reshape(out, a.shape(), stream);
}

} // namespace

array gather(
    const array& a,
    const std::vector<array>& indices,
    const std::vector<int>& axes,
    const Shape& slice_sizes,
    StreamOrDevice s) {
  auto stream = to_stream(s);
  array pos = flat_positions(a, indices, axes, slice_sizes, "gather", stream);
  return take(a, pos, stream);
}

#define MLX_SCATTER_OP(name, reduce)                                           \
  array name(                                                                  \
      const array& a,                                                          \
      const std::vector<array>& indices,                                       \
      const array& updates,                                                    \
      const std::vector<int>& axes,                                            \
      StreamOrDevice s) {                                                      \
    return scatter_op(a, indices, updates, axes, reduce, #name, s);            \
  }

MLX_SCATTER_OP(scatter, Scatter::None)
MLX_SCATTER_OP(scatter_add, Scatter::Sum)
MLX_SCATTER_OP(scatter_prod, Scatter::Prod)
MLX_SCATTER_OP(scatter_max, Scatter::Max)
MLX_SCATTER_OP(scatter_min, Scatter::Min)
#undef MLX_SCATTER_OP

} // namespace mlx::core
