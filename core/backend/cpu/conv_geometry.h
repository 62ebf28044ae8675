// Where the kernel taps of a Convolution read the input: the loops of the
// CPU kernels (core/backend/cpu/conv.cpp) walk the taps of one output
// position at a time and get, for each, the input offset or "zero" (the tap
// falls on padding or between input-dilated elements). Offsets follow the
// input's strides, so any layout works; negative padding crops.
#pragma once

#include <vector>

#include "mlx/array.h"
#include "mlx/primitives/conv.h"

namespace mlx::core::cpu {

// How one spatial dim maps (output position, kernel tap) to an input
// element.
struct ConvDim {
  int in_size;
  int kernel;
  int out_size;
  int stride;
  int kernel_dilation;
  int input_dilation;
  int padding_lo;
  int64_t in_stride;
};

// Everything the loops need, in elements of the input (any layout, but
// its channels contiguous: the kernels copy an input whose aren't).
struct ConvGeometry {
  int spatial;
  int in_channels;
  int out_channels;
  int groups;
  int group_in;
  int group_out;
  bool flip;
  int64_t rows; // N * prod(out spatial): output positions
  int64_t taps; // prod(kernel spatial)
  int64_t batch_stride;
  std::vector<ConvDim> dims;
};

inline ConvGeometry make_geometry(
    const Convolution& p, const array& in, const array& w, const array& out) {
  ConvGeometry g;
  int nd = static_cast<int>(in.ndim());
  g.spatial = nd - 2;
  g.in_channels = in.shape(-1);
  g.out_channels = out.shape(-1);
  g.groups = p.groups();
  g.group_in = g.in_channels / g.groups;
  g.group_out = g.out_channels / g.groups;
  g.flip = p.flip();
  g.rows = out.shape(0);
  g.taps = 1;
  g.batch_stride = in.strides()[0];
  for (int i = 0; i < g.spatial; ++i) {
    g.dims.push_back(
        {in.shape(i + 1),
         w.shape(i + 1),
         out.shape(i + 1),
         p.stride()[i],
         p.kernel_dilation()[i],
         p.input_dilation()[i],
         p.padding_lo()[i],
         in.strides()[i + 1]});
    g.rows *= out.shape(i + 1);
    g.taps *= w.shape(i + 1);
  }
  return g;
}

// Per-task scratch of for_each_tap: the offsets, along each spatial dim, of
// the input elements read by the kernel taps of the current output row
// (dim i's K_i entries after those of the dims before it), and the
// multi-index of the tap loop.
struct TapScratch {
  explicit TapScratch(const ConvGeometry& g) : index(g.spatial) {
    size_t total = 0;
    for (const auto& d : g.dims) {
      total += d.kernel;
    }
    offsets.resize(total);
  }
  std::vector<int64_t> offsets;
  std::vector<int> index;
};

// Calls f(tap, offset) for every kernel tap of output row `row`, in the
// weight's tap order; offset is relative to the input's data, -1 for a tap
// that reads a zero (padding, or between input-dilated elements).
template <typename F>
void for_each_tap(const ConvGeometry& g, int64_t row, TapScratch& t, F&& f) {
  // Fill the per-dim offsets, last dim first (it varies fastest in `row`).
  int64_t* end = t.offsets.data() + t.offsets.size();
  for (int i = g.spatial - 1; i >= 0; --i) {
    const ConvDim& d = g.dims[i];
    int64_t o = row % d.out_size;
    row /= d.out_size;
    int64_t* dim_offsets = end - d.kernel;
    end = dim_offsets;
    for (int m = 0; m < d.kernel; ++m) {
      int k = g.flip ? d.kernel - 1 - m : m;
      int64_t q = o * d.stride + int64_t{k} * d.kernel_dilation - d.padding_lo;
      int64_t p = d.input_dilation == 1 ? q : q / d.input_dilation;
      bool hit = q >= 0 && p < d.in_size &&
                 (d.input_dilation == 1 || q % d.input_dilation == 0);
      dim_offsets[m] = hit ? p * d.in_stride : -1;
    }
  }
  const int64_t base = row * g.batch_stride;
  const int64_t* off0 = t.offsets.data();
  if (g.spatial == 1) {
    for (int m = 0; m < g.dims[0].kernel; ++m) {
      f(m, off0[m] < 0 ? -1 : base + off0[m]);
    }
    return;
  }
  if (g.spatial == 2) {
    const int64_t* off1 = off0 + g.dims[0].kernel;
    int64_t tap = 0;
    for (int m0 = 0; m0 < g.dims[0].kernel; ++m0) {
      for (int m1 = 0; m1 < g.dims[1].kernel; ++m1, ++tap) {
        bool hit = off0[m0] >= 0 && off1[m1] >= 0;
        f(tap, hit ? base + off0[m0] + off1[m1] : -1);
      }
    }
    return;
  }
  std::fill(t.index.begin(), t.index.end(), 0);
  for (int64_t tap = 0; tap < g.taps; ++tap) {
    int64_t offset = base;
    bool hit = true;
    const int64_t* dim_offsets = off0;
    for (int i = 0; i < g.spatial; ++i) {
      int64_t o = dim_offsets[t.index[i]];
      hit = hit && o >= 0;
      offset += o;
      dim_offsets += g.dims[i].kernel;
    }
    f(tap, hit ? offset : -1);
    for (int i = g.spatial - 1; i >= 0 && ++t.index[i] == g.dims[i].kernel;
         --i) {
      t.index[i] = 0;
    }
  }
}

} // namespace mlx::core::cpu
