// Convolution on Vulkan: im2col (shaders/conv.comp) into a float32 scratch
// matrix, then the tiled GEMM (matmul.h) with the groups as its batch. Every
// parameter the vjp's convolutions use (strides, negative padding, kernel
// and input dilation, groups, flip) only changes which input element a tap
// reads, so they all live in the gather; any spatial rank works. The rows
// are processed in chunks so the scratch stays bounded; the encoder's
// barriers order a chunk's gather after the previous chunk's GEMM. A 1x1
// convolution with unit stride and no padding skips the gather.
#include <algorithm>
#include <cstdlib>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "mlx/backend/vulkan/allocator.h"
#include "mlx/backend/vulkan/copy.h"
#include "mlx/backend/vulkan/matmul.h"
#include "mlx/backend/vulkan/pipeline.h"
#include "mlx/backend/vulkan/utils.h"
#include "mlx/primitives/conv.h"

namespace mlx::core {

namespace {

// The push constants of shaders/conv.comp.
struct GatherParams {
  uint32_t total, row0, cols, group_in, taps, spatial, in_first;
  int32_t batch_stride, channel_stride;
};

// Scratch elements per chunk (128 MiB of float32): GEMMs thousands of rows
// tall for typical kernels, a small part of any GPU's memory.
constexpr int64_t kScratchElements = int64_t(1) << 25;

// Invocations per workgroup (conv.comp's local_size_x) and the most
// workgroups in x every device allows.
constexpr int64_t kGroupSize = 256;
constexpr int64_t kMaxGroupsX = 65535;

[[noreturn]] void fail(const char* name, const std::string& what) {
  std::ostringstream msg;
  msg << "[" << name << "] " << what;
  throw std::invalid_argument(msg.str());
}

// A row-contiguous copy of `in` converted to `dtype` (or `in` itself), kept
// alive until the batch completes through `keep`.
array row_contiguous(
    vulkan::Encoder& enc,
    const array& in,
    Dtype dtype,
    std::vector<array>& keep,
    const char* name) {
  if (in.flags().row_contiguous && in.dtype() == dtype) {
    return in;
  }
  array out(in.shape(), dtype, nullptr, {});
  vulkan::copy_to_row_contiguous(enc, in, out, name);
  out.set_status(array::Status::available);
  keep.push_back(out);
  return out;
}

} // namespace

void Convolution::eval_gpu(const std::vector<array>& inputs, array& out) {
  const char* op = name();
  Dtype dtype = out.dtype();
  if (dtype != float32 && dtype != float16 && dtype != bfloat16) {
    std::ostringstream msg;
    msg << "dtype " << dtype << " is not supported on the Vulkan backend "
        << "(float32, float16 and bfloat16 are)";
    fail(op, msg.str());
  }
  if (out.size() == 0) {
    out.set_data(vulkan::allocator().malloc(0));
    return;
  }
  auto& enc = vulkan::encoder(stream().index);
  const array& in = inputs[0];
  int nd = int(in.ndim());
  int spatial = nd - 2;
  int64_t c_in = in.shape(-1), c_out = out.shape(-1);
  int64_t gin = c_in / groups_, gout = c_out / groups_;
  int64_t rows = out.size() / c_out;
  int64_t taps = 1;
  std::vector<int32_t> dims;
  for (int i = 0; i < spatial; ++i) {
    taps *= inputs[1].shape(i + 1);
    dims.insert(
        dims.end(),
        {in.shape(i + 1),
         inputs[1].shape(i + 1),
         out.shape(i + 1),
         stride_[i],
         kernel_dilation_[i],
         input_dilation_[i],
         padding_lo_[i],
         int32_t(in.strides()[i + 1])});
  }
  // The GEMM's depth; an empty input (zero-size spatial dims, all taps on
  // padding) makes zeros as a product of depth 0 does.
  int64_t k = in.size() == 0 ? 0 : taps * gin;
  int64_t cols = groups_ * std::max<int64_t>(k, 1);
  int64_t int_max = std::numeric_limits<int32_t>::max();
  for (int64_t s : in.strides()) {
    if (std::abs(s) > int_max) {
      fail(op, "an input stride beyond 2^31 elements");
    }
  }
  if (cols > kScratchElements) {
    fail(op, "more than 2^25 kernel taps times input channels");
  }

  std::vector<array> keep;
  // The weight as (C_out, k) rows: B of group g is its rows g * gout...,
  // read column-major (k contiguous). Half types are converted to float32
  // to match the float32 im2col matrix.
  array w = row_contiguous(enc, inputs[1], float32, keep, op);
  bool f32 = dtype == float32;
  array acc = f32 ? out : array(out.shape(), float32, nullptr, {});
  vulkan::Binding out_binding = vulkan::bind_output(acc);

  // A 1x1 kernel with unit stride and no padding over a row-contiguous
  // float32 input: the input is its own im2col matrix.
  bool pointwise =
      k > 0 && taps == 1 && in.flags().row_contiguous && in.dtype() == float32;
  for (int i = 0; i < spatial; ++i) {
    pointwise = pointwise && stride_[i] == 1 && padding_lo_[i] == 0 &&
                padding_hi_[i] == 0 && input_dilation_[i] == 1;
  }
  if (pointwise) {
    auto x = vulkan::bind_input(enc, in);
    auto wb = vulkan::bind_input(enc, w);
    vulkan::Gemm g;
    g.m = rows;
    g.n = gout;
    g.k = k;
    g.a = {x.binding, true, c_in};
    g.b = {wb.binding, false, k};
    g.out = out_binding;
    g.ldo = c_out;
    for (int gi = 0; gi < groups_; ++gi) {
      g.a.offsets.push_back(x.first + gi * gin);
      g.b.offsets.push_back(wb.first + gi * gout * k);
      g.out_offsets.push_back(gi * gout);
    }
    vulkan::gemm(enc, g, op);
    if (!keep.empty()) { // float32: acc is out, keep holds a weight copy
      enc.add_completed_handler(
          [keep = std::move(keep)](std::exception_ptr) {});
    }
    return;
  }

  int64_t chunk = std::clamp<int64_t>(kScratchElements / cols, 1, rows);
  size_t scratch_bytes = size_t(std::max<int64_t>(chunk * cols, 4)) * 4;
  vulkan::check_binding_range(scratch_bytes);
  vulkan::Binding scratch{
      enc.temporary(scratch_bytes), 0, scratch_bytes, vulkan::Access::write};
  vulkan::Binding w_binding;
  int64_t w_first = 0;
  if (k > 0) {
    auto wb = vulkan::bind_input(enc, w);
    w_binding = wb.binding;
    w_first = wb.first;
  } else {
    w_binding = {scratch.buffer, 0, scratch_bytes, vulkan::Access::read};
  }
  std::optional<vulkan::ArrayBinding> src;
  size_t dims_bytes = dims.size() * sizeof(int32_t);
  vulkan::Binding dims_binding{
      enc.upload(dims.data(), dims_bytes), 0, dims_bytes, vulkan::Access::read};
  if (k > 0) {
    src = vulkan::bind_input(enc, in);
  }
  auto gather = vulkan::pipeline(
      "conv", {uint32_t(Dtype::Val(in.dtype())), uint32_t(flip_)});

  for (int64_t row0 = 0; row0 < rows; row0 += chunk) {
    int64_t n = std::min(chunk, rows - row0);
    if (k > 0) {
      GatherParams p{
          uint32_t(n * cols),
          uint32_t(row0),
          uint32_t(cols),
          uint32_t(gin),
          uint32_t(taps),
          uint32_t(spatial),
          src->first,
          int32_t(in.strides()[0]),
          int32_t(in.strides()[nd - 1])};
      int64_t groups = (n * cols + kGroupSize - 1) / kGroupSize;
      uint32_t gx = uint32_t(std::min(groups, kMaxGroupsX));
      uint32_t gy = uint32_t((groups + gx - 1) / gx);
      enc.dispatch(
          gather, {src->binding, scratch, dims_binding}, &p, sizeof(p), gx, gy);
    }
    vulkan::Gemm g;
    g.m = n;
    g.n = gout;
    g.k = k;
    g.dtype = float32;
    g.a = {
        {scratch.buffer, 0, scratch_bytes, vulkan::Access::read}, true, cols};
    g.b = {w_binding, false, k};
    g.out = out_binding;
    g.ldo = c_out;
    for (int gi = 0; gi < groups_; ++gi) {
      g.a.offsets.push_back(gi * k);
      g.b.offsets.push_back(w_first + gi * gout * k);
      g.out_offsets.push_back(row0 * c_out + gi * gout);
    }
    vulkan::gemm(enc, g, op);
  }
  if (!f32) {
    acc.set_status(array::Status::available);
    vulkan::copy_to_row_contiguous(enc, acc, out, op);
    keep.push_back(acc);
  }
  if (!keep.empty()) {
    enc.add_completed_handler([keep = std::move(keep)](std::exception_ptr) {});
  }
}

} // namespace mlx::core
