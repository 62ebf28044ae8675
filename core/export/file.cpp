// Writing and reading the export file (docs/export_format.md). The reader
// treats the file as untrusted: the checksum catches accidental damage,
// and every count, index and length is checked before it is used, so a
// crafted file raises too.
#include <algorithm>
#include <cstring>
#include <utility>

#include "mlx/export/export_impl.h"
#include "mlx/io/zip.h"

namespace mlx::core::export_detail {

namespace {

constexpr char kMagic[8] = {'M', 'L', 'X', 'F', 'N', '\r', '\n', '\0'};
// Version 2 stores the constants once per file (traces refer to them);
// version 1 files, with each trace's constants inline, still load.
constexpr uint32_t kVersion = 2;
constexpr uint32_t kInlineConstantsVersion = 1;
// magic, version (u32), body length (u64), body CRC-32 (u32)
constexpr size_t kHeaderBytes = 8 + 4 + 8 + 4;

// Smallest encodings, which bound the counts a body of n bytes can hold.
constexpr size_t kMinTraceBytes = 6 * 4;          // six empty lists
constexpr size_t kMinValueBytes = 1 + 4;          // dtype + empty shape
constexpr size_t kMinInlineConstantBytes = 4 + 8; // version 1
constexpr size_t kMinSharedConstantBytes = 1 + 4 + 8;
constexpr size_t kMinConstantRefBytes = 4 + 4;

constexpr size_t kMinNodeBytes = 4 * 4; // four empty lists

void write_trace(
    const FunctionTable::Trace& trace,
    ConstantNumbering& shared,
    FieldWriter& out) {
  auto& tape = trace.tape;
  out.count(trace.num_args);
  out.count(trace.kwarg_names.size());
  for (auto& name : trace.kwarg_names) {
    out.str(name);
  }
  out.count(tape.values.size());
  for (auto& v : tape.values) {
    out.dtype(v.dtype);
    out.ints(v.shape);
  }
  std::vector<int> constants;
  for (size_t v = tape.num_inputs; v < tape.values.size(); ++v) {
    if (tape.values[v].constant) {
      constants.push_back(static_cast<int>(v));
    }
  }
  out.count(constants.size());
  for (int v : constants) {
    out.u32(static_cast<uint32_t>(v));
    // The file's constants: every array captured by a trace, once (the
    // traces of one model capture the same weights).
    out.u32(shared.number(*tape.values[v].constant).first);
  }
  out.count(tape.nodes.size());
  for (auto& node : tape.nodes) {
    FieldWriter params;
    out.str(write_primitive(*node.primitive, params));
    out.ints(node.inputs);
    out.ints(node.outputs);
    out.str(params.bytes());
  }
  out.ints(tape.outputs);
}

// A value index of the trace that is (or, for `defining`, is not yet) set.
int value_index(
    FieldReader& in,
    int v,
    const std::vector<bool>& defined,
    bool defining,
    const char* what) {
  if (v < 0 || static_cast<size_t>(v) >= defined.size()) {
    in.fail(what, " refers to value ", v, " of ", defined.size());
  }
  if (defined[v] == defining) {
    in.fail(
        what,
        " refers to value ",
        v,
        defining ? ", which is already defined" : ", which is not defined yet");
  }
  return v;
}

// A constant's bytes, checked against its dtype and shape.
array read_constant_bytes(
    FieldReader& in, Dtype dtype, const Shape& shape, const char* what) {
  uint64_t nbytes = in.u64();
  if (nbytes != *io::checked_nbytes(dtype, shape)) {
    in.fail(what, " has ", nbytes, " bytes for shape ", shape);
  }
  const char* data = in.take(nbytes, "a constant's data");
  return io::array_from_bytes(
      shape, dtype, [data](void* dst, size_t n) { std::memcpy(dst, data, n); });
}

// A dtype code and a shape whose dimensions are >= 0 and whose byte size
// fits, as values and constants declare them.
std::pair<Dtype, Shape>
read_dtype_and_shape(FieldReader& in, const char* what) {
  Dtype dtype = in.dtype();
  Shape shape = in.ints("a shape");
  bool negative =
      std::any_of(shape.begin(), shape.end(), [](int d) { return d < 0; });
  if (negative || !io::checked_nbytes(dtype, shape)) {
    in.fail("invalid shape ", shape, " of ", what);
  }
  return {dtype, std::move(shape)};
}

std::vector<array> read_shared_constants(FieldReader& in) {
  std::vector<array> constants;
  size_t count = in.count(kMinSharedConstantBytes, "constants");
  for (size_t k = 0; k < count; ++k) {
    auto [dtype, shape] = read_dtype_and_shape(in, "a constant");
    constants.push_back(read_constant_bytes(in, dtype, shape, "a constant"));
  }
  return constants;
}

// `shared`: the file's constants (version 2), or null for a version 1
// file, whose traces hold their constants inline.
FunctionTable::Trace read_trace(
    FieldReader& in, const std::vector<array>* shared, const Stream& stream) {
  FunctionTable::Trace trace;
  auto& tape = trace.tape;
  trace.num_args = in.u32();
  size_t num_kwargs = in.count(4, "keyword names");
  for (size_t k = 0; k < num_kwargs; ++k) {
    trace.kwarg_names.push_back(in.str("a keyword name"));
    if (k > 0 && trace.kwarg_names[k - 1] >= trace.kwarg_names[k]) {
      in.fail("keyword names are not sorted and distinct");
    }
  }
  size_t num_values = in.count(kMinValueBytes, "values");
  tape.num_inputs = trace.num_args + num_kwargs;
  if (tape.num_inputs > num_values) {
    in.fail(tape.num_inputs, " inputs but ", num_values, " values");
  }
  for (size_t k = 0; k < num_values; ++k) {
    auto [dtype, shape] = read_dtype_and_shape(in, "a value");
    tape.values.push_back({std::move(shape), dtype, std::nullopt});
  }
  std::vector<bool> defined(tape.values.size(), false);
  std::fill(defined.begin(), defined.begin() + tape.num_inputs, true);

  size_t num_constants = in.count(
      shared ? kMinConstantRefBytes : kMinInlineConstantBytes, "constants");
  for (size_t k = 0; k < num_constants; ++k) {
    int v = value_index(in, in.i32(), defined, true, "a constant");
    defined[v] = true;
    auto& value = tape.values[v];
    if (!shared) {
      value.constant =
          read_constant_bytes(in, value.dtype, value.shape, "a constant");
      continue;
    }
    uint32_t c = in.u32();
    if (c >= shared->size()) {
      in.fail("value ", v, " refers to constant ", c, " of ", shared->size());
    }
    const array& constant = (*shared)[c];
    if (constant.dtype() != value.dtype || constant.shape() != value.shape) {
      in.fail(
          "value ",
          v,
          " is ",
          value.dtype,
          value.shape,
          " but constant ",
          c,
          " is ",
          constant.dtype(),
          constant.shape());
    }
    value.constant = constant;
  }

  tape.nodes.resize(in.count(kMinNodeBytes, "nodes"));
  for (size_t n = 0; n < tape.nodes.size(); ++n) {
    auto& node = tape.nodes[n];
    std::string name = in.str("a primitive name");
    node.inputs = in.ints("node inputs");
    node.outputs = in.ints("node outputs");
    for (int v : node.inputs) {
      value_index(in, v, defined, false, "a node input");
    }
    if (node.outputs.empty()) {
      in.fail("primitive ", name, " has no outputs");
    }
    for (int v : node.outputs) {
      defined[value_index(in, v, defined, true, "a node output")] = true;
    }
    std::string params = in.str("parameters");
    FieldReader params_in(
        params.data(),
        params.size(),
        in.where() + ": parameters of primitive " + name);
    node.primitive = read_primitive(name, params_in, stream);
    check_node(in, n, tape);
  }
  tape.outputs = in.ints("outputs");
  for (int v : tape.outputs) {
    value_index(in, v, defined, false, "an output");
  }
  return trace;
}

} // namespace

void write_table(const FunctionTable& table, const std::string& file) {
  FieldWriter traces;
  ConstantNumbering shared;
  traces.count(table.traces.size());
  for (auto& trace : table.traces) {
    write_trace(trace, shared, traces);
  }
  FieldWriter body;
  body.str(table.metadata);
  body.boolean(table.shapeless);
  body.count(shared.arrays.size());
  for (auto& constant : shared.arrays) {
    array data = io::row_major(constant);
    body.dtype(data.dtype());
    body.ints(data.shape());
    body.u64(data.nbytes());
    body.raw(data.data<char>(), data.nbytes());
  }
  body.raw(traces.bytes().data(), traces.bytes().size());
  FieldWriter header;
  header.raw(kMagic, sizeof(kMagic));
  header.u32(kVersion);
  header.u64(body.bytes().size());
  header.u32(io::crc32_update(0, body.bytes().data(), body.bytes().size()));

  io::OutputFile out(file, "[export_function] " + file);
  out.write(header.bytes().data(), header.bytes().size());
  out.write(body.bytes().data(), body.bytes().size());
  out.close();
}

std::shared_ptr<FunctionTable> read_table(const std::string& file) {
  std::string where = "[import_function] " + file;
  io::InputFile in(file, where);
  if (in.size() < kHeaderBytes) {
    io::fail(where, "too short (", in.size(), " bytes) for the header.");
  }
  std::string header(kHeaderBytes, '\0');
  in.read_at(0, header.data(), kHeaderBytes);
  FieldReader h(header.data(), header.size(), where);
  if (std::memcmp(h.take(8, "the magic"), kMagic, 8) != 0) {
    io::fail(where, "not an exported function (bad magic).");
  }
  uint32_t version = h.u32();
  if (version != kVersion && version != kInlineConstantsVersion) {
    io::fail(where, "unsupported format version ", version, ".");
  }
  uint64_t body_size = h.u64();
  uint32_t crc = h.u32();
  if (body_size != in.size() - kHeaderBytes) {
    io::fail(
        where,
        "the header declares ",
        body_size,
        " bytes of content but the file holds ",
        in.size() - kHeaderBytes,
        " (truncated or corrupt).");
  }
  std::string body(body_size, '\0');
  in.read_at(kHeaderBytes, body.data(), body_size);
  if (io::crc32_update(0, body.data(), body.size()) != crc) {
    io::fail(where, "checksum mismatch (corrupt file).");
  }

  FieldReader r(body.data(), body.size(), where);
  auto table = std::make_shared<FunctionTable>();
  table->metadata = r.str("metadata");
  table->shapeless = r.boolean();
  std::vector<array> shared;
  if (version == kVersion) {
    shared = read_shared_constants(r);
  }
  size_t num_traces = r.count(kMinTraceBytes, "traces");
  Stream stream = to_stream({});
  for (size_t t = 0; t < num_traces; ++t) {
    table->traces.push_back(
        read_trace(r, version == kVersion ? &shared : nullptr, stream));
  }
  r.expect_end("the last trace");
  return table;
}

} // namespace mlx::core::export_detail
