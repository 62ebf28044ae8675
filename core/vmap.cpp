// vmap: trace the function on one slice of the batch, then rebuild the
// traced graph with each primitive's batched rule.
#include <unordered_map>

#include "mlx/ops.h"
#include "mlx/primitives/custom.h"
#include "mlx/transforms.h"
#include "mlx/transforms_impl.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

// The batch size of the inputs, after checking their axes.
int checked_batch_size(
    const std::vector<array>& inputs, const std::vector<int>& in_axes) {
  if (in_axes.size() != inputs.size()) {
    throw_error(
        "[vmap] Got ",
        in_axes.size(),
        " input axes for ",
        inputs.size(),
        " inputs.");
  }
  int batch_size = -1;
  for (size_t i = 0; i < inputs.size(); ++i) {
    int axis = in_axes[i];
    if (axis == -1) {
      continue;
    }
    if (axis < 0 || axis >= static_cast<int>(inputs[i].ndim())) {
      throw_error(
          "[vmap] Input axis ",
          axis,
          " is out of bounds for input ",
          i,
          " with shape ",
          inputs[i].shape(),
          " (use -1 for an input that is not batched).");
    }
    int size = inputs[i].shape(axis);
    if (batch_size >= 0 && size != batch_size) {
      throw_error(
          "[vmap] Inconsistent batch sizes: input ",
          i,
          " has ",
          size,
          " along axis ",
          axis,
          ", an earlier input has ",
          batch_size,
          ".");
    }
    batch_size = size;
  }
  if (batch_size < 0) {
    throw_error("[vmap] At least one input must be batched (an axis != -1).");
  }
  return batch_size;
}

// `out` with its batch axis (or a new broadcast one) at `out_axis`.
array place_batch_axis(
    const array& out, int axis, int out_axis, int batch_size, size_t index) {
  int unbatched_ndim = static_cast<int>(out.ndim()) - (axis >= 0 ? 1 : 0);
  if (out_axis < 0 || out_axis > unbatched_ndim) {
    throw_error(
        "[vmap] Output axis ",
        out_axis,
        " is out of bounds for output ",
        index,
        " with ",
        unbatched_ndim,
        " dimensions.");
  }
  if (axis >= 0) {
    return axis == out_axis ? out : moveaxis(out, axis, out_axis);
  }
  // The output does not depend on the batched inputs: repeat it.
  array expanded = expand_dims(out, out_axis);
  Shape shape = expanded.shape();
  shape[out_axis] = batch_size;
  return broadcast_to(expanded, shape);
}

} // namespace

std::function<std::vector<array>(const std::vector<array>&)> vmap(
    const VectorFn& fun,
    const std::vector<int>& in_axes,
    const std::vector<int>& out_axes) {
  return [fun, in_axes, out_axes](const std::vector<array>& inputs) {
    std::vector<int> axes =
        in_axes.empty() ? std::vector<int>(inputs.size(), 0) : in_axes;
    int batch_size = checked_batch_size(inputs, axes);

    // One slice of each batched input, as a value-less stand-in.
    std::unordered_map<std::uintptr_t, std::pair<array, int>> batched;
    detail::IdSet roots;
    std::vector<array> slices;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (axes[i] == -1) {
        slices.push_back(inputs[i]);
        continue;
      }
      Shape shape = inputs[i].shape();
      shape.erase(shape.begin() + axes[i]);
      Stream s = inputs[i].has_primitive() ? inputs[i].primitive().stream()
                                           : to_stream({});
      array slice(
          std::move(shape),
          inputs[i].dtype(),
          std::make_shared<VmapTracer>(s),
          {});
      roots.insert(slice.id());
      batched.emplace(slice.id(), std::make_pair(inputs[i], axes[i]));
      slices.push_back(std::move(slice));
    }

    auto outputs = fun(slices);
    std::vector<int> out_axes_ =
        out_axes.empty() ? std::vector<int>(outputs.size(), 0) : out_axes;
    if (out_axes_.size() != outputs.size()) {
      throw_error(
          "[vmap] Got ",
          out_axes_.size(),
          " output axes for ",
          outputs.size(),
          " outputs.");
    }

    for (auto& node : detail::dependent_tape(outputs, roots, true)) {
      std::vector<array> node_inputs;
      std::vector<int> node_axes;
      for (auto& in : node.inputs()) {
        auto found = batched.find(in.id());
        if (found != batched.end()) {
          node_inputs.push_back(found->second.first);
          node_axes.push_back(found->second.second);
        } else {
          node_inputs.push_back(in);
          node_axes.push_back(-1);
        }
      }
      auto [outs, outs_axes] = node.primitive().vmap(node_inputs, node_axes);
      auto node_outputs = node.outputs();
      for (size_t k = 0; k < node_outputs.size(); ++k) {
        batched.emplace(
            node_outputs[k].id(), std::make_pair(outs[k], outs_axes[k]));
      }
    }

    std::vector<array> results;
    for (size_t i = 0; i < outputs.size(); ++i) {
      auto found = batched.find(outputs[i].id());
      if (found != batched.end()) {
        results.push_back(place_batch_axis(
            found->second.first,
            found->second.second,
            out_axes_[i],
            batch_size,
            i));
      } else {
        results.push_back(
            place_batch_axis(outputs[i], -1, out_axes_[i], batch_size, i));
      }
    }
    return results;
  };
}

std::function<array(const array&)>
vmap(const std::function<array(const array&)>& fun, int in_axis, int out_axis) {
  auto vfun = vmap(
      [fun](const std::vector<array>& args) {
        return std::vector<array>{fun(args[0])};
      },
      {in_axis},
      {out_axis});
  return [vfun](const array& x) { return vfun({x})[0]; };
}

std::function<array(const array&, const array&)> vmap(
    const std::function<array(const array&, const array&)>& fun,
    int in_axis_a,
    int in_axis_b,
    int out_axis) {
  auto vfun = vmap(
      [fun](const std::vector<array>& args) {
        return std::vector<array>{fun(args[0], args[1])};
      },
      {in_axis_a, in_axis_b},
      {out_axis});
  return [vfun](const array& a, const array& b) { return vfun({a, b})[0]; };
}

} // namespace mlx::core
