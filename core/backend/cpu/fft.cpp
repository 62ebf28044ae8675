// CPU kernel of the FFT primitive: the n-D transform as 1-D transforms
// along one axis after another (fft_plan.h). Lines go kLanes at a time into
// lane-interleaved work buffers (one transform per SIMD lane), the few left
// over one at a time; groups of lines are spread over the thread pool.
#include <algorithm>
#include <vector>

#include "mlx/allocator.h"
#include "mlx/backend/cpu/copy.h"
#include "mlx/backend/cpu/fft_plan.h"
#include "mlx/backend/cpu/thread_pool.h"
#include "mlx/primitives/fft.h"

namespace mlx::core {

namespace {

using cpu::cfloat;
using cpu::cvec;

// The lines along `axis` of row-contiguous arrays of `shape` (input) and
// the same shape with that axis `out_len` long (output).
struct Lines {
  size_t count;
  size_t inner; // the stride along the axis
  size_t in_len;
  size_t out_len;

  Lines(const Shape& shape, int axis, int out_length) {
    inner = 1;
    for (size_t d = axis + 1; d < shape.size(); ++d) {
      inner *= shape[d];
    }
    in_len = shape[axis];
    out_len = out_length;
    size_t total = 1;
    for (int d : shape) {
      total *= d;
    }
    count = in_len == 0 ? 0 : total / in_len;
  }
  size_t in_offset(size_t i) const {
    return (i / inner) * in_len * inner + i % inner;
  }
  size_t out_offset(size_t i) const {
    return (i / inner) * out_len * inner + i % inner;
  }
};

// Plans with longer work buffers run one line at a time (their passes
// over whole groups of kLanes values are packed too, fft_plan.cpp): kLanes
// lines side by side would outgrow the L2 cache. Measured on an AMD EPYC:
// lanes win for the primes near 1000 (Bluestein length 2048) and lose
// 1.5-2x at 16384 and 65536 (benchmarks/RESULTS.md).
constexpr size_t kLanesMaxBuffer = 4096;

// Over the lines, spread over the pool: group(first, a, b) for each group of
// kLanes lines from `first` (lane-interleaved work buffers), then line(i, a,
// b) for those left over (plain work buffers); `buffer` values per buffer.
template <typename Group, typename Line>
void for_each_line(
    const Lines& lines,
    size_t buffer,
    size_t len,
    bool lanes,
    Group&& group,
    Line&& line) {
  // A chunk is worth a thread wake-up from a few thousand values on.
  size_t grain = std::max<size_t>(1, 8192 / std::max<size_t>(len, 1));
  size_t groups = lanes ? lines.count / cpu::kLanes : 0;
  cpu::parallel_for(
      groups,
      std::max<size_t>(1, grain / cpu::kLanes),
      [&](size_t begin, size_t end) {
        std::vector<cvec> a(buffer), b(buffer);
        for (size_t g = begin; g < end; ++g) {
          group(g * cpu::kLanes, a.data(), b.data());
        }
      });
  size_t first = groups * cpu::kLanes;
  cpu::parallel_for(lines.count - first, grain, [&](size_t begin, size_t end) {
    std::vector<cfloat> a(buffer), b(buffer);
    for (size_t i = first + begin; i < first + end; ++i) {
      line(i, a.data(), b.data());
    }
  });
}

// Value k of a lane-interleaved buffer as plain floats: lane l's real part
// at [l], its imaginary part at [kLanes + l].
inline float* lane_floats(cvec* a, size_t k) {
  return reinterpret_cast<float*>(a + k);
}
inline const float* lane_floats(const cvec* a, size_t k) {
  return reinterpret_cast<const float*>(a + k);
}

// Where the kLanes lines from `first` start.
struct LaneOffsets {
  size_t in[cpu::kLanes], out[cpu::kLanes];
  LaneOffsets(const Lines& lines, size_t first) {
    for (int l = 0; l < cpu::kLanes; ++l) {
      in[l] = lines.in_offset(first + l);
      out[l] = lines.out_offset(first + l);
    }
  }
};

// Complex transforms along `axis`: src lines into dst lines (same shape;
// dst may be src). Inverse as conj(F(conj x)) / n.
void complex_axis(
    const cfloat* src,
    cfloat* dst,
    const Shape& shape,
    int axis,
    bool inverse) {
  int n = shape[axis];
  Lines lines(shape, axis, n);
  auto plan = cpu::complex_plan(n);
  float scale = inverse ? 1.0f / n : 1.0f;
  // Contiguous lines into other memory: no copies in and out.
  bool direct = lines.inner == 1 && !inverse && src != dst;
  float sign = inverse ? -1.0f : 1.0f;
  size_t stride = lines.inner;
  auto group = [&](size_t first, cvec* a, cvec* b) {
    LaneOffsets at(lines, first);
    for (int k = 0; k < n; ++k) {
      float* v = lane_floats(a, k);
      for (int l = 0; l < cpu::kLanes; ++l) {
        cfloat x = src[at.in[l] + k * stride];
        v[l] = x.real();
        v[l + cpu::kLanes] = sign * x.imag();
      }
    }
    const cvec* y = plan->forward_lanes(a, b);
    for (int k = 0; k < n; ++k) {
      const float* v = lane_floats(y, k);
      for (int l = 0; l < cpu::kLanes; ++l) {
        dst[at.out[l] + k * stride] =
            cfloat(scale * v[l], sign * scale * v[l + cpu::kLanes]);
      }
    }
  };
  for_each_line(
      lines,
      plan->buffer_size(),
      n,
      plan->buffer_size() <= kLanesMaxBuffer,
      group,
      [&](size_t i, cfloat* a, cfloat* b) {
        const cfloat* x = src + lines.in_offset(i);
        if (direct) {
          plan->forward_into(x, dst + lines.out_offset(i), a, b);
          return;
        }
        for (int k = 0; k < n; ++k) {
          cfloat v = x[k * lines.inner];
          a[k] = inverse ? std::conj(v) : v;
        }
        const cfloat* y = plan->forward(a, b);
        cfloat* out = dst + lines.out_offset(i);
        for (int k = 0; k < n; ++k) {
          out[k * lines.inner] = inverse ? scale * std::conj(y[k]) : y[k];
        }
      });
}

// Real-to-complex along `axis`: n reals per line into n / 2 + 1 bins.
void real_forward_axis(
    const float* src, cfloat* dst, const Shape& shape, int axis) {
  int n = shape[axis];
  int bins = n / 2 + 1;
  Lines lines(shape, axis, bins);
  auto plan = cpu::real_plan(n);
  size_t stride = lines.inner;
  auto group = [&](size_t first, cvec* a, cvec* b) {
    LaneOffsets at(lines, first);
    // The reals in pairs, a zero after the last of odd n.
    for (int j = 0; 2 * j < n; ++j) {
      float* v = lane_floats(a, j);
      size_t next = 2 * j + 1 < n ? stride : 0; // the zero past odd n
      for (int l = 0; l < cpu::kLanes; ++l) {
        const float* x = src + at.in[l] + 2 * j * stride;
        v[l] = x[0];
        v[l + cpu::kLanes] = next ? x[next] : 0.0f;
      }
    }
    const cvec* y = plan->forward_lanes(a, b);
    for (int k = 0; k < bins; ++k) {
      const float* v = lane_floats(y, k);
      for (int l = 0; l < cpu::kLanes; ++l) {
        dst[at.out[l] + k * stride] = cfloat(v[l], v[l + cpu::kLanes]);
      }
    }
  };
  for_each_line(
      lines,
      plan->buffer_size(),
      n,
      plan->buffer_size() <= kLanesMaxBuffer,
      group,
      [&](size_t i, cfloat* a, cfloat* b) {
        const float* x = src + lines.in_offset(i);
        if (lines.inner == 1) {
          plan->forward_into(x, dst + lines.out_offset(i), a, b);
          return;
        }
        float* af = reinterpret_cast<float*>(a);
        for (int k = 0; k < n; ++k) {
          af[k] = x[k * lines.inner];
        }
        const cfloat* y = plan->forward(a, b);
        cfloat* out = dst + lines.out_offset(i);
        for (int k = 0; k < bins; ++k) {
          out[k * lines.inner] = y[k];
        }
      });
}

// Complex-to-real along `axis`: n / 2 + 1 bins per line (shape's length
// on the axis) into n reals, scaled by 1 / n.
void real_inverse_axis(
    const cfloat* src, float* dst, const Shape& shape, int axis, int n) {
  int bins = shape[axis];
  Lines lines(shape, axis, n);
  auto plan = cpu::real_plan(n);
  float scale = 1.0f / n;
  for_each_line(
      lines,
      plan->buffer_size(),
      n,
      false,
      [](size_t, cvec*, cvec*) {},
      [&](size_t i, cfloat* a, cfloat* b) {
        const cfloat* x = src + lines.in_offset(i);
        for (int k = 0; k < bins; ++k) {
          a[k] = x[k * lines.inner];
        }
        const float* y = plan->inverse(a, b);
        float* out = dst + lines.out_offset(i);
        for (int k = 0; k < n; ++k) {
          out[k * lines.inner] = scale * y[k];
        }
      });
}

} // namespace

void FFT::eval_cpu(const std::vector<array>& inputs, array& out) {
  array in = cpu::ensure_row_contiguous(inputs[0]);
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  int last = axes_.back();
  if (!real_) {
    const cfloat* src = in.data<cfloat>();
    for (int ax : axes_) {
      complex_axis(src, out.data<cfloat>(), in.shape(), ax, inverse_);
      src = out.data<cfloat>();
    }
  } else if (!inverse_) {
    real_forward_axis(in.data<float>(), out.data<cfloat>(), in.shape(), last);
    for (size_t i = 0; i + 1 < axes_.size(); ++i) {
      cfloat* y = out.data<cfloat>();
      complex_axis(y, y, out.shape(), axes_[i], false);
    }
  } else {
    // The complex axes first, into a scratch copy of the bins.
    const cfloat* src = in.data<cfloat>();
    std::vector<cfloat> bins;
    if (axes_.size() > 1) {
      bins.resize(in.size());
      for (size_t i = 0; i + 1 < axes_.size(); ++i) {
        complex_axis(src, bins.data(), in.shape(), axes_[i], true);
        src = bins.data();
      }
    }
    real_inverse_axis(
        src, out.data<float>(), in.shape(), last, out.shape(last));
  }
}

} // namespace mlx::core
