#include "mlx/ops/quantized.h"

#include <algorithm>

#include "mlx/ops/creation.h"
#include "mlx/ops/shape.h"
#include "mlx/primitives/quantized.h"
#include "mlx/utils.h"

namespace mlx::core {

QuantizationMode
quantization_mode_from_string(const std::string& mode, const char* op) {
  if (mode == "affine") {
    return QuantizationMode::Affine;
  }
  if (mode == "mxfp4") {
    return QuantizationMode::Mxfp4;
  }
  throw_error(
      "[",
      op,
      "] Unsupported quantization mode '",
      mode,
      "'; the supported modes are 'affine' and 'mxfp4'.");
}

std::string quantization_mode_to_string(QuantizationMode mode) {
  return mode == QuantizationMode::Affine ? "affine" : "mxfp4";
}

namespace {

// MLX's defaults and supported values: affine 64/4 with group sizes 32, 64,
// 128 and bits 2, 3, 4, 5, 6, 8; mxfp4 fixes both (32 elements of 4 bits).
QuantParams quant_params(
    const std::string& mode_name,
    std::optional<int> group_size,
    std::optional<int> bits,
    const char* op) {
  QuantizationMode mode = quantization_mode_from_string(mode_name, op);
  if (mode == QuantizationMode::Mxfp4) {
    QuantParams p{group_size.value_or(32), bits.value_or(4), mode};
    if (p.group_size != 32 || p.bits != 4) {
      throw_error(
          "[",
          op,
          "] mxfp4 quantization requires group_size 32 and bits 4 but got ",
          "group_size=",
          p.group_size,
          " and bits=",
          p.bits,
          ".");
    }
    return p;
  }
  QuantParams p{group_size.value_or(64), bits.value_or(4), mode};
  if (p.group_size != 32 && p.group_size != 64 && p.group_size != 128) {
    throw_error(
        "[",
        op,
        "] The requested group size ",
        p.group_size,
        " is not supported. The supported group sizes are 32, 64, and 128.");
  }
  if (p.bits < 2 || p.bits > 8 || p.bits == 7) {
    throw_error(
        "[",
        op,
        "] The requested number of bits ",
        p.bits,
        " is not supported. The supported bits are 2, 3, 4, 5, 6 and 8.");
  }
  return p;
}

Shape batch_of(const array& a) {
  return Shape(a.shape().begin(), a.shape().end() - 2);
}

Shape with_matrix(Shape batch, int rows, int cols) {
  batch.push_back(rows);
  batch.push_back(cols);
  return batch;
}

// Checks a packed matrix against its scales (and biases) and returns the
// dtype the affine parameters promote to (uint8 for mxfp4's scales).
Dtype check_packed(
    const array& w,
    const array& scales,
    const std::optional<array>& biases,
    const QuantParams& p,
    const char* op) {
  if (w.dtype() != uint32) {
    throw_error(
        "[", op, "] The packed matrix must be uint32 but got ", w.dtype(), ".");
  }
  if (w.ndim() < 2) {
    throw_error(
        "[",
        op,
        "] The packed matrix must have at least 2 dimensions but has shape ",
        w.shape(),
        ".");
  }
  Dtype param_dtype = scales.dtype();
  if (p.mode == QuantizationMode::Affine) {
    if (!biases) {
      throw_error(
          "[", op, "] Biases must be provided for affine quantization.");
    }
    if (biases->shape() != scales.shape()) {
      throw_error(
          "[",
          op,
          "] Scales and biases should have the same shape but got ",
          scales.shape(),
          " and ",
          biases->shape(),
          ".");
    }
    param_dtype = promote_types(scales.dtype(), biases->dtype());
    if (!issubdtype(param_dtype, floating)) {
      throw_error(
          "[",
          op,
          "] Scales and biases must be floating point but got ",
          scales.dtype(),
          " and ",
          biases->dtype(),
          ".");
    }
  } else {
    if (biases) {
      throw_error(
          "[", op, "] Biases must be null for quantization mode mxfp4.");
    }
    if (scales.dtype() != uint8) {
      throw_error(
          "[",
          op,
          "] mxfp4 scales must be uint8 but got ",
          scales.dtype(),
          ".");
    }
  }
  bool same_batch =
      scales.ndim() == w.ndim() &&
      std::equal(
          w.shape().begin(), w.shape().end() - 1, scales.shape().begin());
  if (!same_batch ||
      static_cast<int64_t>(w.shape(-1)) * 32 / p.bits !=
          static_cast<int64_t>(scales.shape(-1)) * p.group_size) {
    throw_error(
        "[",
        op,
        "] The shapes of the packed matrix ",
        w.shape(),
        " and of the scales ",
        scales.shape(),
        " do not match for group_size=",
        p.group_size,
        " and bits=",
        p.bits,
        ".");
  }
  return param_dtype;
}

// The dtype of a product with x, which must be floating point.
Dtype product_dtype(
    const array& x, Dtype param_dtype, const QuantParams& p, const char* op) {
  Dtype out = p.mode == QuantizationMode::Affine
                  ? promote_types(x.dtype(), param_dtype)
                  : x.dtype();
  if (!issubdtype(out, floating)) {
    throw_error(
        "[",
        op,
        "] Only real floating types are supported but x.dtype() == ",
        x.dtype(),
        ".");
  }
  return out;
}

// (inner, outer) dims of the expanded matrix, checked against x's last dim.
std::pair<int, int> expanded_dims(
    const array& x,
    const array& w,
    bool transpose,
    const QuantParams& p,
    const char* op) {
  if (x.ndim() == 0) {
    throw_error("[", op, "] x must have at least 1 dimension.");
  }
  int unpacked = static_cast<int>(int64_t{w.shape(-1)} * 32 / p.bits);
  int inner = transpose ? unpacked : w.shape(-2);
  int outer = transpose ? w.shape(-2) : unpacked;
  if (x.shape(-1) != inner) {
    throw_error(
        "[",
        op,
        "] Last dimension of x with shape ",
        x.shape(),
        " does not match the expanded quantized matrix (",
        inner,
        ", ",
        outer,
        ") computed from shape ",
        w.shape(),
        " with group_size=",
        p.group_size,
        ", bits=",
        p.bits,
        " and transpose=",
        transpose ? "true" : "false",
        ".");
  }
  return {inner, outer};
}

// The weight-side inputs: w, then scales in the compute dtype and biases.
std::vector<array> weight_inputs(
    const array& w,
    const array& scales,
    const std::optional<array>& biases,
    Dtype dtype,
    const QuantParams& p,
    StreamOrDevice s) {
  if (p.mode == QuantizationMode::Mxfp4) {
    return {w, scales};
  }
  return {w, astype(scales, dtype, s), astype(*biases, dtype, s)};
}

// Flat indices into the batch dims of a (default: all of them, in order).
array batch_indices(
    const std::optional<array>& indices,
    const array& a,
    const char* name,
    StreamOrDevice s) {
  if (!indices) {
    Shape batch = batch_of(a);
    return reshape(
        arange(0.0, static_cast<double>(shape_size(batch)), uint32, s),
        batch,
        s);
  }
  if (!issubdtype(indices->dtype(), integer)) {
    throw_error(
        "[gather_qmm] ",
        name,
        " must be integers but got dtype ",
        indices->dtype(),
        ".");
  }
  return astype(*indices, uint32, s);
}

} // namespace

std::vector<array> quantize(
    const array& w,
    std::optional<int> group_size,
    std::optional<int> bits,
    const std::string& mode,
    StreamOrDevice s) {
  QuantParams p = quant_params(mode, group_size, bits, "quantize");
  if (!issubdtype(w.dtype(), floating)) {
    throw_error(
        "[quantize] Only real floating types can be quantized but w has type ",
        w.dtype(),
        ".");
  }
  if (w.ndim() < 2) {
    throw_error(
        "[quantize] The matrix to be quantized must have at least 2 ",
        "dimensions but has shape ",
        w.shape(),
        ".");
  }
  if (w.shape(-1) % p.group_size != 0) {
    throw_error(
        "[quantize] The last dimension of the matrix needs to be divisible ",
        "by the quantization group size ",
        p.group_size,
        ". However the provided matrix has shape ",
        w.shape(),
        ".");
  }
  Shape packed = w.shape();
  packed.back() = w.shape(-1) / 32 * p.bits;
  Shape params = w.shape();
  params.back() = w.shape(-1) / p.group_size;
  auto prim = std::make_shared<Quantize>(to_stream(s), p);
  if (p.mode == QuantizationMode::Mxfp4) {
    return array::make_arrays({packed, params}, {uint32, uint8}, prim, {w});
  }
  return array::make_arrays(
      {packed, params, params}, {uint32, w.dtype(), w.dtype()}, prim, {w});
}

array dequantize(
    const array& w,
    const array& scales,
    const std::optional<array>& biases,
    std::optional<int> group_size,
    std::optional<int> bits,
    const std::string& mode,
    std::optional<Dtype> dtype,
    StreamOrDevice s) {
  QuantParams p = quant_params(mode, group_size, bits, "dequantize");
  Dtype param_dtype = check_packed(w, scales, biases, p, "dequantize");
  Dtype out = dtype.value_or(
      p.mode == QuantizationMode::Affine ? param_dtype : bfloat16);
  if (!issubdtype(out, floating)) {
    throw_error(
        "[dequantize] Only real floating types are supported but dtype == ",
        out,
        ".");
  }
  Shape shape = w.shape();
  shape.back() = scales.shape(-1) * p.group_size;
  return array(
      shape,
      out,
      std::make_shared<Dequantize>(to_stream(s), p),
      weight_inputs(w, scales, biases, out, p, s));
}

array quantized_matmul(
    const array& x,
    const array& w,
    const array& scales,
    const std::optional<array>& biases,
    bool transpose,
    std::optional<int> group_size,
    std::optional<int> bits,
    const std::string& mode,
    StreamOrDevice s) {
  const char* op = "quantized_matmul";
  QuantParams p = quant_params(mode, group_size, bits, op);
  Dtype param_dtype = check_packed(w, scales, biases, p, op);
  Dtype dtype = product_dtype(x, param_dtype, p, op);
  auto [inner, outer] = expanded_dims(x, w, transpose, p, op);
  std::vector<array> inputs = {astype(x, dtype, s)};
  for (auto& a : weight_inputs(w, scales, biases, dtype, p, s)) {
    inputs.push_back(a);
  }
  Shape out_shape = x.shape();
  out_shape.back() = outer;
  if (w.ndim() > 2) {
    // A stack of matrices: x and the weights broadcast over the batch dims.
    if (x.ndim() < 2) {
      throw_error(
          "[quantized_matmul] x must have at least 2 dimensions when w is ",
          "batched but has shape ",
          x.shape(),
          ".");
    }
    Shape batch = broadcast_shapes(batch_of(x), batch_of(w), op);
    for (auto& a : inputs) {
      a = broadcast_to(a, with_matrix(batch, a.shape(-2), a.shape(-1)), s);
    }
    out_shape = with_matrix(batch, x.shape(-2), outer);
  }
  return array(
      out_shape,
      dtype,
      std::make_shared<QuantizedMatmul>(to_stream(s), p, transpose),
      inputs);
}

array gather_qmm(
    const array& x,
    const array& w,
    const array& scales,
    const std::optional<array>& biases,
    std::optional<array> lhs_indices,
    std::optional<array> rhs_indices,
    bool transpose,
    std::optional<int> group_size,
    std::optional<int> bits,
    const std::string& mode,
    bool /* sorted_indices: a hint only */,
    StreamOrDevice s) {
  if (!lhs_indices && !rhs_indices) {
    return quantized_matmul(
        x, w, scales, biases, transpose, group_size, bits, mode, s);
  }
  const char* op = "gather_qmm";
  QuantParams p = quant_params(mode, group_size, bits, op);
  Dtype param_dtype = check_packed(w, scales, biases, p, op);
  Dtype dtype = product_dtype(x, param_dtype, p, op);
  if (x.ndim() < 2) {
    throw_error(
        "[gather_qmm] x must have at least 2 dimensions but has shape ",
        x.shape(),
        ".");
  }
  int outer = expanded_dims(x, w, transpose, p, op).second;
  auto idx = broadcast_arrays(
      {batch_indices(lhs_indices, x, "lhs_indices", s),
       batch_indices(rhs_indices, w, "rhs_indices", s)},
      s);
  std::vector<array> inputs = {astype(x, dtype, s)};
  for (auto& a : weight_inputs(w, scales, biases, dtype, p, s)) {
    inputs.push_back(a);
  }
  inputs.push_back(idx[0]);
  inputs.push_back(idx[1]);
  return array(
      with_matrix(idx[0].shape(), x.shape(-2), outer),
      dtype,
      std::make_shared<GatherQMM>(to_stream(s), p, transpose),
      inputs);
}

} // namespace mlx::core
