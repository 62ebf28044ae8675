// Float math the element-wise shaders need beyond GLSL's built-ins, written
// to follow the CPU backend (core/backend/cpu/math.h, binary_ops.h): exp is
// the same polynomial as the CPU's fast_expf (bit for bit, as `precise`
// forbids fused multiply-adds), fmod is exact as C's, pow and atan2 handle
// the special values C defines and GLSL leaves undefined.
#ifndef MLX_MATH_GLSL
#define MLX_MATH_GLSL

// cpu::fast_expf: Cody-Waite reduction and Cephes' degree-6 polynomial.
float fast_exp(float x) {
  const float kLog2e = 1.44269504088896341;
  const float kLn2Hi = 0.693359375;
  const float kLn2Lo = -2.12194440e-4;
  const float kRound = 12582912.0; // 1.5 * 2^23
  float xc = x < -104.0 ? -104.0 : x;
  xc = xc > 89.0 ? 89.0 : xc;
  if (is_nan(x)) {
    xc = x; // the CPU's min/max keep NaN
  }
  precise float t = xc * kLog2e + kRound;
  precise float n = t - kRound;
  precise float r = xc - n * kLn2Hi;
  r = r - n * kLn2Lo;
  precise float q = 1.9875691500e-4;
  q = q * r + 1.3981999507e-3;
  q = q * r + 8.3334519073e-3;
  q = q * r + 4.1665795894e-2;
  q = q * r + 1.6666665459e-1;
  q = q * r + 5.0000001201e-1;
  q = q * r * r + r + 1.0;
  int ni = int(floatBitsToUint(t)) - 0x4B400000;
  int n1 = ni >> 1;
  int n2 = ni - n1;
  float s1 = intBitsToFloat((n1 + 127) << 23);
  float s2 = intBitsToFloat((n2 + 127) << 23);
  precise float res = q * s1 * s2;
  return res;
}

// expm1 and log1p by Kahan's tricks: the rounding error of 1 + x (or of
// e^x) cancels in the ratio, leaving a few ulp.
float expm1_f(float x) {
  if (abs(x) < 1e-5) {
    return x + 0.5 * x * x;
  }
  float u = fast_exp(x);
  if (u == 1.0) {
    return x;
  }
  float um1 = u - 1.0;
  if (um1 == -1.0) {
    return -1.0;
  }
  if (is_inf(u)) {
    return u;
  }
  return um1 * (x / log(u)); // x / log(u) ~ 1: no early overflow
}

float log1p_f(float x) {
  float u = 1.0 + x;
  if (u == 1.0) {
    return x;
  }
  if (is_inf(u) || u <= 0.0 || is_nan(u)) {
    return log(u) + (u < 0.0 ? uintBitsToFloat(0x7fc00000u) : 0.0);
  }
  return log(u) * x / (u - 1.0);
}

// erf: the Taylor series near 0 (relative accuracy where erf is small),
// Abramowitz & Stegun 7.1.26 beyond (absolute error 1.5e-7).
float erf_f(float x) {
  float a = abs(x);
  float r;
  if (a < 0.5) {
    float s = x * x;
    float q = -1.0 / 75600.0; // x^12 / (6! * 13) ... the series of erf
    q = q * s + 1.0 / 9360.0;
    q = q * s - 1.0 / 1320.0;
    q = q * s + 1.0 / 216.0;
    q = q * s - 1.0 / 42.0;
    q = q * s + 1.0 / 10.0;
    q = q * s - 1.0 / 3.0;
    q = q * s + 1.0;
    return x * q * 1.1283791670955126;
  }
  if (a >= 4.0) {
    r = 1.0;
  } else {
    float t = 1.0 / (1.0 + 0.3275911 * a);
    float y = 1.061405429;
    y = y * t - 1.453152027;
    y = y * t + 1.421413741;
    y = y * t - 0.284496736;
    y = y * t + 0.254829592;
    r = 1.0 - y * t * fast_exp(-a * a);
  }
  return x < 0.0 ? -r : r;
}

// cpu::erfinv<float>: Giles' estimate and one Newton step on erf.
float erfinv_f(float y) {
  if (!(y > -1.0 && y < 1.0)) {
    if (y == 1.0) {
      return uintBitsToFloat(0x7f800000u);
    }
    if (y == -1.0) {
      return uintBitsToFloat(0xff800000u);
    }
    return uintBitsToFloat(0x7fc00000u);
  }
  float w = -log((1.0 - y) * (1.0 + y));
  float q;
  if (w < 5.0) {
    w = w - 2.5;
    q = 2.81022636e-08;
    q = 3.43273939e-07 + q * w;
    q = -3.5233877e-06 + q * w;
    q = -4.39150654e-06 + q * w;
    q = 0.00021858087 + q * w;
    q = -0.00125372503 + q * w;
    q = -0.00417768164 + q * w;
    q = 0.246640727 + q * w;
    q = 1.50140941 + q * w;
  } else {
    w = sqrt(w) - 3.0;
    q = -0.000200214257;
    q = 0.000100950558 + q * w;
    q = 0.00134934322 + q * w;
    q = -0.00367342844 + q * w;
    q = 0.00573950773 + q * w;
    q = -0.0076224613 + q * w;
    q = 0.00943887047 + q * w;
    q = 1.00167406 + q * w;
    q = 2.83297682 + q * w;
  }
  float x = q * y;
  float err = erf_f(x) - y;
  return x - err / (1.12837917 * fast_exp(-x * x));
}

// Inverse and hyperbolic functions from exp, log1p and an accurate atan:
// lavapipe's built-ins (and the precision Vulkan requires of them) are
// off by tens of ulp in parts of their ranges.

// Cephes' atanf: reduction to |x| <= tan(pi/8), a degree-9 odd polynomial.
float atan_f(float x) {
  if (is_nan(x)) {
    return x;
  }
  float a = abs(x);
  float base = 0.0;
  if (a > 2.414213562373095) {
    base = 1.5707963267948966;
    a = -1.0 / a;
  } else if (a > 0.4142135623730950) {
    base = 0.7853981633974483;
    a = (a - 1.0) / (a + 1.0);
  }
  float z = a * a;
  float r = (((8.05374449538e-2 * z - 1.38776856032e-1) * z +
              1.99777106478e-1) * z - 3.33329491539e-1) * z * a + a;
  r += base;
  return x < 0.0 ? -r : r;
}

float asin_f(float x) {
  if (abs(x) > 1.0) {
    return uintBitsToFloat(0x7fc00000u);
  }
  float c = sqrt((1.0 - x) * (1.0 + x));
  if (c == 0.0) {
    return x < 0.0 ? -1.5707963267948966 : 1.5707963267948966;
  }
  return atan_f(x / c);
}

float acos_f(float x) {
  if (abs(x) > 1.0) {
    return uintBitsToFloat(0x7fc00000u);
  }
  // acos(x) = 2 atan(sqrt((1 - x) / (1 + x))), exact at both ends.
  if (x == -1.0) {
    return 3.141592653589793;
  }
  return 2.0 * atan_f(sqrt((1.0 - x) / (1.0 + x)));
}

float sinh_f(float x) {
  float a = abs(x);
  float r;
  if (a < 1.0) {
    float e = expm1_f(a);
    r = 0.5 * (e + e / (e + 1.0));
  } else if (a < 88.0) {
    float e = fast_exp(a);
    r = 0.5 * (e - 1.0 / e);
  } else {
    float e = fast_exp(0.5 * a); // e^a / 2 without overflowing early
    r = 0.5 * e * e;
  }
  return x < 0.0 ? -r : r;
}

float cosh_f(float x) {
  float a = abs(x);
  if (a < 88.0) {
    float e = fast_exp(a);
    return 0.5 * (e + 1.0 / e);
  }
  float e = fast_exp(0.5 * a);
  return 0.5 * e * e;
}

float asinh_f(float x) {
  float a = abs(x);
  float r;
  if (a > 1e9) {
    r = log(a) + 0.6931471805599453;
  } else {
    r = log1p_f(a + a * a / (1.0 + sqrt(1.0 + a * a)));
  }
  return x < 0.0 ? -r : r; // NaN stays NaN through log1p
}

float acosh_f(float x) {
  if (!(x >= 1.0)) {
    return uintBitsToFloat(0x7fc00000u); // below the domain, or NaN
  }
  if (x > 1e9) {
    return log(x) + 0.6931471805599453;
  }
  float t = x - 1.0;
  return log1p_f(t + sqrt(t * (x + 1.0)));
}

float atanh_f(float x) {
  float a = abs(x);
  float r = 0.5 * log1p_f(2.0 * a / (1.0 - a));
  if (a > 1.0) {
    r = uintBitsToFloat(0x7fc00000u);
  }
  return x < 0.0 ? -r : r;
}

// C's fmodf, exactly (musl's integer long division of the significands).
float fmod_f(float x, float y) {
  uint ux = floatBitsToUint(x), uy = floatBitsToUint(y);
  int ex = int((ux >> 23) & 0xffu);
  int ey = int((uy >> 23) & 0xffu);
  uint sx = ux & 0x80000000u;
  if ((uy << 1) == 0u || is_nan(y) || ex == 0xff) {
    return uintBitsToFloat(0x7fc00000u);
  }
  if ((ux << 1) <= (uy << 1)) {
    return (ux << 1) == (uy << 1) ? uintBitsToFloat(sx) : x;
  }
  uint i;
  if (ex == 0) {
    for (i = ux << 9; (i >> 31) == 0u; ex--, i <<= 1) {
    }
    ux <<= uint(-ex + 1);
  } else {
    ux &= 0xffffffffu >> 9;
    ux |= 1u << 23;
  }
  if (ey == 0) {
    for (i = uy << 9; (i >> 31) == 0u; ey--, i <<= 1) {
    }
    uy <<= uint(-ey + 1);
  } else {
    uy &= 0xffffffffu >> 9;
    uy |= 1u << 23;
  }
  for (; ex > ey; ex--) {
    i = ux - uy;
    if ((i >> 31) == 0u) {
      if (i == 0u) {
        return uintBitsToFloat(sx);
      }
      ux = i;
    }
    ux <<= 1;
  }
  i = ux - uy;
  if ((i >> 31) == 0u) {
    if (i == 0u) {
      return uintBitsToFloat(sx);
    }
    ux = i;
  }
  for (; (ux >> 23) == 0u; ux <<= 1, ex--) {
  }
  if (ex > 0) {
    ux -= 1u << 23;
    ux |= uint(ex) << 23;
  } else {
    ux >>= uint(-ex + 1);
  }
  return uintBitsToFloat(ux | sx);
}

bool is_odd_integer(float y) {
  return abs(y) < 16777216.0 && floor(y) == y && mod(y, 2.0) == 1.0;
}

// C's powf special values around exp2(y * log2(|x|)).
float pow_f(float x, float y) {
  if (y == 0.0 || x == 1.0) {
    return 1.0;
  }
  if (is_nan(x) || is_nan(y)) {
    return uintBitsToFloat(0x7fc00000u);
  }
  float ax = abs(x);
  if (is_inf(y)) {
    if (ax == 1.0) {
      return 1.0;
    }
    return (ax > 1.0) == (y > 0.0) ? uintBitsToFloat(0x7f800000u) : 0.0;
  }
  bool neg = floatBitsToUint(x) >> 31 != 0u;
  bool odd = is_odd_integer(y);
  if (neg && !is_inf(x) && x != 0.0 && floor(y) != y) {
    return uintBitsToFloat(0x7fc00000u);
  }
  float r;
  if (ax == 0.0) {
    r = y > 0.0 ? 0.0 : uintBitsToFloat(0x7f800000u);
  } else if (is_inf(ax)) {
    r = y > 0.0 ? uintBitsToFloat(0x7f800000u) : 0.0;
  } else {
    r = exp2(y * log2(ax));
  }
  return neg && odd ? -r : r;
}

// C's atan2 at zeros (GLSL's atan(y, x) is undefined there).
float atan2_f(float y, float x) {
  if (is_nan(x) || is_nan(y)) {
    return uintBitsToFloat(0x7fc00000u);
  }
  if (y == 0.0 && x == 0.0) {
    float r = floatBitsToUint(x) >> 31 != 0u ? 3.14159265358979 : 0.0;
    return floatBitsToUint(y) >> 31 != 0u ? -r : r;
  }
  if (is_inf(x) || is_inf(y)) {
    return atan(y, x); // C's quadrant values at infinities
  }
  if (x == 0.0) {
    return y < 0.0 ? -1.5707963267948966 : 1.5707963267948966;
  }
  float r = atan_f(y / x);
  if (x < 0.0) {
    r += floatBitsToUint(y) >> 31 != 0u ? -3.141592653589793
                                         : 3.141592653589793;
  }
  return r;
}

#endif
