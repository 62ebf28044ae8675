// compile's tape: tracing a function into it, common-subexpression
// elimination, and replaying it on real inputs.
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <typeinfo>
#include <unordered_map>

#include "mlx/compile_impl.h"
#include "mlx/graph_walk.h"
#include "mlx/ops.h"
#include "mlx/primitives/compiled.h"
#include "mlx/primitives/primitives.h"
#include "mlx/utils.h"

namespace mlx::core::detail {

CompileTape trace_tape(const VectorFn& fun, const std::vector<array>& inputs) {
  CompileTape tape;
  tape.num_inputs = inputs.size();
  Stream stream = to_stream({});
  std::unordered_map<std::uintptr_t, int> value_of;
  std::vector<array> stand_ins;
  for (auto& in : inputs) {
    stand_ins.emplace_back(
        in.shape(),
        in.dtype(),
        std::make_shared<CompileTracer>(stream),
        std::vector<array>{});
    value_of[stand_ins.back().id()] = static_cast<int>(tape.values.size());
    tape.values.push_back({in.shape(), in.dtype(), std::nullopt});
  }
  std::vector<array> outputs = fun(stand_ins);

  // Inputs before users, as eval's tape.
  auto enter = [&](const array& a) {
    if (value_of.count(a.id())) {
      return false;
    }
    if (!a.has_primitive() || a.status() != array::Status::unscheduled) {
      // Data, or data on its way: a constant of the compiled function.
      value_of[a.id()] = static_cast<int>(tape.values.size());
      tape.values.push_back({a.shape(), a.dtype(), a});
      return false;
    }
    return true;
  };
  walk_graph(outputs, enter, [&](const array& a) {
    CompileTape::Node node{a.primitive_ptr(), {}, {}};
    for (auto& in : a.inputs()) {
      node.inputs.push_back(value_of.at(in.id()));
    }
    for (auto& o : a.outputs()) {
      value_of[o.id()] = static_cast<int>(tape.values.size());
      node.outputs.push_back(value_of[o.id()]);
      tape.values.push_back({o.shape(), o.dtype(), std::nullopt});
    }
    tape.nodes.push_back(std::move(node));
  });
  for (auto& out : outputs) {
    tape.outputs.push_back(value_of.at(out.id()));
  }
  return tape;
}

namespace {

// The bytes of an evaluated scalar constant, with its dtype: equal keys
// mean equal constants (NaNs with the same bits merge, 0 and -0 do not).
std::optional<std::string> scalar_key(const array& a) {
  if (a.ndim() != 0 || a.status() != array::Status::available ||
      !a.data_shared_ptr()) {
    return std::nullopt;
  }
  // A GPU result is available once recorded: its bytes once the device
  // has finished.
  if (auto& e = a.event(); e && !e->is_signaled()) {
    e->wait();
  }
  if (auto& e = a.event(); e && e->error()) {
    return std::nullopt;
  }
  std::string key(1, static_cast<char>(a.dtype().val()));
  key.append(a.data<char>(), a.itemsize());
  return key;
}

size_t node_hash(const CompileTape::Node& node) {
  size_t h = typeid(*node.primitive).hash_code();
  for (int in : node.inputs) {
    h ^= std::hash<int>{}(in) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  }
  return h;
}

bool same_computation(
    const CompileTape& tape,
    const CompileTape::Node& a,
    const CompileTape::Node& b) {
  if (a.inputs != b.inputs || a.outputs.size() != b.outputs.size() ||
      typeid(*a.primitive) != typeid(*b.primitive)) {
    return false;
  }
  for (size_t k = 0; k < a.outputs.size(); ++k) {
    auto& va = tape.values[a.outputs[k]];
    auto& vb = tape.values[b.outputs[k]];
    if (va.shape != vb.shape || va.dtype != vb.dtype) {
      return false;
    }
  }
  return a.primitive->is_equivalent(*b.primitive);
}

} // namespace

void simplify_tape(CompileTape& tape) {
  std::vector<int> same_as(tape.values.size());
  for (size_t v = 0; v < same_as.size(); ++v) {
    same_as[v] = static_cast<int>(v);
  }
  std::map<std::string, int> scalars;
  for (size_t v = tape.num_inputs; v < tape.values.size(); ++v) {
    auto& c = tape.values[v].constant;
    if (auto key = c ? scalar_key(*c) : std::nullopt) {
      same_as[v] = scalars.emplace(*key, static_cast<int>(v)).first->second;
    }
  }
  // In tape order, a node's inputs are already merged when it is reached,
  // so one pass merges whole equal subgraphs.
  std::unordered_multimap<size_t, size_t> seen;
  std::vector<CompileTape::Node> kept;
  for (auto& node : tape.nodes) {
    for (auto& in : node.inputs) {
      in = same_as[in];
    }
    size_t h = node_hash(node);
    bool merged = false;
    auto [first, last] = seen.equal_range(h);
    for (auto it = first; it != last && !merged; ++it) {
      auto& other = kept[it->second];
      if (same_computation(tape, other, node)) {
        for (size_t k = 0; k < node.outputs.size(); ++k) {
          same_as[node.outputs[k]] = other.outputs[k];
        }
        merged = true;
      }
    }
    if (!merged) {
      seen.emplace(h, kept.size());
      kept.push_back(std::move(node));
    }
  }
  tape.nodes = std::move(kept);
  for (auto& out : tape.outputs) {
    out = same_as[out];
  }
  // Constants nothing reads any more need not be kept alive.
  std::vector<bool> used(tape.values.size(), false);
  for (auto& node : tape.nodes) {
    for (int in : node.inputs) {
      used[in] = true;
    }
  }
  for (int out : tape.outputs) {
    used[out] = true;
  }
  for (size_t v = tape.num_inputs; v < tape.values.size(); ++v) {
    if (!used[v]) {
      tape.values[v].constant.reset();
    }
  }
}

namespace {

bool is_elementwise(const Primitive& p) {
  return dynamic_cast<const Binary*>(&p) || dynamic_cast<const Select*>(&p);
}

// Output shapes of a node from its inputs' shapes, for the primitives that
// can tell: element-wise ones (and fused regions of them) broadcast their
// inputs. nullopt for all others, or for shapes that do not broadcast.
std::optional<std::vector<Shape>>
infer_shapes(const Primitive& p, const std::vector<Shape>& in_shapes) {
  if (dynamic_cast<const Unary*>(&p) || dynamic_cast<const AsType*>(&p)) {
    return std::vector<Shape>{in_shapes[0]};
  }
  auto* compiled = dynamic_cast<const Compiled*>(&p);
  if (!is_elementwise(p) && !(compiled && compiled->infers_shape())) {
    return std::nullopt;
  }
  Shape shape;
  try {
    for (auto& s : in_shapes) {
      shape = broadcast_shapes(shape, s, "compile");
    }
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
  return std::vector<Shape>{shape};
}

std::vector<Shape>
value_shapes(const CompileTape& tape, const std::vector<int>& values) {
  std::vector<Shape> shapes;
  for (int v : values) {
    shapes.push_back(tape.values[v].shape);
  }
  return shapes;
}

} // namespace

bool tape_infers_shapes(const CompileTape& tape) {
  for (auto& node : tape.nodes) {
    auto shapes =
        infer_shapes(*node.primitive, value_shapes(tape, node.inputs));
    if (!shapes || *shapes != value_shapes(tape, node.outputs)) {
      return false;
    }
  }
  return true;
}

std::optional<std::vector<array>> replay_tape(
    const CompileTape& tape,
    const std::vector<array>& inputs,
    bool infer_shapes_from_inputs) {
  if (inputs.size() != tape.num_inputs) {
    throw_error(
        "[compile] The compiled graph takes ",
        tape.num_inputs,
        " inputs but was given ",
        inputs.size(),
        ".");
  }
  std::vector<std::optional<array>> values(tape.values.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    values[i] = inputs[i];
  }
  for (size_t v = tape.num_inputs; v < tape.values.size(); ++v) {
    values[v] = tape.values[v].constant;
  }
  for (auto& node : tape.nodes) {
    std::vector<array> node_inputs;
    std::vector<Shape> in_shapes;
    for (int in : node.inputs) {
      node_inputs.push_back(*values[in]);
      in_shapes.push_back(node_inputs.back().shape());
    }
    std::vector<Shape> shapes;
    std::vector<Dtype> dtypes;
    for (int out : node.outputs) {
      shapes.push_back(tape.values[out].shape);
      dtypes.push_back(tape.values[out].dtype);
    }
    if (infer_shapes_from_inputs) {
      auto inferred = infer_shapes(*node.primitive, in_shapes);
      if (!inferred) {
        return std::nullopt;
      }
      shapes = std::move(*inferred);
      if (is_elementwise(*node.primitive)) {
        // The unfused kernels take inputs of the output's shape.
        for (auto& in : node_inputs) {
          in = broadcast_to(in, shapes[0], node.primitive->stream());
        }
      }
    }
    if (node.outputs.size() == 1) {
      values[node.outputs[0]] =
          array(shapes[0], dtypes[0], node.primitive, std::move(node_inputs));
    } else {
      auto outs = array::make_arrays(
          std::move(shapes), dtypes, node.primitive, node_inputs);
      for (size_t k = 0; k < outs.size(); ++k) {
        values[node.outputs[k]] = outs[k];
      }
    }
  }
  std::vector<array> outputs;
  for (int out : tape.outputs) {
    outputs.push_back(*values[out]);
  }
  return outputs;
}

} // namespace mlx::core::detail
