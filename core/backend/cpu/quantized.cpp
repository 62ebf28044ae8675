// CPU kernels of the quantization primitives. The matmul kernels read the
// packed weights directly: a group is unpacked into a few registers' worth
// of floats, used, and dropped, so the dequantized matrix never exists.
// Accumulation is in float whatever the dtype.
#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "mlx/backend/cpu/copy.h"
#include "mlx/backend/cpu/dispatch_float.h"
#include "mlx/backend/cpu/quantized_bits.h"
#include "mlx/backend/cpu/quantized_words.h"
#include "mlx/backend/cpu/strided.h"
#include "mlx/backend/cpu/thread_pool.h"
#include "mlx/primitives/quantized.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

using cpu::dispatch_quant_bits;
using cpu::kFp4Values;
using cpu::pack_values;
using cpu::unpack_values;

// Work per parallel_for chunk, in weight elements: below this, waking a
// thread costs more than it saves (see cpu::kElementwiseGrain).
constexpr size_t kChunkWork = size_t{1} << 15;

// mxfp4 scales are E8M0: a biased power of two, 2^(e - 127).
constexpr int kE8M0Bias = 127;

float scale_value(uint8_t e) {
  return std::ldexp(1.0f, int{e} - kE8M0Bias);
}
template <typename T> float scale_value(T s) {
  return static_cast<float>(s);
}

void allocate(array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
}

// ---- quantize / dequantize ------------------------------------------------

// MLX's affine rule for one group: the range [min, max] over 2^bits - 1
// steps, the scale nudged so that the edge of larger magnitude is exactly
// representable (q0 steps from zero) and stored as the bias.
template <typename T>
void quantize_affine_group(
    const T* w, int gs, int bits, uint32_t* q, T& scale_out, T& bias_out) {
  const float n_bins = static_cast<float>((1 << bits) - 1);
  const float eps = 1e-7f; // MLX's floor on the scale of a constant group
  float w_min = static_cast<float>(w[0]);
  float w_max = w_min;
  for (int j = 1; j < gs; ++j) {
    w_min = std::min(w_min, static_cast<float>(w[j]));
    w_max = std::max(w_max, static_cast<float>(w[j]));
  }
  bool min_edge = std::abs(w_min) > std::abs(w_max);
  float scale = std::max((w_max - w_min) / n_bins, eps);
  scale = min_edge ? scale : -scale;
  float edge = min_edge ? w_min : w_max;
  float q0 = std::rint(edge / scale);
  float bias = 0.0f;
  if (q0 != 0.0f) {
    scale = edge / q0;
    bias = edge;
  }
  for (int j = 0; j < gs; ++j) {
    float v = std::rint((static_cast<float>(w[j]) - bias) / scale);
    q[j] = static_cast<uint32_t>(std::clamp(v, 0.0f, n_bins));
  }
  scale_out = static_cast<T>(scale);
  bias_out = static_cast<T>(bias);
}

// MLX's mxfp4 rule: the shared exponent rounds log2(max |w| / 6), each
// element becomes the nearest E2M1 value (the first on ties).
template <typename T>
void quantize_mxfp4_group(const T* w, int gs, uint32_t* q, uint8_t& scale) {
  constexpr float kFp4Max = 6.0f;
  float amax = 0.0f;
  for (int j = 0; j < gs; ++j) {
    amax = std::max(amax, std::abs(static_cast<float>(w[j])));
  }
  float s = amax / kFp4Max;
  int e = s == 0.0f ? 0 : static_cast<int>(std::nearbyint(std::log2(s)));
  // Keep the exponent inside E8M0's range (MLX would wrap around).
  e = std::clamp(e, -kE8M0Bias, kE8M0Bias);
  float inv = std::ldexp(1.0f, -e);
  for (int j = 0; j < gs; ++j) {
    float v = static_cast<float>(w[j]) * inv;
    uint32_t best = 0;
    for (uint32_t c = 1; c < 16; ++c) {
      if (std::abs(v - kFp4Values[c]) < std::abs(v - kFp4Values[best])) {
        best = c;
      }
    }
    q[j] = best;
  }
  scale = static_cast<uint8_t>(e + kE8M0Bias);
}

template <typename T>
void quantize_cpu(
    const array& w, std::vector<array>& outputs, const QuantParams& p) {
  const T* src = w.data<T>();
  uint32_t* packed = outputs[0].data<uint32_t>();
  const int gs = p.group_size;
  const size_t words_per_group = static_cast<size_t>(gs) * p.bits / 32;
  const size_t groups = w.size() / gs;
  bool affine = p.mode == QuantizationMode::Affine;
  cpu::parallel_for(
      groups, std::max<size_t>(1, kChunkWork / gs), [&](size_t b, size_t e) {
        std::vector<uint32_t> q(gs);
        for (size_t g = b; g < e; ++g) {
          if (affine) {
            quantize_affine_group(
                src + g * gs,
                gs,
                p.bits,
                q.data(),
                outputs[1].data<T>()[g],
                outputs[2].data<T>()[g]);
          } else {
            quantize_mxfp4_group(
                src + g * gs, gs, q.data(), outputs[1].data<uint8_t>()[g]);
          }
          pack_values(q.data(), gs, p.bits, packed + g * words_per_group);
        }
      });
}

template <typename T, typename S, int bits, bool fp4>
void dequantize_cpu(
    const uint32_t* packed,
    const S* scales,
    const S* biases,
    T* out,
    size_t groups,
    int gs) {
  const size_t words_per_group = static_cast<size_t>(gs) * bits / 32;
  cpu::parallel_for(
      groups, std::max<size_t>(1, kChunkWork / gs), [&](size_t b, size_t e) {
        std::vector<float> q(gs);
        for (size_t g = b; g < e; ++g) {
          unpack_values<bits, fp4>(packed + g * words_per_group, gs, q.data());
          float s = scale_value(scales[g]);
          float bias = biases ? scale_value(biases[g]) : 0.0f;
          for (int j = 0; j < gs; ++j) {
            out[g * gs + j] = static_cast<T>(q[j] * s + bias);
          }
        }
      });
}

// ---- quantized matmul -----------------------------------------------------

// One product x [M, K] @ w: w is [N, K] packed (transpose) or [K, N]
// packed, with one scale (and bias) per group along its last axis.
template <typename S> struct QuantMatrix {
  const uint32_t* packed;
  const S* scales;
  const S* biases; // null for mxfp4
};

// The hot loops are built for AVX2 + FMA (x86-64-v3) and for the
// baseline; the loader picks the clone that fits the CPU (as unary.cpp).
#if defined(__x86_64__) && defined(__GNUC__)
#define MLX_QUANT_CLONES                                                       \
  __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define MLX_QUANT_CLONES
#endif

// The codes of one packed row (its groups are consecutive in the stream).
template <int bits, bool fp4>
MLX_QUANT_CLONES void
unpack_row(const uint32_t* packed, int count, float* codes) {
  unpack_values<bits, fp4>(packed, count, codes);
}

// dots[g] = x_g . q_g for every group of a row, with 16 partial sums so
// that the additions vectorize (a single running sum would be a serial
// chain) and two vector chains overlap.
MLX_QUANT_CLONES void
group_dots(const float* x, const float* q, int groups, int gs, float* dots) {
  constexpr int kLanes = 16; // group sizes are multiples of 16
  for (int g = 0; g < groups; ++g) {
    const float* xg = x + static_cast<size_t>(g) * gs;
    const float* qg = q + static_cast<size_t>(g) * gs;
    float part[kLanes] = {};
    for (int j = 0; j < gs; j += kLanes) {
      for (int l = 0; l < kLanes; ++l) {
        part[l] += xg[j + l] * qg[j + l];
      }
    }
    float sum = 0.0f;
    for (int l = 0; l < kLanes; ++l) {
      sum += part[l];
    }
    dots[g] = sum;
  }
}

// Sums of x over each group, per row of x: the bias term of a group is
// b * sum(x_g), shared by all rows of w.
std::vector<float> group_sums(const float* x, int M, int K, int gs) {
  const int groups = K / gs;
  std::vector<float> sums(static_cast<size_t>(M) * groups, 0.0f);
  for (size_t g = 0; g < sums.size(); ++g) {
    const float* xg = x + g * gs;
    float sum = 0.0f;
    for (int j = 0; j < gs; ++j) {
      sum += xg[j];
    }
    sums[g] = sum;
  }
  return sums;
}

// 2-, 4- and 8-bit affine codes with rows of whole 8-word blocks
// (quantized_words.h): rows go kWordRows at a time, each block of rows
// against every row of x while it is in L1.
template <typename T, typename S, int bits>
void qmm_transposed_words(
    const float* x,
    const QuantMatrix<S>& w,
    T* out,
    int M,
    int N,
    int K,
    int gs) {
  using cpu::kWordRows;
  const int groups = K / gs;
  const int words = K * bits / 32;
  const int gw = gs * bits / 32;
  std::vector<float> x_sums = group_sums(x, M, K, gs);
  std::vector<float> xs(static_cast<size_t>(M) * K);
  for (int m = 0; m < M; ++m) {
    cpu::spread_x<bits>(
        x + static_cast<size_t>(m) * K,
        K,
        xs.data() + static_cast<size_t>(m) * K);
  }
  const size_t blocks = (N + kWordRows - 1) / kWordRows;
  size_t grain = std::max<size_t>(1, kChunkWork / (size_t(K) * kWordRows));
  // A block of 8 words holds 8 / gw groups when gw < 8.
  auto dots_of = [gw](auto rows_tag) {
    constexpr int R = decltype(rows_tag)::value;
    return gw == 2   ? &cpu::scaled_word_dots<bits, R, 2>
           : gw == 4 ? &cpu::scaled_word_dots<bits, R, 4>
                     : &cpu::scaled_word_dots<bits, R, 8>;
  };
  auto block_dots = dots_of(std::integral_constant<int, kWordRows>{});
  auto row_dots = dots_of(std::integral_constant<int, 1>{});
  cpu::parallel_for(blocks, grain, [&](size_t b_begin, size_t b_end) {
    // Padded: the kernel reads 8 scales from a block's first group.
    std::vector<float> scales(
        static_cast<size_t>(kWordRows) * groups + cpu::kWordLanes);
    for (size_t b = b_begin; b < b_end; ++b) {
      const size_t n0 = b * kWordRows;
      const int rows = static_cast<int>(std::min<size_t>(kWordRows, N - n0));
      const S* ws = w.scales + n0 * groups;
      for (size_t i = 0; i < size_t(rows) * groups; ++i) {
        scales[i] = scale_value(ws[i]);
      }
      const uint32_t* packed = w.packed + n0 * words;
      for (int m = 0; m < M; ++m) {
        const float* xm = xs.data() + static_cast<size_t>(m) * K;
        float dots[kWordRows];
        if (rows == kWordRows) {
          block_dots(packed, words, xm, scales.data(), groups, gw, dots);
        } else {
          for (int r = 0; r < rows; ++r) {
            row_dots(
                packed + static_cast<size_t>(r) * words,
                words,
                xm,
                scales.data() + static_cast<size_t>(r) * groups,
                groups,
                gw,
                dots + r);
          }
        }
        const float* xsum = x_sums.data() + static_cast<size_t>(m) * groups;
        for (int r = 0; r < rows; ++r) {
          const S* bias = w.biases + (n0 + r) * groups;
          float acc = dots[r];
          for (int g = 0; g < groups; ++g) {
            acc += scale_value(bias[g]) * xsum[g];
          }
          out[static_cast<size_t>(m) * N + n0 + r] = static_cast<T>(acc);
        }
      }
    }
  });
}

// out[m, n] = sum over groups of s * (x_g . q_g) + b * sum(x_g): the bias
// needs only the group sums of x, computed once per product. Each row of
// w is unpacked once (K floats, cache-resident) and used for all M rows
// of x; at batch 1 the packed matrix is read exactly once.
template <typename T, typename S, int bits, bool fp4>
void qmm_transposed(
    const float* x,
    const QuantMatrix<S>& w,
    T* out,
    int M,
    int N,
    int K,
    int gs) {
  if constexpr (!fp4 && 32 % bits == 0) {
    if (cpu::word_kernel_fits(bits, K)) {
      qmm_transposed_words<T, S, bits>(x, w, out, M, N, K, gs);
      return;
    }
  }
  const int groups = K / gs;
  const size_t row_words = static_cast<size_t>(K) * bits / 32;
  std::vector<float> x_sums;
  if (w.biases) {
    x_sums = group_sums(x, M, K, gs);
  }
  size_t grain = std::max<size_t>(1, kChunkWork / std::max(K, 1));
  cpu::parallel_for(N, grain, [&](size_t n_begin, size_t n_end) {
    std::vector<float> q(K);
    std::vector<float> dots(groups);
    for (size_t n = n_begin; n < n_end; ++n) {
      unpack_row<bits, fp4>(w.packed + n * row_words, K, q.data());
      const S* scales = w.scales + n * groups;
      const S* biases = w.biases ? w.biases + n * groups : nullptr;
      for (int m = 0; m < M; ++m) {
        group_dots(
            x + static_cast<size_t>(m) * K, q.data(), groups, gs, dots.data());
        const float* xs = biases ? x_sums.data() + size_t(m) * groups : nullptr;
        float acc = 0.0f;
        for (int g = 0; g < groups; ++g) {
          acc += scale_value(scales[g]) * dots[g];
          if (biases) {
            acc += scale_value(biases[g]) * xs[g];
          }
        }
        out[static_cast<size_t>(m) * N + n] = static_cast<T>(acc);
      }
    }
  });
}

// w is [K, N]: each thread owns column groups; for each k the group's
// weights are dequantized once and added into M rows of accumulators.
template <typename T, typename S, int bits, bool fp4>
void qmm_plain(
    const float* x,
    const QuantMatrix<S>& w,
    T* out,
    int M,
    int N,
    int K,
    int gs) {
  const int groups = N / gs;
  const size_t row_words = static_cast<size_t>(N) * bits / 32;
  const size_t group_words = static_cast<size_t>(gs) * bits / 32;
  size_t grain =
      std::max<size_t>(1, kChunkWork / std::max<size_t>(size_t(K) * gs, 1));
  cpu::parallel_for(groups, grain, [&](size_t g_begin, size_t g_end) {
    std::vector<float> q(gs);
    std::vector<float> acc(static_cast<size_t>(M) * gs);
    for (size_t g = g_begin; g < g_end; ++g) {
      std::fill(acc.begin(), acc.end(), 0.0f);
      for (int k = 0; k < K; ++k) {
        unpack_values<bits, fp4>(
            w.packed + k * row_words + g * group_words, gs, q.data());
        size_t p = static_cast<size_t>(k) * groups + g;
        float s = scale_value(w.scales[p]);
        float b = w.biases ? scale_value(w.biases[p]) : 0.0f;
        for (int j = 0; j < gs; ++j) {
          q[j] = q[j] * s + b;
        }
        for (int m = 0; m < M; ++m) {
          float xv = x[static_cast<size_t>(m) * K + k];
          float* a = acc.data() + static_cast<size_t>(m) * gs;
          for (int j = 0; j < gs; ++j) {
            a[j] += xv * q[j];
          }
        }
      }
      for (int m = 0; m < M; ++m) {
        T* o = out + static_cast<size_t>(m) * N + g * gs;
        for (int j = 0; j < gs; ++j) {
          o[j] = static_cast<T>(acc[static_cast<size_t>(m) * gs + j]);
        }
      }
    }
  });
}

// A stack of matrices whose last two dims are row-contiguous (copied once
// if they are not); batch dims may be strided or broadcast.
struct MatrixStack {
  array data;
  Shape batch_shape;
  Strides batch_strides;

  explicit MatrixStack(const array& a) : data(a) {
    int nd = static_cast<int>(a.ndim());
    auto& st = a.strides();
    bool inner_contiguous =
        nd < 2 ||
        ((a.shape(nd - 1) == 1 || st[nd - 1] == 1) &&
         (a.shape(nd - 2) == 1 || st[nd - 2] == int64_t{a.shape(nd - 1)}));
    if (!inner_contiguous) {
      data = cpu::ensure_row_contiguous(a);
    }
    int batch_dims = std::max(nd - 2, 0);
    batch_shape.assign(a.shape().begin(), a.shape().begin() + batch_dims);
    batch_strides.assign(
        data.strides().begin(), data.strides().begin() + batch_dims);
  }
  size_t batch_size() const { return shape_size(batch_shape); }
  int64_t offset(size_t b) const {
    return cpu::elem_to_loc(b, batch_shape, batch_strides);
  }
};

// Runs one product per (x matrix, w matrix) pair that `pair(i)` names, for
// i in [0, count), into consecutive [M, N] blocks of out.
template <typename T, typename S, typename PairOf>
void qmm_batched(
    const std::vector<array>& inputs,
    array& out,
    const QuantParams& p,
    bool transpose,
    size_t count,
    int M,
    PairOf pair) {
  MatrixStack x(inputs[0]);
  MatrixStack w(inputs[1]);
  MatrixStack scales(inputs[2]);
  bool affine = p.mode == QuantizationMode::Affine;
  std::optional<MatrixStack> biases;
  if (affine) {
    biases.emplace(inputs[3]);
  }
  int K = inputs[0].shape(-1);
  int N = out.shape(-1);
  std::vector<float> xf(static_cast<size_t>(M) * K);
  T* o = out.data<T>();
  for (size_t i = 0; i < count; ++i) {
    auto [xb, wb] = pair(i);
    const T* xs = x.data.data<T>() + x.offset(xb);
    for (size_t e = 0; e < xf.size(); ++e) {
      xf[e] = static_cast<float>(xs[e]);
    }
    QuantMatrix<S> qw{
        w.data.data<uint32_t>() + w.offset(wb),
        scales.data.data<S>() + scales.offset(wb),
        affine ? biases->data.data<S>() + biases->offset(wb) : nullptr};
    T* oi = o + i * static_cast<size_t>(M) * N;
    dispatch_quant_bits(p.bits, [&](auto bits_tag) {
      constexpr int bits = decltype(bits_tag)::value;
      auto run = [&](auto fp4_tag) {
        constexpr bool fp4 = decltype(fp4_tag)::value;
        if (transpose) {
          qmm_transposed<T, S, bits, fp4>(
              xf.data(), qw, oi, M, N, K, p.group_size);
        } else {
          qmm_plain<T, S, bits, fp4>(xf.data(), qw, oi, M, N, K, p.group_size);
        }
      };
      if (affine) {
        run(std::false_type{});
      } else if constexpr (bits == 4) {
        run(std::true_type{});
      }
    });
  }
}

// Calls f(T{}, S{}) with the output type and the scales' type.
template <typename F>
void dispatch_qmm(
    const char* op, const array& out, const QuantParams& p, F&& f) {
  cpu::dispatch_float(op, out.dtype(), [&](auto t) {
    using T = decltype(t);
    if (p.mode == QuantizationMode::Affine) {
      f(T{}, T{});
    } else {
      f(T{}, uint8_t{});
    }
  });
}

} // namespace

void Quantize::eval_cpu(
    const std::vector<array>& inputs, std::vector<array>& outputs) {
  for (auto& o : outputs) {
    allocate(o);
  }
  array w = cpu::ensure_row_contiguous(inputs[0]);
  cpu::dispatch_float("quantize", w.dtype(), [&](auto t) {
    quantize_cpu<decltype(t)>(w, outputs, params_);
  });
}

void Dequantize::eval_cpu(const std::vector<array>& inputs, array& out) {
  allocate(out);
  array w = cpu::ensure_row_contiguous(inputs[0]);
  array scales = cpu::ensure_row_contiguous(inputs[1]);
  bool affine = params_.mode == QuantizationMode::Affine;
  std::optional<array> biases;
  if (affine) {
    biases = cpu::ensure_row_contiguous(inputs[2]);
  }
  const int gs = params_.group_size;
  dispatch_qmm("dequantize", out, params_, [&](auto t, auto s) {
    using T = decltype(t);
    using S = decltype(s);
    const S* b = affine ? biases->data<S>() : nullptr;
    dispatch_quant_bits(params_.bits, [&](auto bits_tag) {
      constexpr int bits = decltype(bits_tag)::value;
      if (affine) {
        dequantize_cpu<T, S, bits, false>(
            w.data<uint32_t>(),
            scales.data<S>(),
            b,
            out.data<T>(),
            scales.size(),
            gs);
      } else if constexpr (bits == 4) {
        dequantize_cpu<T, S, bits, true>(
            w.data<uint32_t>(),
            scales.data<S>(),
            b,
            out.data<T>(),
            scales.size(),
            gs);
      }
    });
  });
}

void QuantizedMatmul::eval_cpu(const std::vector<array>& inputs, array& out) {
  allocate(out);
  if (out.size() == 0) {
    return;
  }
  const array& x = inputs[0];
  int K = x.shape(-1);
  dispatch_qmm("quantized_matmul", out, params_, [&](auto t, auto s) {
    using T = decltype(t);
    using S = decltype(s);
    if (inputs[1].ndim() == 2) {
      // One weight matrix: every leading dim of x is a row of one product.
      std::vector<array> in = inputs;
      in[0] = cpu::ensure_row_contiguous(x);
      int M = static_cast<int>(K == 0 ? 0 : x.size() / K);
      qmm_batched<T, S>(in, out, params_, transpose_, 1, M, [](size_t) {
        return std::pair<size_t, size_t>{0, 0};
      });
    } else {
      // Batch dims already broadcast to the output's.
      size_t count = out.size() / (size_t(out.shape(-2)) * out.shape(-1));
      qmm_batched<T, S>(
          inputs, out, params_, transpose_, count, x.shape(-2), [](size_t i) {
            return std::pair<size_t, size_t>{i, i};
          });
    }
  });
}

void GatherQMM::eval_cpu(const std::vector<array>& inputs, array& out) {
  allocate(out);
  if (out.size() == 0) {
    return;
  }
  size_t n_in = inputs.size();
  array lhs = cpu::ensure_row_contiguous(inputs[n_in - 2]);
  array rhs = cpu::ensure_row_contiguous(inputs[n_in - 1]);
  const uint32_t* li = lhs.data<uint32_t>();
  const uint32_t* ri = rhs.data<uint32_t>();
  size_t x_count = MatrixStack(inputs[0]).batch_size();
  size_t w_count = MatrixStack(inputs[1]).batch_size();
  for (size_t i = 0; i < lhs.size(); ++i) {
    if (li[i] >= x_count || ri[i] >= w_count) {
      throw_error(
          "[gather_qmm] Index out of range: lhs_indices[",
          i,
          "] = ",
          li[i],
          " (x has ",
          x_count,
          " matrices), rhs_indices[",
          i,
          "] = ",
          ri[i],
          " (w has ",
          w_count,
          " matrices).");
    }
  }
  dispatch_qmm("gather_qmm", out, params_, [&](auto t, auto s) {
    using T = decltype(t);
    using S = decltype(s);
    qmm_batched<T, S>(
        inputs,
        out,
        params_,
        transpose_,
        lhs.size(),
        inputs[0].shape(-2),
        [&](size_t i) {
          return std::pair<size_t, size_t>{li[i], ri[i]};
        });
  });
}

} // namespace mlx::core
