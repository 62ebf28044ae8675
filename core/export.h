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
#include <string>
#include <unordered_map>
#include <vector>

#include "mlx/array.h"

namespace mlx::core {

using Args = std::vector<array>;
using Kwargs = std::unordered_map<std::string, array>;

struct FunctionTable;

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

  /** Writes the file; later calls raise. */
  void close();

  FunctionExporter(
      std::string file,
      std::function<std::vector<array>(const Args&, const Kwargs&)> fun,
      bool shapeless,
      std::string metadata);
  FunctionExporter(FunctionExporter&&) = default;
  FunctionExporter(const FunctionExporter&) = delete;
  FunctionExporter& operator=(const FunctionExporter&) = delete;
  ~FunctionExporter();

private:
  std::string file_;
  std::function<std::vector<array>(const Args&, const Kwargs&)> fun_;
  std::shared_ptr<FunctionTable> table_;
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
