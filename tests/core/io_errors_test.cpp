// Loaders treat files as untrusted: truncated, corrupt or hostile .npy,
// .npz and .safetensors files raise std::runtime_error naming the function,
// the file and the problem, and never crash or read out of bounds.
#include "io_test_data.h"
#include "io_test_utils.h"

using namespace io_test;

namespace {

uint32_t get32(const Bytes& b, size_t at) {
  uint32_t v;
  std::memcpy(&v, b.data() + at, 4);
  return v;
}
void set16(Bytes& b, size_t at, uint16_t v) {
  std::memcpy(b.data() + at, &v, 2);
}
void set32(Bytes& b, size_t at, uint32_t v) {
  std::memcpy(b.data() + at, &v, 4);
}

// Offset of the n-th (0-based) occurrence of a zip record signature.
size_t find_record(const Bytes& b, uint32_t signature, int n = 0) {
  for (size_t i = 0; i + 4 <= b.size(); ++i) {
    if (get32(b, i) == signature && n-- == 0) {
      return i;
    }
  }
  ADD_FAILURE() << "signature not found";
  return 0;
}
constexpr uint32_t kLocal = 0x04034b50, kCentral = 0x02014b50,
                   kEnd = 0x06054b50;

// Concatenated byte strings.
Bytes concat(std::initializer_list<std::string_view> parts) {
  Bytes out;
  for (auto part : parts) {
    for (char c : part) {
      out.push_back(static_cast<uint8_t>(c));
    }
  }
  return out;
}
std::string_view view(const Bytes& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// A version 1.0 .npy file with the given header dict and data.
Bytes make_npy(const std::string& dict, const Bytes& data) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64 != 0) {
    header += ' ';
  }
  header += '\n';
  char length[2] = {
      static_cast<char>(header.size() & 0xff),
      static_cast<char>(header.size() >> 8)};
  return concat(
      {"\x93NUMPY\x01",
       std::string_view("\0", 1),
       {length, 2},
       header,
       view(data)});
}

// A .safetensors file with the given JSON header and data section.
Bytes make_safetensors(const std::string& json, const Bytes& data) {
  uint64_t n = json.size();
  return concat({{reinterpret_cast<const char*>(&n), 8}, json, view(data)});
}

class IoErrorsTest : public IoTest {
protected:
  // Writes `bytes` and expects `load` to fail with `prefix` + the file name
  // and `part` in the message.
  template <typename Load>
  void expect_corrupt(
      const Bytes& bytes,
      Load load,
      const std::string& prefix,
      const std::string& part,
      const std::string& ext) {
    auto file = put("bad" + ext, bytes);
    expect_error([&] { load(file); }, prefix + " " + file, part);
  }
  void npy_error(const Bytes& bytes, const std::string& part) {
    expect_corrupt(
        bytes, [](auto f) { mx::load(f); }, "[load]", part, ".npy");
  }
  void npz_error(const Bytes& bytes, const std::string& part) {
    expect_corrupt(
        bytes, [](auto f) { mx::load_npz(f); }, "[load_npz]", part, ".npz");
  }
  void st_error(const Bytes& bytes, const std::string& part) {
    expect_corrupt(
        bytes,
        [](auto f) { mx::load_safetensors(f); },
        "[load_safetensors]",
        part,
        ".safetensors");
  }
};

// ---------------------------------------------------------------------------
// .npy

TEST_F(IoErrorsTest, SavingToAMissingDirectoryFails) {
  auto file = path("no/such/dir/x");
  expect_error([&] { mx::save(file, mx::array(1)); }, "[save] " + file, "open");
  expect_error(
      [&] {
        mx::savez(file, {{"a", mx::array(1)}});
      },
      "[savez] " + file,
      "");
  expect_error(
      [&] {
        mx::save_safetensors(file, {{"a", mx::array(1)}});
      },
      "[save_safetensors] " + file,
      "cannot open the file for writing");
}

TEST_F(IoErrorsTest, NpyMissingFileOrDirectory) {
  expect_error([&] { mx::load(path("nope.npy")); }, "[load] ", "cannot open");
  expect_error([&] { mx::load(dir_.string()); }, "[load] ", "regular file");
}

TEST_F(IoErrorsTest, NpyTruncatedAnywhere) {
  auto good = from_hex(io_test_data::kNpyFloat32);
  expect_truncations_fail(
      good, [](auto f) { mx::load(f); }, "[load]");
  npy_error(Bytes(good.begin(), good.begin() + 5), "too short");
  npy_error(Bytes(good.begin(), good.begin() + 100), "header length 118");
  npy_error(Bytes(good.begin(), good.end() - 4), "needs 24 bytes, 20 left");
}

TEST_F(IoErrorsTest, NpyBadPreamble) {
  auto good = from_hex(io_test_data::kNpyFloat32);
  Bytes b = good;
  b[1] = 'X';
  npy_error(b, "magic string");
  b = good;
  b[6] = 4;
  npy_error(b, "unsupported .npy format version 4.0");
  b = good;
  set16(b, 8, 0xffff);
  npy_error(b, "header length 65535 runs past the end");
}

TEST_F(IoErrorsTest, NpyBadHeaderDict) {
  Bytes data(24);
  auto dict = [&](const std::string& fields) {
    return make_npy("{" + fields + "}", data);
  };
  const std::string ok_descr = "'descr': '<f4', ";
  const std::string ok_order = "'fortran_order': False, ";
  const std::string ok_shape = "'shape': (2, 3), ";
  npy_error(
      make_npy("{" + ok_descr + ok_order + "'shape': (2, 3), ", data),
      "malformed .npy header");
  npy_error(dict(ok_descr + ok_shape), "lacks the key 'fortran_order'");
  npy_error(dict(ok_descr + ok_order + ok_shape + "'x': 1"), "unexpected key");
  npy_error(dict(ok_descr + ok_descr + ok_order + ok_shape), "duplicate key");
  npy_error(dict(ok_descr + ok_order + "'shape': (2, -3)"), "non-negative");
  npy_error(dict(ok_descr + ok_order + "'shape': (6)"), "trailing comma");
  npy_error(dict(ok_descr + "'fortran_order': maybe, " + ok_shape), "True");
  npy_error(
      dict(ok_descr + ok_order + "'shape': (4294967296,)"), "int32 range");
  npy_error(
      dict(ok_descr + ok_order + "'shape': (2147483647, 2147483647, 3)"),
      "overflows int64");
  npy_error(
      make_npy("{" + ok_descr + ok_order + ok_shape + "} x", data),
      "unexpected text after the dict");
  npy_error(
      dict("'descr': '<c16', " + ok_order + ok_shape),
      "unsupported dtype '<c16'");
  npy_error(
      dict("'descr': '|O', " + ok_order + ok_shape), "unsupported dtype '|O'");
  npy_error(
      dict("'descr': [('a', '<f4')], " + ok_order + ok_shape),
      "structured dtypes");
  npy_error(dict("'descr': 'f\\4', " + ok_order + ok_shape), "escape");
}

TEST_F(IoErrorsTest, NpyDataSizeMustMatchTheShape) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, "
                     "'shape': (2, 3), }";
  npy_error(make_npy(dict, Bytes(20)), "truncated data");
  npy_error(make_npy(dict, Bytes(28)), "4 unexpected bytes after the data");
  // Bytes of a bool array other than 0 and 1 load as true.
  auto b = mx::load(
      put("b.npy",
          make_npy(
              "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }",
              {0, 2, 255})));
  expect_array_values(b, {3}, {0, 1, 1});
}

TEST_F(IoErrorsTest, NpyByteFlipsAreSafe) {
  for (auto hex :
       {io_test_data::kNpyFloat32, io_test_data::kNpyInt32Fortran3d}) {
    expect_byte_flips_are_safe(
        from_hex(hex), [](auto f) { mx::load(f); }, "[load] ");
  }
}

// ---------------------------------------------------------------------------
// .npz

class NpzErrorsTest : public IoErrorsTest {
protected:
  // Our archive of a (int32, 3) and b (float32, 2), stored or deflated.
  Bytes archive(bool compressed) {
    std::unordered_map<std::string, mx::array> arrays = {
        {"a", mx::array({1, 2, 3})}, {"b", mx::array({1.5f, 2.5f})}};
    auto file = path("good.npz");
    compressed ? mx::savez_compressed(file, arrays) : mx::savez(file, arrays);
    return read_bytes(file);
  }
};

TEST_F(NpzErrorsTest, TruncatedAnywhere) {
  for (bool compressed : {false, true}) {
    expect_truncations_fail(
        archive(compressed), [](auto f) { mx::load_npz(f); }, "[load_npz]");
  }
  npz_error(Bytes(10), "too small");
  npz_error(Bytes(100, 'x'), "not a zip archive");
}

TEST_F(NpzErrorsTest, CrcMismatch) {
  // Stored: change the last data byte of entry a.npy.
  Bytes b = archive(false);
  size_t data_end = 30 + 5 + get32(b, 18); // header + "a.npy" + size
  b[data_end - 1] ^= 1;
  npz_error(b, "entry 'a.npy': CRC-32 mismatch");
  // Deflated: the CRC the central directory records is wrong.
  b = archive(true);
  size_t central = find_record(b, kCentral, 1);
  set32(b, central + 16, get32(b, central + 16) ^ 1);
  npz_error(b, "entry 'b.npy': CRC-32 mismatch");
}

TEST_F(NpzErrorsTest, CorruptDeflateStream) {
  Bytes b = archive(true);
  b[30 + 5] = 0xff; // block type 3 is reserved
  npz_error(b, "corrupt compressed data");
  // Declared sizes that disagree with the stream.
  b = archive(true);
  size_t central = find_record(b, kCentral);
  set32(b, central + 24, 0xfffffff0);
  npz_error(b, "more than deflate can produce");
}

TEST_F(NpzErrorsTest, BadRecordsAndOffsets) {
  Bytes good = archive(false);
  Bytes b = good;
  b[0] = 'X';
  npz_error(b, "bad local header signature");
  b = good;
  size_t end = find_record(b, kEnd);
  set32(b, end + 16, static_cast<uint32_t>(b.size() + 100));
  npz_error(b, "runs past the end record");
  b = good;
  size_t central = find_record(b, kCentral, 1);
  set32(b, central + 42, 0x7fffffff);
  npz_error(b, "entry 'b.npy': local header offset 2147483647");
  b = good;
  set16(b, find_record(b, kCentral) + 10, 12);
  npz_error(b, "unsupported compression method 12");
  b = good;
  set16(b, find_record(b, kCentral) + 8, 1);
  npz_error(b, "encrypted");
  b = good;
  set32(b, find_record(b, kCentral) + 24, 7);
  npz_error(b, "stored entry with different sizes");
  // Sizes that make entry a's data run into entry b's header.
  b = good;
  central = find_record(b, kCentral);
  set32(b, central + 20, get32(b, central + 20) + 40);
  set32(b, central + 24, get32(b, central + 24) + 40);
  npz_error(b, "overlaps entry 'b.npy'");
}

TEST_F(NpzErrorsTest, Zip64AndMultiDiskAreRejected) {
  Bytes good = archive(false);
  Bytes b = good;
  set32(b, find_record(b, kCentral) + 20, 0xffffffff);
  npz_error(b, "ZIP64 entries are not supported");
  b = good;
  size_t end = find_record(b, kEnd);
  set16(b, end + 10, 0xffff);
  npz_error(b, "ZIP64 archives are not supported");
  b = good;
  set16(b, end + 4, 1);
  npz_error(b, "multi-disk");
}

TEST_F(NpzErrorsTest, EntryNamesAreChecked) {
  // Rename a.npy to a.npx (both headers): not an array.
  Bytes b = archive(false);
  b[30 + 4] = 'x';
  b[find_record(b, kCentral) + 46 + 4] = 'x';
  npz_error(b, "entry 'a.npx' is not a .npy array");
  // Rename b.npy to a.npy: a duplicate.
  b = archive(false);
  b[find_record(b, kLocal, 1) + 30] = 'a';
  b[find_record(b, kCentral, 1) + 46] = 'a';
  npz_error(b, "appears twice");
  // The local name differs from the central one.
  b = archive(false);
  b[30] = 'c';
  npz_error(b, "does not match the central directory");
}

TEST_F(NpzErrorsTest, CorruptEntryHeader) {
  Bytes b = archive(false);
  b[30 + 5 + 1] = 'X'; // the .npy magic of entry a.npy
  npz_error(b, "entry 'a.npy': not a .npy file");
}

TEST_F(NpzErrorsTest, ByteFlipsAreSafe) {
  for (auto hex : {io_test_data::kNpzStored, io_test_data::kNpzDeflated}) {
    expect_byte_flips_are_safe(
        from_hex(hex), [](auto f) { mx::load_npz(f); }, "[load_npz] ");
  }
}

// ---------------------------------------------------------------------------
// .safetensors

// Header of a valid file with tensors a (F32 [2]) and b (I32 [2]).
const std::string kTwoTensors =
    R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
    R"("b":{"dtype":"I32","shape":[2],"data_offsets":[8,16]}})";

std::string tensor(const std::string& fields) {
  return R"({"t":{)" + fields + "}}";
}

TEST_F(IoErrorsTest, SafetensorsTruncatedAnywhere) {
  expect_truncations_fail(
      from_hex(io_test_data::kSafetensors),
      [](auto f) { mx::load_safetensors(f); },
      "[load_safetensors]");
  st_error(Bytes(5), "too small");
  Bytes b = make_safetensors(kTwoTensors, Bytes(16));
  b[0] = 0xff;
  st_error(b, "header size 255 runs past the end");
  // Unchanged, the file loads.
  auto ok = put("ok.safetensors", make_safetensors(kTwoTensors, Bytes(16)));
  EXPECT_EQ(mx::load_safetensors(ok).first.size(), 2u);
}

TEST_F(IoErrorsTest, SafetensorsBadJson) {
  Bytes data(16);
  for (auto [json, part] : std::vector<std::pair<std::string, std::string>>{
           {kTwoTensors.substr(0, kTwoTensors.size() - 1), "expected '}'"},
           {R"({"a":1,})", "expected a string key"},
           {kTwoTensors + "x", "unexpected text after the JSON value"},
           {"[1, 2]", "not a JSON object"},
           {"", "expected a value at the end of the text"},
           {R"({"a":{"dtype":"F32",)",
            "expected a string key at the end of the text"},
           {R"({"a\q":1})", "invalid escape"},
           {"{\"a\x01\":1}", "control character"},
           {"{\"\xc3\x28\":1}", "invalid UTF-8"},
           {R"({"\ud800":1})", "unpaired UTF-16 surrogate"},
           {R"({"a":01})", "expected '}'"},
           {R"({"a":NaN})", "unexpected character"},
           {R"({"a":1,"a":2})", "duplicate key \"a\""},
           {std::string(100, '[') + std::string(100, ']'), "deeper than 64"}}) {
    st_error(make_safetensors(json, data), part);
  }
}

TEST_F(IoErrorsTest, SafetensorsBadTensorEntries) {
  Bytes data(16);
  auto bad = [&](const std::string& json, const std::string& part) {
    st_error(make_safetensors(json, data), part);
  };
  bad(tensor(R"("dtype":"F32","shape":[2],"data_offsets":[0,24])"),
      "not a range inside the 16-byte data section");
  bad(tensor(R"("dtype":"F32","shape":[2],"data_offsets":[8,0])"),
      "not a range");
  bad(tensor(R"("dtype":"F32","shape":[3],"data_offsets":[0,8])"),
      "span 8 bytes but shape [3] of F32 needs 12");
  bad(tensor(R"("dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8])"),
      "unsupported dtype 'F8_E4M3'");
  bad(tensor(R"("dtype":"F32","shape":[2])"), "missing field 'data_offsets'");
  bad(tensor(R"("dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1)"),
      "unexpected field 'x'");
  bad(tensor(R"("dtype":"F32","shape":[-2],"data_offsets":[0,8])"),
      "shape entries must be integers");
  bad(tensor(R"("dtype":"F32","shape":[2.0],"data_offsets":[0,8])"),
      "shape entries must be integers");
  bad(tensor(R"("dtype":"F32","shape":[2],"data_offsets":[0.0,8])"),
      "data_offsets must be two non-negative integers");
  bad(tensor(
          R"("dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551616])"),
      "data_offsets must be two non-negative integers");
  bad(tensor(R"("dtype":"F32","shape":[2147483647,2147483647,)"
             R"(2147483647],"data_offsets":[0,8])"),
      "needs more than 2^63");
  bad(tensor(R"("dtype":32,"shape":[2],"data_offsets":[0,8])"),
      "dtype must be a string");
  bad(R"({"t":[1]})", "expected an object");
  bad(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"I32","shape":[2],"data_offsets":[4,12]}})",
      "tensors 'a' and 'b' overlap");
  bad(R"({"__metadata__":{"k":1}})", "value of 'k' is not a string");
  bad(R"({"__metadata__":[]})", "__metadata__ must be an object");
}

TEST_F(IoErrorsTest, SafetensorsByteFlipsAreSafe) {
  expect_byte_flips_are_safe(
      from_hex(io_test_data::kSafetensors),
      [](auto f) { mx::load_safetensors(f); },
      "[load_safetensors] ");
}

} // namespace
