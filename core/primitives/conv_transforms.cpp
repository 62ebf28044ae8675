// jvp, vjp and vmap rules of Convolution. The convolution is bilinear, and
// both of its cotangents are again convolutions (see Convolution in
// conv.h for the notation):
// - the input's: the output cotangent, dilated by the stride, convolved with
//   the flipped kernel whose in/out channel axes are swapped (per group),
//   read with a stride of the input dilation;
// - the weight's: a convolution in which the input channels act as the batch
//   and the batch as the channels, the output cotangent is the kernel, and
//   stride and kernel dilation trade places.
// Both may need negative padding (a crop), hence conv_general_with_crop.
#include "mlx/primitives/conv.h"

#include <numeric>
#include <optional>

#include "mlx/ops.h"
#include "mlx/ops/conv.h"

namespace mlx::core {

namespace {

int64_t dilated(int64_t size, int dilation) {
  return size == 0 ? 0 : (size - 1) * dilation + 1;
}

// Reverses the given axes (a slice with step -1).
array reverse_axes(const array& a, int first, int last, Stream s) {
  int nd = static_cast<int>(a.ndim());
  Shape start(nd, 0);
  Shape stop = a.shape();
  Shape steps(nd, 1);
  for (int d = first; d < last; ++d) {
    start[d] = a.shape(d) - 1;
    stop[d] = -a.shape(d) - 1;
    steps[d] = -1;
  }
  return slice(a, start, stop, steps, s);
}

// The input's cotangent: g dilated by the stride, convolved with the
// flipped kernel whose channel axes are swapped within each group, read with
// a stride of the input dilation. The padding makes the result the size of
// x (it is negative, a crop, where the forward padding exceeded the
// kernel's extent).
array input_cotangent(
    const Convolution& c, const array& x, const array& w, const array& g) {
  Stream s = c.stream();
  int nd = static_cast<int>(x.ndim());
  int groups = c.groups();
  int group_in = x.shape(-1) / groups;
  int group_out = w.shape(0) / groups;
  // (C_out, K..., C_in/G) -> (G, C_out/G, K..., C_in/G) -> (G, C_in/G, K...,
  // C_out/G) -> (C_in, K..., C_out/G).
  Shape split = w.shape();
  split[0] = group_out;
  split.back() = group_in;
  split.insert(split.begin(), groups);
  std::vector<int> perm(nd + 1);
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[1], perm[nd]);
  Shape swapped = w.shape();
  swapped[0] = x.shape(-1);
  swapped.back() = group_out;
  array wt = reshape(transpose(reshape(w, split, s), perm, s), swapped, s);
  std::vector<int> lo(nd - 2);
  std::vector<int> hi(nd - 2);
  for (int i = 0; i < nd - 2; ++i) {
    int64_t window = dilated(w.shape(i + 1), c.kernel_dilation()[i]);
    int64_t x_extent = dilated(x.shape(i + 1), c.input_dilation()[i]);
    int64_t g_extent = dilated(g.shape(i + 1), c.stride()[i]);
    lo[i] = static_cast<int>(window - 1 - c.padding_lo()[i]);
    hi[i] = static_cast<int>(x_extent - g_extent + c.padding_lo()[i]);
  }
  return detail::conv_general_with_crop(
      g,
      wt,
      c.input_dilation(),
      lo,
      hi,
      c.kernel_dilation(),
      c.stride(),
      groups,
      !c.flip(),
      "Convolution::vjp",
      s);
}

// The weight's cotangent: a convolution of x, with its input channels as
// the batch and (group, batch) as the channels, by g as the kernel (C_out,
// O..., N); stride and kernel dilation trade places. The result is
// (C_in/G, K..., C_out), reversed along K when flip, then transposed.
array weight_cotangent(
    const Convolution& c, const array& x, const array& w, const array& g) {
  Stream s = c.stream();
  int nd = static_cast<int>(x.ndim());
  int groups = c.groups();
  int group_in = x.shape(-1) / groups;
  // (N, S..., C_in) -> (N, S..., G, C_in/G) -> (C_in/G, S..., G, N) ->
  // (C_in/G, S..., G * N).
  Shape split = x.shape();
  split.back() = group_in;
  split.insert(split.end() - 1, groups);
  std::vector<int> perm(nd + 1);
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[0], perm[nd]);
  Shape merged = x.shape();
  merged[0] = group_in;
  merged.back() = groups * x.shape(0);
  array xt = reshape(transpose(reshape(x, split, s), perm, s), merged, s);
  array gt = swapaxes(g, 0, -1, s);
  std::vector<int> hi(nd - 2);
  for (int i = 0; i < nd - 2; ++i) {
    int64_t window = dilated(w.shape(i + 1), c.kernel_dilation()[i]);
    int64_t padded = dilated(x.shape(i + 1), c.input_dilation()[i]) +
                     c.padding_lo()[i] + c.padding_hi()[i];
    // The forward pass skipped the last `unused` padded elements (the
    // stride did not fit); leave them out so the result has K entries.
    int64_t unused =
        padded - window - int64_t{g.shape(i + 1) - 1} * c.stride()[i];
    hi[i] = static_cast<int>(c.padding_hi()[i] - unused);
  }
  array dw = detail::conv_general_with_crop(
      xt,
      gt,
      c.kernel_dilation(),
      c.padding_lo(),
      hi,
      c.stride(),
      c.input_dilation(),
      groups,
      false,
      "Convolution::vjp",
      s);
  if (c.flip()) {
    dw = reverse_axes(dw, 1, nd - 1, s);
  }
  return swapaxes(dw, 0, -1, s);
}

} // namespace

std::vector<array> Convolution::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  auto conv = [&](const array& x, const array& w) {
    return detail::conv_general_with_crop(
        x,
        w,
        stride_,
        padding_lo_,
        padding_hi_,
        kernel_dilation_,
        input_dilation_,
        groups_,
        flip_,
        "Convolution::jvp",
        stream());
  };
  std::optional<array> out;
  for (size_t k = 0; k < argnums.size(); ++k) {
    array term = argnums[k] == 0 ? conv(tangents[k], primals[1])
                                 : conv(primals[0], tangents[k]);
    out = out ? add(*out, term, stream()) : term;
  }
  return {*out};
}

std::vector<array> Convolution::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  std::vector<array> vjps;
  for (int arg : argnums) {
    vjps.push_back(
        arg == 0
            ? input_cotangent(*this, primals[0], primals[1], cotangents[0])
            : weight_cotangent(*this, primals[0], primals[1], cotangents[0]));
  }
  return vjps;
}

std::pair<std::vector<array>, std::vector<int>> Convolution::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  Stream s = stream();
  auto conv = [&](const array& x, const array& w, int groups) {
    return detail::conv_general_with_crop(
        x,
        w,
        stride_,
        padding_lo_,
        padding_hi_,
        kernel_dilation_,
        input_dilation_,
        groups,
        flip_,
        "Convolution::vmap",
        s);
  };
  const array& x = inputs[0];
  const array& w = inputs[1];
  if (axes[1] < 0) {
    // Only the input is batched: fold the vmapped axis into N.
    array xb = moveaxis(x, axes[0], 0, s);
    int vbatch = xb.shape(0);
    Shape folded(xb.shape().begin() + 1, xb.shape().end());
    folded[0] *= vbatch;
    array out = conv(reshape(xb, folded, s), w, groups_);
    Shape unfolded = out.shape();
    unfolded[0] /= vbatch;
    unfolded.insert(unfolded.begin(), vbatch);
    return {{reshape(out, unfolded, s)}, {0}};
  }
  // The weight is batched: each vmapped element becomes `groups_` more
  // groups, weights stacked along C_out and inputs along C_in.
  array wb = moveaxis(w, axes[1], 0, s);
  int vbatch = wb.shape(0);
  Shape w_folded(wb.shape().begin() + 1, wb.shape().end());
  w_folded[0] *= vbatch;
  int nd = static_cast<int>(x.ndim()) - (axes[0] >= 0 ? 1 : 0);
  array xb = x;
  if (axes[0] >= 0) {
    xb = moveaxis(x, axes[0], nd - 1, s);
  } else {
    Shape shape = x.shape();
    shape.insert(shape.end() - 1, vbatch);
    xb = broadcast_to(expand_dims(x, nd - 1, s), shape, s);
  }
  Shape x_folded = x.shape();
  if (axes[0] >= 0) {
    x_folded.erase(x_folded.begin() + axes[0]);
  }
  x_folded.back() *= vbatch;
  array out = conv(
      reshape(xb, x_folded, s), reshape(wb, w_folded, s), groups_ * vbatch);
  Shape unfolded = out.shape();
  unfolded.back() /= vbatch;
  unfolded.insert(unfolded.end() - 1, vbatch);
  return {{reshape(out, unfolded, s)}, {nd - 1}};
}

} // namespace mlx::core
