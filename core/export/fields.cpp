// The export format's fields: little-endian integers and IEEE floats,
// length-prefixed strings and lists. The reader checks every length
// against what is left before it reads or allocates.
#include <cstring>
#include <limits>

#include "mlx/export/export_impl.h"

namespace mlx::core::export_detail {

namespace {

// Dtypes by their code in the file (docs/export_format.md): the codes are
// part of the format, independent of the order of Dtype::Val.
constexpr Dtype kDtypeCodes[] = {
    bool_,
    uint8,
    uint16,
    uint32,
    uint64,
    int8,
    int16,
    int32,
    int64,
    float16,
    float32,
    float64,
    bfloat16,
    complex64};
constexpr size_t kNumDtypeCodes = sizeof(kDtypeCodes) / sizeof(Dtype);

} // namespace

void FieldWriter::u32(uint32_t v) {
  note<2>(size_t(v));
  Nested nested(*this);
  uint8_t b[4];
  io::put_u32(b, v);
  raw(b, 4);
}

void FieldWriter::u64(uint64_t v) {
  note<2>(size_t(v));
  Nested nested(*this);
  uint8_t b[8];
  io::put_u64(b, v);
  raw(b, 8);
}

void FieldWriter::f32(float v) {
  note<3>(v);
  Nested nested(*this);
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  u32(bits);
}

void FieldWriter::f64(double v) {
  note<4>(v);
  Nested nested(*this);
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  u64(bits);
}

void FieldWriter::count(size_t n) {
  if (n > std::numeric_limits<uint32_t>::max()) {
    throw_error(
        "[export_function] ", n, " items do not fit the format's counts.");
  }
  u32(static_cast<uint32_t>(n));
}

void FieldWriter::str(const std::string& s) {
  note<13>(s);
  Nested nested(*this);
  count(s.size());
  raw(s.data(), s.size());
}

void FieldWriter::dtype(Dtype d) {
  note<5>(d);
  Nested nested(*this);
  for (size_t code = 0; code < kNumDtypeCodes; ++code) {
    if (kDtypeCodes[code] == d) {
      u8(static_cast<uint8_t>(code));
      return;
    }
  }
  throw_error("[export_function] Unsupported dtype ", d, ".");
}

void FieldWriter::ints(const std::vector<int32_t>& v) {
  note<6>(v); // Shape
  Nested nested(*this);
  count(v.size());
  for (auto x : v) {
    i32(x);
  }
}

void FieldWriter::longs(const std::vector<int64_t>& v) {
  note<7>(v); // Strides
  Nested nested(*this);
  count(v.size());
  for (auto x : v) {
    i64(x);
  }
}

const char* FieldReader::take(size_t n, const char* what) {
  if (n > remaining()) {
    fail(
        "unexpected end of data: ",
        what,
        " needs ",
        n,
        " bytes, ",
        remaining(),
        " are left");
  }
  const char* at = p_ + pos_;
  pos_ += n;
  return at;
}

uint8_t FieldReader::u8() {
  return static_cast<uint8_t>(*take(1, "a byte"));
}

uint32_t FieldReader::u32() {
  return io::get_u32(reinterpret_cast<const uint8_t*>(take(4, "an integer")));
}

uint64_t FieldReader::u64() {
  return io::get_u64(reinterpret_cast<const uint8_t*>(take(8, "an integer")));
}

float FieldReader::f32() {
  uint32_t bits = u32();
  float v;
  std::memcpy(&v, &bits, 4);
  return v;
}

double FieldReader::f64() {
  uint64_t bits = u64();
  double v;
  std::memcpy(&v, &bits, 8);
  return v;
}

bool FieldReader::boolean() {
  uint8_t v = u8();
  if (v > 1) {
    fail("a boolean must be 0 or 1, got ", int(v));
  }
  return v == 1;
}

size_t FieldReader::count(size_t min_item_bytes, const char* what) {
  size_t n = u32();
  if (min_item_bytes > 0 && n > remaining() / min_item_bytes) {
    fail(
        "the count of ",
        what,
        " (",
        n,
        ") needs more than the ",
        remaining(),
        " bytes left");
  }
  return n;
}

std::string FieldReader::str(const char* what) {
  size_t n = count(1, what);
  return std::string(take(n, what), n);
}

Dtype FieldReader::dtype() {
  uint8_t code = u8();
  if (code >= kNumDtypeCodes) {
    fail("unknown dtype code ", int(code));
  }
  return kDtypeCodes[code];
}

std::vector<int32_t> FieldReader::ints(const char* what) {
  std::vector<int32_t> v(count(4, what));
  for (auto& x : v) {
    x = i32();
  }
  return v;
}

std::vector<int64_t> FieldReader::longs(const char* what) {
  std::vector<int64_t> v(count(8, what));
  for (auto& x : v) {
    x = i64();
  }
  return v;
}

void FieldReader::expect_end(const char* what) const {
  if (remaining() != 0) {
    fail(remaining(), " unexpected bytes after ", what);
  }
}

} // namespace mlx::core::export_detail
