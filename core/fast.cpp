// Front-ends of the fused ops: argument checks, dtype resolution, and the
// inputs their primitives expect (core/primitives/fast.h).
#include "mlx/fast.h"

#include <memory>

#include "mlx/ops.h"
#include "mlx/primitives/fast.h"
#include "mlx/utils.h"

namespace mlx::core::fast {

namespace {

// A norm's optional 1-D parameter must match the normalized axis.
void check_norm_param(
    const char* op, const char* what, const array& p, const array& x) {
  if (p.ndim() != 1) {
    throw_error(
        "[",
        op,
        "] ",
        what,
        " must have 1 dimension but has shape ",
        p.shape(),
        ".");
  }
  if (p.shape(0) != x.shape(-1)) {
    throw_error(
        "[",
        op,
        "] ",
        what,
        " must have the size of the last dimension of x (",
        x.shape(-1),
        ") but has ",
        p.shape(0),
        " elements.");
  }
}

void check_norm_input(const char* op, const array& x) {
  if (x.ndim() == 0) {
    throw_error(
        "[", op, "] Input must have at least 1 dimension but got a scalar.");
  }
}

Dtype checked_float_type(const char* op, Dtype t) {
  if (!issubdtype(t, floating)) {
    throw_error("[", op, "] Received unsupported type ", t, ".");
  }
  return t;
}

// The fused primitive, or on the GPU (which has no fused kernels yet) its
// composed form: the same computation through the GPU's kernels.
array fused(
    Shape shape,
    Dtype dtype,
    std::shared_ptr<Primitive> p,
    const std::vector<array>& inputs) {
  if (p->device() == Device::gpu) {
    return composed(*p, inputs);
  }
  return array(std::move(shape), dtype, std::move(p), inputs);
}

} // namespace

array rms_norm(
    const array& x,
    const std::optional<array>& weight,
    float eps,
    StreamOrDevice s_) {
  check_norm_input("rms_norm", x);
  if (weight) {
    check_norm_param("rms_norm", "weight", *weight, x);
  }
  Dtype t = checked_float_type(
      "rms_norm",
      weight ? promote_types(x.dtype(), weight->dtype()) : x.dtype());
  Stream s = to_stream(s_);
  std::vector<array> inputs = {astype(x, t, s)};
  if (weight) {
    inputs.push_back(astype(*weight, t, s));
  }
  return fused(x.shape(), t, std::make_shared<RMSNorm>(s, eps), inputs);
}

array layer_norm(
    const array& x,
    const std::optional<array>& weight,
    const std::optional<array>& bias,
    float eps,
    StreamOrDevice s_) {
  check_norm_input("layer_norm", x);
  Dtype t = x.dtype();
  if (weight) {
    check_norm_param("layer_norm", "weight", *weight, x);
    t = promote_types(t, weight->dtype());
  }
  if (bias) {
    check_norm_param("layer_norm", "bias", *bias, x);
    t = promote_types(t, bias->dtype());
  }
  checked_float_type("layer_norm", t);
  Stream s = to_stream(s_);
  std::vector<array> inputs = {astype(x, t, s)};
  if (weight) {
    inputs.push_back(astype(*weight, t, s));
  }
  if (bias) {
    inputs.push_back(astype(*bias, t, s));
  }
  return fused(
      x.shape(),
      t,
      std::make_shared<LayerNorm>(s, eps, weight.has_value(), bias.has_value()),
      inputs);
}

array rope(
    const array& x,
    int dims,
    bool traditional,
    std::optional<float> base,
    float scale,
    const array& offset,
    const std::optional<array>& freqs,
    StreamOrDevice s_) {
  if (x.ndim() < 3) {
    throw_error(
        "[rope] Input must have at least 3 dimensions (B, ..., T, D) but has "
        "shape ",
        x.shape(),
        ".");
  }
  if (!issubdtype(x.dtype(), floating)) {
    throw_error("[rope] Input must be floating point but has type ", x.dtype());
  }
  if (dims <= 0 || dims % 2 != 0 || dims > x.shape(-1)) {
    throw_error(
        "[rope] dims must be positive, even and at most the last dimension "
        "of the input (",
        x.shape(-1),
        ") but got ",
        dims,
        ".");
  }
  if (freqs.has_value() == base.has_value()) {
    throw_error(
        "[rope] Exactly one of base and freqs must be given, got ",
        base ? "both." : "neither.");
  }
  if (!issubdtype(offset.dtype(), integer)) {
    throw_error(
        "[rope] offset must be an integer but has type ", offset.dtype());
  }
  if (offset.ndim() > 1 ||
      (offset.size() != 1 && offset.size() != size_t(x.shape(0)))) {
    throw_error(
        "[rope] offset must be a scalar or have one entry per batch element (",
        x.shape(0),
        ") but has shape ",
        offset.shape(),
        ".");
  }
  Stream s = to_stream(s_);
  // Angles in float32, as MLX, except for float64 inputs.
  Dtype angle_type = x.dtype() == float64 ? float64 : float32;
  std::vector<array> inputs = {x, astype(offset, int32, s)};
  if (freqs) {
    if (freqs->ndim() != 1 || freqs->shape(0) != dims / 2) {
      throw_error(
          "[rope] freqs must be 1-D with dims / 2 = ",
          dims / 2,
          " entries but has shape ",
          freqs->shape(),
          ".");
    }
    inputs.push_back(astype(*freqs, angle_type, s));
  }
  return fused(
      x.shape(),
      x.dtype(),
      std::make_shared<RoPE>(
          s, dims, traditional, base.value_or(1.0f), scale, true),
      inputs);
}

array rope(
    const array& x,
    int dims,
    bool traditional,
    std::optional<float> base,
    float scale,
    int offset,
    const std::optional<array>& freqs,
    StreamOrDevice s) {
  return rope(
      x, dims, traditional, base, scale, array(offset, int32), freqs, s);
}

array scaled_dot_product_attention(
    const array& queries,
    const array& keys,
    const array& values,
    const float scale,
    const std::string& mask_mode,
    std::optional<array> mask_arr,
    const std::optional<array>& sinks,
    StreamOrDevice s_) {
  constexpr const char* op = "[scaled_dot_product_attention] ";
  for (const array* t : {&queries, &keys, &values}) {
    if (t->ndim() != 4) {
      throw_error(
          op,
          "queries, keys and values must have 4 dimensions [B, N, T, D] but "
          "got shape ",
          t->shape(),
          ".");
    }
  }
  if (mask_mode != "" && mask_mode != "causal" && mask_mode != "array") {
    throw_error(
        op,
        "Invalid mask_mode '",
        mask_mode,
        "': it must be '', 'causal' or 'array'.");
  }
  bool causal = mask_mode == "causal";
  if (causal && mask_arr) {
    throw_error(op, "mask_mode 'causal' takes no mask array.");
  }
  if (mask_mode == "array" && !mask_arr) {
    throw_error(op, "mask_mode 'array' needs a mask array.");
  }
  int batch = queries.shape(0);
  int n_q_heads = queries.shape(1);
  int n_kv_heads = keys.shape(1);
  if (keys.shape(0) != batch || values.shape(0) != batch) {
    throw_error(
        op,
        "queries, keys and values must have the same batch size, got shapes ",
        queries.shape(),
        ", ",
        keys.shape(),
        " and ",
        values.shape(),
        ".");
  }
  if (queries.shape(3) != keys.shape(3)) {
    throw_error(
        op,
        "queries and keys must have the same last dimension, got shapes ",
        queries.shape(),
        " and ",
        keys.shape(),
        ".");
  }
  if (values.shape(1) != n_kv_heads || values.shape(2) != keys.shape(2)) {
    throw_error(
        op,
        "keys and values must have the same number of heads and length, got "
        "shapes ",
        keys.shape(),
        " and ",
        values.shape(),
        ".");
  }
  if (n_kv_heads == 0 || n_q_heads % n_kv_heads != 0) {
    throw_error(
        op,
        "The number of query heads (",
        n_q_heads,
        ") must be a multiple of the number of key/value heads (",
        n_kv_heads,
        ").");
  }
  Dtype t = promote_types(
      promote_types(queries.dtype(), keys.dtype()), values.dtype());
  if (!issubdtype(t, floating)) {
    throw_error(op, "Received unsupported type ", t, ".");
  }
  Stream s = to_stream(s_);
  std::vector<array> inputs = {
      astype(queries, t, s), astype(keys, t, s), astype(values, t, s)};
  if (mask_arr) {
    Shape target = {batch, n_q_heads, queries.shape(2), keys.shape(2)};
    if (mask_arr->ndim() > 4 ||
        broadcast_shapes(
            mask_arr->shape(), target, "scaled_dot_product_attention") !=
            target) {
      throw_error(
          op,
          "The mask with shape ",
          mask_arr->shape(),
          " does not broadcast to the scores' shape ",
          target,
          ".");
    }
    Dtype mt = mask_arr->dtype();
    if (mt != bool_ && promote_types(mt, t) != t) {
      throw_error(
          op,
          "An additive mask's type must promote to ",
          t,
          " but it has type ",
          mt,
          ".");
    }
    array mask = mt == bool_ ? *mask_arr : astype(*mask_arr, t, s);
    inputs.push_back(broadcast_to(mask, target, s));
  }
  if (sinks) {
    if (sinks->ndim() != 1 || sinks->shape(0) != n_q_heads) {
      throw_error(
          op,
          "sinks must have one entry per query head (",
          n_q_heads,
          ") but has shape ",
          sinks->shape(),
          ".");
    }
    if (promote_types(sinks->dtype(), t) != t) {
      throw_error(
          op, "The sinks' type ", sinks->dtype(), " must promote to ", t, ".");
    }
    inputs.push_back(astype(*sinks, t, s));
  }
  Shape out_shape = {batch, n_q_heads, queries.shape(2), values.shape(3)};
  return fused(
      std::move(out_shape),
      t,
      std::make_shared<ScaledDotProductAttention>(
          s, scale, causal, mask_arr.has_value(), sinks.has_value()),
      inputs);
}

} // namespace mlx::core::fast
