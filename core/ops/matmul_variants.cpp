// Variants of matmul composed from existing ops: block_masked_mm and
// segmented_mm (gather_mm, a primitive, is in matmul.cpp; the Hadamard
// transform is in hadamard.cpp).
#include <numeric>

#include "mlx/ops/creation.h"
#include "mlx/ops/elementwise.h"
#include "mlx/ops/indexing.h"
#include "mlx/ops/join.h"
#include "mlx/ops/matmul.h"
#include "mlx/ops/scatter.h"
#include "mlx/ops/shape.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

// The product dtype of the masked and segmented products: MLX runs them for
// real floating point types only.
Dtype real_product_dtype(const array& a, const array& b, const char* op) {
  Dtype out = promote_types(a.dtype(), b.dtype());
  if (!issubdtype(out, floating)) {
    throw_error(
        "[",
        op,
        "] Only real floating point types are supported, but ",
        a.dtype(),
        " and ",
        b.dtype(),
        " were provided, which promote to ",
        out,
        ".");
  }
  return out;
}

bool broadcasts_to(const Shape& from, const Shape& to) {
  if (from.size() > to.size()) {
    return false;
  }
  size_t lead = to.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i) {
    if (from[i] != 1 && from[i] != to[lead + i]) {
      return false;
    }
  }
  return true;
}

// A block mask checked against batch + (row blocks, column blocks), cast to
// `dtype` and expanded to one value per element: [batch..., rows, cols]
// (the last blocks are cut to what remains of rows and cols).
array element_mask(
    const array& mask,
    const Shape& batch,
    int rows,
    int cols,
    int block_size,
    Dtype dtype,
    const char* name,
    StreamOrDevice s) {
  int row_blocks = (rows + block_size - 1) / block_size;
  int col_blocks = (cols + block_size - 1) / block_size;
  Shape blocks = batch;
  blocks.insert(blocks.end(), {row_blocks, col_blocks});
  if (!broadcasts_to(mask.shape(), blocks)) {
    throw_error(
        "[block_masked_mm] ",
        name,
        " has shape ",
        mask.shape(),
        ", which does not broadcast to ",
        blocks,
        " (the batch shape and the number of ",
        block_size,
        "-blocks of the masked matrix's ",
        rows,
        " x ",
        cols,
        ").");
  }
  array m = broadcast_to(astype(mask, dtype, s), blocks, s);
  int nd = static_cast<int>(blocks.size());
  m = repeat(repeat(m, block_size, nd - 2, s), block_size, nd - 1, s);
  Shape stop = m.shape();
  stop[nd - 2] = rows;
  stop[nd - 1] = cols;
  return slice(m, Shape(nd, 0), stop, s);
}

// A boolean mask selects (zeros where false, even over NaN or inf, as
// MLX's kernel does); a float mask scales.
array apply_mask(const array& x, const array& mask, StreamOrDevice s) {
  if (mask.dtype() == bool_) {
    return where(mask, x, array(0, x.dtype()), s);
  }
  return multiply(x, mask, s);
}

} // namespace

array block_masked_mm(
    array a,
    array b,
    int block_size,
    std::optional<array> mask_out,
    std::optional<array> mask_lhs,
    std::optional<array> mask_rhs,
    StreamOrDevice s) {
  if (!mask_out && !mask_lhs && !mask_rhs) {
    return matmul(a, b, s);
  }
  if (block_size != 32 && block_size != 64) {
    throw_error(
        "[block_masked_mm] Only block sizes 32 and 64 are supported, got ",
        block_size,
        ".");
  }
  if (a.ndim() == 0 || b.ndim() == 0) {
    throw_error(
        "[block_masked_mm] Inputs must have at least one dimension, got "
        "shapes ",
        a.shape(),
        " and ",
        b.shape(),
        ".");
  }
  Dtype dtype = real_product_dtype(a, b, "block_masked_mm");
  bool a_vector = a.ndim() == 1, b_vector = b.ndim() == 1;
  Shape a_shape = a.shape(), b_shape = b.shape();
  a = astype(a_vector ? expand_dims(a, 0, s) : a, dtype, s);
  b = astype(b_vector ? expand_dims(b, 1, s) : b, dtype, s);
  detail::check_inner_dims(a, b, a_shape, b_shape, "block_masked_mm");
  int M = a.shape(-2), K = a.shape(-1), N = b.shape(-1);
  Shape batch = broadcast_shapes(
      Shape(a.shape().begin(), a.shape().end() - 2),
      Shape(b.shape().begin(), b.shape().end() - 2),
      "block_masked_mm");
  // The mask of a 1-D operand lacks the block axis of its added dim.
  if (mask_lhs || mask_rhs) {
    array lhs = mask_lhs.value_or(array(true));
    array rhs = mask_rhs.value_or(array(true));
    Dtype mask_dtype =
        lhs.dtype() == bool_ && rhs.dtype() == bool_ ? bool_ : dtype;
    if (a_vector && mask_lhs) {
      lhs = expand_dims(lhs, -2, s);
    }
    if (b_vector && mask_rhs) {
      rhs = expand_dims(rhs, -1, s);
    }
    a = apply_mask(
        a,
        element_mask(lhs, batch, M, K, block_size, mask_dtype, "mask_lhs", s),
        s);
    b = apply_mask(
        b,
        element_mask(rhs, batch, K, N, block_size, mask_dtype, "mask_rhs", s),
        s);
  }
  array out = matmul(a, b, s);
  if (mask_out) {
    array mask = *mask_out;
    if (a_vector) {
      mask = expand_dims(mask, -2, s);
    }
    if (b_vector) {
      mask = expand_dims(mask, -1, s);
    }
    Dtype mask_dtype = mask.dtype() == bool_ ? bool_ : dtype;
    out = apply_mask(
        out,
        element_mask(mask, batch, M, N, block_size, mask_dtype, "mask_out", s),
        s);
  }
  int nd = static_cast<int>(out.ndim());
  if (a_vector) {
    out = squeeze(
        out,
        b_vector ? std::vector<int>{nd - 2, nd - 1} : std::vector<int>{nd - 2},
        s);
  } else if (b_vector) {
    out = squeeze(out, nd - 1, s);
  }
  return out;
}

array segmented_mm(array a, array b, array segments, StreamOrDevice s) {
  if (a.ndim() != 2 || b.ndim() != 2) {
    throw_error(
        "[segmented_mm] The inputs must be matrices (batched products are "
        "not supported), got shapes ",
        a.shape(),
        " and ",
        b.shape(),
        ".");
  }
  detail::check_inner_dims(a, b, a.shape(), b.shape(), "segmented_mm");
  if (segments.ndim() < 1 || segments.shape(-1) != 2) {
    throw_error(
        "[segmented_mm] The segments must have shape (..., 2), got ",
        segments.shape(),
        ".");
  }
  if (!issubdtype(segments.dtype(), integer)) {
    throw_error(
        "[segmented_mm] The segments must have an integer dtype, got ",
        segments.dtype(),
        ".");
  }
  Dtype dtype = real_product_dtype(a, b, "segmented_mm");
  a = astype(a, dtype, s);
  b = astype(b, dtype, s);
  // in_segment[..., k]: whether column k of a lies in the segment.
  int axis = static_cast<int>(segments.ndim()) - 1;
  array bounds = astype(segments, int64, s);
  array start = take(bounds, 0, axis, s);
  array end = take(bounds, 1, axis, s);
  array k = arange(0, a.shape(1), 1, int64, s);
  array in_segment = logical_and(
      greater_equal(k, expand_dims(start, -1, s), s),
      less(k, expand_dims(end, -1, s), s),
      s);
  // The mask goes on the smaller operand: a [M, K] or b [K, N].
  if (a.shape(0) <= b.shape(1)) {
    return matmul(apply_mask(a, expand_dims(in_segment, -2, s), s), b, s);
  }
  return matmul(a, apply_mask(b, expand_dims(in_segment, -1, s), s), s);
}

} // namespace mlx::core
