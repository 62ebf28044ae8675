// CPU kernels of the fused norms and RoPE (attention: fast_attention.cpp).
// Each reads its input once in any layout and writes a row-contiguous
// output; float16/bfloat16 (and float32) compute in float, float64 in
// double, rounding once at the end.
#include <cmath>
#include <type_traits>
#include <vector>

#include "mlx/backend/cpu/dispatch_float.h"
#include "mlx/backend/cpu/fast_loops.h"
#include "mlx/backend/cpu/last_axis_rows.h"
#include "mlx/backend/cpu/strided.h"
#include "mlx/backend/cpu/thread_pool.h"
#include "mlx/primitives/fast.h"
#include "mlx/utils.h"

namespace mlx::core::fast {

namespace {

template <typename T>
using Acc = std::conditional_t<std::is_same_v<T, double>, double, float>;

using cpu::LastAxisRows;

// A 1-D parameter (weight or bias) converted to A, or `fill` repeated.
template <typename T, typename A>
std::vector<A> param_values(const array* p, int64_t n, A fill) {
  std::vector<A> v(n, fill);
  if (p) {
    const T* ptr = p->data<T>();
    int64_t stride = p->strides()[0];
    for (int64_t j = 0; j < n; ++j) {
      v[j] = static_cast<A>(ptr[j * stride]);
    }
  }
  return v;
}

// One normalized row: (x - mean) * rsqrt(mean((x - mean)^2) + eps), with
// mean = 0 for RMS norm, then * weight + bias (1 and 0 when not given).
template <typename T>
void norm_cpu(
    const array& x,
    const array* weight,
    const array* bias,
    float eps,
    bool center,
    array& out) {
  using A = Acc<T>;
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  LastAxisRows rows(x);
  int64_t n = rows.length;
  size_t num_rows = x.size() / n;
  const T* x_ptr = x.data<T>();
  std::vector<A> w = param_values<T>(weight, n, A(1));
  std::vector<A> b = param_values<T>(bias, n, A(0));
  T* out_ptr = out.data<T>();
  size_t grain = std::max<size_t>(1, cpu::kElementwiseGrain / n);
  cpu::parallel_for(num_rows, grain, [&](size_t begin, size_t end) {
    // The row in the accumulation type: converted once, then the passes
    // below run over contiguous memory in L1.
    std::vector<A> row_buf(n);
    A* row = row_buf.data();
    const A* w_ptr = w.data();
    const A* b_ptr = b.data();
    for (size_t r = begin; r < end; ++r) {
      const T* in = x_ptr + rows.start(r);
      int64_t stride = rows.stride;
      if (stride == 1) {
        detail::for_each_index(n, [&](int64_t j) { row[j] = A(in[j]); });
      } else {
        for (int64_t j = 0; j < n; ++j) {
          row[j] = static_cast<A>(in[j * stride]);
        }
      }
      A mean = center
                   ? detail::lane_sum<A>(n, [&](int64_t j) { return row[j]; }) /
                         static_cast<A>(n)
                   : A(0);
      A var = detail::lane_sum<A>(
                  n,
                  [&](int64_t j) {
                    A c = row[j] - mean;
                    return c * c;
                  }) /
              static_cast<A>(n);
      A inv = A(1) / std::sqrt(var + static_cast<A>(eps));
      T* o = out_ptr + r * n;
      detail::for_each_index(n, [&](int64_t j) {
        o[j] = static_cast<T>((row[j] - mean) * inv * w_ptr[j] + b_ptr[j]);
      });
    }
  });
}

// Rotates the `half` feature pairs of one row: (i, i + half), or (2i,
// 2i + 1) when traditional; contiguous rows take vectorizable loops.
template <typename T, typename A>
void rotate_pairs(
    const T* in,
    int64_t stride,
    T* o,
    const A* cos_t,
    const A* sin_t,
    int half,
    bool traditional) {
  auto rotate = [&](int64_t i, int64_t j1, int64_t j2) {
    A x1 = static_cast<A>(in[j1 * stride]);
    A x2 = static_cast<A>(in[j2 * stride]);
    o[j1] = static_cast<T>(x1 * cos_t[i] - x2 * sin_t[i]);
    o[j2] = static_cast<T>(x1 * sin_t[i] + x2 * cos_t[i]);
  };
  if (stride != 1) {
    for (int64_t i = 0; i < half; ++i) {
      traditional ? rotate(i, 2 * i, 2 * i + 1) : rotate(i, i, i + half);
    }
  } else if (traditional) {
    detail::for_each_index(half, [&](int64_t i) {
      A x1 = static_cast<A>(in[2 * i]);
      A x2 = static_cast<A>(in[2 * i + 1]);
      o[2 * i] = static_cast<T>(x1 * cos_t[i] - x2 * sin_t[i]);
      o[2 * i + 1] = static_cast<T>(x1 * sin_t[i] + x2 * cos_t[i]);
    });
  } else {
    detail::for_each_index(half, [&](int64_t i) {
      A x1 = static_cast<A>(in[i]);
      A x2 = static_cast<A>(in[i + half]);
      o[i] = static_cast<T>(x1 * cos_t[i] - x2 * sin_t[i]);
      o[i + half] = static_cast<T>(x1 * sin_t[i] + x2 * cos_t[i]);
    });
  }
}

// Rotates x of shape (B, ..., T, D): the units of work are the distinct
// positions (one offset group g and one t), whose angles are computed once
// and applied to every row at that position.
template <typename T>
void rope_cpu(
    const array& x,
    const array& offset,
    const array* freqs,
    const RoPE& p,
    array& out) {
  using A = Acc<T>;
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  LastAxisRows rows(x);
  int64_t d = rows.length;
  int batch = x.shape(0);
  int seq = x.shape(-2);
  size_t heads = x.size() / (static_cast<size_t>(batch) * seq * d);
  int half = p.dims() / 2;

  std::vector<A> inv_freq(half);
  if (freqs) {
    const A* f = freqs->data<A>();
    for (int i = 0; i < half; ++i) {
      inv_freq[i] = A(1) / f[i * freqs->strides()[0]];
    }
  } else {
    A log_base_step = static_cast<A>(std::log(double(p.base())) / half);
    for (int i = 0; i < half; ++i) {
      inv_freq[i] = std::exp(-static_cast<A>(i) * log_base_step);
    }
  }
  // One offset for all batch elements, or one each.
  size_t groups = offset.size();
  int64_t offset_stride = offset.ndim() == 1 ? offset.strides()[0] : 0;
  const int32_t* offsets = offset.data<int32_t>();
  size_t batch_per_group = groups == 1 ? batch : 1;
  A sin_sign = p.forward() ? A(1) : A(-1);
  int64_t dims = p.dims();
  bool traditional = p.traditional();

  const T* x_ptr = x.data<T>();
  T* out_ptr = out.data<T>();
  size_t work_per_unit = batch_per_group * heads * d;
  size_t grain = std::max<size_t>(1, cpu::kElementwiseGrain / work_per_unit);
  cpu::parallel_for(groups * seq, grain, [&](size_t begin, size_t end) {
    std::vector<A> cos_t(half);
    std::vector<A> sin_t(half);
    for (size_t unit = begin; unit < end; ++unit) {
      size_t g = unit / seq;
      int t = static_cast<int>(unit % seq);
      A position = static_cast<A>(offsets[g * offset_stride] + t) *
                   static_cast<A>(p.scale());
      for (int i = 0; i < half; ++i) {
        A theta = position * inv_freq[i];
        cos_t[i] = std::cos(theta);
        sin_t[i] = sin_sign * std::sin(theta);
      }
      for (size_t bb = 0; bb < batch_per_group; ++bb) {
        size_t b = groups == 1 ? bb : g;
        for (size_t h = 0; h < heads; ++h) {
          size_t r = (b * heads + h) * seq + t;
          const T* in = x_ptr + rows.start(r);
          T* o = out_ptr + r * d;
          int64_t s = rows.stride;
          rotate_pairs(in, s, o, cos_t.data(), sin_t.data(), half, traditional);
          for (int64_t j = dims; j < d; ++j) {
            o[j] = in[j * s];
          }
        }
      }
    }
  });
}

} // namespace

void RMSNorm::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array* weight = inputs.size() > 1 ? &inputs[1] : nullptr;
  cpu::dispatch_float("rms_norm", out.dtype(), [&](auto tag) {
    norm_cpu<decltype(tag)>(inputs[0], weight, nullptr, eps(), false, out);
  });
}

void LayerNorm::eval_cpu(const std::vector<array>& inputs, array& out) {
  size_t next = 1;
  const array* weight = has_weight() ? &inputs[next++] : nullptr;
  const array* bias = has_bias() ? &inputs[next++] : nullptr;
  cpu::dispatch_float("layer_norm", out.dtype(), [&](auto tag) {
    norm_cpu<decltype(tag)>(inputs[0], weight, bias, eps(), true, out);
  });
}

void RoPE::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array* freqs = inputs.size() > 2 ? &inputs[2] : nullptr;
  cpu::dispatch_float("rope", out.dtype(), [&](auto tag) {
    rope_cpu<decltype(tag)>(inputs[0], inputs[1], freqs, *this, out);
  });
}

} // namespace mlx::core::fast
