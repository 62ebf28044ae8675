// Helpers shared by io_test and io_errors_test: temporary files, hex
// blobs, bytewise array comparison and the sample arrays both tests (and
// io_check.py) compute the same way.
#pragma once

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "mlx/io.h"
#include "test_utils.h"

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

namespace io_test {

inline Bytes from_hex(const char* hex) {
  Bytes out;
  for (size_t i = 0; hex[i] && hex[i + 1]; i += 2) {
    out.push_back(
        static_cast<uint8_t>(std::stoi(std::string(hex + i, 2), nullptr, 16)));
  }
  return out;
}

inline Bytes read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), {});
}

inline void write_bytes(const std::string& path, const Bytes& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// The logical (row-major) bytes of an array of any layout.
inline Bytes logical_bytes(const mx::array& a) {
  mx::array c = mx::contiguous(a);
  c.eval();
  auto* p = c.data<uint8_t>();
  return p ? Bytes(p, p + c.nbytes()) : Bytes{};
}

// Same dtype, shape and bytes (so NaNs and -0 compare exactly).
inline void expect_same(const mx::array& got, const mx::array& want) {
  EXPECT_EQ(got.dtype(), want.dtype());
  EXPECT_EQ(got.shape(), want.shape());
  EXPECT_EQ(logical_bytes(got), logical_bytes(want))
      << "dtype " << want.dtype();
}

// Distinct values every dtype represents exactly: small signed integers
// (times 0.75 for floats), 230.. for unsigned, a pattern for bool. The
// same formula is in io_check.py.
inline mx::array sample(mx::Dtype dtype, const mx::Shape& shape) {
  size_t n = mx::shape_size(shape);
  if (dtype == mx::complex64) {
    std::vector<mx::complex64_t> v;
    for (size_t i = 0; i < n; ++i) {
      v.emplace_back(0.5f * i - 1.0f, 2.0f - i);
    }
    return mx::array(v.begin(), shape, dtype);
  }
  std::vector<double> v;
  for (size_t i = 0; i < n; ++i) {
    int k = static_cast<int>(i * 7 % 23);
    if (dtype == mx::bool_) {
      v.push_back(i % 3 == 1);
    } else if (mx::issubdtype(dtype, mx::unsignedinteger)) {
      v.push_back(230 + k);
    } else if (mx::issubdtype(dtype, mx::floating)) {
      v.push_back((k - 11) * 0.75);
    } else {
      v.push_back(k - 11);
    }
  }
  return mx::array(v.begin(), shape, dtype);
}

inline std::vector<mx::Dtype> npy_dtypes() {
  std::vector<mx::Dtype> out;
  for (auto d : mlx_test::kAllDtypes) {
    if (d != mx::bfloat16) {
      out.push_back(d);
    }
  }
  return out;
}

inline std::string name_of(mx::Dtype d) {
  return mx::dtype_to_string(d);
}

// f() throws E whose message starts with `prefix` and contains `part`.
template <typename E = std::runtime_error, typename F>
inline void
expect_error(F f, const std::string& prefix, const std::string& part) {
  try {
    f();
    ADD_FAILURE() << "nothing thrown; expected '" << prefix << "' ... '" << part
                  << "'";
  } catch (const E& e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.rfind(prefix, 0), 0u) << "message: " << msg;
    EXPECT_NE(msg.find(part), std::string::npos)
        << "message: " << msg << "\nexpected to contain: " << part;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

class IoTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("mlx_io_test_" + std::to_string(getpid()) + "_" +
            info->test_suite_name() + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const {
    return (dir_ / name).string();
  }
  std::string put(const std::string& name, const Bytes& bytes) const {
    write_bytes(path(name), bytes);
    return path(name);
  }
  // Every proper prefix of a valid file fails cleanly.
  template <typename Load>
  void expect_truncations_fail(
      const Bytes& bytes, Load load, const std::string& prefix) {
    for (size_t n = 0; n < bytes.size(); ++n) {
      auto file = put("cut", Bytes(bytes.begin(), bytes.begin() + n));
      expect_error([&] { load(file); }, prefix + " " + file, "");
    }
  }
  // Every single-byte change either loads or fails cleanly (with the
  // function's prefix): never a crash or another exception.
  template <typename Load>
  void expect_byte_flips_are_safe(
      const Bytes& bytes, Load load, const std::string& prefix) {
    for (size_t i = 0; i < bytes.size(); ++i) {
      for (uint8_t x : {0x01, 0x80, 0xff}) {
        Bytes b = bytes;
        b[i] ^= x;
        auto file = put("flip", b);
        try {
          load(file);
        } catch (const std::runtime_error& e) {
          ASSERT_EQ(std::string(e.what()).rfind(prefix, 0), 0u) << e.what();
        } catch (const std::exception& e) {
          FAIL() << "byte " << i << " ^ " << int(x) << ": " << e.what();
        }
      }
    }
  }

  fs::path dir_;
};

} // namespace io_test
