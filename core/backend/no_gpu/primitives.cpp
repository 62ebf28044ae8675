// Built when no GPU backend is: every primitive's eval_gpu raises a clear
// error, so shared code needs no #ifdefs.
#include <sstream>
#include <stdexcept>

#include "mlx/primitives/primitives.h"

namespace mlx::core {

namespace {
[[noreturn]] void no_gpu(const Primitive& p) {
  std::ostringstream msg;
  msg << "[" << p.name() << "] Not implemented on GPU: this build has no "
      << "GPU backend.";
  throw std::runtime_error(msg.str());
}
} // namespace

#define NO_GPU(P)                                                              \
  void P::eval_gpu(const std::vector<array>&, array&) {                        \
    no_gpu(*this);                                                             \
  }
#define NO_GPU_MULTI(P)                                                        \
  void P::eval_gpu(const std::vector<array>&, std::vector<array>&) {           \
    no_gpu(*this);                                                             \
  }

NO_GPU(Unary)
NO_GPU(Binary)
NO_GPU(Select)
NO_GPU(AsType)
NO_GPU(Compiled)
NO_GPU(Reshape)
NO_GPU(Transpose)
NO_GPU(Broadcast)
NO_GPU(Slice)
NO_GPU(AsStrided)
NO_GPU(View)
NO_GPU(Contiguous)
NO_GPU(StopGradient)
NO_GPU(Full)
NO_GPU(Arange)
NO_GPU(Reduce)
NO_GPU(ArgReduce)
NO_GPU(Take)
NO_GPU(TakeAlongAxis)
NO_GPU(PutAlongAxis)
NO_GPU(SliceUpdate)
NO_GPU(Diagonal)
NO_GPU(ScatterAddAxis)
NO_GPU(Scatter)
NO_GPU(Concatenate)
NO_GPU(Scan)
NO_GPU(Sort)
NO_GPU(ArgSort)
NO_GPU(Partition)
NO_GPU(ArgPartition)
NO_GPU(Matmul)
NO_GPU(AddMM)
NO_GPU(GatherMM)
NO_GPU(GatherMMScatterAdd)
NO_GPU_MULTI(Quantize)
NO_GPU(Dequantize)
NO_GPU(QuantizedMatmul)
NO_GPU(GatherQMM)
NO_GPU(Convolution)
NO_GPU(RandomBits)
NO_GPU(Softmax)
NO_GPU(fast::RMSNorm)
NO_GPU(fast::LayerNorm)
NO_GPU(fast::RoPE)
NO_GPU(fast::ScaledDotProductAttention)
NO_GPU_MULTI(fast::FusedVJP)
NO_GPU(FFT)
NO_GPU(Inverse)
NO_GPU(Solve)
NO_GPU(Cholesky)
NO_GPU_MULTI(LUF)
NO_GPU_MULTI(QRF)
NO_GPU_MULTI(SVD)
NO_GPU_MULTI(Eig)
NO_GPU_MULTI(Eigh)

} // namespace mlx::core
