// CPU kernels of FusedVJP: the backward passes of the fused norms (here)
// and of attention (fast_attention_vjp.cpp). Norms: one pass per row gives
// dx, and per-task partial column sums give dweight and dbias, added in a
// fixed order (the result does not depend on the thread count).
#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "mlx/backend/cpu/dispatch_float.h"
#include "mlx/backend/cpu/fast_loops.h"
#include "mlx/backend/cpu/last_axis_rows.h"
#include "mlx/backend/cpu/strided.h"
#include "mlx/backend/cpu/thread_pool.h"
#include "mlx/primitives/fast.h"
#include "mlx/primitives/fast_vjp.h"
#include "mlx/utils.h"

namespace mlx::core::fast {

void attention_vjp_cpu(
    const ScaledDotProductAttention& forward,
    const std::vector<int>& argnums,
    const std::vector<array>& inputs,
    std::vector<array>& outputs);

namespace {

template <typename T>
using Acc = std::conditional_t<std::is_same_v<T, double>, double, float>;

// Row r of `x` converted to the accumulation type into `row`.
template <typename T, typename A>
void load_row(const cpu::LastAxisRows& rows, const T* data, size_t r, A* row) {
  const T* in = data + rows.start(r);
  if (rows.stride == 1) {
    detail::for_each_index(rows.length, [&](int64_t j) { row[j] = A(in[j]); });
  } else {
    for (int64_t j = 0; j < rows.length; ++j) {
      row[j] = static_cast<A>(in[j * rows.stride]);
    }
  }
}

// Where the norm's gradients go: each may be absent (not in argnums).
template <typename T> struct NormGrads {
  T* dx = nullptr;
  T* dw = nullptr;
  T* db = nullptr;
};

// x, [weight], [bias], cotangent g, output: with xhat = (x - mean) * rstd
// (mean = 0 for RMS norm) and gw = g * weight,
//   dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat))   (no mean(gw)
//        term for RMS norm),  dweight = sum_rows g * xhat,  dbias = sum g.
template <typename T>
void norm_vjp_cpu(
    const array& x,
    const array* weight,
    const array& g,
    float eps,
    bool center,
    NormGrads<T> grads) {
  using A = Acc<T>;
  cpu::LastAxisRows x_rows(x);
  cpu::LastAxisRows g_rows(g);
  int64_t n = x_rows.length;
  size_t num_rows = x.size() / n;
  std::vector<A> w(n, A(1));
  if (weight) {
    const T* ptr = weight->data<T>();
    for (int64_t j = 0; j < n; ++j) {
      w[j] = static_cast<A>(ptr[j * weight->strides()[0]]);
    }
  }
  // A fixed number of tasks, each with its own column sums.
  size_t tasks = std::min<size_t>(
      num_rows,
      std::max<size_t>(1, x.size() / cpu::kElementwiseGrain) *
          cpu::num_threads());
  tasks = std::max<size_t>(1, std::min<size_t>(tasks, 4 * cpu::num_threads()));
  size_t rows_per_task = (num_rows + tasks - 1) / tasks;
  bool sums = grads.dw || grads.db;
  std::vector<A> dw_parts(sums ? tasks * n : 0, A(0));
  std::vector<A> db_parts(sums ? tasks * n : 0, A(0));
  const T* x_ptr = x.data<T>();
  const T* g_ptr = g.data<T>();
  cpu::parallel_for(tasks, 1, [&](size_t begin, size_t end) {
    std::vector<A> xh_buf(n), g_buf(n);
    A* xh = xh_buf.data();
    A* gr = g_buf.data();
    const A* wp = w.data();
    for (size_t task = begin; task < end; ++task) {
      A* dw_sum = sums ? dw_parts.data() + task * n : nullptr;
      A* db_sum = sums ? db_parts.data() + task * n : nullptr;
      size_t r_end = std::min(num_rows, (task + 1) * rows_per_task);
      for (size_t r = task * rows_per_task; r < r_end; ++r) {
        load_row(x_rows, x_ptr, r, xh);
        load_row(g_rows, g_ptr, r, gr);
        A inv_n = A(1) / static_cast<A>(n);
        A mean =
            center ? detail::lane_sum<A>(n, [&](int64_t j) { return xh[j]; }) *
                         inv_n
                   : A(0);
        A var = detail::lane_sum<A>(
                    n,
                    [&](int64_t j) {
                      A c = xh[j] - mean;
                      return c * c;
                    }) *
                inv_n;
        A rstd = A(1) / std::sqrt(var + static_cast<A>(eps));
        detail::for_each_index(
            n, [&](int64_t j) { xh[j] = (xh[j] - mean) * rstd; });
        A mean_gw = center ? detail::lane_sum<A>(
                                 n, [&](int64_t j) { return gr[j] * wp[j]; }) *
                                 inv_n
                           : A(0);
        A mean_gwx = detail::lane_sum<A>(
                         n, [&](int64_t j) { return gr[j] * wp[j] * xh[j]; }) *
                     inv_n;
        if (grads.dx) {
          T* dx = grads.dx + r * n;
          detail::for_each_index(n, [&](int64_t j) {
            dx[j] = static_cast<T>(
                rstd * (gr[j] * wp[j] - mean_gw - xh[j] * mean_gwx));
          });
        }
        if (sums) {
          detail::for_each_index(n, [&](int64_t j) {
            dw_sum[j] += gr[j] * xh[j];
            db_sum[j] += gr[j];
          });
        }
      }
    }
  });
  for (auto [dst, parts] :
       {std::pair{grads.dw, &dw_parts}, std::pair{grads.db, &db_parts}}) {
    if (!dst) {
      continue;
    }
    for (int64_t j = 0; j < n; ++j) {
      A total = 0;
      for (size_t t = 0; t < tasks; ++t) {
        total += (*parts)[t * n + j];
      }
      dst[j] = static_cast<T>(total);
    }
  }
}

// The norm's forward inputs are x, [weight], [bias]; argnums index them.
void norm_vjp(
    float eps,
    bool center,
    bool has_weight,
    const std::vector<int>& argnums,
    const std::vector<array>& inputs,
    std::vector<array>& outputs) {
  const array& x = inputs[0];
  const array& g = inputs[inputs.size() - 2];
  const array* weight = has_weight ? &inputs[1] : nullptr;
  for (auto& o : outputs) {
    o.set_data(allocator::malloc(o.nbytes()));
  }
  if (x.size() == 0) {
    for (auto& o : outputs) {
      std::fill_n(static_cast<char*>(o.data<void>()), o.nbytes(), 0);
    }
    return;
  }
  cpu::dispatch_float("layer_norm vjp", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    NormGrads<T> grads;
    for (size_t k = 0; k < argnums.size(); ++k) {
      T* dst = outputs[k].data<T>();
      int a = argnums[k];
      if (a == 0) {
        grads.dx = dst;
      } else if (a == 1 && has_weight) {
        grads.dw = dst;
      } else {
        grads.db = dst;
      }
    }
    norm_vjp_cpu<T>(x, weight, g, eps, center, grads);
  });
}

} // namespace

void FusedVJP::eval_cpu(
    const std::vector<array>& inputs, std::vector<array>& outputs) {
  if (auto* n = dynamic_cast<const LayerNorm*>(&forward())) {
    return norm_vjp(
        n->eps(), true, n->has_weight(), argnums(), inputs, outputs);
  }
  if (auto* n = dynamic_cast<const RMSNorm*>(&forward())) {
    bool has_weight = inputs.size() > 3;
    return norm_vjp(n->eps(), false, has_weight, argnums(), inputs, outputs);
  }
  if (auto* a = dynamic_cast<const ScaledDotProductAttention*>(&forward())) {
    return attention_vjp_cpu(*a, argnums(), inputs, outputs);
  }
  throw_error(
      "[FusedVJP] No CPU kernel for the vjp of ", forward().name(), ".");
}

} // namespace mlx::core::fast
