// jvp, vjp and vmap rules of the fused primitives. Each fused op has a
// composed form written with ops (the same computation, in the same
// precision); the rules differentiate or vectorize that form, so they are
// differentiable again (grad of grad). Fast paths: RoPE is linear in x (its
// vjp is the opposite rotation, its jvp itself); on the CPU the norms' and
// attention's vjps are one FusedVJP kernel (whose own rules differentiate
// the composed vjp); and a vmap that only batches the main input
// re-applies the fused primitive.
#include "mlx/primitives/fast.h"
#include "mlx/primitives/fast_vjp.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "mlx/dtype.h"
#include "mlx/ops.h"
#include "mlx/primitives/rule_utils.h"
#include "mlx/transforms.h"

namespace mlx::core::fast {

namespace {

using Composed = std::function<array(const std::vector<array>&)>;
using VmapResult = std::pair<std::vector<array>, std::vector<int>>;

// The precision the kernels compute in: float32 for the half types.
Dtype compute_type(Dtype t) {
  return t == float64 ? float64 : float32;
}

// `f` as a function of the inputs in argnums, the others held fixed.
VectorFn partial(
    const VectorFn& f,
    const std::vector<array>& primals,
    const std::vector<int>& argnums) {
  return [f, primals, argnums](const std::vector<array>& args) {
    std::vector<array> all = primals;
    for (size_t k = 0; k < argnums.size(); ++k) {
      all[argnums[k]] = args[k];
    }
    return f(all);
  };
}

VectorFn partial(
    const Composed& f,
    const std::vector<array>& primals,
    const std::vector<int>& argnums) {
  VectorFn g = [f](const std::vector<array>& in) {
    return std::vector<array>{f(in)};
  };
  return partial(g, primals, argnums);
}

std::vector<array>
select(const std::vector<array>& in, const std::vector<int>& argnums) {
  std::vector<array> out;
  for (int a : argnums) {
    out.push_back(in[a]);
  }
  return out;
}

std::vector<array> composed_vjp(
    const Composed& f,
    const std::vector<array>& primals,
    const array& cotangent,
    const std::vector<int>& argnums) {
  return vjp(partial(f, primals, argnums),
             select(primals, argnums),
             {cotangent})
      .second;
}

std::vector<array> composed_jvp(
    const Composed& f,
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return jvp(partial(f, primals, argnums), select(primals, argnums), tangents)
      .second;
}

VmapResult composed_vmap(
    const Composed& f,
    const std::vector<array>& inputs,
    const std::vector<int>& axes) {
  auto fun = [f](const std::vector<array>& in) {
    return std::vector<array>{f(in)};
  };
  return {vmap(fun, axes, {0})(inputs), {0}};
}

// The vjp through FusedVJP's kernel when it covers these argnums on this
// device, else through the composed form.
std::vector<array> fused_vjp(
    std::shared_ptr<Primitive> forward,
    const Composed& f,
    const std::vector<array>& primals,
    const array& cotangent,
    const std::vector<int>& argnums,
    const array& output,
    bool kernel_covers) {
  if (!kernel_covers || forward->device() == Device::gpu) {
    return composed_vjp(f, primals, cotangent, argnums);
  }
  Stream s = forward->stream();
  std::vector<array> inputs = primals;
  inputs.push_back(astype(cotangent, output.dtype(), s));
  inputs.push_back(output);
  std::vector<Shape> shapes;
  std::vector<Dtype> dtypes;
  for (int a : argnums) {
    shapes.push_back(primals[a].shape());
    dtypes.push_back(primals[a].dtype());
  }
  return array::make_arrays(
      std::move(shapes),
      std::move(dtypes),
      std::make_shared<FusedVJP>(s, std::move(forward), argnums),
      std::move(inputs));
}

// rsqrt(mean(centered^2) + eps) * centered over the last axis.
array normalized(const array& centered, float eps, Dtype c, Stream s) {
  array var = mean(square(centered, s), -1, true, s);
  return multiply(centered, rsqrt(add(var, array(eps, c), s), s), s);
}

array rms_norm_composed(const std::vector<array>& in, float eps, Stream s) {
  Dtype t = in[0].dtype();
  Dtype c = compute_type(t);
  array y = astype(normalized(astype(in[0], c, s), eps, c, s), t, s);
  return in.size() > 1 ? multiply(y, in[1], s) : y;
}

array layer_norm_composed(
    const std::vector<array>& in, const LayerNorm& p, Stream s) {
  Dtype t = in[0].dtype();
  Dtype c = compute_type(t);
  array x = astype(in[0], c, s);
  array y = normalized(subtract(x, mean(x, -1, true, s), s), p.eps(), c, s);
  y = astype(y, t, s);
  size_t next = 1;
  if (p.has_weight()) {
    y = multiply(y, in[next++], s);
  }
  return p.has_bias() ? add(y, in[next], s) : y;
}

array rope_composed(const std::vector<array>& in, const RoPE& p, Stream s) {
  Dtype t = in[0].dtype();
  Dtype c = compute_type(t);
  Shape shape = in[0].shape();
  // As (B, N, T, D) in the compute type.
  array x = astype(in[0], c, s);
  x = x.ndim() == 3 ? expand_dims(x, 1, s) : flatten(x, 1, x.ndim() - 3, s);
  int b = x.shape(0), n = x.shape(1), len = x.shape(2);
  int dims = p.dims(), half = dims / 2;
  array offset = astype(in[1], c, s);
  offset = offset.size() > 1 ? reshape(offset, {b, 1, 1}, s)
                             : reshape(offset, {1}, s);
  array positions = multiply(
      add(arange(0.0, double(len), c, s), offset, s), array(p.scale(), c), s);
  array inv_freq = in.size() > 2
                       ? reciprocal(in[2], s)
                       : exp(multiply(
                                 arange(0.0, double(-half), -1.0, c, s),
                                 array(std::log(double(p.base())) / half, c),
                                 s),
                             s);
  array theta = multiply(expand_dims(positions, -1, s), inv_freq, s);
  array cos_t = cos(theta, s);
  array sin_t = sin(theta, s);
  if (!p.forward()) {
    sin_t = negative(sin_t, s);
  }
  // The two halves of each rotated pair.
  Shape start = {0, 0, 0, 0};
  Shape stop = {b, n, len, dims};
  Shape step = {1, 1, 1, p.traditional() ? 2 : 1};
  array x1 = p.traditional() ? slice(x, start, stop, step, s)
                             : slice(x, start, {b, n, len, half}, s);
  array x2 = p.traditional() ? slice(x, {0, 0, 0, 1}, stop, step, s)
                             : slice(x, {0, 0, 0, half}, stop, s);
  array y1 = subtract(multiply(x1, cos_t, s), multiply(x2, sin_t, s), s);
  array y2 = add(multiply(x1, sin_t, s), multiply(x2, cos_t, s), s);
  array y =
      p.traditional()
          ? reshape(
                concatenate(
                    {expand_dims(y1, -1, s), expand_dims(y2, -1, s)}, -1, s),
                {b, n, len, dims},
                s)
          : concatenate({y1, y2}, -1, s);
  if (dims < x.shape(3)) {
    y = concatenate({y, slice(x, {0, 0, 0, dims}, x.shape(), s)}, -1, s);
  }
  return astype(reshape(y, shape, s), t, s);
}

array sdpa_composed(
    const std::vector<array>& in,
    const ScaledDotProductAttention& p,
    Stream s) {
  Dtype t = in[0].dtype();
  Dtype c = compute_type(t);
  array q = multiply(astype(in[0], c, s), array(p.scale(), c), s);
  array k = astype(in[1], c, s);
  array v = astype(in[2], c, s);
  int q_heads = q.shape(1), kv_heads = k.shape(1);
  int group = q_heads / kv_heads;
  // Grouped queries: [B, N_kv, group, T_q, D] against [B, N_kv, 1, T, D].
  auto grouped = [&](const array& a) {
    return group > 1 ? unflatten(a, 1, {kv_heads, group}, s) : a;
  };
  q = grouped(q);
  if (group > 1) {
    k = expand_dims(k, 2, s);
    v = expand_dims(v, 2, s);
  }
  array scores = matmul(q, swapaxes(k, -1, -2, s), s);
  array lowest(finfo(c).min, c);
  if (p.causal()) {
    int q_len = q.shape(-2), kv_len = k.shape(-2);
    array q_pos = arange(kv_len - q_len, kv_len, s);
    array visible = greater_equal(
        expand_dims(q_pos, 1, s), expand_dims(arange(0, kv_len, s), 0, s), s);
    scores = where(visible, scores, lowest, s);
  }
  if (p.has_mask()) {
    array mask = grouped(in[3]);
    scores = mask.dtype() == bool_ ? where(mask, scores, lowest, s)
                                   : add(scores, astype(mask, c, s), s);
  }
  if (p.has_sinks()) {
    // The sink logit as an extra first column, dropped after the softmax.
    array sink =
        grouped(reshape(astype(in.back(), c, s), {1, q_heads, 1, 1}, s));
    Shape column = scores.shape();
    column.back() = 1;
    scores = concatenate({broadcast_to(sink, column, s), scores}, -1, s);
  }
  array weights = softmax(scores, -1, true, s);
  if (p.has_sinks()) {
    Shape start(weights.ndim(), 0);
    start.back() = 1;
    weights = slice(weights, start, weights.shape(), s);
  }
  array out = matmul(weights, v, s);
  return astype(group > 1 ? flatten(out, 1, 2, s) : out, t, s);
}

array apply_rope(const RoPE& p, std::vector<array> inputs, bool forward) {
  Shape shape = inputs[0].shape();
  Dtype t = inputs[0].dtype();
  return array(
      std::move(shape),
      t,
      std::make_shared<RoPE>(
          p.stream(), p.dims(), p.traditional(), p.base(), p.scale(), forward),
      std::move(inputs));
}

// A norm's vmap when only x is batched: the fused op normalizes the last
// axis, so x keeps its batch axis unless that is the last one.
VmapResult norm_vmap(
    std::vector<array> inputs,
    const std::vector<int>& axes,
    const std::shared_ptr<Primitive>& prim) {
  int axis = axes[0];
  if (axis == static_cast<int>(inputs[0].ndim()) - 1) {
    inputs[0] = moveaxis(inputs[0], axis, 0, prim->stream());
    axis = 0;
  }
  Shape shape = inputs[0].shape();
  Dtype t = inputs[0].dtype();
  return {{array(std::move(shape), t, prim, std::move(inputs))}, {axis}};
}

bool only_first_batched(const std::vector<int>& axes) {
  for (size_t i = 1; i < axes.size(); ++i) {
    if (axes[i] >= 0) {
      return false;
    }
  }
  return axes[0] >= 0;
}

} // namespace

// RMSNorm

std::vector<array> RMSNorm::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  auto f = [eps = eps_, s = stream()](const std::vector<array>& in) {
    return rms_norm_composed(in, eps, s);
  };
  return composed_jvp(f, primals, tangents, argnums);
}

std::vector<array> RMSNorm::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  auto f = [eps = eps_, s = stream()](const std::vector<array>& in) {
    return rms_norm_composed(in, eps, s);
  };
  return fused_vjp(
      std::make_shared<RMSNorm>(stream(), eps_),
      f,
      primals,
      cotangents[0],
      argnums,
      outputs[0],
      true);
}

VmapResult
RMSNorm::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  if (only_first_batched(axes)) {
    return norm_vmap(inputs, axes, std::make_shared<RMSNorm>(stream(), eps_));
  }
  auto f = [eps = eps_, s = stream()](const std::vector<array>& in) {
    return rms_norm_composed(in, eps, s);
  };
  return composed_vmap(f, inputs, axes);
}

// LayerNorm

std::vector<array> LayerNorm::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  auto f = [this](const std::vector<array>& in) {
    return layer_norm_composed(in, *this, stream());
  };
  return composed_jvp(f, primals, tangents, argnums);
}

std::vector<array> LayerNorm::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  auto f = [this](const std::vector<array>& in) {
    return layer_norm_composed(in, *this, stream());
  };
  return fused_vjp(
      std::make_shared<LayerNorm>(stream(), eps_, has_weight_, has_bias_),
      f,
      primals,
      cotangents[0],
      argnums,
      outputs[0],
      true);
}

VmapResult LayerNorm::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  if (only_first_batched(axes)) {
    return norm_vmap(
        inputs,
        axes,
        std::make_shared<LayerNorm>(stream(), eps_, has_weight_, has_bias_));
  }
  auto f = [this](const std::vector<array>& in) {
    return layer_norm_composed(in, *this, stream());
  };
  return composed_vmap(f, inputs, axes);
}

// RoPE

std::vector<array> RoPE::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  if (argnums.size() == 1 && argnums[0] == 0) {
    std::vector<array> inputs = primals;
    inputs[0] = tangents[0];
    return {apply_rope(*this, std::move(inputs), forward_)};
  }
  auto f = [this](const std::vector<array>& in) {
    return rope_composed(in, *this, stream());
  };
  return composed_jvp(f, primals, tangents, argnums);
}

std::vector<array> RoPE::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  if (argnums.size() == 1 && argnums[0] == 0) {
    // A rotation's transpose is the opposite rotation.
    std::vector<array> inputs = primals;
    inputs[0] = cotangents[0];
    return {apply_rope(*this, std::move(inputs), !forward_)};
  }
  auto f = [this](const std::vector<array>& in) {
    return rope_composed(in, *this, stream());
  };
  return composed_vjp(f, primals, cotangents[0], argnums);
}

VmapResult
RoPE::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  if (only_first_batched(axes)) {
    // The batch axis joins the middle (head) axes; with one offset per
    // batch element it must stay behind the first axis.
    int target = inputs[1].size() > 1 ? 1 : 0;
    std::vector<array> in = inputs;
    in[0] = moveaxis(in[0], axes[0], target, stream());
    return {{apply_rope(*this, std::move(in), forward_)}, {target}};
  }
  auto f = [this](const std::vector<array>& in) {
    return rope_composed(in, *this, stream());
  };
  return composed_vmap(f, inputs, axes);
}

// ScaledDotProductAttention

std::vector<array> ScaledDotProductAttention::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  auto f = [this](const std::vector<array>& in) {
    return sdpa_composed(in, *this, stream());
  };
  return composed_jvp(f, primals, tangents, argnums);
}

std::vector<array> ScaledDotProductAttention::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  auto f = [this](const std::vector<array>& in) {
    return sdpa_composed(in, *this, stream());
  };
  // The kernel gives q, k and v gradients (not the mask's or the sinks').
  bool covers =
      std::all_of(argnums.begin(), argnums.end(), [](int a) { return a < 3; });
  return fused_vjp(
      std::make_shared<ScaledDotProductAttention>(
          stream(), scale_, causal_, has_mask_, has_sinks_),
      f,
      primals,
      cotangents[0],
      argnums,
      outputs[0],
      covers);
}

VmapResult ScaledDotProductAttention::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  Stream s = stream();
  if (has_sinks_ && axes.back() >= 0) {
    auto f = [this](const std::vector<array>& in) {
      return sdpa_composed(in, *this, stream());
    };
    return composed_vmap(f, inputs, axes);
  }
  // The vmapped axis joins the batch axis: [V, B, ...] -> [V * B, ...].
  int vmapped = detail::batch_size(inputs, axes);
  std::vector<array> in = inputs;
  size_t merged = in.size() - (has_sinks_ ? 1 : 0);
  for (size_t i = 0; i < merged; ++i) {
    in[i] =
        flatten(detail::batch_first(in[i], axes[i], vmapped, true, s), 0, 1, s);
  }
  Shape shape = {
      in[0].shape(0), in[0].shape(1), in[0].shape(2), in[2].shape(3)};
  Dtype t = in[0].dtype();
  array out(
      std::move(shape),
      t,
      std::make_shared<ScaledDotProductAttention>(
          s, scale_, causal_, has_mask_, has_sinks_),
      std::move(in));
  return {{unflatten(out, 0, {vmapped, -1}, s)}, {0}};
}

// FusedVJP

namespace {

// FusedVJP's computation with ops: the composed vjp of its forward, as a
// function of (forward inputs..., cotangent, output); the output is not
// used (its gradient is zero).
VectorFn fused_vjp_composed(const FusedVJP& p) {
  return [&p](const std::vector<array>& in) {
    size_t n = in.size() - 2;
    std::vector<array> primals(in.begin(), in.begin() + n);
    const Primitive& forward = p.forward();
    auto f = [&forward](const std::vector<array>& x) {
      return composed(forward, x);
    };
    return composed_vjp(f, primals, in[n], p.argnums());
  };
}

} // namespace

std::vector<array> FusedVJP::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  return mlx::core::jvp(
             partial(fused_vjp_composed(*this), primals, argnums),
             select(primals, argnums),
             tangents)
      .second;
}

std::vector<array> FusedVJP::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return mlx::core::vjp(
             partial(fused_vjp_composed(*this), primals, argnums),
             select(primals, argnums),
             cotangents)
      .second;
}

VmapResult
FusedVJP::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  std::vector<int> out_axes(argnums_.size(), 0);
  return {
      mlx::core::vmap(fused_vjp_composed(*this), axes, out_axes)(inputs),
      out_axes};
}

array composed(const Primitive& p, const std::vector<array>& in) {
  Stream s = p.stream();
  if (auto* n = dynamic_cast<const RMSNorm*>(&p)) {
    return rms_norm_composed(in, n->eps(), s);
  }
  if (auto* n = dynamic_cast<const LayerNorm*>(&p)) {
    return layer_norm_composed(in, *n, s);
  }
  if (auto* r = dynamic_cast<const RoPE*>(&p)) {
    return rope_composed(in, *r, s);
  }
  if (auto* a = dynamic_cast<const ScaledDotProductAttention*>(&p)) {
    return sdpa_composed(in, *a, s);
  }
  throw std::invalid_argument(
      std::string("[fast::composed] No composed form for ") + p.name() + ".");
}

} // namespace mlx::core::fast
