// Exporting a traced function to a file and importing it in another
// process: export_function, exporter and import_function, as in MLX.
//
// The file (format: docs/export_format.md) holds each trace's primitives
// with their parameters, the arrays the function captured (weights) and
// the inputs' and outputs' shapes and dtypes. An imported function replays
// the same primitives, so it gives bit-identical results on the same
// backend. Primitives that cannot be exported yet raise
// "[export_function] primitive X cannot be exported yet" (docs/ops.md
// lists those that can). Files are untrusted input: a truncated or corrupt
// file raises std::runtime_error starting with "[import_function] <file>",
// and so does a node that is not what its op makes of its inputs.
#pragma once

#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <variant>
#include <vector>

#include "mlx/array.h"

namespace mlx::core {

using Args = std::vector<array>;
using Kwargs = std::unordered_map<std::string, array>;

/** One parameter of a primitive, as an export callback receives it (MLX's
 * alternatives, in its order). Shape and std::vector<int> are the same
 * type, as in MLX: read them with std::visit or by index. Our primitives
 * report their parameters in the order docs/export_format.md lists them:
 * int lists as Shape (index 6), long lists as Strides, i32 and u8 as int,
 * u32 and u64 as size_t, f32 as float, f64 as double, flags as bool. */
using StateT = std::variant<
    bool,
    int,
    size_t,
    float,
    double,
    Dtype,
    Shape,
    Strides,
    std::vector<int>,
    std::vector<size_t>,
    std::vector<std::tuple<bool, bool, bool>>,
    std::vector<std::variant<bool, int, float>>,
    std::optional<float>,
    std::string>;

/** What an export callback receives, once per event of a trace: key "type"
 * is "inputs" (key "inputs": name, shape, dtype of each input, the
 * positional ones then the keyword ones by name), "keyword_inputs"
 * ("keywords": keyword and input name), "outputs" ("outputs"),
 * "constants" ("constants": name and array of each captured array not
 * reported by an earlier trace of the same exporter), then "primitive" per
 * node in evaluation order ("name", "inputs", "outputs", "arguments").
 * Inputs are named "x0", "x1", ..., constants "c0", ... (one name per array
 * for the exporter's life), other values "v<index>". */
using ExportCallbackInput = std::unordered_map<
    std::string,
    std::variant<
        std::vector<std::tuple<std::string, Shape, Dtype>>,
        std::vector<std::pair<std::string, array>>,
        std::vector<std::pair<std::string, std::string>>,
        std::vector<StateT>,
        std::string>>;
using ExportCallback = std::function<void(const ExportCallbackInput&)>;

struct FunctionTable;
struct CallbackState;

/** Writes several traces of one function (one per call) to a file; the
 * file is written by close(), or by the destructor when at least one trace
 * was added (where a failed write cannot raise). */
struct FunctionExporter {
  void operator()(const std::initializer_list<array>& args) {
    (*this)(Args(args));
  }
  void operator()(const Args& args);
  void operator()(const Kwargs& kwargs);
  void operator()(const Args& args, const Kwargs& kwargs);

  /** Writes the file (with a callback: nothing to write); later calls
   * raise. */
  void close();

  FunctionExporter(
      std::string file,
      std::function<std::vector<array>(const Args&, const Kwargs&)> fun,
      bool shapeless,
      std::string metadata);
  /** Each trace goes to `callback` instead of a file. */
  FunctionExporter(
      ExportCallback callback,
      std::function<std::vector<array>(const Args&, const Kwargs&)> fun,
      bool shapeless);
  FunctionExporter(FunctionExporter&&) = default;
  FunctionExporter(const FunctionExporter&) = delete;
  FunctionExporter& operator=(const FunctionExporter&) = delete;
  ~FunctionExporter();

private:
  std::string file_;
  std::function<std::vector<array>(const Args&, const Kwargs&)> fun_;
  std::shared_ptr<FunctionTable> table_;
  std::shared_ptr<CallbackState> callback_;
  bool closed_{false};
};

FunctionExporter exporter(
    const std::string& file,
    const std::function<std::vector<array>(const Args&)>& fun,
    bool shapeless = false,
    const std::string& metadata = "");

FunctionExporter exporter(
    const std::string& file,
    const std::function<std::vector<array>(const Kwargs&)>& fun,
    bool shapeless = false,
    const std::string& metadata = "");

FunctionExporter exporter(
    const std::string& file,
    const std::function<std::vector<array>(const Args&, const Kwargs&)>& fun,
    bool shapeless = false,
    const std::string& metadata = "");

/** Traces `fun` on the example inputs and writes it to `file`. With
 * `shapeless`, the imported function accepts inputs of other shapes (of the
 * same ranks and dtypes); only graphs whose every primitive infers its
 * output shape from its inputs' (element-wise ones) can be shapeless. */
void export_function(
    const std::string& file,
    const std::function<std::vector<array>(const Args&)>& fun,
    const Args& args,
    bool shapeless = false,
    const std::string& metadata = "");

void export_function(
    const std::string& file,
    const std::function<std::vector<array>(const Kwargs&)>& fun,
    const Kwargs& kwargs,
    bool shapeless = false,
    const std::string& metadata = "");

void export_function(
    const std::string& file,
    const std::function<std::vector<array>(const Args&, const Kwargs&)>& fun,
    const Args& args,
    const Kwargs& kwargs,
    bool shapeless = false,
    const std::string& metadata = "");

/** A function read from a file; calling it picks the trace whose inputs
 * match (count, keyword names, shapes and dtypes) and raises if none does.
 * The primitives run on the default stream at import time. */
/** The same, reporting each trace to `callback` (ExportCallbackInput)
 * instead of writing a file: for tools that translate the graph. */
FunctionExporter exporter(
    const ExportCallback& callback,
    const std::function<std::vector<array>(const Args&)>& fun,
    bool shapeless = false);

FunctionExporter exporter(
    const ExportCallback& callback,
    const std::function<std::vector<array>(const Kwargs&)>& fun,
    bool shapeless = false);

FunctionExporter exporter(
    const ExportCallback& callback,
    const std::function<std::vector<array>(const Args&, const Kwargs&)>& fun,
    bool shapeless = false);

void export_function(
    const ExportCallback& callback,
    const std::function<std::vector<array>(const Args&)>& fun,
    const Args& args,
    bool shapeless = false);

void export_function(
    const ExportCallback& callback,
    const std::function<std::vector<array>(const Kwargs&)>& fun,
    const Kwargs& kwargs,
    bool shapeless = false);

void export_function(
    const ExportCallback& callback,
    const std::function<std::vector<array>(const Args&, const Kwargs&)>& fun,
    const Args& args,
    const Kwargs& kwargs,
    bool shapeless = false);

struct ImportedFunction {
  std::vector<array>
  operator()(const std::initializer_list<array>& args) const {
    return (*this)(Args(args));
  }
  std::vector<array> operator()(const Args& args) const;
  std::vector<array> operator()(const Kwargs& kwargs) const;
  std::vector<array> operator()(const Args& args, const Kwargs& kwargs) const;

  /** The metadata string saved with the function. */
  const std::string& metadata() const;

private:
  friend ImportedFunction import_function(const std::string& file);
  explicit ImportedFunction(std::shared_ptr<FunctionTable> table)
      : table_(std::move(table)) {}
  std::shared_ptr<FunctionTable> table_;
};

ImportedFunction import_function(const std::string& file);

} // namespace mlx::core
