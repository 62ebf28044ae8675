// Reverse and forward mode differentiation: vjp, jvp, grad, value_and_grad.
#include <algorithm>
#include <sstream>
#include <unordered_map>

#include "mlx/graph_walk.h"
#include "mlx/ops.h"
#include "mlx/primitives/primitives.h"
#include "mlx/transforms.h"
#include "mlx/transforms_impl.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace detail {

std::vector<array> dependent_tape(
    const std::vector<array>& outputs,
    const IdSet& roots,
    bool through_stop_gradient) {
  std::vector<array> tape;
  IdSet dependent = roots;
  walk_graph(
      outputs,
      [&roots](const array& a) {
        return !roots.count(a.id()) && a.has_primitive();
      },
      [&](array a) {
        bool depends = std::any_of(
            a.inputs().begin(), a.inputs().end(), [&](const array& in) {
              return dependent.count(in.id()) > 0;
            });
        if (depends && (through_stop_gradient ||
                        !dynamic_cast<StopGradient*>(&a.primitive()))) {
          for (auto& o : a.outputs()) {
            dependent.insert(o.id());
          }
          tape.push_back(std::move(a));
        }
      });
  return tape;
}

array make_tracer(const array& a) {
  Stream s = a.has_primitive() ? a.primitive().stream() : to_stream({});
  // A broadcast to its own shape is a view: free to evaluate.
  array tracer(
      a.shape(), a.dtype(), std::make_shared<Broadcast>(s, a.shape()), {a});
  tracer.set_tracer(true);
  return tracer;
}

std::vector<int>
checked_argnums(const char* op, std::vector<int> argnums, size_t num_args) {
  if (argnums.empty()) {
    throw_error("[", op, "] argnums must name at least one argument.");
  }
  std::sort(argnums.begin(), argnums.end());
  for (size_t i = 0; i < argnums.size(); ++i) {
    if (argnums[i] < 0 || argnums[i] >= static_cast<int>(num_args)) {
      throw_error(
          "[",
          op,
          "] Invalid argument number ",
          argnums[i],
          " for a function of ",
          num_args,
          " arguments.");
    }
    if (i > 0 && argnums[i] == argnums[i - 1]) {
      throw_error("[", op, "] argnums repeats argument ", argnums[i], ".");
    }
  }
  return argnums;
}

std::pair<std::vector<array>, std::vector<array>>
vjp(const VectorFn& fun,
    const std::vector<array>& primals,
    const CotangentsFn& make_cotangents,
    const std::vector<int>& argnums) {
  InTracing tracing;
  std::vector<array> tracers;
  IdSet roots;
  for (auto& p : primals) {
    tracers.push_back(make_tracer(p));
    roots.insert(tracers.back().id());
  }
  std::vector<array> outputs = fun(tracers);
  std::vector<array> cotangents = make_cotangents(outputs);
  std::unordered_map<std::uintptr_t, array> cotangent_of;
  auto accumulate = [&cotangent_of](const array& a, array c) {
    auto [it, inserted] = cotangent_of.try_emplace(a.id(), c);
    if (!inserted) {
      it->second = add(it->second, c);
    }
  };
  std::vector<array> differentiated(
      outputs.begin(), outputs.begin() + cotangents.size());
  for (size_t i = 0; i < cotangents.size(); ++i) {
    if (cotangents[i].shape() != outputs[i].shape()) {
      throw_error(
          "[vjp] Cotangent ",
          i,
          " has shape ",
          cotangents[i].shape(),
          " but output ",
          i,
          " has shape ",
          outputs[i].shape(),
          ".");
    }
    accumulate(outputs[i], cotangents[i]);
  }

  auto tape = dependent_tape(differentiated, roots);
  IdSet dependent = roots;
  for (auto& a : tape) {
    for (auto& o : a.outputs()) {
      dependent.insert(o.id());
    }
  }
  for (auto it = tape.rbegin(); it != tape.rend(); ++it) {
    auto& a = *it;
    auto node_outputs = a.outputs();
    std::vector<array> node_cotangents;
    bool any = false;
    for (auto& o : node_outputs) {
      auto found = cotangent_of.find(o.id());
      if (found != cotangent_of.end()) {
        node_cotangents.push_back(found->second);
        cotangent_of.erase(found);
        any = true;
      } else {
        node_cotangents.push_back(zeros_like(o));
      }
    }
    // Integer and boolean values carry no gradient.
    bool inexact_output = std::any_of(
        node_outputs.begin(), node_outputs.end(), [](const array& o) {
          return issubdtype(o.dtype(), inexact);
        });
    if (!any || !inexact_output) {
      continue;
    }
    // Integer and boolean inputs get no cotangent.
    std::vector<int> input_argnums;
    for (size_t i = 0; i < a.inputs().size(); ++i) {
      auto& in = a.inputs()[i];
      if (dependent.count(in.id()) && issubdtype(in.dtype(), inexact)) {
        input_argnums.push_back(static_cast<int>(i));
      }
    }
    if (input_argnums.empty()) {
      continue;
    }
    auto input_cotangents = a.primitive().vjp(
        a.inputs(), node_cotangents, input_argnums, node_outputs);
    for (size_t k = 0; k < input_argnums.size(); ++k) {
      accumulate(a.inputs()[input_argnums[k]], input_cotangents[k]);
    }
  }

  std::vector<array> gradients;
  for (int i : argnums) {
    auto found = cotangent_of.find(tracers[i].id());
    gradients.push_back(
        found != cotangent_of.end() ? found->second : zeros_like(primals[i]));
  }
  return {std::move(outputs), std::move(gradients)};
}

} // namespace detail

std::pair<std::vector<array>, std::vector<array>>
vjp(const VectorFn& fun,
    const std::vector<array>& primals,
    const std::vector<array>& cotangents) {
  std::vector<int> all(primals.size());
  for (size_t i = 0; i < all.size(); ++i) {
    all[i] = static_cast<int>(i);
  }
  auto given = [&cotangents](const std::vector<array>& outs) {
    if (outs.size() != cotangents.size()) {
      throw_error(
          "[vjp] Got ",
          cotangents.size(),
          " cotangents for a function with ",
          outs.size(),
          " outputs.");
    }
    return cotangents;
  };
  return detail::vjp(fun, primals, given, all);
}

std::pair<array, array>
vjp(const std::function<array(const array&)>& fun,
    const array& primal,
    const array& cotangent) {
  auto [outs, vjps] = vjp(
      [&fun](const std::vector<array>& args) {
        return std::vector<array>{fun(args[0])};
      },
      {primal},
      {cotangent});
  return {outs[0], vjps[0]};
}

std::pair<std::vector<array>, std::vector<array>>
jvp(const VectorFn& fun,
    const std::vector<array>& primals,
    const std::vector<array>& tangents) {
  if (primals.size() != tangents.size()) {
    throw_error(
        "[jvp] Got ",
        tangents.size(),
        " tangents for ",
        primals.size(),
        " primals.");
  }
  for (size_t i = 0; i < primals.size(); ++i) {
    if (primals[i].shape() != tangents[i].shape()) {
      throw_error(
          "[jvp] Tangent ",
          i,
          " has shape ",
          tangents[i].shape(),
          " but primal ",
          i,
          " has shape ",
          primals[i].shape(),
          ".");
    }
  }
  detail::InTracing tracing;
  std::unordered_map<std::uintptr_t, array> tangent_of;
  detail::IdSet roots;
  std::vector<array> tracers;
  for (size_t i = 0; i < primals.size(); ++i) {
    tracers.push_back(detail::make_tracer(primals[i]));
    roots.insert(tracers.back().id());
    tangent_of.emplace(tracers.back().id(), tangents[i]);
  }
  auto outputs = fun(tracers);
  for (auto& a : detail::dependent_tape(outputs, roots)) {
    auto node_outputs = a.outputs();
    std::vector<int> input_argnums;
    std::vector<array> input_tangents;
    for (size_t i = 0; i < a.inputs().size(); ++i) {
      auto found = tangent_of.find(a.inputs()[i].id());
      if (found != tangent_of.end()) {
        input_argnums.push_back(static_cast<int>(i));
        input_tangents.push_back(found->second);
      }
    }
    bool inexact_output = std::any_of(
        node_outputs.begin(), node_outputs.end(), [](const array& o) {
          return issubdtype(o.dtype(), inexact);
        });
    if (!inexact_output || input_argnums.empty()) {
      continue; // integer and boolean values carry no tangent
    }
    auto output_tangents =
        a.primitive().jvp(a.inputs(), input_tangents, input_argnums);
    for (size_t k = 0; k < node_outputs.size(); ++k) {
      tangent_of.emplace(node_outputs[k].id(), output_tangents[k]);
    }
  }
  std::vector<array> output_tangents;
  for (auto& o : outputs) {
    auto found = tangent_of.find(o.id());
    output_tangents.push_back(
        found != tangent_of.end() ? found->second : zeros_like(o));
  }
  return {std::move(outputs), std::move(output_tangents)};
}

std::pair<array, array>
jvp(const std::function<array(const array&)>& fun,
    const array& primal,
    const array& tangent) {
  auto [outs, jvps] = jvp(
      [&fun](const std::vector<array>& args) {
        return std::vector<array>{fun(args[0])};
      },
      {primal},
      {tangent});
  return {outs[0], jvps[0]};
}

ValueAndGradFn
value_and_grad(const VectorFn& fun, const std::vector<int>& argnums) {
  return [fun, argnums](const std::vector<array>& args) {
    auto sorted = detail::checked_argnums("grad", argnums, args.size());
    auto seed = [](const std::vector<array>& outs) {
      if (outs.empty() || outs[0].size() != 1 ||
          !issubdtype(outs[0].dtype(), inexact)) {
        std::ostringstream got;
        if (outs.empty()) {
          got << "no outputs";
        } else {
          got << "shape " << outs[0].shape() << " and dtype "
              << outs[0].dtype();
        }
        throw_error(
            "[grad] The function must return a floating-point scalar "
            "(as its first output), got ",
            got.str(),
            ".");
      }
      return std::vector<array>{ones_like(outs[0])};
    };
    return detail::vjp(fun, args, seed, sorted);
  };
}

ValueAndGradFn value_and_grad(const VectorFn& fun, int argnum) {
  return value_and_grad(fun, std::vector<int>{argnum});
}

SimpleValueAndGradFn value_and_grad(
    const std::function<array(const std::vector<array>&)>& fun,
    const std::vector<int>& argnums) {
  auto vg = value_and_grad(
      [fun](const std::vector<array>& args) {
        return std::vector<array>{fun(args)};
      },
      argnums);
  return [vg](const std::vector<array>& args) {
    auto [values, grads] = vg(args);
    return std::make_pair(values[0], std::move(grads));
  };
}

SimpleValueAndGradFn value_and_grad(
    const std::function<array(const std::vector<array>&)>& fun, int argnum) {
  return value_and_grad(fun, std::vector<int>{argnum});
}

std::function<std::pair<array, array>(const array&)>
value_and_grad(const std::function<array(const array&)>& fun) {
  auto vg = value_and_grad(
      [fun](const std::vector<array>& args) { return fun(args[0]); }, 0);
  return [vg](const array& x) {
    auto [value, grads] = vg({x});
    return std::make_pair(value, grads[0]);
  };
}

std::function<std::vector<array>(const std::vector<array>&)> grad(
    const std::function<array(const std::vector<array>&)>& fun,
    const std::vector<int>& argnums) {
  auto vg = value_and_grad(fun, argnums);
  return [vg](const std::vector<array>& args) { return vg(args).second; };
}

std::function<std::vector<array>(const std::vector<array>&)>
grad(const std::function<array(const std::vector<array>&)>& fun, int argnum) {
  return grad(fun, std::vector<int>{argnum});
}

std::function<array(const array&)>
grad(const std::function<array(const array&)>& fun) {
  auto vg = value_and_grad(fun);
  return [vg](const array& x) { return vg(x).second; };
}

} // namespace mlx::core
