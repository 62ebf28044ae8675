// load_gguf treats files as untrusted: truncated, corrupt or hostile files
// raise std::runtime_error naming load_gguf, the file and the problem, and
// counts or sizes larger than the file are refused before anything is
// allocated. The files are laid out by the independent writer of
// gguf_test_utils.h.
#include "gguf_test_utils.h"

using namespace io_test;
using namespace gguf_test;

namespace {

// A file with no metadata and one tensor "t" (dims fastest varying first)
// followed by `data_bytes` zero bytes of data.
Bytes one_tensor(
    std::vector<uint64_t> dims,
    uint32_t type,
    uint64_t offset = 0,
    size_t data_bytes = 0) {
  GgufBytes f;
  f.header(1, 0).tensor("t", std::move(dims), type, offset).pad(32);
  f.b.resize(f.b.size() + data_bytes);
  return f.b;
}

// A file with one metadata entry whose value bytes the caller appends.
GgufBytes one_entry(uint32_t type) {
  GgufBytes f;
  f.header(0, 1).key("k", type);
  return f;
}

// A valid file with metadata and one tensor of each loadable kind.
Bytes valid_file() {
  GgufBytes f;
  f.header(3, 3);
  f.key("name", kStringv).str("x");
  f.key("ids", kArrayv).u32(kI32v).u64(2).u32(1).u32(2);
  f.key("tokens", kArrayv).u32(kStringv).u64(2).str("ab").str("c");
  f.tensor("a", {2}, kF32, 0);
  f.tensor("q.weight", {32}, kQ4_0, 32);
  f.tensor("r.weight", {32}, kQ8_0, 64);
  f.pad(32).f32(1).f32(2).pad(32).u16(kHalf0_5);
  for (int j = 0; j < 16; ++j) {
    f.u8(j);
  }
  f.pad(32).u16(kHalf2);
  for (int j = 0; j < 32; ++j) {
    f.u8(j);
  }
  return f.b;
}

class GgufErrorsTest : public IoTest {
protected:
  // `bytes` fails to load with "[load_gguf] <file>" and `part`.
  void gguf_error(const Bytes& bytes, const std::string& part) {
    auto file = put("bad.gguf", bytes);
    expect_error([&] { mx::load_gguf(file); }, "[load_gguf] " + file, part);
  }
};

TEST_F(GgufErrorsTest, ValidFileLoads) {
  auto g = mx::load_gguf(put("ok.gguf", valid_file()));
  EXPECT_EQ(g.first.size(), 7u);
  EXPECT_EQ(g.second.size(), 3u);
}

TEST_F(GgufErrorsTest, TruncatedAnywhere) {
  auto good = valid_file();
  auto load = [](auto f) { mx::load_gguf(f); };
  expect_truncations_fail(good, load, "[load_gguf]");
  gguf_error(Bytes(good.begin(), good.begin() + 3), "unexpected end of file");
  gguf_error(Bytes(good.begin(), good.begin() + 100), "metadata 'tokens'");
  gguf_error(Bytes(good.begin(), good.end() - 1), "'r.weight' at data offset");
}

TEST_F(GgufErrorsTest, ByteFlipsLoadOrFailCleanly) {
  expect_byte_flips_are_safe(
      valid_file(), [](auto f) { mx::load_gguf(f); }, "[load_gguf]");
}

TEST_F(GgufErrorsTest, MissingFileOrDirectory) {
  expect_error(
      [&] { mx::load_gguf(path("nope.gguf")); }, "[load_gguf] ", "cannot open");
  expect_error(
      [&] { mx::load_gguf(dir_.string()); }, "[load_gguf] ", "regular file");
}

TEST_F(GgufErrorsTest, BadMagicOrVersion) {
  auto good = valid_file();
  Bytes b = good;
  b[3] = 'X';
  gguf_error(b, "not a GGUF file");
  for (uint32_t version : {1u, 4u, 0x03000000u /* big-endian 3 */}) {
    GgufBytes f;
    f.header(0, 0, version);
    gguf_error(f.b, "unsupported version " + std::to_string(version));
  }
  GgufBytes v2; // version 2 has the same layout
  v2.header(0, 0, 2);
  EXPECT_TRUE(mx::load_gguf(put("v2.gguf", v2.b)).first.empty());
}

TEST_F(GgufErrorsTest, AbsurdCountsAndLengthsAreRefusedBeforeAllocating) {
  GgufBytes f;
  f.header(1ull << 62, 0);
  gguf_error(f.b, "tensor count 4611686018427387904 cannot fit");
  f = {};
  f.header(0, ~0ull);
  gguf_error(f.b, "metadata count 18446744073709551615 cannot fit");
  f = {};
  f.header(0, 1).u64(1ull << 50).raw("key and more bytes", 18);
  gguf_error(f.b, "string length 1125899906842624");
  gguf_error(
      one_entry(kArrayv).u32(kF64v).u64(1ull << 60).b,
      "array element count 1152921504606846976 cannot fit");
  gguf_error(
      one_entry(kArrayv).u32(kStringv).u64(1ull << 40).b,
      "string array count 1099511627776 cannot fit");
}

TEST_F(GgufErrorsTest, BadMetadataValues) {
  gguf_error(one_entry(13).u64(0).b, "metadata 'k'");
  gguf_error(one_entry(13).u64(0).b, "unknown value type 13");
  gguf_error(one_entry(kArrayv).u32(kArrayv).u64(0).b, "nested arrays are not");
  gguf_error(
      one_entry(kArrayv).u32(99).u64(0).b, "unknown array element type 99");
  GgufBytes f;
  f.header(0, 2).key("k", kU8v).u8(1).key("k", kU8v).u8(2);
  gguf_error(f.b, "metadata 'k': appears twice");
  f = {};
  f.header(0, 1).key("general.alignment", kU32v).u32(48);
  gguf_error(f.b, "general.alignment is 48, not a power of two");
  f = {};
  f.header(0, 1).key("general.alignment", kStringv).str("32");
  gguf_error(f.b, "general.alignment must be a uint32 scalar");
}

TEST_F(GgufErrorsTest, AbsurdDimensions) {
  gguf_error(one_tensor({1, 1, 1, 1, 1}, kF32), "tensor 't': 5 dimensions");
  gguf_error(one_tensor({1ull << 40}, kF32), "dimension 0 is 1099511627776");
  gguf_error(
      one_tensor({0x7FFFFFFF, 0x7FFFFFFF, 0x7FFFFFFF, 0x7FFFFFFF}, kF32),
      "more than 2^63 elements");
  // About 2^64 bytes: refused by the file size, not by an allocation.
  gguf_error(
      one_tensor({0x7FFFFFFF, 0x7FFFFFFF}, kF32),
      "runs past the end of the 0-byte data section");
}

TEST_F(GgufErrorsTest, OffsetsOutOfRangeOrMisaligned) {
  gguf_error(one_tensor({4}, kF32, 0, 15), "16 bytes runs past the end");
  gguf_error(one_tensor({4}, kF32, 32, 40), "'t' at data offset 32");
  gguf_error(
      one_tensor({4}, kF32, ~0ull - 31, 16), "offset 18446744073709551584");
  gguf_error(
      one_tensor({4}, kF32, 8, 64),
      "offset 8 is not a multiple of the "
      "alignment 32");
}

TEST_F(GgufErrorsTest, UnsupportedTensorTypes) {
  gguf_error(
      one_tensor({256}, kQ4_K, 0, 144), "type Q4_K (12) is not supported");
  gguf_error(one_tensor({4}, 99), "type unknown (99) is not supported");
  gguf_error(
      one_tensor({33}, kQ4_0), "multiple of its 32-weight blocks, not 33");
  gguf_error(one_tensor({}, kQ8_0), "not a scalar");
}

TEST_F(GgufErrorsTest, NameCollisions) {
  GgufBytes f;
  f.header(2, 0).tensor("t", {1}, kF32, 0).tensor("t", {1}, kF32, 32).pad(32);
  f.b.resize(f.b.size() + 36);
  gguf_error(f.b, "two tensors load as the array 't'");
  // A quantized "a.weight" brings "a.scales", which another tensor has.
  f = {};
  f.header(2, 0).tensor("a.scales", {1}, kF32, 0);
  f.tensor("a.weight", {32}, kQ8_0, 32).pad(32);
  f.b.resize(f.b.size() + 32 + 34);
  gguf_error(f.b, "two tensors load as the array 'a.scales'");
}

TEST_F(GgufErrorsTest, EmptyTensorsWithHugeDimensionsLoadWithoutData) {
  // No bytes are needed, whatever the other dimension.
  auto g = mx::load_gguf(put("e.gguf", one_tensor({0x7FFFFFE0, 0}, kQ8_0)));
  EXPECT_EQ(g.first.at("t").shape(), (mx::Shape{0, 0x7FFFFFE0 / 4}));
  EXPECT_EQ(g.first.at("t.scales").shape(), (mx::Shape{0, 0x7FFFFFE0 / 32}));
  g = mx::load_gguf(put("f.gguf", one_tensor({0, 0x7FFFFFFF}, kF32)));
  EXPECT_EQ(g.first.at("t").shape(), (mx::Shape{0x7FFFFFFF, 0}));
}

} // namespace
