// Compiled: description, equivalence and transform rules. The rules re-expand
// the fused region into its original primitives and apply their rules;
// vmap instead batches the fused kernel itself (every step is element-wise).
#include "mlx/primitives/compiled.h"

#include <stdexcept>

#include "mlx/ops.h"
#include "mlx/transforms.h"
#include "mlx/transforms_impl.h"
#include "mlx/utils.h"

namespace mlx::core {

void Compiled::print(std::ostream& os) const {
  os << name() << "(";
  bool first = true;
  for (auto& step : steps_) {
    if (step.kind == FusedStep::Kind::broadcast) {
      continue;
    }
    os << (first ? "" : ", ") << step.primitive->name();
    first = false;
  }
  os << ")";
}

bool Compiled::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Compiled*>(&other);
  if (!o || o->num_inputs_ != num_inputs_ ||
      o->steps_.size() != steps_.size()) {
    return false;
  }
  for (size_t i = 0; i < steps_.size(); ++i) {
    auto& a = steps_[i];
    auto& b = o->steps_[i];
    if (a.args != b.args || a.dtype != b.dtype) {
      return false;
    }
    // Broadcast targets follow the output shape (compared by the caller).
    if (a.kind != FusedStep::Kind::broadcast &&
        !a.primitive->is_equivalent(*b.primitive)) {
      return false;
    }
  }
  return true;
}

Shape Compiled::output_shape(const std::vector<array>& inputs) const {
  if (!infers_shape_) {
    return shape_;
  }
  Shape shape;
  for (auto& in : inputs) {
    shape = broadcast_shapes(shape, in.shape(), "compile");
  }
  return shape;
}

array Compiled::expand(const std::vector<array>& inputs) const {
  if (static_cast<int>(inputs.size()) != num_inputs_) {
    throw_error(
        "[compile] A fused region of ",
        num_inputs_,
        " inputs was given ",
        inputs.size(),
        ".");
  }
  Shape shape = output_shape(inputs);
  std::vector<array> values = inputs;
  for (auto& step : steps_) {
    if (step.kind == FusedStep::Kind::broadcast) {
      values.push_back(broadcast_to(values[step.args[0]], shape, stream()));
      continue;
    }
    std::vector<array> args;
    for (int v : step.args) {
      // Direct inputs may broadcast when a shapeless compile reuses the
      // region for other shapes; the primitives need equal shapes.
      args.push_back(broadcast_to(values[v], shape, stream()));
    }
    values.emplace_back(shape, step.dtype, step.primitive, std::move(args));
  }
  return values.back();
}

std::vector<array> Compiled::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>&) {
  auto fun = [this](const std::vector<array>& xs) {
    return std::vector<array>{expand(xs)};
  };
  return detail::vjp(
             fun,
             primals,
             [&cotangents](const std::vector<array>&) { return cotangents; },
             argnums)
      .second;
}

std::vector<array> Compiled::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  auto fun = [this](const std::vector<array>& xs) {
    return std::vector<array>{expand(xs)};
  };
  std::vector<array> all_tangents;
  for (auto& p : primals) {
    all_tangents.push_back(zeros_like(p, stream()));
  }
  for (size_t k = 0; k < argnums.size(); ++k) {
    all_tangents[argnums[k]] = tangents[k];
  }
  return mlx::core::jvp(fun, primals, all_tangents).second;
}

std::pair<std::vector<array>, std::vector<int>>
Compiled::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  // Every step is element-wise: the batched region is the same region over
  // the batch axis (moved to the front) and the unbatched shape, with each
  // input aligned to it from the right.
  Shape unbatched;
  int batch = 1;
  for (size_t i = 0; i < inputs.size(); ++i) {
    Shape s = inputs[i].shape();
    if (axes[i] >= 0) {
      batch = s[axes[i]];
      s.erase(s.begin() + axes[i]);
    }
    unbatched = broadcast_shapes(unbatched, s, "compile");
  }
  if (!infers_shape_) {
    unbatched = shape_;
  }
  std::vector<array> batched_inputs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (axes[i] < 0) {
      batched_inputs.push_back(inputs[i]);
      continue;
    }
    array x = moveaxis(inputs[i], axes[i], 0, stream());
    // Leading ones keep the batch axis in front of the aligned dims.
    Shape s = x.shape();
    s.insert(s.begin() + 1, unbatched.size() + 1 - s.size(), 1);
    batched_inputs.push_back(reshape(x, s, stream()));
  }
  Shape out_shape = unbatched;
  out_shape.insert(out_shape.begin(), batch);
  auto primitive = std::make_shared<Compiled>(
      stream(), num_inputs_, steps_, out_shape, infers_shape_);
  array out(out_shape, steps_.back().dtype, primitive, batched_inputs);
  return {{out}, {0}};
}

void CompileTracer::eval_cpu(const std::vector<array>&, array&) {
  throw std::invalid_argument(
      "[compile] Cannot evaluate an array that depends on the inputs of a "
      "function while compile traces it (eval, item or printing inside the "
      "compiled function).");
}

void CompileTracer::eval_gpu(const std::vector<array>& inputs, array& out) {
  eval_cpu(inputs, out);
}

} // namespace mlx::core
