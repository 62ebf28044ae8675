// An independent GGUF writer for gguf_test and gguf_errors_test: bytes laid
// out field by field from the GGUF specification
// (github.com/ggml-org/ggml/blob/master/docs/gguf.md), sharing no code with
// the library's reader and writer.
#pragma once

#include <string>
#include <vector>

#include "io_test_utils.h"

namespace gguf_test {

// Value types and tensor types as numbered in the specification.
enum : uint32_t {
  kU8v = 0,
  kI8v = 1,
  kU16v = 2,
  kI16v = 3,
  kU32v = 4,
  kI32v = 5,
  kF32v = 6,
  kBoolv = 7,
  kStringv = 8,
  kArrayv = 9,
  kU64v = 10,
  kI64v = 11,
  kF64v = 12,
};
enum : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ8_0 = 8,
  kQ4_K = 12,
  kI32 = 26,
  kBF16 = 30,
};

// f16 bit patterns used by the tests (sign, 5-bit exponent biased by 15,
// 10-bit mantissa).
constexpr uint16_t kHalf0_125 = 0x3000;  // 2^-3
constexpr uint16_t kHalf0_25 = 0x3400;   // 2^-2
constexpr uint16_t kHalf0_5 = 0x3800;    // 2^-1
constexpr uint16_t kHalfMinus1 = 0xBC00; // -2^0
constexpr uint16_t kHalf2 = 0x4000;      // 2^1

struct GgufBytes {
  Bytes b;

  GgufBytes& raw(const void* p, size_t n) {
    auto* c = static_cast<const uint8_t*>(p);
    b.insert(b.end(), c, c + n);
    return *this;
  }
  // Little-endian integers of any width.
  GgufBytes& le(uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) {
      b.push_back(static_cast<uint8_t>(v >> (8 * i)));
    }
    return *this;
  }
  GgufBytes& u8(uint8_t v) { return le(v, 1); }
  GgufBytes& u16(uint16_t v) { return le(v, 2); }
  GgufBytes& u32(uint32_t v) { return le(v, 4); }
  GgufBytes& u64(uint64_t v) { return le(v, 8); }
  GgufBytes& f32(float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    return u32(bits);
  }
  GgufBytes& f64(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, 8);
    return u64(bits);
  }
  GgufBytes& str(const std::string& s) {
    u64(s.size());
    return raw(s.data(), s.size());
  }
  // "GGUF", version, tensor count, metadata count.
  GgufBytes& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
    raw("GGUF", 4);
    u32(version);
    u64(n_tensors);
    return u64(n_kv);
  }
  // A metadata key and value type; the caller appends the value.
  GgufBytes& key(const std::string& k, uint32_t type) {
    str(k);
    return u32(type);
  }
  // A tensor info with GGUF's dims (fastest varying first).
  GgufBytes& tensor(
      const std::string& name,
      std::vector<uint64_t> dims,
      uint32_t type,
      uint64_t offset) {
    str(name);
    u32(dims.size());
    for (auto d : dims) {
      u64(d);
    }
    u32(type);
    return u64(offset);
  }
  // Zero bytes up to a multiple of `alignment`.
  GgufBytes& pad(size_t alignment) {
    while (b.size() % alignment) {
      b.push_back(0);
    }
    return *this;
  }
};

} // namespace gguf_test
