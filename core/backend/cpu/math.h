// Scalar math used by the element-wise kernels, written so that GCC can
// vectorize the loops that call it (no branches, no errno).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace mlx::core::cpu {

/** exp for float: Cody-Waite range reduction to |r| <= ln2/2 and the
 * degree-6 minimax polynomial of Cephes' expf (max error ~1 ulp). The
 * scale 2^n is applied in two halves so that results in the subnormal
 * range and overflow to inf come out right without branches. */
inline float fast_expf(float x) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f; // ln 2 split for exact n * ln2
  constexpr float kLn2Lo = -2.12194440e-4f;
  constexpr float kRound = 12582912.0f; // 1.5 * 2^23: add/sub rounds to int
  float xc = x < -104.0f ? -104.0f : x;
  xc = xc > 89.0f ? 89.0f : xc;
  float t = xc * kLog2e + kRound;
  float n = t - kRound;
  float r = xc - n * kLn2Hi;
  r = r - n * kLn2Lo;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // The integer n also sits in t's low mantissa bits: reading it there
  // avoids a float-to-int conversion (undefined for NaN).
  int32_t t_bits;
  std::memcpy(&t_bits, &t, sizeof(t_bits));
  int32_t ni = t_bits - 0x4B400000; // bits of kRound
  int32_t n1 = ni >> 1;             // floor(ni / 2): one shift, no sign fix-up
  int32_t n2 = ni - n1;
  int32_t b1 = (n1 + 127) << 23;
  int32_t b2 = (n2 + 127) << 23;
  float s1, s2;
  std::memcpy(&s1, &b1, sizeof(s1));
  std::memcpy(&s2, &b2, sizeof(s2));
  // NaN needs no test: it flows through r and p, and NaN * s is NaN.
  return p * s1 * s2;
}

inline float fast_sigmoid(float x) {
  return 1.0f / (1.0f + fast_expf(-x));
}

/** erfinv outside (-1, 1): +-inf at +-1, NaN elsewhere. */
template <typename T> T erfinv_out_of_domain(T y) {
  if (y == 1) {
    return std::numeric_limits<T>::infinity();
  }
  if (y == -1) {
    return -std::numeric_limits<T>::infinity();
  }
  return std::numeric_limits<T>::quiet_NaN();
}

/** Giles' single-precision approximation of erfinv(y), |y| < 1 ("Approximating
 * the erfinv function", GPU Computing Gems, 2011), evaluated in C. */
template <typename C> C erfinv_estimate(C y) {
  C w = -std::log((C(1) - y) * (C(1) + y));
  C p;
  if (w < C(5)) {
    w = w - C(2.5);
    p = C(2.81022636e-08);
    p = C(3.43273939e-07) + p * w;
    p = C(-3.5233877e-06) + p * w;
    p = C(-4.39150654e-06) + p * w;
    p = C(0.00021858087) + p * w;
    p = C(-0.00125372503) + p * w;
    p = C(-0.00417768164) + p * w;
    p = C(0.246640727) + p * w;
    p = C(1.50140941) + p * w;
  } else {
    w = std::sqrt(w) - C(3);
    p = C(-0.000200214257);
    p = C(0.000100950558) + p * w;
    p = C(0.00134934322) + p * w;
    p = C(-0.00367342844) + p * w;
    p = C(0.00573950773) + p * w;
    p = C(-0.0076224613) + p * w;
    p = C(0.00943887047) + p * w;
    p = C(1.00167406) + p * w;
    p = C(2.83297682) + p * w;
  }
  return p * y;
}

/** Inverse error function: Giles' approximation refined by Newton steps on
 * erf, which brings it to the precision of T. */
template <typename T> T erfinv(T y);

/** float: the approximation evaluated in float plus one Newton step, which
 * keeps it within a few ulp at a tenth of the double path's cost (it sits
 * under random::normal). */
template <> inline float erfinv(float y) {
  if (!(y > -1.0f && y < 1.0f)) {
    return erfinv_out_of_domain(y);
  }
  float x = erfinv_estimate(y);
  constexpr float kTwoOverSqrtPi = 1.12837917f;
  float err = std::erf(x) - y;
  return x - err / (kTwoOverSqrtPi * fast_expf(-x * x));
}

template <typename T> T erfinv(T y) {
  if (!(y > -1 && y < 1)) {
    return erfinv_out_of_domain(y);
  }
  double x = erfinv_estimate(static_cast<double>(y));
  // Newton on f(x) = erf(x) - y; f'(x) = 2/sqrt(pi) exp(-x^2).
  constexpr double kTwoOverSqrtPi = 1.1283791670955126;
  for (int i = 0; i < 2; ++i) {
    double err = std::erf(x) - static_cast<double>(y);
    x -= err / (kTwoOverSqrtPi * std::exp(-x * x));
  }
  return static_cast<T>(x);
}

} // namespace mlx::core::cpu
