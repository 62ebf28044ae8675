// Internals of export/import: the table of traces a file holds, the
// little-endian field writer and the bounds-checked field reader of the
// file format (docs/export_format.md), and the registry of primitives
// that can be written (primitive_registry.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mlx/compile_impl.h"
#include "mlx/export.h"

namespace mlx::core {

/** Every trace of an exported function. */
struct FunctionTable {
  struct Trace {
    size_t num_args = 0;
    std::vector<std::string> kwarg_names; // sorted; inputs after the args
    detail::CompileTape tape;
  };
  bool shapeless = false;
  std::string metadata;
  std::vector<Trace> traces;
};

} // namespace mlx::core

namespace mlx::core::export_detail {

/** Numbers captured arrays by identity, each once, in the order first
 * seen (the file's shared constants, an export callback's constant names);
 * keeps them alive, so that ids stay distinct. */
struct ConstantNumbering {
  std::vector<array> arrays;
  std::unordered_map<std::uintptr_t, uint32_t> number_of_id;

  /** a's number, and whether this call numbered it. */
  std::pair<uint32_t, bool> number(const array& a) {
    auto [it, added] =
        number_of_id.emplace(a.id(), static_cast<uint32_t>(arrays.size()));
    if (added) {
      arrays.push_back(a);
    }
    return {it->second, added};
  }
};

/** Appends little-endian fields to a byte string; with record_to, also
 * collects each field as a StateT (a primitive's parameters as the export
 * callback reports them). */
class FieldWriter {
public:
  void u8(uint8_t v) {
    note<1>(int(v));
    bytes_.push_back(static_cast<char>(v));
  }
  void u32(uint32_t v);
  void u64(uint64_t v);
  void i32(int32_t v) {
    note<1>(int(v));
    Nested nested(*this);
    u32(static_cast<uint32_t>(v));
  }
  void i64(int64_t v) {
    note<2>(size_t(v));
    Nested nested(*this);
    u64(static_cast<uint64_t>(v));
  }
  void f32(float v);
  void f64(double v);
  void boolean(bool v) {
    note<0>(v);
    Nested nested(*this);
    u8(v ? 1 : 0);
  }
  /** A count that must fit the format's 32-bit fields. */
  void count(size_t n);
  void str(const std::string& s);
  void dtype(Dtype d);
  void ints(const std::vector<int32_t>& v);
  void longs(const std::vector<int64_t>& v);
  void raw(const void* src, size_t n) {
    bytes_.append(static_cast<const char*>(src), n);
  }
  const std::string& bytes() const { return bytes_; }

  /** Collects the fields written from now on into `fields`. */
  void record_to(std::vector<StateT>* fields) { record_ = fields; }

private:
  // The fields a field is written with (a list's count, a float's bits)
  // are not parameters of their own: only the outermost one is noted.
  struct Nested {
    explicit Nested(FieldWriter& w) : w_(w) { ++w_.depth_; }
    ~Nested() { --w_.depth_; }
    FieldWriter& w_;
  };
  // Records alternative `I` of StateT, built from `v` only when recording.
  template <size_t I, typename V> void note(const V& v) {
    if (record_ && depth_ == 0) {
      record_->emplace_back(std::in_place_index<I>, v);
    }
  }

  std::string bytes_;
  std::vector<StateT>* record_ = nullptr;
  int depth_ = 0;
};

/** Reads fields from bytes [begin, end) of a buffer; every read is checked
 * against the end and raises std::runtime_error prefixed with `where`. */
class FieldReader {
public:
  FieldReader(const char* begin, size_t size, std::string where)
      : p_(begin), size_(size), where_(std::move(where)) {}

  size_t remaining() const { return size_ - pos_; }
  size_t position() const { return pos_; }
  const std::string& where() const { return where_; }

  uint8_t u8();
  uint32_t u32();
  uint64_t u64();
  int32_t i32() { return static_cast<int32_t>(u32()); }
  int64_t i64() { return static_cast<int64_t>(u64()); }
  float f32();
  double f64();
  bool boolean();
  /** A count of items that each take at least `min_item_bytes` bytes: it
   * cannot exceed what is left of the input. */
  size_t count(size_t min_item_bytes, const char* what);
  std::string str(const char* what);
  Dtype dtype();
  std::vector<int32_t> ints(const char* what);
  std::vector<int64_t> longs(const char* what);
  /** The next n bytes (n <= remaining()), consumed. */
  const char* take(size_t n, const char* what);
  /** Raises unless every byte was read. */
  void expect_end(const char* what) const;

  template <typename... Args>
  [[noreturn]] void fail(const Args&... parts) const;

private:
  const char* p_;
  size_t size_;
  size_t pos_ = 0;
  std::string where_;
};

/** The name of `p` (what a file identifies it by) after its parameters
 * are appended to `params`; raises "[export_function] primitive X cannot
 * be exported yet" for primitives the registry does not know. */
std::string write_primitive(const Primitive& p, FieldWriter& params);

/** A primitive on stream `s` from its name and parameters; raises through
 * `params.fail` for an unknown name or bad parameters. */
std::shared_ptr<Primitive>
read_primitive(const std::string& name, FieldReader& params, Stream s);

/** Raises through `in.fail` unless node `index` of `tape` is exactly what
 * the op that makes its primitive makes from its inputs' shapes and dtypes
 * (node_check.cpp): parameters, input and output shapes and dtypes. */
void check_node(FieldReader& in, size_t index, const detail::CompileTape& tape);

/** Whether check_node knows the primitive called `name`. */
bool can_check(const std::string& name);

/** The names of the primitives that can be exported, sorted. */
std::vector<std::string> exportable_primitives();

void write_table(const FunctionTable& table, const std::string& file);
std::shared_ptr<FunctionTable> read_table(const std::string& file);

} // namespace mlx::core::export_detail

#include "mlx/io/io_impl.h"

namespace mlx::core::export_detail {

template <typename... Args> void FieldReader::fail(const Args&... parts) const {
  io::fail(where_, parts..., " (at byte ", pos_, ")");
}

} // namespace mlx::core::export_detail
