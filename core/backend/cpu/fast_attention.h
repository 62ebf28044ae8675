// Pieces shared by the attention kernels (fast_attention.cpp forward,
// fast_attention_vjp.cpp backward): operands as BLAS reads them and
// the attention weights P of a block of query rows (scale * Q K^T masked,
// then softmax per row), which the backward recomputes.
#pragma once

#include <algorithm>
#include <climits>
#include <cmath>
#include <limits>
#include <vector>

#include "mlx/backend/cpu/blas.h"
#include "mlx/backend/cpu/copy.h"
#include "mlx/backend/cpu/softmax.h"
#include "mlx/primitives/fast.h"
#include "mlx/utils.h"

namespace mlx::core::fast::attention {

// Every gemm here stays under cpu::kSmallGemmWork, so the blocks run in
// parallel over our pool without OpenBLAS's threads competing with it.
using cpu::kSmallGemmWork;

// Query rows per block when the keys are too long for a block's gemms to
// take them in one call: below this, gemms get too thin to be efficient.
inline constexpr int kMinBlockRows = 16;

// A [B, H, T, D] input as BLAS reads it: per-(batch, head) row-major
// matrices, rows `ld` elements apart.
template <typename T> struct Operand {
  array data;
  int64_t batch_stride;
  int64_t head_stride;
  int ld;

  const T* matrix(int b, int h) const {
    return data.data<T>() + b * batch_stride + h * head_stride;
  }
};

// A fresh row-contiguous buffer, outside any graph.
inline array scratch(const Shape& shape, Dtype dtype) {
  array buf(shape, dtype, nullptr, {});
  buf.set_data(allocator::malloc(buf.nbytes()));
  buf.set_status(array::Status::available);
  return buf;
}

// The input itself when BLAS can read it (compute dtype, unit column
// stride), else a row-contiguous copy converted to the compute dtype.
template <typename T> Operand<T> prepare(const array& in, Dtype compute) {
  const Strides& st = in.strides();
  int64_t rows = in.shape(2);
  int64_t cols = in.shape(3);
  bool readable =
      in.dtype() == compute && (st[3] == 1 || cols <= 1) &&
      (rows <= 1 || (st[2] >= cols && st[2] >= 1 && st[2] <= INT_MAX));
  if (readable) {
    int ld = static_cast<int>(rows <= 1 ? std::max<int64_t>(cols, 1) : st[2]);
    return {in, st[0], st[1], ld};
  }
  array buf = scratch(in.shape(), compute);
  Strides dst = row_major_strides(in.shape());
  cpu::copy_strided(in, buf, in.shape(), st, dst);
  return {buf, dst[0], dst[1], static_cast<int>(std::max<int64_t>(cols, 1))};
}

template <typename T, typename M>
void mask_row(T* row, const M* mask, int64_t stride, int n, T lowest) {
  for (int j = 0; j < n; ++j) {
    if constexpr (std::is_same_v<M, bool>) {
      row[j] = mask[j * stride] ? row[j] : lowest;
    } else {
      row[j] += static_cast<T>(mask[j * stride]);
    }
  }
}

// Applies the mask row starting at element `offset` of `mask`: false
// entries of a boolean mask become `lowest`, an additive mask is added.
template <typename T>
void apply_mask(T* row, const array& mask, int64_t offset, int n, T lowest) {
  int64_t st = mask.strides()[3];
  switch (mask.dtype().val()) {
  case Dtype::Val::bool_:
    return mask_row(row, mask.data<bool>() + offset, st, n, lowest);
  case Dtype::Val::float16:
    return mask_row(row, mask.data<float16_t>() + offset, st, n, lowest);
  case Dtype::Val::bfloat16:
    return mask_row(row, mask.data<bfloat16_t>() + offset, st, n, lowest);
  case Dtype::Val::float32:
    return mask_row(row, mask.data<float>() + offset, st, n, lowest);
  case Dtype::Val::float64:
    return mask_row(row, mask.data<double>() + offset, st, n, lowest);
  default:
    throw_error(
        "[scaled_dot_product_attention] Unsupported mask type ",
        mask.dtype(),
        ".");
  }
}

// Writes n computed values into a float16/bfloat16 output.
inline void store_half(const float* src, array& out, size_t offset, size_t n) {
  if (out.dtype() == float16) {
    float16_t* dst = out.data<float16_t>() + offset;
    for (size_t e = 0; e < n; ++e) {
      dst[e] = static_cast<float16_t>(src[e]);
    }
  } else {
    bfloat16_t* dst = out.data<bfloat16_t>() + offset;
    for (size_t e = 0; e < n; ++e) {
      dst[e] = static_cast<bfloat16_t>(src[e]);
    }
  }
}

/** One attention problem: q, k, v as BLAS reads them, the mask, sinks
 * and the sizes; weights() computes P for a block of query rows. */
template <typename T> struct Problem {
  Operand<T> q, k, v;
  const array* mask;
  std::vector<T> sinks; // one per query head, or empty
  int q_heads, q_len, d, kv_heads, kv_len, dv;
  T scale;
  bool causal;

  Problem(const std::vector<array>& inputs, const ScaledDotProductAttention& p)
      : q(prepare<T>(inputs[0], compute())),
        k(prepare<T>(inputs[1], compute())),
        v(prepare<T>(inputs[2], compute())),
        mask(p.has_mask() ? &inputs[3] : nullptr), q_heads(inputs[0].shape(1)),
        q_len(inputs[0].shape(2)), d(inputs[0].shape(3)),
        kv_heads(inputs[1].shape(1)), kv_len(inputs[1].shape(2)),
        dv(inputs[2].shape(3)), scale(static_cast<T>(p.scale())),
        causal(p.causal()) {
    if (p.has_sinks()) {
      const array& s = inputs[3 + (p.has_mask() ? 1 : 0)];
      array buf = scratch(s.shape(), compute());
      cpu::copy_strided(s, buf, s.shape(), s.strides(), {1});
      sinks.assign(buf.data<T>(), buf.data<T>() + q_heads);
    }
  }

  static Dtype compute() {
    return std::is_same_v<T, double> ? float64 : float32;
  }
  int group() const { return q_heads / kv_heads; }
  // Query i sits at key position i + causal_shift().
  int causal_shift() const { return kv_len - q_len; }

  /** Query rows per block so that a block's gemms stay single-threaded. */
  int block_rows(int rows_available) const {
    size_t widest = std::max({d, dv, 1});
    size_t rows_fit = kSmallGemmWork / (size_t(kv_len) * widest);
    return static_cast<int>(std::min<size_t>(
        rows_available, std::max<size_t>(rows_fit, kMinBlockRows)));
  }

  /** Writes P of `rows` query rows into `scores` (row stride: the returned
   * number of keys, `cols`): row r is query (r0 + r) % q_len of head
   * h0 + (r0 + r) / q_len of batch element b (rows of consecutive heads
   * when q holds them one after the other). Keys past `cols` have zero
   * weight in every row of the block. `key_chunk` keys per gemm. */
  int weights(int b, int h0, int r0, int rows, int key_chunk, T* scores) const {
    // The block's query positions: one run of one head, or all of them.
    bool one_run = r0 % q_len + rows <= q_len;
    int i_first = one_run ? r0 % q_len : 0;
    int i_last = one_run ? i_first + rows - 1 : q_len - 1;
    // Keys after the block's last diagonal are masked in every row: skip
    // them, unless a row sees no key at all (its uniform average over
    // all values, as the lowest-score fill gives, needs them).
    int cols = kv_len;
    if (causal && i_first + causal_shift() >= 0) {
      cols = std::min(kv_len, i_last + 1 + causal_shift());
    }
    const T* qm = q.matrix(b, h0) + int64_t(r0) * q.ld;
    const T* km = k.matrix(b, h0 / group());
    for (int c0 = 0; c0 < cols; c0 += key_chunk) {
      int cn = std::min(key_chunk, cols - c0);
      if (d == 0) {
        for (int r = 0; r < rows; ++r) {
          std::fill_n(scores + size_t(r) * cols + c0, cn, T(0));
        }
        continue;
      }
      cpu::gemm(
          false,
          true,
          rows,
          cn,
          d,
          scale,
          qm,
          q.ld,
          km + int64_t(c0) * k.ld,
          k.ld,
          T(0),
          scores + c0,
          cols);
    }
    T lowest = std::numeric_limits<T>::lowest();
    const Strides& ms = mask ? mask->strides() : Strides{0, 0, 0, 0};
    for (int r = 0; r < rows; ++r) {
      int h = h0 + (r0 + r) / q_len;
      int i = (r0 + r) % q_len;
      T* row = scores + size_t(r) * cols;
      if (mask) {
        int64_t offset = b * ms[0] + h * ms[1] + int64_t(i) * ms[2];
        apply_mask(row, *mask, offset, cols, lowest);
      }
      if (causal) {
        for (int j = std::max(0, i + causal_shift() + 1); j < cols; ++j) {
          row[j] = lowest;
        }
      }
      cpu::softmax_row(row, cols, sinks.empty() ? nullptr : &sinks[h]);
    }
    return cols;
  }
};

} // namespace mlx::core::fast::attention
