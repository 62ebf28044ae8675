// The primitives' eval_gpu on Vulkan. Layout primitives that never copy use
// the device-neutral views (core/backend/common/views.h); copies go through
// shaders/copy.comp. Every primitive without a kernel yet raises a clear
// error (the list mirrors core/backend/no_gpu/primitives.cpp).
#include <sstream>
#include <stdexcept>

#include "mlx/backend/common/views.h"
#include "mlx/backend/vulkan/copy.h"
#include "mlx/primitives/primitives.h"

namespace mlx::core {

namespace {

vulkan::Encoder& encoder_of(const Primitive& p) {
  return vulkan::encoder(p.stream().index);
}

// A row-contiguous version of `a`, copied on the GPU when needed.
array ensure_row_contiguous(const Primitive& p, const array& a) {
  if (a.flags().row_contiguous) {
    return a;
  }
  array out(a.shape(), a.dtype(), nullptr, {});
  vulkan::copy_to_row_contiguous(encoder_of(p), a, out, p.name());
  out.set_status(array::Status::available);
  return out;
}

[[noreturn]] void not_implemented(const Primitive& p) {
  std::ostringstream msg;
  msg << "[" << p.name()
      << "] Not implemented on GPU: eval_gpu is not implemented on the "
         "Vulkan backend yet.";
  throw std::runtime_error(msg.str());
}

} // namespace

void Contiguous::eval_gpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  if (in.flags().row_contiguous ||
      (allow_col_major_ && in.flags().col_contiguous)) {
    out.copy_shared_buffer(in);
  } else {
    vulkan::copy_to_row_contiguous(encoder_of(*this), in, out, name());
  }
}

void AsType::eval_gpu(const std::vector<array>& inputs, array& out) {
  vulkan::copy_to_row_contiguous(encoder_of(*this), inputs[0], out, name());
}

void Reshape::eval_gpu(const std::vector<array>& inputs, array& out) {
  if (!views::reshape(inputs[0], out)) {
    vulkan::copy_to_row_contiguous(encoder_of(*this), inputs[0], out, name());
  }
}

void Transpose::eval_gpu(const std::vector<array>& inputs, array& out) {
  views::transpose(inputs[0], out, axes_);
}

void Broadcast::eval_gpu(const std::vector<array>& inputs, array& out) {
  views::broadcast(inputs[0], out);
}

void Slice::eval_gpu(const std::vector<array>& inputs, array& out) {
  views::slice(inputs[0], out, start_, strides_);
}

void AsStrided::eval_gpu(const std::vector<array>& inputs, array& out) {
  // Offsets and strides refer to the row-contiguous layout of the input.
  array in = ensure_row_contiguous(*this, inputs[0]);
  views::make_view(in, out, strides_, static_cast<int64_t>(offset_));
}

void View::eval_gpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  if (in.itemsize() == out.itemsize()) {
    out.copy_shared_buffer(in);
    return;
  }
  array src = ensure_row_contiguous(*this, in);
  views::make_view(src, out, row_major_strides(out.shape()), 0);
}

void Full::eval_gpu(const std::vector<array>& inputs, array& out) {
  // The input is a scalar (maybe broadcast): viewed with out's shape and
  // stride 0, the strided copy reads it for every output element.
  array value(out.shape(), inputs[0].dtype(), nullptr, {});
  views::broadcast(inputs[0], value);
  vulkan::copy_to_row_contiguous(encoder_of(*this), value, out, name());
}

void StopGradient::eval_gpu(const std::vector<array>& inputs, array& out) {
  views::share(inputs[0], out);
}

#define NOT_IMPLEMENTED(P)                                                     \
  void P::eval_gpu(const std::vector<array>&, array&) {                        \
    not_implemented(*this);                                                    \
  }
#define NOT_IMPLEMENTED_MULTI(P)                                               \
  void P::eval_gpu(const std::vector<array>&, std::vector<array>&) {           \
    not_implemented(*this);                                                    \
  }

NOT_IMPLEMENTED(Diagonal)
NOT_IMPLEMENTED(GatherMM)
NOT_IMPLEMENTED(GatherMMScatterAdd)
NOT_IMPLEMENTED_MULTI(Quantize)
NOT_IMPLEMENTED(Dequantize)
NOT_IMPLEMENTED(QuantizedMatmul)
NOT_IMPLEMENTED(GatherQMM)
NOT_IMPLEMENTED(Scan)
NOT_IMPLEMENTED(Sort)
NOT_IMPLEMENTED(ArgSort)
NOT_IMPLEMENTED(Partition)
NOT_IMPLEMENTED(ArgPartition)
NOT_IMPLEMENTED(Softmax)
NOT_IMPLEMENTED(fast::RMSNorm)
NOT_IMPLEMENTED(fast::LayerNorm)
NOT_IMPLEMENTED(fast::RoPE)
NOT_IMPLEMENTED(fast::ScaledDotProductAttention)
NOT_IMPLEMENTED_MULTI(fast::FusedVJP)
NOT_IMPLEMENTED(FFT)
NOT_IMPLEMENTED(Inverse)
NOT_IMPLEMENTED(Solve)
NOT_IMPLEMENTED(Cholesky)
NOT_IMPLEMENTED_MULTI(LUF)
NOT_IMPLEMENTED_MULTI(QRF)
NOT_IMPLEMENTED_MULTI(SVD)
NOT_IMPLEMENTED_MULTI(Eig)
NOT_IMPLEMENTED_MULTI(Eigh)

} // namespace mlx::core
