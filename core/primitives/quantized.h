// Quantization primitives. Parameters (group size, bits, mode) are checked
// by the op front-ends in ops/quantized.cpp; inputs arrive with scales and
// biases in the output's dtype.
#pragma once

#include "mlx/ops/quantized.h"
#include "mlx/primitives/primitive.h"

namespace mlx::core {

/** The quantization parameters every quantization primitive carries. */
struct QuantParams {
  int group_size;
  int bits;
  QuantizationMode mode;
  bool operator==(const QuantParams& o) const {
    return group_size == o.group_size && bits == o.bits && mode == o.mode;
  }
};

/** {w} -> {w_q, scales, biases} (affine) or {w_q, scales} (mxfp4). */
class Quantize : public Primitive {
public:
  Quantize(Stream stream, QuantParams params)
      : Primitive(stream), params_(params) {}

  void eval_cpu(
      const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(
      const std::vector<array>& inputs, std::vector<array>& outputs) override;

  const char* name() const override { return "Quantize"; }
  bool is_equivalent(const Primitive& other) const override;
  const QuantParams& params() const { return params_; }

private:
  QuantParams params_;
};

/** {w_q, scales[, biases]} -> the dequantized matrix. */
class Dequantize : public UnaryPrimitive {
public:
  Dequantize(Stream stream, QuantParams params)
      : UnaryPrimitive(stream), params_(params) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;

  const char* name() const override { return "Dequantize"; }
  bool is_equivalent(const Primitive& other) const override;
  const QuantParams& params() const { return params_; }

private:
  QuantParams params_;
};

/** {x, w_q, scales[, biases]} -> x @ w.T (transpose) or x @ w. x, w and the
 * scales share the output's batch dims (or w is a single matrix). */
class QuantizedMatmul : public UnaryPrimitive {
public:
  QuantizedMatmul(Stream stream, QuantParams params, bool transpose)
      : UnaryPrimitive(stream), params_(params), transpose_(transpose) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override { return "QuantizedMatmul"; }
  bool is_equivalent(const Primitive& other) const override;
  const QuantParams& params() const { return params_; }
  bool transpose() const { return transpose_; }

private:
  QuantParams params_;
  bool transpose_;
};

/** {x, w_q, scales[, biases], lhs_indices, rhs_indices} -> out[i] =
 * x[lhs[i]] @ w[rhs[i]] (transposed); the indices (uint32, same shape) are
 * flat indices into the batch dims of x and w. */
class GatherQMM : public UnaryPrimitive {
public:
  GatherQMM(Stream stream, QuantParams params, bool transpose)
      : UnaryPrimitive(stream), params_(params), transpose_(transpose) {}

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  MLX_DECLARE_TRANSFORMS()

  const char* name() const override { return "GatherQMM"; }
  bool is_equivalent(const Primitive& other) const override;
  const QuantParams& params() const { return params_; }
  bool transpose() const { return transpose_; }

private:
  QuantParams params_;
  bool transpose_;
};

} // namespace mlx::core
