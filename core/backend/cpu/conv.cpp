// CPU kernel of Convolution (see core/primitives/conv.h for the definition).
// General case: im2col + one BLAS gemm per group. The rows of the im2col
// matrix are the output positions (n, o...), its columns the kernel taps
// times the group's input channels, in the weight's (k..., ci) order, so the
// weight is used as it is (C_out, K... * C_in/G). Input dilation, padding
// (negative: crop) and flip only change which input element a tap reads
// (conv_geometry.h). The matrix is built in chunks of rows so that its
// scratch stays bounded. Depthwise convolutions (one input and one output
// channel per group) and those with few output channels per group skip the
// matrix: direct loops. float16/bfloat16 are computed in float32.
#include <algorithm>
#include <climits>
#include <cstdlib>
#include <numeric>

#include "mlx/backend/cpu/blas.h"
#include "mlx/backend/cpu/conv_geometry.h"
#include "mlx/backend/cpu/copy.h"
#include "mlx/backend/cpu/thread_pool.h"
#include "mlx/primitives/conv.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

using cpu::configure_blas_threads;
using cpu::ConvGeometry;
using cpu::for_each_tap;
using cpu::kSmallGemmWork;
using cpu::make_geometry;
using cpu::TapScratch;

// Scratch budget of one im2col chunk: large enough that each gemm is big
// (thousands of rows for typical K * C_in), small enough to stay a fraction
// of memory whatever the problem size and mostly in cache when the gemm
// reads what im2col wrote.
constexpr size_t kScratchBytes = size_t(8) << 20;

// Up to this many output channels per group the direct loop beats
// im2col + gemm (a gemm this narrow is a matrix-vector product).
constexpr int kFewOutputs = 4;

array make_buffer(const Shape& shape, Dtype dtype) {
  array buf(shape, dtype, nullptr, {});
  buf.set_data(allocator::malloc(buf.nbytes()));
  buf.set_status(array::Status::available);
  return buf;
}

// acc[i] += x[i] * w[i] for i < n (no two arrays overlap), in pieces of
// fixed length: under -O2 GCC vectorizes only loops whose trip count it
// knows.
template <typename T, typename C>
inline void multiply_add(
    C* __restrict acc,
    const T* __restrict x,
    const C* __restrict w,
    int64_t n) {
  constexpr int64_t kPiece = 16; // a multiple of every vector width
  int64_t i = 0;
  for (; i + kPiece <= n; i += kPiece) {
#pragma GCC ivdep
    for (int64_t j = 0; j < kPiece; ++j) {
      acc[i + j] += static_cast<C>(x[i + j]) * w[i + j];
    }
  }
  for (; i < n; ++i) {
    acc[i] += static_cast<C>(x[i]) * w[i];
  }
}

// Rows [begin, end) of the im2col matrix of the chunk starting at row
// `first`: group gi's matrix (chunk_rows x taps * group_in) starts at
// scratch + gi * chunk_rows * taps * group_in.
template <typename T, typename C>
void im2col(
    const ConvGeometry& g,
    const T* in,
    int64_t first,
    int64_t chunk_rows,
    int64_t begin,
    int64_t end,
    C* scratch) {
  int64_t row_len = g.taps * g.group_in;
  TapScratch taps(g);
  for (int64_t r = begin; r < end; ++r) {
    C* row_dst = scratch + (r - first) * row_len;
    for_each_tap(g, r, taps, [&](int64_t tap, int64_t offset) {
      for (int gi = 0; gi < g.groups; ++gi) {
        C* dst = row_dst + gi * chunk_rows * row_len + tap * g.group_in;
        if (offset < 0) {
          std::fill(dst, dst + g.group_in, C(0));
          continue;
        }
        const T* src = in + offset + gi * g.group_in;
        std::transform(
            src, src + g.group_in, dst, [](T v) { return static_cast<C>(v); });
      }
    });
  }
}

// One gemm per group for `rows` output rows: out (rows x C_out) from group
// gi's matrix a + gi * a_group (rows x k, lda) and weight rows.
template <typename C>
void grouped_gemm(
    const ConvGeometry& g,
    int64_t rows,
    const C* a,
    int64_t a_group,
    int lda,
    const C* weight,
    C* out) {
  int k = static_cast<int>(g.taps * g.group_in);
  auto run = [&](size_t begin, size_t end) {
    for (size_t gi = begin; gi < end; ++gi) {
      // out = a @ weight^T (each weight row is one output channel).
      cpu::gemm(
          false,
          true,
          static_cast<int>(rows),
          g.group_out,
          k,
          C(1),
          a + gi * a_group,
          lda,
          weight + gi * g.group_out * int64_t{k},
          k,
          C(0),
          out + gi * g.group_out,
          g.out_channels);
    }
  };
  size_t work = static_cast<size_t>(rows) * g.group_out * k;
  if (g.groups > 1 && work < kSmallGemmWork) {
    cpu::parallel_for(
        g.groups,
        std::max<size_t>(1, kSmallGemmWork / std::max<size_t>(work, 1)),
        run);
  } else {
    run(0, g.groups);
  }
}

// out[row, c] = sum over taps of in[tap, c] * weight[c, tap].
template <typename T, typename C>
void depthwise(const ConvGeometry& g, const T* in, const C* weight, C* out) {
  int channels = g.out_channels;
  // Tap-major weights, so the inner loop runs over contiguous channels.
  std::vector<C> wt(static_cast<size_t>(g.taps) * channels);
  for (int c = 0; c < channels; ++c) {
    for (int64_t t = 0; t < g.taps; ++t) {
      wt[t * channels + c] = weight[c * g.taps + t];
    }
  }
  size_t grain = std::max<size_t>(
      1, cpu::kElementwiseGrain / std::max<size_t>(g.taps * channels, 1));
  cpu::parallel_for(g.rows, grain, [&](size_t begin, size_t end) {
    TapScratch taps(g);
    for (size_t r = begin; r < end; ++r) {
      C* dst = out + r * channels;
      std::fill(dst, dst + channels, C(0));
      for_each_tap(g, r, taps, [&](int64_t tap, int64_t offset) {
        if (offset < 0) {
          return;
        }
        multiply_add(dst, in + offset, wt.data() + tap * channels, channels);
      });
    }
  });
}

// Few output channels per group (the input gradient of a convolution with
// few input channels, the weight gradient of a depthwise one): a gemm would
// be a matrix-vector product, bound by writing and reading the im2col
// matrix, so accumulate straight from the input instead. Per output row,
// acc[c, ci] sums in[tap, ci] * weight[tap, c, ci] over the taps
// (element-wise, so it vectorises), then each acc[c, :] is summed once.
template <typename T, typename C>
void few_outputs(const ConvGeometry& g, const T* in, const C* weight, C* out) {
  int64_t tap_len = int64_t{g.out_channels} * g.group_in;
  // Tap-major weights: one tap's (C_out, C_in/G) block is contiguous.
  std::vector<C> wt(static_cast<size_t>(g.taps) * tap_len);
  for (int c = 0; c < g.out_channels; ++c) {
    for (int64_t t = 0; t < g.taps; ++t) {
      std::copy_n(
          weight + (c * g.taps + t) * g.group_in,
          g.group_in,
          wt.data() + t * tap_len + int64_t{c} * g.group_in);
    }
  }
  size_t grain = std::max<size_t>(
      1, cpu::kElementwiseGrain / std::max<size_t>(g.taps * tap_len, 1));
  cpu::parallel_for(g.rows, grain, [&](size_t begin, size_t end) {
    std::vector<C> acc(tap_len);
    TapScratch taps(g);
    for (size_t r = begin; r < end; ++r) {
      std::fill(acc.begin(), acc.end(), C(0));
      for_each_tap(g, r, taps, [&](int64_t tap, int64_t offset) {
        if (offset < 0) {
          return;
        }
        for (int gi = 0; gi < g.groups; ++gi) {
          const T* src = in + offset + int64_t{gi} * g.group_in;
          for (int co = 0; co < g.group_out; ++co) {
            int64_t c = int64_t{gi} * g.group_out + co;
            multiply_add(
                acc.data() + c * g.group_in,
                src,
                wt.data() + tap * tap_len + c * g.group_in,
                g.group_in);
          }
        }
      });
      C* dst = out + r * g.out_channels;
      for (int c = 0; c < g.out_channels; ++c) {
        const C* a = acc.data() + int64_t{c} * g.group_in;
        dst[c] = std::accumulate(a, a + g.group_in, C(0));
      }
    }
  });
}

// The input is its own im2col matrix: a 1x1 kernel with unit stride, no
// padding and no input dilation over a row-contiguous input.
bool is_pointwise(
    const Convolution& p, const ConvGeometry& g, const array& in) {
  if (g.taps != 1 || !in.flags().row_contiguous) {
    return false;
  }
  for (int i = 0; i < g.spatial; ++i) {
    if (p.stride()[i] != 1 || p.padding_lo()[i] != 0 ||
        p.padding_hi()[i] != 0 || p.input_dilation()[i] != 1) {
      return false;
    }
  }
  return true;
}

// Computes the convolution into acc (row-contiguous, compute type C) from
// an input of type T (any layout) and row-contiguous weights of type C.
template <typename T, typename C>
void conv_compute(
    const Convolution& p,
    const array& in,
    const ConvGeometry& g,
    const C* weight,
    C* acc) {
  const T* in_ptr = in.data<T>();
  int64_t row_len = g.taps * g.group_in;
  if (row_len == 0) {
    std::fill(acc, acc + g.rows * g.out_channels, C(0));
    return;
  }
  if (g.group_in == 1 && g.group_out == 1) {
    depthwise<T, C>(g, in_ptr, weight, acc);
    return;
  }
  if (g.group_out <= kFewOutputs) {
    few_outputs<T, C>(g, in_ptr, weight, acc);
    return;
  }
  if (row_len > INT_MAX) {
    throw_error("[Convolution] Too many kernel taps x channels for BLAS.");
  }
  configure_blas_threads();
  if constexpr (std::is_same_v<T, C>) {
    if (is_pointwise(p, g, in)) {
      for (int64_t first = 0; first < g.rows; first += INT_MAX) {
        int64_t rows = std::min<int64_t>(INT_MAX, g.rows - first);
        grouped_gemm<C>(
            g,
            rows,
            in_ptr + first * g.in_channels,
            g.group_in,
            g.in_channels,
            weight,
            acc + first * g.out_channels);
      }
      return;
    }
  }
  size_t full_row = static_cast<size_t>(row_len) * g.groups * sizeof(C);
  int64_t chunk = std::clamp<int64_t>(
      static_cast<int64_t>(kScratchBytes / full_row), 1, g.rows);
  chunk = std::min<int64_t>(chunk, INT_MAX);
  array scratch_buf = make_buffer(
      {static_cast<int>(chunk), g.groups, static_cast<int>(row_len)},
      sizeof(C) == 4 ? float32 : float64);
  C* scratch = scratch_buf.data<C>();
  size_t grain =
      std::max<size_t>(1, cpu::kElementwiseGrain / (row_len * g.groups));
  for (int64_t first = 0; first < g.rows; first += chunk) {
    int64_t rows = std::min(chunk, g.rows - first);
    cpu::parallel_for(rows, grain, [&](size_t begin, size_t end) {
      im2col<T, C>(g, in_ptr, first, rows, first + begin, first + end, scratch);
    });
    grouped_gemm<C>(
        g,
        rows,
        scratch,
        rows * row_len,
        static_cast<int>(row_len),
        weight,
        acc + first * g.out_channels);
  }
}

template <typename T, typename C>
void conv_cpu(
    const Convolution& p, const array& in, const array& w, array& out) {
  constexpr bool same_type = std::is_same_v<T, C>;
  Dtype compute = same_type ? out.dtype() : float32;
  array acc = same_type ? out : make_buffer(out.shape(), compute);
  array weight = w;
  if (!w.flags().row_contiguous || w.dtype() != compute) {
    weight = make_buffer(w.shape(), compute);
    cpu::copy_strided(
        w, weight, w.shape(), w.strides(), row_major_strides(w.shape()));
  }
  // The kernels read runs of contiguous channels: an input whose channels
  // are strided (the weight gradient's transposed input, a transposed view)
  // is copied once rather than gathered element by element for every tap.
  const array input = in.strides().back() == 1 || in.shape(-1) == 1
                          ? in
                          : cpu::ensure_row_contiguous(in);
  ConvGeometry g = make_geometry(p, input, w, out);
  conv_compute<T, C>(p, input, g, weight.data<C>(), acc.data<C>());
  if (!same_type) {
    Strides strides = row_major_strides(out.shape());
    cpu::copy_strided(acc, out, out.shape(), strides, strides);
  }
}

} // namespace

void Convolution::eval_cpu(const std::vector<array>& inputs, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  const array& in = inputs[0];
  const array& w = inputs[1];
  switch (out.dtype()) {
  case Dtype::Val::float16:
    conv_cpu<float16_t, float>(*this, in, w, out);
    break;
  case Dtype::Val::bfloat16:
    conv_cpu<bfloat16_t, float>(*this, in, w, out);
    break;
  case Dtype::Val::float32:
    conv_cpu<float, float>(*this, in, w, out);
    break;
  case Dtype::Val::float64:
    conv_cpu<double, double>(*this, in, w, out);
    break;
  default:
    throw_error("[Convolution] No CPU kernel for dtype ", out.dtype(), ".");
  }
}

} // namespace mlx::core
