// The rows along the last axis of an array, in any layout: what the
// row-wise kernels (fused norms, their vjps, softmax) iterate over.
#pragma once

#include <cstdint>

#include "mlx/array.h"
#include "mlx/backend/cpu/strided.h"

namespace mlx::core::cpu {

/** Where row r of `x` starts (in elements from x.data()) and the stride
 * between its elements. */
struct LastAxisRows {
  Shape outer_shape;
  Strides outer_strides;
  int64_t stride;
  bool contiguous;
  int64_t length;

  explicit LastAxisRows(const array& x)
      : outer_shape(x.shape().begin(), x.shape().end() - 1),
        outer_strides(x.strides().begin(), x.strides().end() - 1),
        stride(x.strides().back()), contiguous(x.flags().row_contiguous),
        length(x.shape().back()) {}

  int64_t start(size_t r) const {
    return contiguous ? static_cast<int64_t>(r) * length
                      : elem_to_loc(r, outer_shape, outer_strides);
  }
};

} // namespace mlx::core::cpu
