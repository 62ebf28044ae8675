// Gathers and scatters with a friendlier face: slices at array starts, and
// MLX's `a.at[indices]` updates.
#include <numeric>

#include "mlx/ops/elementwise.h"
#include "mlx/ops/indexing.h"
#include "mlx/ops/scatter.h"
#include "mlx/ops/shape.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

// One scalar index array per axis, from the 1-D integer `start`.
std::vector<array> start_indices(
    const array& a,
    const array& start,
    const std::vector<int>& axes,
    const char* op,
    StreamOrDevice s) {
  if (!issubdtype(start.dtype(), integer) || start.ndim() != 1 ||
      start.size() != axes.size()) {
    throw_error(
        "[",
        op,
        "] The start must be a 1-D integer array with one entry per axis (",
        axes.size(),
        " axes), got shape ",
        start.shape(),
        " and dtype ",
        start.dtype(),
        ".");
  }
  std::vector<array> indices;
  for (int k = 0; k < static_cast<int>(axes.size()); ++k) {
    normalize_axis(axes[k], static_cast<int>(a.ndim()), op);
    indices.push_back(take(start, k, s));
  }
  return indices;
}

} // namespace

array slice(
    const array& a,
    const array& start,
    std::vector<int> axes,
    Shape slice_size,
    StreamOrDevice s) {
  auto indices = start_indices(a, start, axes, "slice", s);
  if (slice_size.size() != axes.size()) {
    throw_error(
        "[slice] Got ",
        slice_size.size(),
        " slice sizes for ",
        axes.size(),
        " axes.");
  }
  Shape sizes = a.shape();
  for (size_t k = 0; k < axes.size(); ++k) {
    int ax = normalize_axis(axes[k], static_cast<int>(a.ndim()), "slice");
    if (slice_size[k] < 0 || slice_size[k] > a.shape(ax)) {
      throw_error(
          "[slice] Slice size ",
          slice_size[k],
          " along axis ",
          axes[k],
          " does not fit the array of shape ",
          a.shape(),
          ".");
    }
    sizes[ax] = slice_size[k];
  }
  return gather(a, indices, axes, sizes, s);
}

array slice_update(
    const array& src,
    const array& update,
    const array& start,
    std::vector<int> axes,
    StreamOrDevice s) {
  auto indices = start_indices(src, start, axes, "slice_update", s);
  if (update.ndim() > src.ndim()) {
    throw_error(
        "[slice_update] The update of shape ",
        update.shape(),
        " has more dims than the array of shape ",
        src.shape(),
        ".");
  }
  // Off the sliced axes the update covers whole dims.
  Shape padded(src.ndim() - update.ndim(), 1);
  padded.insert(padded.end(), update.shape().begin(), update.shape().end());
  Shape slice = src.shape();
  for (int ax : axes) {
    ax = normalize_axis(ax, static_cast<int>(src.ndim()), "slice_update");
    slice[ax] = padded[ax];
  }
  if (broadcast_shapes(padded, slice, "slice_update") != slice) {
    throw_error(
        "[slice_update] The update of shape ",
        update.shape(),
        " does not broadcast to the slice shape ",
        slice,
        ".");
  }
  return scatter(
      src,
      indices,
      broadcast_to(reshape(update, padded, s), slice, s),
      axes,
      s);
}

ArrayAt::ArrayAt(array a, std::vector<array> indices)
    : a_(std::move(a)), indices_(std::move(indices)) {
  if (indices_.empty() || indices_.size() > a_.ndim()) {
    throw_error(
        "[at] Got ",
        indices_.size(),
        " index arrays for an array of shape ",
        a_.shape(),
        "; give between 1 and ",
        a_.ndim(),
        ".");
  }
}

std::vector<int> ArrayAt::axes() const {
  std::vector<int> axes(indices_.size());
  std::iota(axes.begin(), axes.end(), 0);
  return axes;
}

array ArrayAt::scatter_updates(
    const array& updates, const char* op, StreamOrDevice s) const {
  Shape selected;
  for (auto& idx : indices_) {
    selected = broadcast_shapes(selected, idx.shape(), op);
  }
  size_t ni = selected.size();
  selected.insert(
      selected.end(), a_.shape().begin() + indices_.size(), a_.shape().end());
  if (broadcast_shapes(updates.shape(), selected, op) != selected) {
    throw_error(
        "[",
        op,
        "] Updates of shape ",
        updates.shape(),
        " do not broadcast to the shape of the selection, ",
        selected,
        ".");
  }
  Shape layout(selected.begin(), selected.begin() + ni);
  layout.insert(layout.end(), indices_.size(), 1);
  layout.insert(layout.end(), selected.begin() + ni, selected.end());
  return reshape(broadcast_to(updates, selected, s), layout, s);
}

array ArrayAt::add(const array& updates, StreamOrDevice s) const {
  return scatter_add(
      a_, indices_, scatter_updates(updates, "at.add", s), axes(), s);
}

array ArrayAt::subtract(const array& updates, StreamOrDevice s) const {
  return scatter_add(
      a_,
      indices_,
      scatter_updates(core::negative(updates, s), "at.subtract", s),
      axes(),
      s);
}

array ArrayAt::multiply(const array& updates, StreamOrDevice s) const {
  return scatter_prod(
      a_, indices_, scatter_updates(updates, "at.multiply", s), axes(), s);
}

array ArrayAt::divide(const array& updates, StreamOrDevice s) const {
  // As MLX: a product with the reciprocals (true division).
  return scatter_prod(
      a_,
      indices_,
      scatter_updates(core::reciprocal(updates, s), "at.divide", s),
      axes(),
      s);
}

array ArrayAt::maximum(const array& updates, StreamOrDevice s) const {
  return scatter_max(
      a_, indices_, scatter_updates(updates, "at.maximum", s), axes(), s);
}

array ArrayAt::minimum(const array& updates, StreamOrDevice s) const {
  return scatter_min(
      a_, indices_, scatter_updates(updates, "at.minimum", s), axes(), s);
}

ArrayAt at(const array& a, const array& indices) {
  return ArrayAt(a, {indices});
}

ArrayAt at(const array& a, std::vector<array> indices) {
  return ArrayAt(a, std::move(indices));
}

} // namespace mlx::core
