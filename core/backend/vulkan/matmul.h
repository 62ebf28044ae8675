// The tiled GEMM of shaders/matmul.comp, shared by Matmul, AddMM and the
// convolution (im2col product): batched, operands read in place as row- or
// column-major matrices, float32 results.
#pragma once

#include <cstdint>
#include <vector>

#include "mlx/backend/vulkan/encoder.h"
#include "mlx/dtype.h"

namespace mlx::core::vulkan {

/** One operand of a GEMM as the kernel reads it: elements of `dtype` in
 * `binding`, matrix b starting at element offsets[b]; row_major: the inner
 * dim (K of A, N of B) is contiguous, else the outer one is. `ld` is the
 * stride of the other dim (non-negative). */
struct GemmOperand {
  Binding binding;
  bool row_major = true;
  int64_t ld = 0;
  std::vector<int64_t> offsets;
};

/** out[b] = alpha * a[b] @ b[b] (+ beta * c[b] when has_c): a is m x k,
 * b is k x n, c is read at c.offsets[b] + i * c_row + j * c_col (elements of
 * `dtype`), out is float32 with row stride ldo from out_offsets[b]. */
struct Gemm {
  int64_t m = 0, n = 0, k = 0;
  Dtype dtype = float32; // of a, b and c: float32, float16 or bfloat16
  GemmOperand a, b;
  bool has_c = false;
  GemmOperand c; // row_major and ld unused
  int64_t c_row = 0, c_col = 0;
  Binding out;
  int64_t ldo = 0;
  std::vector<int64_t> out_offsets;
  float alpha = 1.0f, beta = 0.0f;
};

/** Records the GEMM (one dispatch). Throws, naming `name`, for sizes or
 * offsets beyond the kernel's 32-bit indexing, before recording anything. */
void gemm(Encoder& enc, const Gemm& g, const char* name);

} // namespace mlx::core::vulkan
