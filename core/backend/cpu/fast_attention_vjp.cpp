// CPU kernel of attention's vjp (FusedVJP of ScaledDotProductAttention).
// One task per (batch element, key/value head) owns that head's dK and dV;
// for each of its query heads and each block of query rows it recomputes
// the weights P (as the forward does), then with dO the output's cotangent
// and O the output:
//   dV += P^T dO,  dP = dO V^T,  dS = scale * P (dP - rowsum(dO O)),
//   dQ = dS K,     dK += dS^T Q.
// A block holds P and dP for its rows only, never the whole attention
// matrix. Mask and sinks take part in P; their own gradients go through
// the composed form (fast_transforms.cpp).
#include <algorithm>
#include <cstring>
#include <vector>

#include "mlx/backend/cpu/fast_attention.h"
#include "mlx/backend/cpu/fast_loops.h"
#include "mlx/backend/cpu/thread_pool.h"
#include "mlx/primitives/fast.h"
#include "mlx/primitives/fast_vjp.h"
#include "mlx/utils.h"

namespace mlx::core::fast {

namespace {

using namespace attention;

// A gradient in the compute type, with the offset of each (batch, head)
// matrix: the output itself when its dtype is the compute type, else a
// buffer converted at the end.
template <typename T> struct Grad {
  array data;
  int heads, rows, cols;

  T* matrix(int b, int h) {
    return data.data<T>() + (size_t(b) * heads + h) * rows * cols;
  }
};

template <typename T> Grad<T> gradient_buffer(array* out, const Shape& shape) {
  Dtype compute = Problem<T>::compute();
  array buf = out && out->dtype() == compute ? *out : scratch(shape, compute);
  return {buf, shape[1], shape[2], shape[3]};
}

// Scores replaced by the lowest value (causal, or false in a boolean
// mask) do not depend on q and k: zero their gradient. (It is not zero by
// itself in a row that sees no key, where P is uniform.)
template <typename T>
void zero_masked(const Problem<T>& a, int b, int h, int i, T* ds, int cols) {
  if (a.causal) {
    for (int j = std::max(0, i + a.causal_shift() + 1); j < cols; ++j) {
      ds[j] = T(0);
    }
  }
  if (a.mask && a.mask->dtype() == bool_) {
    const Strides& ms = a.mask->strides();
    const bool* keep =
        a.mask->template data<bool>() + b * ms[0] + h * ms[1] + i * ms[2];
    for (int j = 0; j < cols; ++j) {
      ds[j] = keep[j * ms[3]] ? ds[j] : T(0);
    }
  }
}

template <typename T>
void sdpa_vjp_cpu(
    const ScaledDotProductAttention& p,
    const std::vector<array>& inputs,
    array* dq_out,
    array* dk_out,
    array* dv_out) {
  Problem<T> a(inputs, p);
  Dtype compute = Problem<T>::compute();
  Operand<T> dout = prepare<T>(inputs[inputs.size() - 2], compute);
  Operand<T> out = prepare<T>(inputs.back(), compute);
  int batch = inputs[0].shape(0);
  int group = a.group();
  int d = a.d, dv = a.dv, q_len = a.q_len, kv_len = a.kv_len;
  Grad<T> dq = gradient_buffer<T>(dq_out, inputs[0].shape());
  Grad<T> dk = gradient_buffer<T>(dk_out, inputs[1].shape());
  Grad<T> dvg = gradient_buffer<T>(dv_out, inputs[2].shape());
  int block_rows = a.block_rows(q_len);
  int key_chunk = std::max(kv_len, 1); // a block's keys in one gemm

  auto run = [&](size_t begin, size_t end) {
    std::vector<T> weights(size_t(block_rows) * kv_len);
    std::vector<T> dscores(size_t(block_rows) * kv_len);
    std::vector<T> delta(block_rows);
    for (size_t task = begin; task < end; ++task) {
      int b = static_cast<int>(task / a.kv_heads);
      int hk = static_cast<int>(task % a.kv_heads);
      T* dk_m = dk.matrix(b, hk);
      T* dv_m = dvg.matrix(b, hk);
      std::fill_n(dk_m, size_t(kv_len) * d, T(0));
      std::fill_n(dv_m, size_t(kv_len) * dv, T(0));
      const T* km = a.k.matrix(b, hk);
      const T* vm = a.v.matrix(b, hk);
      for (int h = hk * group; h < (hk + 1) * group; ++h) {
        for (int r0 = 0; r0 < q_len; r0 += block_rows) {
          int rows = std::min(block_rows, q_len - r0);
          T* pm = weights.data();
          T* ds = dscores.data();
          int cols = a.weights(b, h, r0, rows, key_chunk, pm);
          int ld = std::max(cols, 1);
          const T* qm = a.q.matrix(b, h) + int64_t(r0) * a.q.ld;
          const T* dom = dout.matrix(b, h) + int64_t(r0) * dout.ld;
          const T* om = out.matrix(b, h) + int64_t(r0) * out.ld;
          // dV[:cols] += P^T dO
          cpu::gemm(
              true,
              false,
              cols,
              dv,
              rows,
              T(1),
              pm,
              ld,
              dom,
              dout.ld,
              T(1),
              dv_m,
              std::max(dv, 1));
          // dP = dO V[:cols]^T
          cpu::gemm(
              false,
              true,
              rows,
              cols,
              dv,
              T(1),
              dom,
              dout.ld,
              vm,
              a.v.ld,
              T(0),
              ds,
              ld);
          for (int r = 0; r < rows; ++r) {
            const T* o_row = om + int64_t(r) * out.ld;
            const T* do_row = dom + int64_t(r) * dout.ld;
            delta[r] = detail::lane_sum<T>(
                dv, [&](int64_t j) { return o_row[j] * do_row[j]; });
          }
          for (int r = 0; r < rows; ++r) {
            T* ds_row = ds + size_t(r) * cols;
            const T* p_row = pm + size_t(r) * cols;
            T dr = delta[r];
            T scale = a.scale;
            detail::for_each_index(cols, [&](int64_t j) {
              ds_row[j] = scale * p_row[j] * (ds_row[j] - dr);
            });
            zero_masked(a, b, h, r0 + r, ds_row, cols);
          }
          // dQ = dS K[:cols],  dK[:cols] += dS^T Q
          T* dq_m = dq.matrix(b, h) + size_t(r0) * d;
          cpu::gemm(
              false,
              false,
              rows,
              d,
              cols,
              T(1),
              ds,
              ld,
              km,
              a.k.ld,
              T(0),
              dq_m,
              std::max(d, 1));
          cpu::gemm(
              true,
              false,
              cols,
              d,
              rows,
              T(1),
              ds,
              ld,
              qm,
              a.q.ld,
              T(1),
              dk_m,
              std::max(d, 1));
        }
      }
    }
  };
  cpu::parallel_for(size_t(batch) * a.kv_heads, 1, run);

  // Half-precision outputs: convert the float buffers.
  for (auto [o, g] :
       {std::pair{dq_out, &dq},
        std::pair{dk_out, &dk},
        std::pair{dv_out, &dvg}}) {
    if (o && o->dtype() != compute) {
      if constexpr (std::is_same_v<T, float>) {
        store_half(g->data.template data<float>(), *o, 0, o->size());
      }
    }
  }
}

} // namespace

void attention_vjp_cpu(
    const ScaledDotProductAttention& forward,
    const std::vector<int>& argnums,
    const std::vector<array>& inputs,
    std::vector<array>& outputs) {
  array* grads[3] = {nullptr, nullptr, nullptr};
  for (size_t k = 0; k < argnums.size(); ++k) {
    outputs[k].set_data(allocator::malloc(outputs[k].nbytes()));
    grads[argnums[k]] = &outputs[k];
  }
  const Shape& q = inputs[0].shape();
  if (q[0] == 0 || q[1] == 0 || q[2] == 0 || inputs[1].shape(2) == 0) {
    // No queries or no keys: every gradient is zero (or empty).
    for (auto& o : outputs) {
      std::memset(o.data<void>(), 0, o.nbytes());
    }
    return;
  }
  switch (inputs[0].dtype().val()) {
  case Dtype::Val::float16:
  case Dtype::Val::bfloat16:
  case Dtype::Val::float32:
    return sdpa_vjp_cpu<float>(forward, inputs, grads[0], grads[1], grads[2]);
  case Dtype::Val::float64:
    return sdpa_vjp_cpu<double>(forward, inputs, grads[0], grads[1], grads[2]);
  default:
    throw_error(
        "[scaled_dot_product_attention] No CPU vjp kernel for dtype ",
        inputs[0].dtype(),
        ".");
  }
}

} // namespace mlx::core::fast
