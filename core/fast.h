// Fused versions of common neural-network blocks (MLX's mlx.core.fast):
// each is one primitive with its own CPU kernel instead of a graph of ops,
// with the same values, gradients and vmap as the composed computation.
#pragma once

#include <optional>
#include <string>

#include "mlx/array.h"
#include "mlx/stream.h"

namespace mlx::core::fast {

/** x / sqrt(mean(x^2, -1) + eps) * weight, over the last axis. `weight`
 * (1-D, the size of x's last axis) is optional. The result has the type
 * x and weight promote to, which must be floating point. */
array rms_norm(
    const array& x,
    const std::optional<array>& weight,
    float eps,
    StreamOrDevice s = {});

/** (x - mean(x)) / sqrt(var(x) + eps) * weight + bias, over the last axis.
 * `weight` and `bias` (1-D, the size of x's last axis) are optional. */
array layer_norm(
    const array& x,
    const std::optional<array>& weight,
    const std::optional<array>& bias,
    float eps,
    StreamOrDevice s = {});

/** Rotary positional encoding of x, shaped (B, *, T, D) (at least 3-D):
 * the first `dims` features of position t are rotated, in pairs, by the
 * angles (offset + t) * scale * inv_freq[i], where inv_freq[i] =
 * base^(-2i/dims) or 1 / freqs[i]; exactly one of `base` and `freqs`
 * (1-D, dims / 2 entries) is given. Pairs are (i, i + dims/2), or
 * consecutive features (2i, 2i + 1) when `traditional`. */
array rope(
    const array& x,
    int dims,
    bool traditional,
    std::optional<float> base,
    float scale,
    int offset,
    const std::optional<array>& freqs = std::nullopt,
    StreamOrDevice s = {});

/** The same with the offset as an integer array: a scalar, or one offset
 * per batch element (B entries). */
array rope(
    const array& x,
    int dims,
    bool traditional,
    std::optional<float> base,
    float scale,
    const array& offset,
    const std::optional<array>& freqs = std::nullopt,
    StreamOrDevice s = {});

/** softmax(scale * Q @ K^T + mask) @ V for queries [B, N_q, T_q, D], keys
 * [B, N_kv, T_kv, D] and values [B, N_kv, T_kv, D_v], with N_kv dividing
 * N_q (grouped-query attention: query head h reads key/value head
 * h / (N_q / N_kv)). `mask_mode` is "" (no mask, or `mask_arr` if given),
 * "causal" (query i sees keys j <= i + T_kv - T_q: the queries are the
 * last T_q positions) or "array" (`mask_arr`, broadcastable to
 * [B, N_q, T_q, T_kv]: boolean, true = attend, or additive). Masked-out
 * scores are set to the lowest finite value of the type. `sinks` ([N_q])
 * adds one extra logit per head to each softmax, taking weight from the
 * keys without contributing a value. The softmax runs in float32 (or
 * float64) whatever the input type. */
array scaled_dot_product_attention(
    const array& queries,
    const array& keys,
    const array& values,
    const float scale,
    const std::string& mask_mode = "",
    std::optional<array> mask_arr = {},
    const std::optional<array>& sinks = {},
    StreamOrDevice s = {});

} // namespace mlx::core::fast
