// CPU kernel of ScaledDotProductAttention. The work is split into blocks of
// query rows of one batch element and one head (or of the group of query
// heads that share a key/value head); each block computes its scores with
// one BLAS gemm per chunk of keys (scale * Q K^T), masks them and takes the
// softmax in place, then accumulates P V into the output. A block keeps
// only its rows' scores (rows x T_kv), never the whole attention matrix.
// float16/bfloat16 inputs compute in float32, float64 in double.
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "mlx/backend/cpu/blas.h"
#include "mlx/backend/cpu/copy.h"
#include "mlx/backend/cpu/fast_loops.h"
#include "mlx/backend/cpu/math.h"
#include "mlx/backend/cpu/thread_pool.h"
#include "mlx/primitives/fast.h"
#include "mlx/utils.h"

namespace mlx::core::fast {

namespace {

// Every gemm here stays under cpu::kSmallGemmWork, so the blocks run in
// parallel over our pool without OpenBLAS's threads competing with it.
using cpu::kSmallGemmWork;

// Query rows per block when the keys are too long for a block's gemms to
// take them in one call: below this, gemms get too thin to be efficient.
constexpr int kMinBlockRows = 16;

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
array scratch(const Shape& shape, Dtype dtype) {
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

template <typename T> MLX_FAST_INLINE T exp_of(T x) {
  if constexpr (std::is_same_v<T, float>) {
    return cpu::fast_expf(x); // vectorizes, ~1 ulp
  } else {
    return std::exp(x);
  }
}

// In-place softmax of one row of scores, with an optional sink logit that
// takes part in the normalization only.
template <typename T>
MLX_FAST_INLINE void softmax_row_impl(T* row, int n, const T* sink) {
  T m = detail::lane_max(
      row, n, sink ? *sink : -std::numeric_limits<T>::infinity());
  T sum = detail::lane_sum<T>(n, [&](int64_t j) {
    row[j] = exp_of(row[j] - m);
    return row[j];
  });
  if (sink) {
    sum += exp_of(*sink - m);
  }
  T inv = T(1) / sum;
  detail::for_each_index(n, [&](int64_t j) { row[j] *= inv; });
}

// float rows, the common case, are built twice on x86-64 (as exp is in
// unary.cpp): for AVX2 + FMA (x86-64-v3) and for the baseline; the loader
// picks the clone that fits the CPU.
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
void softmax_row_float(float* row, int n, const float* sink) {
  softmax_row_impl<float>(row, n, sink);
}

template <typename T> void softmax_row(T* row, int n, const T* sink) {
  if constexpr (std::is_same_v<T, float>) {
    softmax_row_float(row, n, sink);
  } else {
    softmax_row_impl(row, n, sink);
  }
}

// Writes n computed values into a float16/bfloat16 output.
void store_half(const float* src, array& out, size_t offset, size_t n) {
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

template <typename T>
void sdpa_cpu(
    const std::vector<array>& inputs,
    const ScaledDotProductAttention& p,
    array& out) {
  const array& q_in = inputs[0];
  const array& k_in = inputs[1];
  const array& v_in = inputs[2];
  const array* mask = p.has_mask() ? &inputs[3] : nullptr;
  int batch = q_in.shape(0);
  int q_heads = q_in.shape(1);
  int q_len = q_in.shape(2);
  int d = q_in.shape(3);
  int kv_heads = k_in.shape(1);
  int kv_len = k_in.shape(2);
  int dv = v_in.shape(3);
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  if (kv_len == 0) {
    // No keys: every weight is zero (the sinks, if any, take them all).
    std::memset(out.data<void>(), 0, out.nbytes());
    return;
  }
  Dtype compute = std::is_same_v<T, double> ? float64 : float32;
  Operand<T> q = prepare<T>(q_in, compute);
  Operand<T> k = prepare<T>(k_in, compute);
  Operand<T> v = prepare<T>(v_in, compute);
  std::vector<T> sinks;
  if (p.has_sinks()) {
    const array& s = inputs.back();
    array buf = scratch(s.shape(), compute);
    cpu::copy_strided(s, buf, s.shape(), s.strides(), {1});
    sinks.assign(buf.data<T>(), buf.data<T>() + q_heads);
  }

  bool direct = out.dtype() == compute;
  int group = q_heads / kv_heads;
  // The query heads sharing a key/value head, when q holds them one after
  // the other (head stride T_q * ld), form one [group * T_q, D] matrix:
  // its blocks read each key and value once for the whole group (the
  // saving that matters when decoding, T_q = 1).
  int stack = group > 1 && q.head_stride == int64_t(q_len) * q.ld ? group : 1;
  int stack_rows = stack * q_len;
  int stacks = q_heads / stack;
  int causal_shift = kv_len - q_len; // query i sits at key position i + shift
  T lowest = std::numeric_limits<T>::lowest();
  T scale = static_cast<T>(p.scale());
  size_t widest = std::max({d, dv, 1});
  size_t rows_fit = kSmallGemmWork / (size_t(kv_len) * widest);
  int block_rows = static_cast<int>(
      std::min<size_t>(stack_rows, std::max<size_t>(rows_fit, kMinBlockRows)));
  int key_chunk = static_cast<int>(
      std::max<size_t>(1, kSmallGemmWork / (size_t(block_rows) * widest)));
  int blocks_per_stack = (stack_rows + block_rows - 1) / block_rows;
  const Strides& ms = mask ? mask->strides() : Strides{0, 0, 0, 0};

  auto run = [&](size_t begin, size_t end) {
    std::vector<T> scores(size_t(block_rows) * kv_len);
    std::vector<T> staged(direct ? 0 : size_t(block_rows) * dv);
    for (size_t task = begin; task < end; ++task) {
      int blk = static_cast<int>(task % blocks_per_stack);
      int m = static_cast<int>((task / blocks_per_stack) % stacks);
      int b = static_cast<int>(task / (size_t(blocks_per_stack) * stacks));
      int h0 = m * stack; // the stack's first query head
      int r0 = blk * block_rows;
      int rows = std::min(block_rows, stack_rows - r0);
      // The block's query positions: one run of one head, or all of them.
      bool one_run = r0 % q_len + rows <= q_len;
      int i_first = one_run ? r0 % q_len : 0;
      int i_last = one_run ? i_first + rows - 1 : q_len - 1;
      // Keys after the block's last diagonal are masked in every row: skip
      // them, unless a row sees no key at all (its uniform average over
      // all values, as the lowest-score fill gives, needs them).
      int cols = kv_len;
      if (p.causal() && i_first + causal_shift >= 0) {
        cols = std::min(kv_len, i_last + 1 + causal_shift);
      }
      const T* qm = q.matrix(b, h0) + int64_t(r0) * q.ld;
      const T* km = k.matrix(b, h0 / group);
      const T* vm = v.matrix(b, h0 / group);
      for (int c0 = 0; c0 < cols; c0 += key_chunk) {
        int cn = std::min(key_chunk, cols - c0);
        if (d == 0) {
          for (int r = 0; r < rows; ++r) {
            std::fill_n(scores.data() + size_t(r) * cols + c0, cn, T(0));
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
            scores.data() + c0,
            cols);
      }
      for (int r = 0; r < rows; ++r) {
        int h = h0 + (r0 + r) / q_len;
        int i = (r0 + r) % q_len;
        T* row = scores.data() + size_t(r) * cols;
        if (mask) {
          int64_t offset = b * ms[0] + h * ms[1] + int64_t(i) * ms[2];
          apply_mask(row, *mask, offset, cols, lowest);
        }
        if (p.causal()) {
          for (int j = std::max(0, i + causal_shift + 1); j < cols; ++j) {
            row[j] = lowest;
          }
        }
        softmax_row(row, cols, sinks.empty() ? nullptr : &sinks[h]);
      }
      size_t out_offset = ((size_t(b) * q_heads + h0) * q_len + r0) * dv;
      T* dst = direct ? out.data<T>() + out_offset : staged.data();
      for (int c0 = 0; c0 < cols; c0 += key_chunk) {
        int cn = std::min(key_chunk, cols - c0);
        cpu::gemm(
            false,
            false,
            rows,
            dv,
            cn,
            T(1),
            scores.data() + c0,
            cols,
            vm + int64_t(c0) * v.ld,
            v.ld,
            c0 == 0 ? T(0) : T(1),
            dst,
            std::max(dv, 1));
      }
      if constexpr (std::is_same_v<T, float>) {
        if (!direct) {
          store_half(staged.data(), out, out_offset, size_t(rows) * dv);
        }
      }
    }
  };
  size_t tasks = size_t(batch) * stacks * blocks_per_stack;
  cpu::parallel_for(tasks, 1, run);
}

} // namespace

void ScaledDotProductAttention::eval_cpu(
    const std::vector<array>& inputs, array& out) {
  switch (out.dtype().val()) {
  case Dtype::Val::float16:
  case Dtype::Val::bfloat16:
  case Dtype::Val::float32:
    return sdpa_cpu<float>(inputs, *this, out);
  case Dtype::Val::float64:
    return sdpa_cpu<double>(inputs, *this, out);
  default:
    throw_error(
        "[scaled_dot_product_attention] No CPU kernel for dtype ",
        out.dtype(),
        ".");
  }
}

} // namespace mlx::core::fast
