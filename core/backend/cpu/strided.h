// Iteration over strided arrays: dims that are contiguous in every operand
// are merged, the last dim becomes the inner loop, and the rows above it are
// split over the thread pool.
#pragma once

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <vector>

#include "mlx/array.h"
#include "mlx/backend/cpu/thread_pool.h"

namespace mlx::core::cpu {

/** Merge adjacent dims that are contiguous in all stride sets; drop size-1
 * dims. The result has at least one dim. */
template <size_t N>
void collapse_dims(Shape& shape, std::array<Strides, N>& strides) {
  Shape out_shape;
  std::array<Strides, N> out_strides;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) {
      continue;
    }
    // Dims stay int32: a merge that would pass 2^31 - 1 elements is skipped.
    bool merge =
        !out_shape.empty() && int64_t(out_shape.back()) * shape[d] <= INT32_MAX;
    for (size_t k = 0; merge && k < N; ++k) {
      merge = out_strides[k].back() == strides[k][d] * shape[d];
    }
    if (merge) {
      out_shape.back() *= shape[d];
      for (size_t k = 0; k < N; ++k) {
        out_strides[k].back() = strides[k][d];
      }
    } else {
      out_shape.push_back(shape[d]);
      for (size_t k = 0; k < N; ++k) {
        out_strides[k].push_back(strides[k][d]);
      }
    }
  }
  if (out_shape.empty()) {
    out_shape.push_back(1);
    for (size_t k = 0; k < N; ++k) {
      out_strides[k].push_back(0);
    }
  }
  shape = std::move(out_shape);
  strides = std::move(out_strides);
}

/** Calls row(offsets, n, inner_strides) for rows [begin, end) of the
 * (collapsed) shape; offsets are element offsets of each operand at the row
 * start, n the inner length. */
template <size_t N, typename RowFn>
void for_each_row(
    const Shape& shape,
    const std::array<Strides, N>& strides,
    size_t begin,
    size_t end,
    RowFn&& row) {
  int nd = static_cast<int>(shape.size());
  int outer = nd - 1;
  std::vector<int32_t> index(outer, 0);
  std::array<int64_t, N> offsets{};
  // Position at row `begin`.
  size_t rem = begin;
  for (int d = outer - 1; d >= 0; --d) {
    index[d] = static_cast<int32_t>(rem % shape[d]);
    rem /= shape[d];
    for (size_t k = 0; k < N; ++k) {
      offsets[k] += index[d] * strides[k][d];
    }
  }
  std::array<int64_t, N> inner;
  for (size_t k = 0; k < N; ++k) {
    inner[k] = strides[k][nd - 1];
  }
  const int32_t n = shape[nd - 1];
  for (size_t r = begin; r < end; ++r) {
    row(offsets, n, inner);
    // Advance the row index with carry.
    for (int d = outer - 1; d >= 0; --d) {
      for (size_t k = 0; k < N; ++k) {
        offsets[k] += strides[k][d];
      }
      if (++index[d] < shape[d]) {
        break;
      }
      for (size_t k = 0; k < N; ++k) {
        offsets[k] -= strides[k][d] * shape[d];
      }
      index[d] = 0;
    }
  }
}

/** Parallel for_each_row over a whole shape. Rows longer than the grain
 * are cut into pieces, so that a shape that collapses to a few long rows
 * (contiguous operands, a broadcast scalar) still spreads over the pool. */
template <size_t N, typename RowFn>
void strided_rows(Shape shape, std::array<Strides, N> strides, RowFn&& row) {
  collapse_dims(shape, strides);
  size_t inner = shape.back();
  size_t rows = 1;
  for (size_t d = 0; d + 1 < shape.size(); ++d) {
    rows *= shape[d];
  }
  if (rows * inner == 0) {
    return;
  }
  if (inner <= kElementwiseGrain) {
    size_t grain = std::max<size_t>(1, kElementwiseGrain / inner);
    parallel_for(rows, grain, [&](size_t begin, size_t end) {
      for_each_row(shape, strides, begin, end, row);
    });
    return;
  }
  size_t pieces = (inner + kElementwiseGrain - 1) / kElementwiseGrain;
  size_t piece = (inner + pieces - 1) / pieces;
  parallel_for(rows * pieces, 1, [&](size_t begin, size_t end) {
    for (size_t w = begin; w < end; ++w) {
      size_t r = w / pieces;
      size_t start = (w % pieces) * piece;
      auto len = static_cast<int32_t>(std::min(piece, inner - start));
      for_each_row(
          shape,
          strides,
          r,
          r + 1,
          [&](std::array<int64_t, N> offsets,
              int32_t,
              const std::array<int64_t, N>& inc) {
            for (size_t k = 0; k < N; ++k) {
              offsets[k] += static_cast<int64_t>(start) * inc[k];
            }
            row(offsets, len, inc);
          });
    }
  });
}

/** Element offset (from data()) of the flat row-major index `i`. */
inline int64_t
elem_to_loc(size_t i, const Shape& shape, const Strides& strides) {
  int64_t loc = 0;
  for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
    loc += static_cast<int64_t>(i % shape[d]) * strides[d];
    i /= shape[d];
  }
  return loc;
}

} // namespace mlx::core::cpu
