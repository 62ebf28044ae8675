#include "mlx/backend/cpu/copy.h"

#include <algorithm>
#include <climits>
#include <cstring>

#include "mlx/backend/cpu/strided.h"

namespace mlx::core::cpu {

namespace {

template <typename In, typename Out>
void convert_rows(
    const In* src,
    Out* dst,
    const Shape& shape,
    const Strides& src_strides,
    const Strides& dst_strides) {
  strided_rows<2>(
      shape,
      {src_strides, dst_strides},
      [&](const std::array<int64_t, 2>& off,
          int32_t n,
          const std::array<int64_t, 2>& inc) {
        const In* s = src + off[0];
        Out* d = dst + off[1];
        if (inc[0] == 1 && inc[1] == 1) {
          for (int32_t i = 0; i < n; ++i) {
            d[i] = detail::convert_scalar<Out>(s[i]);
          }
        } else {
          for (int32_t i = 0; i < n; ++i) {
            d[i * inc[1]] = detail::convert_scalar<Out>(s[i * inc[0]]);
          }
        }
      });
}

} // namespace

void copy_strided(
    const array& src,
    array& dst,
    const Shape& shape,
    const Strides& src_strides,
    const Strides& dst_strides,
    int64_t src_offset,
    int64_t dst_offset) {
  detail::dispatch_dtype(src.dtype(), [&](auto in_tag) {
    using In = decltype(in_tag);
    detail::dispatch_dtype(dst.dtype(), [&](auto out_tag) {
      using Out = decltype(out_tag);
      convert_rows(
          src.data<In>() + src_offset,
          dst.data<Out>() + dst_offset,
          shape,
          src_strides,
          dst_strides);
    });
  });
}

void copy_to_row_contiguous(const array& src, array& dst) {
  dst.set_data(allocator::malloc(dst.nbytes()));
  copy_strided(
      src, dst, src.shape(), src.strides(), row_major_strides(src.shape()));
}

void donate_or_copy(const array& src, array& dst) {
  if (src.is_donatable()) {
    dst.copy_shared_buffer(src);
  } else {
    copy_to_row_contiguous(src, dst);
  }
}

void copy_convert(const array& src, array& dst) {
  if (!src.flags().contiguous) {
    copy_to_row_contiguous(src, dst);
    return;
  }
  if (src.itemsize() == dst.itemsize() && src.is_donatable()) {
    dst.copy_shared_buffer(src);
  } else {
    dst.set_data(
        allocator::malloc(src.data_size() * dst.itemsize()),
        src.data_size(),
        src.strides(),
        src.flags());
  }
  // Contiguous: the data_size elements are consecutive in both buffers;
  // copied as 1-d pieces that fit an int32 dimension.
  size_t n = src.data_size();
  for (size_t offset = 0; offset < n; offset += INT32_MAX) {
    Shape piece{static_cast<int32_t>(std::min<size_t>(n - offset, INT32_MAX))};
    int64_t at = static_cast<int64_t>(offset);
    copy_strided(src, dst, piece, {1}, {1}, at, at);
  }
}

array ensure_row_contiguous(const array& a) {
  if (a.flags().row_contiguous) {
    return a;
  }
  array out(a.shape(), a.dtype(), nullptr, {});
  copy_to_row_contiguous(a, out);
  out.set_status(array::Status::available);
  return out;
}

} // namespace mlx::core::cpu
