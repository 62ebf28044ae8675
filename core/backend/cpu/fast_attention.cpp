// CPU kernel of ScaledDotProductAttention. The work is split into blocks of
// query rows of one batch element and one head (or of the group of query
// heads that share a key/value head); each block computes its weights P
// (attention::Problem::weights: one BLAS gemm per chunk of keys, mask,
// softmax in place), then accumulates P V into the output. A block keeps
// only its rows' scores (rows x T_kv), never the whole attention matrix.
// float16/bfloat16 inputs compute in float32, float64 in double.
#include <algorithm>
#include <cstring>
#include <vector>

#include "mlx/backend/cpu/fast_attention.h"
#include "mlx/backend/cpu/thread_pool.h"
#include "mlx/primitives/fast.h"
#include "mlx/utils.h"

namespace mlx::core::fast {

namespace {

using namespace attention;

template <typename T>
void sdpa_cpu(
    const std::vector<array>& inputs,
    const ScaledDotProductAttention& p,
    array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  if (inputs[1].shape(2) == 0) {
    // No keys: every weight is zero (the sinks, if any, take them all).
    std::memset(out.data<void>(), 0, out.nbytes());
    return;
  }
  Problem<T> a(inputs, p);
  int batch = inputs[0].shape(0);
  int q_len = a.q_len, dv = a.dv, q_heads = a.q_heads;
  bool direct = out.dtype() == Problem<T>::compute();
  int group = a.group();
  // The query heads sharing a key/value head, when q holds them one after
  // the other (head stride T_q * ld), form one [group * T_q, D] matrix:
  // its blocks read each key and value once for the whole group (the
  // saving that matters when decoding, T_q = 1).
  int stack =
      group > 1 && a.q.head_stride == int64_t(q_len) * a.q.ld ? group : 1;
  int stack_rows = stack * q_len;
  int stacks = q_heads / stack;
  int block_rows = a.block_rows(stack_rows);
  size_t widest = std::max({a.d, dv, 1});
  int key_chunk = static_cast<int>(
      std::max<size_t>(1, kSmallGemmWork / (size_t(block_rows) * widest)));
  int blocks_per_stack = (stack_rows + block_rows - 1) / block_rows;

  auto run = [&](size_t begin, size_t end) {
    std::vector<T> scores(size_t(block_rows) * a.kv_len);
    std::vector<T> staged(direct ? 0 : size_t(block_rows) * dv);
    for (size_t task = begin; task < end; ++task) {
      int blk = static_cast<int>(task % blocks_per_stack);
      int m = static_cast<int>((task / blocks_per_stack) % stacks);
      int b = static_cast<int>(task / (size_t(blocks_per_stack) * stacks));
      int h0 = m * stack; // the stack's first query head
      int r0 = blk * block_rows;
      int rows = std::min(block_rows, stack_rows - r0);
      int cols = a.weights(b, h0, r0, rows, key_chunk, scores.data());
      const T* vm = a.v.matrix(b, h0 / group);
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
            vm + int64_t(c0) * a.v.ld,
            a.v.ld,
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
