// float16 and bfloat16 storage types. Arithmetic happens in float: both
// convert implicitly to and from float, so kernels write `T(f(float(x)))`.
#pragma once

#include <cstdint>
#include <cstring>
#include <ostream>
#include <type_traits>

namespace mlx::core {

namespace detail {

inline uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}

inline float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

// IEEE binary32 -> binary16, round to nearest even, with subnormals, inf, nan.
inline uint16_t float_to_half_bits(float f) {
  uint32_t x = float_bits(f);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) { // inf or nan
    return sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u);
  }
  if (abs >= 0x477ff000u) { // rounds to a value >= 65520: overflow to inf
    return sign | 0x7c00u;
  }
  if (abs < 0x38800000u) { // below the smallest normal half: subnormal
    // Adding 0.5f aligns the subnormal half mantissa with the float's low
    // bits; the float adder performs the round-to-nearest-even for us.
    float v = bits_float(abs) + 0.5f;
    return sign | static_cast<uint16_t>(float_bits(v) - 0x3f000000u);
  }
  uint32_t mant_odd = (abs >> 13) & 1u;
  abs += 0xc8000fffu + mant_odd; // rebias exponent (-112 << 23) and round
  return sign | static_cast<uint16_t>(abs >> 13);
}

inline float half_bits_to_float(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  if (exp == 0x1f) { // inf / nan
    return bits_float(sign | 0x7f800000u | (mant << 13));
  }
  if (exp == 0) { // zero or subnormal: mant * 2^-24
    float v = static_cast<float>(mant) * 5.9604644775390625e-8f;
    return sign ? -v : v;
  }
  return bits_float(sign | ((exp + 112) << 23) | (mant << 13));
}

inline uint16_t float_to_bfloat_bits(float f) {
  uint32_t x = float_bits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) { // keep nan a (quiet) nan
    return static_cast<uint16_t>((x >> 16) | 0x40u);
  }
  x += 0x7fffu + ((x >> 16) & 1u); // round to nearest even
  return static_cast<uint16_t>(x >> 16);
}

inline float bfloat_bits_to_float(uint16_t b) {
  return bits_float(static_cast<uint32_t>(b) << 16);
}

} // namespace detail

struct float16_t {
  uint16_t bits_{0};

  float16_t() = default;
  float16_t(float f) : bits_(detail::float_to_half_bits(f)) {}
  template <
      typename T,
      typename = std::enable_if_t<
          std::is_arithmetic_v<T> && !std::is_same_v<T, float>>>
  float16_t(T v) : float16_t(static_cast<float>(v)) {}
  operator float() const { return detail::half_bits_to_float(bits_); }

  static float16_t from_bits(uint16_t b) {
    float16_t h;
    h.bits_ = b;
    return h;
  }
};

struct bfloat16_t {
  uint16_t bits_{0};

  bfloat16_t() = default;
  bfloat16_t(float f) : bits_(detail::float_to_bfloat_bits(f)) {}
  template <
      typename T,
      typename = std::enable_if_t<
          std::is_arithmetic_v<T> && !std::is_same_v<T, float>>>
  bfloat16_t(T v) : bfloat16_t(static_cast<float>(v)) {}
  operator float() const { return detail::bfloat_bits_to_float(bits_); }

  static bfloat16_t from_bits(uint16_t b) {
    bfloat16_t h;
    h.bits_ = b;
    return h;
  }
};

static_assert(sizeof(float16_t) == 2 && sizeof(bfloat16_t) == 2);

inline std::ostream& operator<<(std::ostream& os, float16_t v) {
  return os << static_cast<float>(v);
}
inline std::ostream& operator<<(std::ostream& os, bfloat16_t v) {
  return os << static_cast<float>(v);
}

template <typename T>
inline constexpr bool is_half_v =
    std::is_same_v<T, float16_t> || std::is_same_v<T, bfloat16_t>;

} // namespace mlx::core
