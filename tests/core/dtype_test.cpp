// Dtypes: promotion (MLX's table), categories, finfo, names, and the
// float16 / bfloat16 storage types.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "test_utils.h"

using namespace mlx::core;

using mlx_test::kAllDtypes;

TEST(DtypeTest, PromotionTableMatchesMLX) {
  // MLX's promotion table (mlx/dtype.cpp type_rules), row by row in the
  // order of kAllDtypes.
  const Dtype b = bool_, u8 = uint8, u16 = uint16, u32 = uint32, u64 = uint64,
              i8 = int8, i16 = int16, i32 = int32, i64 = int64, f16 = float16,
              f32 = float32, f64 = float64, bf = bfloat16, c = complex64;
  const std::vector<std::vector<Dtype>> table = {
      {b, u8, u16, u32, u64, i8, i16, i32, i64, f16, f32, f64, bf, c},
      {u8, u8, u16, u32, u64, i16, i16, i32, i64, f16, f32, f64, bf, c},
      {u16, u16, u16, u32, u64, i32, i32, i32, i64, f16, f32, f64, bf, c},
      {u32, u32, u32, u32, u64, i64, i64, i64, i64, f16, f32, f64, bf, c},
      {u64, u64, u64, u64, u64, f32, f32, f32, f32, f16, f32, f64, bf, c},
      {i8, i16, i32, i64, f32, i8, i16, i32, i64, f16, f32, f64, bf, c},
      {i16, i16, i32, i64, f32, i16, i16, i32, i64, f16, f32, f64, bf, c},
      {i32, i32, i32, i64, f32, i32, i32, i32, i64, f16, f32, f64, bf, c},
      {i64, i64, i64, i64, f32, i64, i64, i64, i64, f16, f32, f64, bf, c},
      {f16, f16, f16, f16, f16, f16, f16, f16, f16, f16, f32, f64, f32, c},
      {f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f64, f32, c},
      {f64, f64, f64, f64, f64, f64, f64, f64, f64, f64, f64, f64, f64, c},
      {bf, bf, bf, bf, bf, bf, bf, bf, bf, f32, f32, f64, bf, c},
      {c, c, c, c, c, c, c, c, c, c, c, c, c, c},
  };
  for (size_t i = 0; i < kAllDtypes.size(); ++i) {
    for (size_t j = 0; j < kAllDtypes.size(); ++j) {
      EXPECT_EQ(promote_types(kAllDtypes[i], kAllDtypes[j]), table[i][j])
          << kAllDtypes[i] << " + " << kAllDtypes[j];
    }
  }
}

TEST(DtypeTest, PromotionExamples) {
  EXPECT_EQ(promote_types(uint64, int8), float32);
  EXPECT_EQ(promote_types(int8, uint8), int16);
  EXPECT_EQ(promote_types(float16, bfloat16), float32);
  EXPECT_EQ(promote_types(bool_, int16), int16);
  EXPECT_EQ(promote_types(int64, float16), float16);
  EXPECT_EQ(promote_types(uint32, int32), int64);
}

TEST(DtypeTest, SizesAndKinds) {
  const std::vector<int> sizes = {1, 1, 2, 4, 8, 1, 2, 4, 8, 2, 4, 8, 2, 8};
  for (size_t i = 0; i < kAllDtypes.size(); ++i) {
    EXPECT_EQ(size_of(kAllDtypes[i]), sizes[i]) << kAllDtypes[i];
  }
  EXPECT_EQ(kindof(bool_), Dtype::Kind::b);
  EXPECT_EQ(kindof(uint16), Dtype::Kind::u);
  EXPECT_EQ(kindof(int64), Dtype::Kind::i);
  EXPECT_EQ(kindof(float16), Dtype::Kind::f);
  EXPECT_EQ(kindof(float64), Dtype::Kind::f);
  EXPECT_EQ(kindof(bfloat16), Dtype::Kind::V);
  EXPECT_EQ(kindof(complex64), Dtype::Kind::c);
}

TEST(DtypeTest, Names) {
  const std::vector<std::string> names = {
      "bool",
      "uint8",
      "uint16",
      "uint32",
      "uint64",
      "int8",
      "int16",
      "int32",
      "int64",
      "float16",
      "float32",
      "float64",
      "bfloat16",
      "complex64"};
  for (size_t i = 0; i < kAllDtypes.size(); ++i) {
    EXPECT_EQ(dtype_to_string(kAllDtypes[i]), names[i]);
    std::ostringstream os;
    os << kAllDtypes[i];
    EXPECT_EQ(os.str(), names[i]);
  }
  std::ostringstream os;
  os << floating;
  EXPECT_EQ(os.str(), "floating");
}

TEST(DtypeTest, TypeToDtype) {
  EXPECT_EQ(Dtype(TypeToDtype<bool>()), bool_);
  EXPECT_EQ(Dtype(TypeToDtype<uint8_t>()), uint8);
  EXPECT_EQ(Dtype(TypeToDtype<int16_t>()), int16);
  EXPECT_EQ(Dtype(TypeToDtype<int64_t>()), int64);
  EXPECT_EQ(Dtype(TypeToDtype<float16_t>()), float16);
  EXPECT_EQ(Dtype(TypeToDtype<bfloat16_t>()), bfloat16);
  EXPECT_EQ(Dtype(TypeToDtype<float>()), float32);
  // As in MLX, C++ double literals make float32 arrays (float64 is opt-in).
  EXPECT_EQ(Dtype(TypeToDtype<double>()), float32);
  EXPECT_EQ(Dtype(TypeToDtype<complex64_t>()), complex64);
}

TEST(DtypeTest, IssubdtypeDtypeCategory) {
  EXPECT_TRUE(issubdtype(float16, floating));
  EXPECT_TRUE(issubdtype(bfloat16, floating));
  EXPECT_TRUE(issubdtype(float64, inexact));
  EXPECT_FALSE(issubdtype(complex64, floating));
  EXPECT_TRUE(issubdtype(complex64, complexfloating));
  EXPECT_TRUE(issubdtype(complex64, inexact));
  EXPECT_TRUE(issubdtype(complex64, number));
  EXPECT_TRUE(issubdtype(int8, signedinteger));
  EXPECT_FALSE(issubdtype(int8, unsignedinteger));
  EXPECT_TRUE(issubdtype(uint64, unsignedinteger));
  EXPECT_TRUE(issubdtype(uint64, integer));
  EXPECT_FALSE(issubdtype(uint64, inexact));
  EXPECT_TRUE(issubdtype(int32, number));
  // bool is neither integer nor number (as NumPy and MLX).
  EXPECT_FALSE(issubdtype(bool_, integer));
  EXPECT_FALSE(issubdtype(bool_, number));
  for (auto t : kAllDtypes) {
    EXPECT_TRUE(issubdtype(t, generic)) << t;
  }
}

TEST(DtypeTest, IssubdtypeOtherForms) {
  EXPECT_TRUE(issubdtype(float32, float32));
  EXPECT_FALSE(issubdtype(float32, float16));
  EXPECT_FALSE(issubdtype(floating, float32));
  EXPECT_TRUE(issubdtype(floating, inexact));
  EXPECT_TRUE(issubdtype(floating, number));
  EXPECT_FALSE(issubdtype(inexact, floating));
  EXPECT_TRUE(issubdtype(complexfloating, inexact));
  EXPECT_TRUE(issubdtype(signedinteger, integer));
  EXPECT_TRUE(issubdtype(unsignedinteger, number));
  EXPECT_FALSE(issubdtype(integer, signedinteger));
  EXPECT_FALSE(issubdtype(number, integer));
  EXPECT_TRUE(issubdtype(number, generic));
  EXPECT_FALSE(issubdtype(generic, number));
  EXPECT_FALSE(issubdtype(integer, inexact));
}

TEST(DtypeTest, Finfo) {
  // np.finfo(np.float16 / float32 / float64) and ml_dtypes' bfloat16.
  finfo h(float16);
  EXPECT_EQ(h.max, 65504.0);
  EXPECT_EQ(h.min, -65504.0);
  EXPECT_EQ(h.eps, 0.0009765625);
  EXPECT_EQ(h.dtype, float16);
  finfo f(float32);
  EXPECT_EQ(f.max, 3.4028234663852886e38);
  EXPECT_EQ(f.min, -3.4028234663852886e38);
  EXPECT_EQ(f.eps, 1.1920928955078125e-07);
  finfo d(float64);
  EXPECT_EQ(d.max, std::numeric_limits<double>::max());
  EXPECT_EQ(d.eps, 2.220446049250313e-16);
  finfo bf(bfloat16);
  EXPECT_EQ(bf.max, 3.3895313892515355e38);
  EXPECT_EQ(bf.eps, 0.0078125);
  // complex64 reports the limits of its float32 components.
  finfo c(complex64);
  EXPECT_EQ(c.dtype, float32);
  EXPECT_EQ(c.max, f.max);
  expect_throws_with_prefix([] { finfo x(int32); }, "[finfo]");
  expect_throws_with_prefix([] { finfo x(bool_); }, "[finfo]");
}

TEST(HalfTypesTest, Float16Conversions) {
  // np.float16(np.float32(v)).view(np.uint16) for each v.
  struct Case {
    float in;
    uint16_t bits;
    float out;
  };
  const std::vector<Case> cases = {
      {1.0f, 15360, 1.0f},
      {0.1f, 11878, 0.0999755859375f},
      {-2.5f, 49408, -2.5f},
      {65504.0f, 31743, 65504.0f},
      {65519.99f, 31743, 65504.0f}, // just below the overflow threshold
      {65520.0f, 31744, INFINITY},  // rounds up to inf
      {1e5f, 31744, INFINITY},
      {1e-8f, 0, 0.0f},                                    // underflows to zero
      {5.960464477539063e-08f, 1, 5.960464477539063e-08f}, // 2^-24
      {2.9802322387695312e-08f, 0, 0.0f}, // 2^-25: tie, rounds to even 0
      {8.940696716308594e-08f, 2, 1.1920928955078125e-07f}, // 3*2^-25
      {6.103515625e-05f, 1024, 6.103515625e-05f},           // smallest normal
      {1.00048828125f, 15360, 1.0f},         // 1 + 2^-11: tie to even
      {1.00146484375f, 15362, 1.001953125f}, // 1 + 3*2^-11: tie to even
  };
  for (auto& c : cases) {
    float16_t h(c.in);
    EXPECT_EQ(h.bits_, c.bits) << c.in;
    EXPECT_EQ(static_cast<float>(h), c.out) << c.in;
    float16_t n(-c.in);
    EXPECT_EQ(static_cast<float>(n), -c.out) << c.in;
  }
  EXPECT_TRUE(std::isnan(static_cast<float>(float16_t(NAN))));
  EXPECT_EQ(static_cast<float>(float16_t(-INFINITY)), -INFINITY);
  EXPECT_EQ(float16_t(-0.0f).bits_, 0x8000);
  // Every finite half survives a round trip through float.
  for (uint32_t b = 0; b < 0x10000; ++b) {
    auto h = float16_t::from_bits(static_cast<uint16_t>(b));
    float f = h;
    if (std::isnan(f)) {
      continue;
    }
    ASSERT_EQ(float16_t(f).bits_, b);
  }
  // Conversions from other arithmetic types go through float.
  EXPECT_EQ(static_cast<float>(float16_t(3)), 3.0f);
  EXPECT_EQ(static_cast<float>(float16_t(0.5)), 0.5f);
}

TEST(HalfTypesTest, BFloat16Conversions) {
  // Round-to-nearest-even of the float32 bits (as ml_dtypes.bfloat16).
  struct Case {
    float in;
    uint16_t bits;
    float out;
  };
  const std::vector<Case> cases = {
      {1.0f, 0x3f80, 1.0f},
      {0.1f, 0x3dcd, 0.10009765625f},
      {3.14159f, 0x4049, 3.140625f},
      {1.00390625f, 0x3f80, 1.0f},      // 1 + 2^-8: tie to even
      {1.01171875f, 0x3f82, 1.015625f}, // 1 + 3*2^-8: tie to even
      {-2.5f, 0xc020, -2.5f},
      {3.4e38f, 0x7f80, INFINITY}, // rounds past the max to inf
  };
  for (auto& c : cases) {
    bfloat16_t h(c.in);
    EXPECT_EQ(h.bits_, c.bits) << c.in;
    EXPECT_EQ(static_cast<float>(h), c.out) << c.in;
  }
  EXPECT_TRUE(std::isnan(static_cast<float>(bfloat16_t(NAN))));
  EXPECT_EQ(static_cast<float>(bfloat16_t(INFINITY)), INFINITY);
  // Smallest float32 subnormal survives as a bfloat16 subnormal.
  float tiny = std::numeric_limits<float>::denorm_min() * 65536.0f;
  EXPECT_EQ(static_cast<float>(bfloat16_t(tiny)), tiny);
  for (uint32_t b = 0; b < 0x10000; ++b) {
    auto h = bfloat16_t::from_bits(static_cast<uint16_t>(b));
    float f = h;
    if (std::isnan(f)) {
      continue;
    }
    ASSERT_EQ(bfloat16_t(f).bits_, b);
  }
}
