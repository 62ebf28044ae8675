// Array I/O: .npy, .npz and .safetensors round trips for every dtype and
// layout, files written by NumPy and by an independent safetensors writer
// (io_test_data.h), and NumPy reading our files (io_check.py). Corrupt
// and truncated files: io_errors_test.cpp.
#include <cstdlib>

#include "io_test_data.h"
#include "io_test_utils.h"

using namespace io_test;

namespace {

// ---------------------------------------------------------------------------
// Round trips

TEST_F(IoTest, NpyRoundTripsEveryNumPyDtype) {
  for (auto dtype : npy_dtypes()) {
    auto a = sample(dtype, {2, 3});
    auto file = path("x_" + name_of(dtype) + ".npy");
    mx::save(file, a);
    // 128-byte header (NumPy aligns the data to 64 bytes), then the data.
    EXPECT_EQ(fs::file_size(file), 128 + a.nbytes()) << name_of(dtype);
    auto b = mx::load(file);
    EXPECT_TRUE(b.is_available());
    EXPECT_TRUE(b.flags().row_contiguous);
    expect_same(b, a);
  }
}

TEST_F(IoTest, NpySaveAppendsTheExtension) {
  mx::save(path("weights"), mx::array({1, 2, 3}));
  EXPECT_TRUE(fs::exists(path("weights.npy")));
  expect_same(mx::load(path("weights.npy")), mx::array({1, 2, 3}));
}

TEST_F(IoTest, NpyRejectsBfloat16WithoutCreatingAFile) {
  expect_error<std::invalid_argument>(
      [&] { mx::save(path("b.npy"), sample(mx::bfloat16, {2})); },
      "[save]",
      "bfloat16");
  EXPECT_FALSE(fs::exists(path("b.npy")));
}

TEST_F(IoTest, ScalarAndEmptyArraysRoundTrip) {
  std::vector<mx::array> arrays = {
      mx::array(2.5f),
      mx::array(true),
      mx::zeros({0}, mx::float32),
      mx::zeros({0, 3}, mx::int64),
      mx::zeros({3, 0, 2}, mx::complex64)};
  std::unordered_map<std::string, mx::array> map;
  for (size_t i = 0; i < arrays.size(); ++i) {
    mx::save(path("s.npy"), arrays[i]);
    expect_same(mx::load(path("s.npy")), arrays[i]);
    map.emplace("a" + std::to_string(i), arrays[i]);
  }
  mx::savez(path("s.npz"), map);
  mx::savez_compressed(path("c.npz"), map);
  mx::save_safetensors(path("s.safetensors"), map);
  for (auto& loaded :
       {mx::load_npz(path("s.npz")),
        mx::load_npz(path("c.npz")),
        mx::load_safetensors(path("s.safetensors")).first}) {
    ASSERT_EQ(loaded.size(), map.size());
    for (auto& [name, a] : map) {
      expect_same(loaded.at(name), a);
    }
  }
}

TEST_F(IoTest, NonContiguousInputsSaveTheirLogicalContents) {
  auto base = sample(mx::float32, {4, 6});
  std::unordered_map<std::string, mx::array> views = {
      {"transposed", mx::transpose(base)},
      {"strided", mx::slice(base, {0, 1}, {4, 6}, {2, 2})},
      {"reversed", mx::slice(base, {3, 5}, {-5, -7}, {-1, -2})},
      {"broadcast", mx::broadcast_to(sample(mx::int16, {1, 3}), {4, 3})},
      {"row", mx::slice(base, {2, 0}, {3, 6})}};
  mx::savez(path("v.npz"), views);
  mx::savez_compressed(path("vc.npz"), views);
  mx::save_safetensors(path("v.safetensors"), views);
  auto stored = mx::load_npz(path("v.npz"));
  auto deflated = mx::load_npz(path("vc.npz"));
  auto st = mx::load_safetensors(path("v.safetensors")).first;
  for (auto& [name, view] : views) {
    mx::save(path(name + ".npy"), view);
    expect_same(mx::load(path(name + ".npy")), view);
    expect_same(stored.at(name), view);
    expect_same(deflated.at(name), view);
    expect_same(st.at(name), view);
  }
  // Spot-check the transposed values against the formula: element (1, 0)
  // of base.T is base[0, 1] = (7 - 11) * 0.75.
  expect_array_values(
      mx::slice(stored.at("transposed"), {1, 0}, {2, 1}), {1, 1}, {-3.0});
}

TEST_F(IoTest, NpzRoundTripsEveryDtypeStoredAndCompressed) {
  std::unordered_map<std::string, mx::array> arrays;
  for (auto dtype : npy_dtypes()) {
    arrays.emplace(name_of(dtype), sample(dtype, {3, 5}));
  }
  // Names with dots, slashes and non-ASCII characters are kept.
  arrays.emplace("layers.0.weight", sample(mx::float32, {2, 2}));
  arrays.emplace("dir/wé", sample(mx::int8, {4}));
  mx::savez(path("a"), arrays); // ".npz" is appended
  mx::savez_compressed(path("b.npz"), arrays);
  EXPECT_LT(fs::file_size(path("b.npz")), fs::file_size(path("a.npz")));
  for (auto file : {path("a.npz"), path("b.npz")}) {
    auto loaded = mx::load_npz(file);
    ASSERT_EQ(loaded.size(), arrays.size());
    for (auto& [name, a] : arrays) {
      ASSERT_TRUE(loaded.count(name)) << name;
      expect_same(loaded.at(name), a);
    }
    EXPECT_EQ(mx::load_arrays(file).size(), arrays.size());
  }
  expect_error<std::invalid_argument>(
      [&] {
        mx::savez(path("bf.npz"), {{"x", sample(mx::bfloat16, {2})}});
      },
      "[savez]",
      "bfloat16");
  EXPECT_FALSE(fs::exists(path("bf.npz")));
  // An empty archive is valid.
  mx::savez(path("empty.npz"), {});
  EXPECT_TRUE(mx::load_npz(path("empty.npz")).empty());
}

TEST_F(IoTest, SafetensorsRoundTripsEveryDtypeAndMetadata) {
  std::unordered_map<std::string, mx::array> arrays;
  for (auto dtype : mlx_test::kAllDtypes) {
    arrays.emplace(name_of(dtype), sample(dtype, {2, 3}));
  }
  arrays.emplace("naïve \"name\"\n", sample(mx::float32, {1}));
  std::unordered_map<std::string, std::string> metadata = {
      {"format", "mlx"}, {"quote\"and\\slash", "ü\tvalue"}, {"", ""}};
  mx::save_safetensors(path("m"), arrays, metadata);
  auto file = path("m.safetensors");
  // The data section starts at a multiple of 8 (the header is padded) and
  // the tensors are ordered by item size, so each is aligned.
  auto bytes = read_bytes(file);
  uint64_t header_size = 0;
  std::memcpy(&header_size, bytes.data(), 8);
  EXPECT_EQ((8 + header_size) % 8, 0u);
  auto [loaded, meta] = mx::load_safetensors(file);
  EXPECT_EQ(meta, metadata);
  ASSERT_EQ(loaded.size(), arrays.size());
  for (auto& [name, a] : arrays) {
    ASSERT_TRUE(loaded.count(name)) << name;
    expect_same(loaded.at(name), a);
  }
  EXPECT_EQ(mx::load_arrays(file).size(), arrays.size());
}

TEST_F(IoTest, SafetensorsRejectsReservedAndInvalidNames) {
  expect_error<std::invalid_argument>(
      [&] {
        mx::save_safetensors(path("r"), {{"__metadata__", mx::array(1)}});
      },
      "[save_safetensors]",
      "reserved");
  expect_error<std::invalid_argument>(
      [&] {
        mx::save_safetensors(path("r"), {{"\xff", mx::array(1)}});
      },
      "[save_safetensors]",
      "UTF-8");
  EXPECT_FALSE(fs::exists(path("r.safetensors")));
}

TEST_F(IoTest, LoadArraysDispatchesOnTheExtension) {
  mx::save(path("x.npy"), mx::array(1));
  expect_error<std::invalid_argument>(
      [&] { mx::load_arrays(path("x.npy")); }, "[load_arrays]", ".npy");
  expect_error<std::invalid_argument>(
      [&] { mx::load_arrays(path("x.bin")); }, "[load_arrays]", "x.bin");
}

TEST_F(IoTest, LargeHeaderUsesFormatVersion2) {
  // 25000 dimensions of size 1 need a header over 65535 bytes.
  auto a = mx::reshape(mx::array({4.0f}), mx::Shape(25000, 1));
  mx::save(path("big.npy"), a);
  auto bytes = read_bytes(path("big.npy"));
  EXPECT_EQ(bytes[6], 2); // major version
  EXPECT_EQ((bytes.size() - 4) % 64, 0u);
  expect_same(mx::load(path("big.npy")), a);
}

// ---------------------------------------------------------------------------
// Files written by other programs

TEST_F(IoTest, ReadsNpyFilesWrittenByNumPy) {
  using namespace io_test_data;
  auto load = [&](const char* hex) {
    return mx::load(put("f.npy", from_hex(hex)));
  };
  auto f32 = load(kNpyFloat32);
  EXPECT_EQ(f32.dtype(), mx::float32);
  expect_array_values(f32, {2, 3}, {-1, -0.5, 0, 0.5, 1, 1.5});
  auto i16 = load(kNpyInt16BigEndian);
  EXPECT_EQ(i16.dtype(), mx::int16);
  expect_array_values(i16, {2, 3}, {1, -2, 300, -400, 5, 32767});
  auto f64 = load(kNpyFloat64Fortran);
  EXPECT_EQ(f64.dtype(), mx::float64);
  expect_array_values(f64, {2, 3}, {0, 1, 2, 3, 4, 5});
  std::vector<double> iota(24);
  for (int i = 0; i < 24; ++i) {
    iota[i] = i;
  }
  auto i32 = load(kNpyInt32Fortran3d);
  EXPECT_EQ(i32.dtype(), mx::int32);
  expect_array_values(i32, {2, 3, 4}, iota);
  auto b = load(kNpyBool);
  EXPECT_EQ(b.dtype(), mx::bool_);
  expect_array_values(b, {3}, {1, 0, 1});
  expect_complex_near(load(kNpyComplex64), {{1, 2}, {-3.5, 0.25}}, {2}, 0, 0);
  auto f16 = load(kNpyFloat16);
  EXPECT_EQ(f16.dtype(), mx::float16);
  expect_array_values(f16, {4}, {0.5, -2, 65504, INFINITY});
  auto u64 = load(kNpyUint64);
  EXPECT_EQ(u64.dtype(), mx::uint64);
  u64.eval();
  EXPECT_EQ(u64.data<uint64_t>()[1], UINT64_MAX);
  EXPECT_EQ(u64.data<uint64_t>()[2], uint64_t(1) << 40);
  auto v2 = load(kNpyVersion2);
  EXPECT_EQ(v2.dtype(), mx::int64);
  expect_array_values(v2, {4}, {0, 1, 2, 3});
  auto scalar = load(kNpyScalar);
  expect_array_values(scalar, {}, {3.25});
  auto empty = load(kNpyEmpty);
  EXPECT_EQ(empty.dtype(), mx::float32);
  EXPECT_EQ(empty.shape(), (mx::Shape{0, 3}));
}

TEST_F(IoTest, ReadsNpzFilesWrittenByNumPy) {
  auto stored = mx::load_npz(put("s.npz", from_hex(io_test_data::kNpzStored)));
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored.at("a").dtype(), mx::int32);
  expect_array_values(stored.at("a"), {3}, {0, 1, 2});
  EXPECT_EQ(stored.at("b").dtype(), mx::float32);
  expect_array_values(stored.at("b"), {1, 2}, {1.5, 2.5});

  auto deflated =
      mx::load_arrays(put("d.npz", from_hex(io_test_data::kNpzDeflated)));
  ASSERT_EQ(deflated.size(), 2u);
  std::vector<double> iota(100);
  for (int i = 0; i < 100; ++i) {
    iota[i] = i;
  }
  EXPECT_EQ(deflated.at("x").dtype(), mx::int64);
  expect_array_values(deflated.at("x"), {100}, iota);
  expect_array_values(deflated.at("y"), {2}, {1, 0});
}

TEST_F(IoTest, ReadsSafetensorsFromAnIndependentWriter) {
  auto file = put("h.safetensors", from_hex(io_test_data::kSafetensors));
  auto [arrays, meta] = mx::load_safetensors(file);
  EXPECT_EQ(
      meta,
      (std::unordered_map<std::string, std::string>{
          {"format", "pt"}, {"note", "hand written"}}));
  ASSERT_EQ(arrays.size(), 5u);
  EXPECT_EQ(arrays.at("bias").dtype(), mx::bfloat16);
  expect_array_values(arrays.at("bias"), {2}, {1, -2});
  EXPECT_EQ(arrays.at("caf\xc3\xa9").dtype(), mx::uint16);
  expect_array_values(arrays.at("caf\xc3\xa9"), {3}, {1, 2, 3});
  EXPECT_EQ(arrays.at("empty").shape(), (mx::Shape{0, 4}));
  EXPECT_EQ(arrays.at("step").dtype(), mx::int64);
  expect_array_values(arrays.at("step"), {}, {7});
  expect_array_values(arrays.at("weight"), {2, 2}, {1, 2, 3, 4});
}

} // namespace

// ---------------------------------------------------------------------------
// NumPy reads our files: io_check.py loads them with np.load (and parses
// the .safetensors file by hand) and compares with the same sample values.

namespace {

TEST_F(IoTest, NumPyReadsOurFiles) {
  if (std::system("/usr/bin/python3 -c 'import numpy' > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "/usr/bin/python3 with NumPy is not available";
  }
  fs::path script = fs::path(__FILE__).parent_path() / "io_check.py";
  if (!fs::exists(script)) {
    GTEST_SKIP() << script << " not found";
  }
  std::unordered_map<std::string, mx::array> arrays;
  for (auto dtype : npy_dtypes()) {
    auto a = sample(dtype, {2, 3});
    mx::save(path("npy_" + name_of(dtype) + ".npy"), a);
    arrays.emplace(name_of(dtype), a);
  }
  auto transposed = mx::transpose(sample(mx::float32, {3, 2}));
  mx::save(path("npy_transposed.npy"), transposed);
  mx::save(path("npy_scalar.npy"), sample(mx::float64, {}));
  mx::save(path("npy_empty.npy"), sample(mx::int32, {0, 3}));
  mx::savez(path("stored.npz"), arrays);
  mx::savez_compressed(path("deflated.npz"), arrays);
  arrays.emplace("bfloat16", sample(mx::bfloat16, {2, 3}));
  arrays.emplace("transposed", transposed);
  mx::save_safetensors(
      path("all.safetensors"),
      arrays,
      {{"format", "mlx"}, {"note", "\xc3\xa9 \"q\""}});
  std::string command =
      "/usr/bin/python3 " + script.string() + " " + dir_.string();
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
}

} // namespace
