#include "mlx/backend/common/views.h"

#include "mlx/primitives/shape.h"

namespace mlx::core::views {

void make_view(
    const array& in, array& out, const Strides& strides, int64_t offset) {
  auto [flags, span] = view_layout(out.shape(), strides);
  out.copy_shared_buffer(in, strides, flags, span, offset);
}

bool reshape(const array& in, array& out) {
  if (!in.flags().row_contiguous) {
    return false;
  }
  make_view(in, out, row_major_strides(out.shape()), 0);
  return true;
}

void transpose(const array& in, array& out, const std::vector<int>& axes) {
  Strides strides(axes.size());
  for (size_t i = 0; i < axes.size(); ++i) {
    strides[i] = in.strides()[axes[i]];
  }
  make_view(in, out, strides, 0);
}

void broadcast(const array& in, array& out) {
  size_t lead = out.ndim() - in.ndim();
  Strides strides(out.ndim(), 0);
  for (size_t i = 0; i < in.ndim(); ++i) {
    strides[lead + i] = (in.shape(i) == 1) ? 0 : in.strides()[i];
  }
  make_view(in, out, strides, 0);
}

void slice(
    const array& in, array& out, const Shape& start, const Shape& strides) {
  if (out.size() == 0) {
    out.set_data(allocator::Buffer());
    return;
  }
  Strides view_strides(in.ndim());
  int64_t offset = 0;
  for (size_t i = 0; i < in.ndim(); ++i) {
    offset += static_cast<int64_t>(start[i]) * in.strides()[i];
    view_strides[i] = in.strides()[i] * strides[i];
  }
  make_view(in, out, view_strides, offset);
}

void share(const array& in, array& out) {
  out.copy_shared_buffer(in);
}

} // namespace mlx::core::views
