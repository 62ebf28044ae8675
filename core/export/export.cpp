// export_function, exporter and import_function: tracing a function into
// a table of traces (or reporting each trace to a callback) (compile's tape,
// neither simplified nor fused, so the imported function runs exactly the
// primitives the function ran), and calling an imported function on the trace
// that matches its inputs.
#include <algorithm>
#include <numeric>
#include <sstream>

#include "mlx/export/export_impl.h"

namespace mlx::core {

namespace {

// Keyword names, sorted: the order kwargs follow the args in the inputs.
std::vector<std::string> sorted_names(const Kwargs& kwargs) {
  std::vector<std::string> names;
  for (auto& [name, _] : kwargs) {
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<array> flat_inputs(
    const Args& args,
    const Kwargs& kwargs,
    const std::vector<std::string>& names) {
  std::vector<array> inputs = args;
  for (auto& name : names) {
    inputs.push_back(kwargs.at(name));
  }
  return inputs;
}

std::string describe(const std::vector<array>& inputs) {
  std::ostringstream os;
  for (size_t i = 0; i < inputs.size(); ++i) {
    os << (i ? ", " : "") << inputs[i].dtype() << inputs[i].shape();
  }
  return os.str();
}

bool takes(
    const FunctionTable::Trace& trace,
    size_t num_args,
    const std::vector<std::string>& names,
    const std::vector<array>& inputs,
    bool any_shape) {
  if (trace.num_args != num_args || trace.kwarg_names != names) {
    return false;
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto& v = trace.tape.values[i];
    if (v.dtype != inputs[i].dtype() ||
        (any_shape ? v.shape.size() != inputs[i].shape().size()
                   : v.shape != inputs[i].shape())) {
      return false;
    }
  }
  return true;
}

} // namespace

// An exporter's callback and the constants it has reported: each array
// once, named by its number.
struct CallbackState {
  ExportCallback callback;
  export_detail::ConstantNumbering constants;
};

namespace {

// One trace as callback events (ExportCallbackInput in export.h).
void report_trace(CallbackState& state, const FunctionTable::Trace& trace) {
  auto& tape = trace.tape;
  std::vector<std::string> names(tape.values.size());
  std::vector<std::pair<std::string, array>> new_constants;
  for (size_t v = 0; v < tape.values.size(); ++v) {
    if (v < tape.num_inputs) {
      names[v] = "x" + std::to_string(v);
    } else if (auto& c = tape.values[v].constant) {
      auto [number, added] = state.constants.number(*c);
      names[v] = "c" + std::to_string(number);
      if (added) {
        new_constants.emplace_back(names[v], *c);
      }
    } else {
      names[v] = "v" + std::to_string(v);
    }
  }
  auto describe_values = [&](const std::vector<int>& values) {
    std::vector<std::tuple<std::string, Shape, Dtype>> out;
    for (int v : values) {
      out.emplace_back(names[v], tape.values[v].shape, tape.values[v].dtype);
    }
    return out;
  };
  std::vector<int> inputs(tape.num_inputs);
  std::iota(inputs.begin(), inputs.end(), 0);
  std::vector<std::pair<std::string, std::string>> keywords;
  for (size_t k = 0; k < trace.kwarg_names.size(); ++k) {
    keywords.emplace_back(trace.kwarg_names[k], names[trace.num_args + k]);
  }
  auto& report = state.callback;
  report(
      {{"type", std::string("inputs")}, {"inputs", describe_values(inputs)}});
  report({{"type", std::string("keyword_inputs")}, {"keywords", keywords}});
  report(
      {{"type", std::string("outputs")},
       {"outputs", describe_values(tape.outputs)}});
  report({{"type", std::string("constants")}, {"constants", new_constants}});
  for (auto& node : tape.nodes) {
    export_detail::FieldWriter params;
    std::vector<StateT> arguments;
    params.record_to(&arguments);
    std::string name = export_detail::write_primitive(*node.primitive, params);
    report(
        {{"type", std::string("primitive")},
         {"name", name},
         {"inputs", describe_values(node.inputs)},
         {"outputs", describe_values(node.outputs)},
         {"arguments", arguments}});
  }
}

} // namespace

FunctionExporter::FunctionExporter(
    std::string file,
    std::function<std::vector<array>(const Args&, const Kwargs&)> fun,
    bool shapeless,
    std::string metadata)
    : file_(std::move(file)), fun_(std::move(fun)),
      table_(std::make_shared<FunctionTable>()) {
  table_->shapeless = shapeless;
  table_->metadata = std::move(metadata);
}

FunctionExporter::FunctionExporter(
    ExportCallback callback,
    std::function<std::vector<array>(const Args&, const Kwargs&)> fun,
    bool shapeless)
    : file_("a callback"), fun_(std::move(fun)),
      table_(std::make_shared<FunctionTable>()),
      callback_(std::make_shared<CallbackState>()) {
  if (!callback) {
    throw_error("[export_function] The callback is empty.");
  }
  callback_->callback = std::move(callback);
  table_->shapeless = shapeless;
}

FunctionExporter::~FunctionExporter() {
  // A destructor cannot raise: call close() to see a failed write. With no
  // trace (the first call raised) there is nothing to write.
  try {
    if (table_ && !callback_ && !closed_ && !table_->traces.empty()) {
      close();
    }
  } catch (const std::exception&) {
  }
}

void FunctionExporter::operator()(const Args& args) {
  (*this)(args, Kwargs{});
}

void FunctionExporter::operator()(const Kwargs& kwargs) {
  (*this)(Args{}, kwargs);
}

void FunctionExporter::operator()(const Args& args, const Kwargs& kwargs) {
  if (closed_) {
    throw_error("[export_function] The exporter of ", file_, " is closed.");
  }
  FunctionTable::Trace trace;
  trace.num_args = args.size();
  trace.kwarg_names = sorted_names(kwargs);
  auto traced = [&](const std::vector<array>& inputs) {
    Args a(inputs.begin(), inputs.begin() + args.size());
    Kwargs k;
    for (size_t i = 0; i < trace.kwarg_names.size(); ++i) {
      k.insert_or_assign(trace.kwarg_names[i], inputs[args.size() + i]);
    }
    return fun_(a, k);
  };
  trace.tape =
      detail::trace_tape(traced, flat_inputs(args, kwargs, trace.kwarg_names));
  // Unexportable primitives raise now, at the call that traced them.
  for (auto& node : trace.tape.nodes) {
    export_detail::FieldWriter scratch;
    export_detail::write_primitive(*node.primitive, scratch);
  }
  if (table_->shapeless && !detail::tape_infers_shapes(trace.tape)) {
    throw_error(
        "[export_function] A shapeless export needs every primitive to infer "
        "its output shape from its inputs' (element-wise ones); this "
        "function's do not. Export it with shapeless = false.");
  }
  if (callback_) {
    report_trace(*callback_, trace);
    return;
  }
  table_->traces.push_back(std::move(trace));
}

void FunctionExporter::close() {
  if (closed_) {
    throw_error("[export_function] The exporter of ", file_, " is closed.");
  }
  closed_ = true;
  if (!callback_) {
    export_detail::write_table(*table_, file_);
  }
}

FunctionExporter exporter(
    const std::string& file,
    const std::function<std::vector<array>(const Args&)>& fun,
    bool shapeless,
    const std::string& metadata) {
  return FunctionExporter(
      file,
      [fun](const Args& args, const Kwargs&) { return fun(args); },
      shapeless,
      metadata);
}

FunctionExporter exporter(
    const std::string& file,
    const std::function<std::vector<array>(const Kwargs&)>& fun,
    bool shapeless,
    const std::string& metadata) {
  return FunctionExporter(
      file,
      [fun](const Args&, const Kwargs& kwargs) { return fun(kwargs); },
      shapeless,
      metadata);
}

FunctionExporter exporter(
    const std::string& file,
    const std::function<std::vector<array>(const Args&, const Kwargs&)>& fun,
    bool shapeless,
    const std::string& metadata) {
  return FunctionExporter(file, fun, shapeless, metadata);
}

void export_function(
    const std::string& file,
    const std::function<std::vector<array>(const Args&)>& fun,
    const Args& args,
    bool shapeless,
    const std::string& metadata) {
  auto e = exporter(file, fun, shapeless, metadata);
  e(args);
  e.close();
}

void export_function(
    const std::string& file,
    const std::function<std::vector<array>(const Kwargs&)>& fun,
    const Kwargs& kwargs,
    bool shapeless,
    const std::string& metadata) {
  auto e = exporter(file, fun, shapeless, metadata);
  e(kwargs);
  e.close();
}

void export_function(
    const std::string& file,
    const std::function<std::vector<array>(const Args&, const Kwargs&)>& fun,
    const Args& args,
    const Kwargs& kwargs,
    bool shapeless,
    const std::string& metadata) {
  auto e = exporter(file, fun, shapeless, metadata);
  e(args, kwargs);
  e.close();
}

FunctionExporter exporter(
    const ExportCallback& callback,
    const std::function<std::vector<array>(const Args&)>& fun,
    bool shapeless) {
  return FunctionExporter(
      callback,
      [fun](const Args& args, const Kwargs&) { return fun(args); },
      shapeless);
}

FunctionExporter exporter(
    const ExportCallback& callback,
    const std::function<std::vector<array>(const Kwargs&)>& fun,
    bool shapeless) {
  return FunctionExporter(
      callback,
      [fun](const Args&, const Kwargs& kwargs) { return fun(kwargs); },
      shapeless);
}

FunctionExporter exporter(
    const ExportCallback& callback,
    const std::function<std::vector<array>(const Args&, const Kwargs&)>& fun,
    bool shapeless) {
  return FunctionExporter(callback, fun, shapeless);
}

void export_function(
    const ExportCallback& callback,
    const std::function<std::vector<array>(const Args&)>& fun,
    const Args& args,
    bool shapeless) {
  exporter(callback, fun, shapeless)(args);
}

void export_function(
    const ExportCallback& callback,
    const std::function<std::vector<array>(const Kwargs&)>& fun,
    const Kwargs& kwargs,
    bool shapeless) {
  exporter(callback, fun, shapeless)(kwargs);
}

void export_function(
    const ExportCallback& callback,
    const std::function<std::vector<array>(const Args&, const Kwargs&)>& fun,
    const Args& args,
    const Kwargs& kwargs,
    bool shapeless) {
  exporter(callback, fun, shapeless)(args, kwargs);
}

ImportedFunction import_function(const std::string& file) {
  return ImportedFunction(export_detail::read_table(file));
}

std::vector<array> ImportedFunction::operator()(const Args& args) const {
  return (*this)(args, Kwargs{});
}

std::vector<array> ImportedFunction::operator()(const Kwargs& kwargs) const {
  return (*this)(Args{}, kwargs);
}

std::vector<array>
ImportedFunction::operator()(const Args& args, const Kwargs& kwargs) const {
  auto names = sorted_names(kwargs);
  auto inputs = flat_inputs(args, kwargs, names);
  // An exact match first; a shapeless function then takes other shapes.
  for (bool any_shape : {false, true}) {
    if (any_shape && !table_->shapeless) {
      break;
    }
    for (auto& trace : table_->traces) {
      if (takes(trace, args.size(), names, inputs, any_shape)) {
        auto outputs = detail::replay_tape(trace.tape, inputs, any_shape);
        if (outputs) {
          return *outputs;
        }
      }
    }
  }
  std::ostringstream keys;
  for (size_t k = 0; k < names.size(); ++k) {
    keys << (k ? ", " : "") << names[k];
  }
  throw_error(
      "[import_function] No trace of the imported function takes ",
      args.size(),
      " positional and ",
      names.size(),
      " keyword inputs (",
      keys.str(),
      ") of dtypes and shapes ",
      describe(inputs),
      ".");
}

const std::string& ImportedFunction::metadata() const {
  return table_->metadata;
}

} // namespace mlx::core
