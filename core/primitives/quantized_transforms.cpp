// jvp, vjp and vmap rules of the quantized products, with respect to x (the
// packed weights are constants, as in MLX).
#include "mlx/primitives/quantized.h"

#include "mlx/ops.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

std::optional<array> biases_of(const std::vector<array>& in, QuantParams p) {
  if (p.mode == QuantizationMode::Affine) {
    return in[3];
  }
  return std::nullopt;
}

[[noreturn]] void only_x(const Primitive& p, const char* rule) {
  throw_error(
      "[",
      p.name(),
      "] The ",
      rule,
      " is defined with respect to x only, not the quantized weights, ",
      "scales, biases or indices.");
}

array batch_first(const array& a, int axis, Stream s) {
  return axis > 0 ? moveaxis(a, axis, 0, s) : a;
}

} // namespace

std::vector<array> QuantizedMatmul::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  if (argnums.size() != 1 || argnums[0] != 0) {
    only_x(*this, "jvp");
  }
  return {quantized_matmul(
      tangents[0],
      primals[1],
      primals[2],
      biases_of(primals, params_),
      transpose_,
      params_.group_size,
      params_.bits,
      quantization_mode_to_string(params_.mode),
      stream())};
}

std::vector<array> QuantizedMatmul::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>&) {
  std::vector<array> vjps;
  for (int arg : argnums) {
    if (arg != 0) {
      only_x(*this, "vjp");
    }
    // d/dx (x @ W^T) is g @ W: the same product with transpose flipped.
    vjps.push_back(quantized_matmul(
        cotangents[0],
        primals[1],
        primals[2],
        biases_of(primals, params_),
        !transpose_,
        params_.group_size,
        params_.bits,
        quantization_mode_to_string(params_.mode),
        stream()));
  }
  return vjps;
}

std::pair<std::vector<array>, std::vector<int>> QuantizedMatmul::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  Stream s = stream();
  bool weights_batched = false;
  for (size_t i = 1; i < inputs.size(); ++i) {
    weights_batched |= axes[i] >= 0;
  }
  array x = batch_first(inputs[0], axes[0], s);
  std::vector<array> w(inputs.begin() + 1, inputs.end());
  if (weights_batched) {
    // The weights become a stack over the vmapped axis, aligned with a
    // leading axis of x (size 1 where x is not batched).
    if (axes[0] < 0) {
      x = expand_dims(x, 0, s);
    }
    if (x.ndim() < 3) {
      x = expand_dims(x, 1, s); // a 1-D x per batch entry: one row
    }
    for (size_t i = 0; i < w.size(); ++i) {
      array wi = axes[i + 1] < 0 ? expand_dims(w[i], 0, s)
                                 : batch_first(w[i], axes[i + 1], s);
      // Ones between the vmapped axis and the matrix dims of x.
      while (wi.ndim() < x.ndim()) {
        wi = expand_dims(wi, 1, s);
      }
      w[i] = wi;
    }
  }
  array out = quantized_matmul(
      x,
      w[0],
      w[1],
      params_.mode == QuantizationMode::Affine ? std::optional<array>(w[2])
                                               : std::nullopt,
      transpose_,
      params_.group_size,
      params_.bits,
      quantization_mode_to_string(params_.mode),
      s);
  if (weights_batched && inputs[0].ndim() - (axes[0] >= 0) < 2) {
    out = squeeze(out, 1, s);
  }
  return {{out}, {0}};
}

std::vector<array> GatherQMM::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  if (argnums.size() != 1 || argnums[0] != 0) {
    only_x(*this, "jvp");
  }
  size_t n = primals.size();
  return {gather_qmm(
      tangents[0],
      primals[1],
      primals[2],
      biases_of(primals, params_),
      primals[n - 2],
      primals[n - 1],
      transpose_,
      params_.group_size,
      params_.bits,
      quantization_mode_to_string(params_.mode),
      false,
      stream())};
}

std::vector<array> GatherQMM::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>&) {
  Stream s = stream();
  size_t n = primals.size();
  const array& x = primals[0];
  const array& lhs = primals[n - 2];
  std::vector<array> vjps;
  for (int arg : argnums) {
    if (arg != 0) {
      only_x(*this, "vjp");
    }
    // Each output block i adds g[i] @ W[rhs[i]] to the x matrix lhs[i].
    array gx = gather_qmm(
        cotangents[0],
        primals[1],
        primals[2],
        biases_of(primals, params_),
        std::nullopt,
        primals[n - 1],
        !transpose_,
        params_.group_size,
        params_.bits,
        quantization_mode_to_string(params_.mode),
        false,
        s);
    int M = x.shape(-2), K = x.shape(-1);
    int x_count = static_cast<int>(x.size() / (size_t(M) * K));
    array updates = reshape(gx, {-1, 1, M, K}, s);
    array dx = scatter_add(
        zeros({x_count, M, K}, x.dtype(), s),
        flatten(lhs, s),
        astype(updates, x.dtype(), s),
        0,
        s);
    vjps.push_back(reshape(dx, x.shape(), s));
  }
  return vjps;
}

std::pair<std::vector<array>, std::vector<int>>
GatherQMM::vmap(const std::vector<array>&, const std::vector<int>&) {
  throw_error("[GatherQMM] vmap is not supported (as in MLX).");
}

} // namespace mlx::core
