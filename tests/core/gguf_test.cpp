// GGUF: files laid out byte by byte from the specification (gguf_test_utils.h)
// load with their metadata, plain tensors and Q4_0/Q4_1/Q8_0 blocks (as
// affine quantized arrays whose dequantized values are computed by hand);
// save_gguf writes the same bytes as the independent writer and round-trips
// every dtype and kind of metadata. Corrupt files: gguf_errors_test.cpp.
#include "gguf_test_utils.h"

using namespace io_test;
using namespace gguf_test;

namespace {

// Row 0 of each Q4 block: byte j packs weight j (low nibble) and weight
// j + 16 (high nibble), as the specification's dequantize_row_q4_0 reads.
uint8_t nibbles(int low, int high) {
  return static_cast<uint8_t>(low | (high << 4));
}

// A version 3 file with every scalar value type, string and number arrays,
// a non-default alignment (64), plain F32/BF16/I32 tensors and one tensor
// of each quantized type.
Bytes spec_file() {
  GgufBytes f;
  f.header(6, 17);
  f.key("general.architecture", kStringv).str("llama");
  f.key("general.alignment", kU32v).u32(64);
  f.key("m.u8", kU8v).u8(200);
  f.key("m.i8", kI8v).u8(0xF9); // -7
  f.key("m.u16", kU16v).u16(60000);
  f.key("m.i16", kI16v).u16(0x8AD0); // -30000
  f.key("m.u32", kU32v).u32(4000000000u);
  f.key("m.i32", kI32v).u32(0x88CA6C00u); // -2000000000
  f.key("m.f32", kF32v).f32(1.5f);
  f.key("m.bool", kBoolv).u8(1);
  f.key("m.u64", kU64v).u64((1ull << 40) + 3);
  f.key("m.i64", kI64v).u64(~(1ull << 40) + 1); // -2^40
  f.key("m.f64", kF64v).f64(0.1);
  f.key("tokenizer.ggml.tokens", kArrayv).u32(kStringv).u64(3);
  f.str("<s>").str("").str("h\xc3\xa9llo");
  f.key("tokenizer.ggml.scores", kArrayv).u32(kF32v).u64(2);
  f.f32(0.5f).f32(-2.0f);
  f.key("m.flags", kArrayv).u32(kBoolv).u64(3).u8(1).u8(0).u8(1);
  f.key("m.ids", kArrayv).u32(kI64v).u64(2).u64(~0ull).u64(5);

  f.tensor("f32", {3, 2}, kF32, 0);
  f.tensor("bf16", {2}, kBF16, 64);
  f.tensor("i32", {4}, kI32, 128);
  f.tensor("blk.0.attn_q.weight", {32, 1}, kQ4_0, 192);
  f.tensor("blk.0.attn_k.weight", {32}, kQ4_1, 256);
  f.tensor("blk.0.ffn.weight", {32, 2}, kQ8_0, 320);
  f.pad(64);

  GgufBytes d; // the data section
  for (int i = 0; i < 6; ++i) {
    d.f32(0.5f * i - 1.0f);
  }
  d.pad(64).u16(0x3F80).u16(0xC020); // bf16 1.0, -2.5
  d.pad(64).u32(~0u).u32(0).u32(7).u32(0x7FFFFFFF);
  d.pad(64).u16(kHalf0_5); // Q4_0: d = 0.5, weight j: j, j + 16: 15 - j
  for (int j = 0; j < 16; ++j) {
    d.u8(nibbles(j, 15 - j));
  }
  d.pad(64).u16(kHalf0_25).u16(kHalfMinus1); // Q4_1: d = 0.25, m = -1
  for (int j = 0; j < 16; ++j) {
    d.u8(nibbles(15 - j, j));
  }
  d.pad(64).u16(kHalf0_125); // Q8_0 row 0: d = 0.125, q = j - 16
  for (int j = 0; j < 32; ++j) {
    d.u8(static_cast<uint8_t>(j - 16));
  }
  d.u16(kHalf2); // Q8_0 row 1: d = 2, q = 3j - 50
  for (int j = 0; j < 32; ++j) {
    d.u8(static_cast<uint8_t>(3 * j - 50));
  }
  return f.raw(d.b.data(), d.b.size()).b;
}

// The metadata value `key` as a 0-d or 1-d array.
mx::array meta_array(const mx::GGUFLoad& g, const std::string& key) {
  return std::get<mx::array>(g.second.at(key));
}

// The dequantized matrix (dequantize takes 2-d or more; a 1-d tensor is
// one row).
mx::array
dequantized(const mx::GGUFLoad& g, const std::string& base, int bits) {
  auto matrix = [&](const std::string& name) {
    auto a = g.first.at(base + name);
    return a.ndim() == 1 ? mx::reshape(a, {1, -1}) : a;
  };
  return mx::dequantize(
      matrix(".weight"), matrix(".scales"), matrix(".biases"), 32, bits);
}

class GgufTest : public IoTest {};

TEST_F(GgufTest, SpecFileLoadsMetadata) {
  auto g = mx::load_gguf(put("spec.gguf", spec_file()));
  EXPECT_EQ(g.second.size(), 17u);
  EXPECT_EQ(
      std::get<std::string>(g.second.at("general.architecture")), "llama");
  // Scalars are 0-d arrays of the value's type.
  struct Scalar {
    const char* key;
    mx::Dtype dtype;
    double value;
  };
  for (auto [key, dtype, value] : std::vector<Scalar>{
           {"general.alignment", mx::uint32, 64},
           {"m.u8", mx::uint8, 200},
           {"m.i8", mx::int8, -7},
           {"m.u16", mx::uint16, 60000},
           {"m.i16", mx::int16, -30000},
           {"m.u32", mx::uint32, 4000000000.0},
           {"m.i32", mx::int32, -2000000000.0},
           {"m.f32", mx::float32, 1.5},
           {"m.bool", mx::bool_, 1},
           {"m.u64", mx::uint64, 1099511627779.0},
           {"m.i64", mx::int64, -1099511627776.0},
           {"m.f64", mx::float64, 0.1},
       }) {
    SCOPED_TRACE(key);
    auto a = meta_array(g, key);
    EXPECT_EQ(a.dtype(), dtype);
    expect_array_values(a, {}, {value});
  }
  EXPECT_EQ(
      std::get<std::vector<std::string>>(g.second.at("tokenizer.ggml.tokens")),
      (std::vector<std::string>{"<s>", "", "h\xc3\xa9llo"}));
  auto scores = meta_array(g, "tokenizer.ggml.scores");
  EXPECT_EQ(scores.dtype(), mx::float32);
  expect_array_values(scores, {2}, {0.5, -2.0});
  auto flags = meta_array(g, "m.flags");
  EXPECT_EQ(flags.dtype(), mx::bool_);
  expect_array_values(flags, {3}, {1, 0, 1});
  expect_array_values(meta_array(g, "m.ids"), {2}, {-1, 5});
}

TEST_F(GgufTest, SpecFileLoadsPlainTensorsWithDimsReversed) {
  auto g = mx::load_gguf(put("spec.gguf", spec_file()));
  // 3 quantized tensors become 3 arrays each.
  EXPECT_EQ(g.first.size(), 3u + 3 * 3);
  auto f32 = g.first.at("f32");
  EXPECT_EQ(f32.dtype(), mx::float32);
  expect_array_values(f32, {2, 3}, {-1, -0.5, 0, 0.5, 1, 1.5});
  auto bf16 = g.first.at("bf16");
  EXPECT_EQ(bf16.dtype(), mx::bfloat16);
  expect_array_values(bf16, {2}, {1.0, -2.5});
  auto i32 = g.first.at("i32");
  EXPECT_EQ(i32.dtype(), mx::int32);
  expect_array_values(i32, {4}, {-1, 0, 7, 2147483647});
}

TEST_F(GgufTest, Q4_0BlockLoadsAsAffine4Bit) {
  auto g = mx::load_gguf(put("spec.gguf", spec_file()));
  const std::string base = "blk.0.attn_q";
  auto w = g.first.at(base + ".weight");
  EXPECT_EQ(w.dtype(), mx::uint32);
  EXPECT_EQ(w.shape(), (mx::Shape{1, 4}));
  // Weights 0..7 have q = 0..7, one nibble each from the lowest.
  EXPECT_EQ(mx::slice(w, {0, 0}, {1, 1}).item<uint32_t>(), 0x76543210u);
  auto scales = g.first.at(base + ".scales");
  EXPECT_EQ(scales.dtype(), mx::float16);
  expect_array_values(scales, {1, 1}, {0.5});
  expect_array_values(g.first.at(base + ".biases"), {1, 1}, {-4.0});
  // w = 0.5 * (q - 8): q = 0..15, then q = 15..0.
  expect_array_values(
      dequantized(g, base, 4),
      {1, 32},
      {-4,  -3.5, -3,   -2.5, -2,   -1.5, -1,   -0.5, 0,    0.5, 1,
       1.5, 2,    2.5,  3,    3.5,  3.5,  3,    2.5,  2,    1.5, 1,
       0.5, 0,    -0.5, -1,   -1.5, -2,   -2.5, -3,   -3.5, -4});
}

TEST_F(GgufTest, Q4_1BlockLoadsAsAffine4Bit) {
  auto g = mx::load_gguf(put("spec.gguf", spec_file()));
  const std::string base = "blk.0.attn_k";
  auto w = g.first.at(base + ".weight");
  EXPECT_EQ(w.shape(), (mx::Shape{4})); // a 1-d GGUF tensor
  EXPECT_EQ(mx::slice(w, {0}, {1}).item<uint32_t>(), 0x89ABCDEFu);
  expect_array_values(g.first.at(base + ".scales"), {1}, {0.25});
  expect_array_values(g.first.at(base + ".biases"), {1}, {-1.0});
  // w = 0.25 * q - 1: q = 15..0, then q = 0..15.
  expect_array_values(
      dequantized(g, base, 4),
      {1, 32},
      {2.75, 2.5,   2.25, 2,     1.75, 1.5,  1.25,  1,    0.75,  0.5, 0.25,
       0,    -0.25, -0.5, -0.75, -1,   -1,   -0.75, -0.5, -0.25, 0,   0.25,
       0.5,  0.75,  1,    1.25,  1.5,  1.75, 2,     2.25, 2.5,   2.75});
}

TEST_F(GgufTest, Q8_0BlocksLoadAsAffine8Bit) {
  auto g = mx::load_gguf(put("spec.gguf", spec_file()));
  const std::string base = "blk.0.ffn";
  auto w = g.first.at(base + ".weight");
  EXPECT_EQ(w.shape(), (mx::Shape{2, 8}));
  // q + 128 for q = -16..-13.
  EXPECT_EQ(mx::slice(w, {0, 0}, {1, 1}).item<uint32_t>(), 0x73727170u);
  expect_array_values(g.first.at(base + ".scales"), {2, 1}, {0.125, 2});
  expect_array_values(g.first.at(base + ".biases"), {2, 1}, {-16, -256});
  // Row 0: 0.125 * (j - 16); row 1: 2 * (3j - 50).
  expect_array_values(
      dequantized(g, base, 8),
      {2, 32},
      {-2,    -1.875, -1.75, -1.625, -1.5,  -1.375, -1.25, -1.125, -1,   -0.875,
       -0.75, -0.625, -0.5,  -0.375, -0.25, -0.125, 0,     0.125,  0.25, 0.375,
       0.5,   0.625,  0.75,  0.875,  1,     1.125,  1.25,  1.375,  1.5,  1.625,
       1.75,  1.875,  -100,  -94,    -88,   -82,    -76,   -70,    -64,  -58,
       -52,   -46,    -40,   -34,    -28,   -22,    -16,   -10,    -4,   2,
       8,     14,     20,    26,     32,    38,     44,    50,     56,   62,
       68,    74,     80,    86});
}

TEST_F(GgufTest, QuantizedArraysWorkWithQuantizedMatmul) {
  auto g = mx::load_gguf(put("spec.gguf", spec_file()));
  const auto& a = g.first;
  auto x = mx::ones({1, 32});
  auto y = mx::quantized_matmul(
      x,
      a.at("blk.0.ffn.weight"),
      a.at("blk.0.ffn.scales"),
      a.at("blk.0.ffn.biases"),
      true,
      32,
      8);
  // Row sums of the Q8_0 weights: 0.125 * sum(j - 16) = -2 and
  // 2 * sum(3j - 50) = 2 * (1488 - 1600) = -224.
  expect_array_values(mx::astype(y, mx::float32), {1, 2}, {-2, -224});
}

TEST_F(GgufTest, WriterMatchesTheSpecLayout) {
  auto file = path("small.gguf");
  mx::save_gguf(
      file,
      {{"w", mx::array({1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f}, {2, 3})},
       {"b", mx::array({int16_t(-2)}, {1})}},
      {{"name", std::string("tiny")}, {"n", mx::array(uint32_t(9))}});
  // Keys and names in sorted order, data at multiples of 32.
  GgufBytes f;
  f.header(2, 2);
  f.key("n", kU32v).u32(9);
  f.key("name", kStringv).str("tiny");
  f.tensor("b", {1}, 25, 0); // I16
  f.tensor("w", {3, 2}, kF32, 32);
  f.pad(32).u16(0xFFFE).pad(32);
  for (int i = 1; i <= 6; ++i) {
    f.f32(i);
  }
  EXPECT_EQ(read_bytes(file), f.b);
}

TEST_F(GgufTest, RoundTripsEveryDtypeAndShape) {
  std::unordered_map<std::string, mx::array> arrays;
  int k = 0;
  for (auto dtype :
       {mx::float32,
        mx::float16,
        mx::bfloat16,
        mx::float64,
        mx::int8,
        mx::int16,
        mx::int32,
        mx::int64}) {
    for (const auto& shape : std::vector<mx::Shape>{
             {}, {0}, {5}, {2, 3}, {2, 1, 3}, {1, 2, 2, 3}}) {
      arrays.emplace("t" + std::to_string(k++), sample(dtype, shape));
    }
  }
  // A transposed view is saved as its logical contents.
  arrays.emplace(
      "transposed", mx::transpose(sample(mx::float32, {3, 4}), {1, 0}));
  auto file = path("all.gguf");
  mx::save_gguf(file, arrays);
  auto g = mx::load_gguf(file);
  EXPECT_TRUE(g.second.empty());
  ASSERT_EQ(g.first.size(), arrays.size());
  for (const auto& [name, a] : arrays) {
    SCOPED_TRACE(name);
    expect_same(g.first.at(name), a);
  }
}

TEST_F(GgufTest, RoundTripsEveryKindOfMetadata) {
  std::unordered_map<std::string, mx::GGUFMetaData> meta = {
      {"s", std::string("hello")},
      {"empty", std::string()},
      {"strings", std::vector<std::string>{"a", "", "xyz"}},
      {"no_strings", std::vector<std::string>{}},
      {"general.alignment", mx::array(uint32_t(16))},
  };
  for (auto dtype :
       {mx::uint8,
        mx::int8,
        mx::uint16,
        mx::int16,
        mx::uint32,
        mx::int32,
        mx::uint64,
        mx::int64,
        mx::float32,
        mx::float64,
        mx::bool_}) {
    meta.emplace("scalar." + name_of(dtype), sample(dtype, {}));
    meta.emplace("vector." + name_of(dtype), sample(dtype, {4}));
  }
  meta.emplace("vector.empty", mx::zeros({0}, mx::int32));
  auto file = path("meta");
  mx::save_gguf(file, {{"x", sample(mx::float32, {3})}}, meta);
  auto g = mx::load_gguf(file + ".gguf"); // the extension was added
  ASSERT_EQ(g.second.size(), meta.size());
  for (const auto& [key, value] : meta) {
    SCOPED_TRACE(key);
    const auto& got = g.second.at(key);
    ASSERT_EQ(got.index(), value.index());
    if (auto* a = std::get_if<mx::array>(&value)) {
      expect_same(std::get<mx::array>(got), *a);
    } else if (auto* s = std::get_if<std::string>(&value)) {
      EXPECT_EQ(std::get<std::string>(got), *s);
    } else {
      EXPECT_EQ(
          std::get<std::vector<std::string>>(got),
          std::get<std::vector<std::string>>(value));
    }
  }
  expect_same(g.first.at("x"), sample(mx::float32, {3}));
  // Data aligned to 16: x's 12 bytes start at a multiple of it.
  EXPECT_EQ((read_bytes(file + ".gguf").size() - 12) % 16, 0u);
}

TEST_F(GgufTest, LoadArraysReadsGguf) {
  auto arrays = mx::load_arrays(put("spec.gguf", spec_file()));
  expect_array_eq(
      arrays.at("i32"), mx::array({-1, 0, 7, 2147483647}, mx::int32));
}

TEST_F(GgufTest, SaveRejectsWhatGgufCannotHold) {
  auto file = path("bad.gguf");
  auto x = mx::array(1.0f);
  using Meta = std::unordered_map<std::string, mx::GGUFMetaData>;
  auto save_error = [&](auto arrays, Meta meta, const std::string& part) {
    expect_throws_with_prefix(
        [&] { mx::save_gguf(file, arrays, meta); }, "[save_gguf]", part);
    EXPECT_FALSE(fs::exists(file));
  };
  using Arrays = std::unordered_map<std::string, mx::array>;
  save_error(Arrays{{"u", mx::array(uint32_t(1))}}, {}, "'u' has dtype uint32");
  save_error(
      Arrays{{"c", mx::array(mx::complex64_t(1, 2))}},
      {},
      "'c' has dtype complex64");
  save_error(
      Arrays{{"five", mx::zeros({1, 1, 1, 1, 1})}}, {}, "'five' has 5 dim");
  save_error(Arrays{}, Meta{{"m", mx::zeros({2, 2})}}, "'m' has 2 dim");
  save_error(
      Arrays{},
      Meta{{"h", mx::array(1.0f, mx::float16)}},
      "'h' has dtype float16");
  save_error(Arrays{}, Meta{{"none", std::monostate{}}}, "'none' has no value");
  save_error(
      Arrays{{"x", x}},
      Meta{{"general.alignment", mx::array(uint32_t(24))}},
      "24, not a power of 2");
  save_error(
      Arrays{{"x", x}},
      Meta{{"general.alignment", mx::array(32)}},
      "must be a uint32 scalar");
}

} // namespace
