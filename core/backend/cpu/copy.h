// Strided copies with dtype conversion: the kernel behind astype, contiguous,
// concatenate, pad and slice_update.
#pragma once

#include "mlx/array.h"

namespace mlx::core::cpu {

/** Copy `shape` elements of src (offset/strides in src elements, relative
 * to src.data()) into dst (relative to dst.data()), converting dtypes. */
void copy_strided(
    const array& src,
    array& dst,
    const Shape& shape,
    const Strides& src_strides,
    const Strides& dst_strides,
    int64_t src_offset = 0,
    int64_t dst_offset = 0);

/** Give dst a fresh row-contiguous buffer holding src's elements. */
void copy_to_row_contiguous(const array& src, array& dst);

/** Give dst src's buffer when nothing else can see it (donation implies a
 * row-contiguous layout), else a row-contiguous copy: the start of the
 * kernels that update a copy of their first input in place. */
void donate_or_copy(const array& src, array& dst);

/** Give dst a buffer holding src's elements converted to dst's dtype,
 * keeping src's layout when it is contiguous (or donating src). */
void copy_convert(const array& src, array& dst);

/** Calls f(U{}) with U the unsigned type of the given item size: kernels
 * that only move elements (fill, gather) dispatch on size, not dtype. */
template <typename F> decltype(auto) dispatch_bits(size_t itemsize, F&& f) {
  switch (itemsize) {
  case 1:
    return f(uint8_t{});
  case 2:
    return f(uint16_t{});
  case 4:
    return f(uint32_t{});
  default:
    return f(uint64_t{});
  }
}

/** A row-contiguous version of `a`: `a` itself when it already is one. */
array ensure_row_contiguous(const array& a);

} // namespace mlx::core::cpu
