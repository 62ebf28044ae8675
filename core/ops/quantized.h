// Quantization: quantize, dequantize, quantized_matmul and gather_qmm.
//
// Layouts are MLX's, so that weights quantized by MLX load and agree:
// - "affine": every group of `group_size` consecutive elements of a row
//   has a scale s and a bias b (w ≈ s * q + b, q in [0, 2^bits - 1]). The
//   q of a row form one little-endian bit stream packed into uint32 words:
//   element i sits in bits [i * bits, (i + 1) * bits) of the row's stream
//   (so 3-, 5- and 6-bit values may straddle two words). scales and biases
//   have the input's dtype and shape [..., cols / group_size].
// - "mxfp4": groups of 32 elements, each an E2M1 4-bit float (8 per word,
//   the first in the lowest bits) times a shared power of two stored as a
//   uint8 E8M0 exponent (2^(e - 127)); no biases.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mlx/array.h"
#include "mlx/stream.h"

namespace mlx::core {

enum class QuantizationMode { Affine, Mxfp4 };

/** "affine" or "mxfp4"; anything else raises, naming `op`. */
QuantizationMode
quantization_mode_from_string(const std::string& mode, const char* op);
std::string quantization_mode_to_string(QuantizationMode mode);

/** Quantize a matrix along its last axis: {w_q, scales, biases} for
 * "affine" (group_size 32, 64 or 128 (default 64); bits 2, 3, 4, 5, 6 or 8
 * (default 4)), {w_q, scales} for "mxfp4" (group_size 32, bits 4). */
std::vector<array> quantize(
    const array& w,
    std::optional<int> group_size = std::nullopt,
    std::optional<int> bits = std::nullopt,
    const std::string& mode = "affine",
    StreamOrDevice s = {});

/** The matrix quantize() packed, in scales' dtype (affine) or `dtype`
 * (default bfloat16 for mxfp4, as MLX). */
array dequantize(
    const array& w,
    const array& scales,
    const std::optional<array>& biases = std::nullopt,
    std::optional<int> group_size = std::nullopt,
    std::optional<int> bits = std::nullopt,
    const std::string& mode = "affine",
    std::optional<Dtype> dtype = std::nullopt,
    StreamOrDevice s = {});

/** x @ w.T (transpose) or x @ w with a quantized w, computed on the packed
 * weights (no dequantized copy of the matrix). */
array quantized_matmul(
    const array& x,
    const array& w,
    const array& scales,
    const std::optional<array>& biases = std::nullopt,
    bool transpose = true,
    std::optional<int> group_size = std::nullopt,
    std::optional<int> bits = std::nullopt,
    const std::string& mode = "affine",
    StreamOrDevice s = {});

/** quantized_matmul with matrix-level gather: out[i] = x[lhs_indices[i]] @
 * w[rhs_indices[i]] (transposed), indices being flat indices into the batch
 * dims of x and of w (default: all of them, in order). */
array gather_qmm(
    const array& x,
    const array& w,
    const array& scales,
    const std::optional<array>& biases = std::nullopt,
    std::optional<array> lhs_indices = std::nullopt,
    std::optional<array> rhs_indices = std::nullopt,
    bool transpose = true,
    std::optional<int> group_size = std::nullopt,
    std::optional<int> bits = std::nullopt,
    const std::string& mode = "affine",
    bool sorted_indices = false,
    StreamOrDevice s = {});

} // namespace mlx::core
