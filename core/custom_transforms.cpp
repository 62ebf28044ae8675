// custom_function, custom_vjp and checkpoint: functions whose transforms
// follow rules given by the user.
#include "mlx/ops.h"
#include "mlx/primitives/custom.h"
#include "mlx/transforms.h"
#include "mlx/utils.h"

namespace mlx::core {

std::vector<array>
CustomTransforms::arguments(const std::vector<array>& inputs) const {
  return {inputs.begin(), inputs.end() - num_outputs_};
}

std::vector<array> CustomTransforms::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  auto args = arguments(primals);
  std::vector<array> all;
  if (fun_vjp_) {
    all = (*fun_vjp_)(args, cotangents, outputs);
    if (all.size() != args.size()) {
      throw_error(
          "[custom_function] The vjp rule returned ",
          all.size(),
          " cotangents for a function of ",
          args.size(),
          " arguments.");
    }
  } else {
    all = mlx::core::vjp(fun_, args, cotangents).second;
  }
  std::vector<array> selected;
  for (int i : argnums) {
    // The trailing inputs are behind stop_gradient: never differentiated.
    selected.push_back(all[i]);
  }
  return selected;
}

std::vector<array> CustomTransforms::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  auto args = arguments(primals);
  if (fun_jvp_) {
    return (*fun_jvp_)(args, tangents, argnums);
  }
  // jvp through the function's own graph, zero tangents for the rest.
  std::vector<array> all_tangents;
  for (auto& a : args) {
    all_tangents.push_back(zeros_like(a));
  }
  for (size_t k = 0; k < argnums.size(); ++k) {
    all_tangents[argnums[k]] = tangents[k];
  }
  return mlx::core::jvp(fun_, args, all_tangents).second;
}

std::pair<std::vector<array>, std::vector<int>> CustomTransforms::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  auto args = arguments(inputs);
  std::vector<int> arg_axes(axes.begin(), axes.end() - num_outputs_);
  if (fun_vmap_) {
    return (*fun_vmap_)(args, arg_axes);
  }
  auto outputs = mlx::core::vmap(fun_, arg_axes)(args);
  return {outputs, std::vector<int>(outputs.size(), 0)};
}

VectorFn custom_function(
    VectorFn fun,
    std::optional<CustomVjpFn> fun_vjp,
    std::optional<CustomJvpFn> fun_jvp,
    std::optional<CustomVmapFn> fun_vmap) {
  return [fun, fun_vjp, fun_jvp, fun_vmap](const std::vector<array>& args) {
    auto outputs = fun(args);
    std::vector<array> inputs = args;
    std::vector<Shape> shapes;
    std::vector<Dtype> dtypes;
    for (auto& out : outputs) {
      // The function's own graph stays out of the transforms: they use the
      // rules (or re-trace `fun`).
      inputs.push_back(stop_gradient(out));
      shapes.push_back(out.shape());
      dtypes.push_back(out.dtype());
    }
    return array::make_arrays(
        std::move(shapes),
        dtypes,
        std::make_shared<CustomTransforms>(
            to_stream({}),
            static_cast<int>(outputs.size()),
            fun,
            fun_vjp,
            fun_jvp,
            fun_vmap),
        inputs);
  };
}

VectorFn custom_vjp(VectorFn fun, CustomVjpFn fun_vjp) {
  return custom_function(std::move(fun), std::move(fun_vjp));
}

VectorFn checkpoint(VectorFn fun) {
  // The backward pass differentiates a fresh trace of `fun`, so the
  // forward pass's intermediate values need not be kept for it.
  CustomVjpFn recompute = [fun](
                              const std::vector<array>& primals,
                              const std::vector<array>& cotangents,
                              const std::vector<array>&) {
    return mlx::core::vjp(fun, primals, cotangents).second;
  };
  return custom_function(fun, recompute);
}

} // namespace mlx::core
