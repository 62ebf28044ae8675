// CPU kernel of the FFT primitive: the n-D transform as 1-D transforms
// along one axis after another (fft_plan.h). Each line is copied into a
// work buffer, transformed, and written back; lines are spread over the
// thread pool.
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

// f(line, a, b) over the lines, in parallel, with two work buffers of
// `buffer` complex values per chunk of lines.
template <typename F>
void for_each_line(const Lines& lines, size_t buffer, size_t len, F&& f) {
  // A chunk is worth a thread wake-up from a few thousand values on.
  size_t grain = std::max<size_t>(1, 8192 / std::max<size_t>(len, 1));
  cpu::parallel_for(lines.count, grain, [&](size_t begin, size_t end) {
    std::vector<cfloat> a(buffer), b(buffer);
    for (size_t i = begin; i < end; ++i) {
      f(i, a.data(), b.data());
    }
  });
}

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
  for_each_line(
      lines, plan->buffer_size(), n, [&](size_t i, cfloat* a, cfloat* b) {
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
  for_each_line(
      lines, plan->buffer_size(), n, [&](size_t i, cfloat* a, cfloat* b) {
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
      lines, plan->buffer_size(), n, [&](size_t i, cfloat* a, cfloat* b) {
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
