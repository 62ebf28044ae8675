#include "mlx/backend/cpu/fft_plan.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <type_traits>

namespace mlx::core::cpu {

namespace {

// Plain complex product: std::complex's operator* checks for NaN/inf
// (a library call per product without -ffast-math).
inline cfloat mul(cfloat a, cfloat b) {
  return {
      a.real() * b.real() - a.imag() * b.imag(),
      a.real() * b.imag() + a.imag() * b.real()};
}
inline cfloat times_minus_i(cfloat a) {
  return {a.imag(), -a.real()};
}

// The same operations on kLanes values at once (a twiddle is the same for
// every lane), so that one template of each pass serves both layouts.
inline cvec operator+(const cvec& a, const cvec& b) {
  return {a.re + b.re, a.im + b.im};
}
inline cvec operator-(const cvec& a, const cvec& b) {
  return {a.re - b.re, a.im - b.im};
}
inline cvec operator*(float c, const cvec& a) {
  return {c * a.re, c * a.im};
}
inline cvec mul(const cvec& a, cfloat w) {
  return {a.re * w.real() - a.im * w.imag(), a.re * w.imag() + a.im * w.real()};
}
inline cvec times_minus_i(const cvec& a) {
  return {a.im, -a.re};
}
inline cvec conj(const cvec& a) {
  return {a.re, -a.im};
}

// e^{-2 pi i k / n}, k reduced mod n first so that it stays exact.
cfloat root(int64_t k, int64_t n) {
  double angle = -2.0 * M_PI * double(k % n) / double(n);
  return {float(std::cos(angle)), float(std::sin(angle))};
}

// Radices in the order the passes run: 4s, a 2, 3s, 5s, other primes.
std::vector<int> factorize(int n) {
  std::vector<int> f;
  while (n % 4 == 0) {
    f.push_back(4);
    n /= 4;
  }
  for (int p = 2; p * p <= n; p += (p == 2 ? 1 : 2)) {
    while (n % p == 0) {
      f.push_back(p);
      n /= p;
    }
  }
  if (n > 1) {
    f.push_back(n);
  }
  return f;
}

// Rough cost of the passes (per element, a radix-p pass costs ~p).
double passes_cost(int n) {
  double c = 0;
  for (int r : factorize(n)) {
    c += r;
  }
  return double(n) * c;
}

// The smallest 2^a, 3 * 2^a or 5 * 2^a >= n: radix-4 passes run faster per
// value than 3s and 5s, so at most one of those.
int bluestein_length(int n) {
  int best = 0;
  for (int odd : {1, 3, 5}) {
    int m = odd;
    while (m < n) {
      m *= 2;
    }
    best = best == 0 ? m : std::min(best, m);
  }
  return best;
}

// One Stockham pass of radix R (R == 0: any radix r, O(r^2)): the s
// interleaved sequences of length r * m in x become r * s of length m in y,
// each butterfly output k of block p scaled by twiddle w^{pk}.
// x and y: pointers to C, or Packed views.
template <typename C, int R, typename In, typename Out>
void pass(
    int r, int m, int s, const cfloat* tw, const cfloat* roots, In x, Out y) {
  const int radix = R ? R : r;
  const size_t ms = size_t(m) * s;
  for (int p = 0; p < m; ++p) {
    const cfloat* w = tw + size_t(p) * (radix - 1);
    auto in = x + size_t(p) * s;
    auto out = y + size_t(p) * radix * s;
    for (int q = 0; q < s; ++q) {
      if constexpr (R == 2) {
        C a0 = in[q], a1 = in[q + ms];
        out[q] = a0 + a1;
        out[q + s] = mul(a0 - a1, w[0]);
      } else if constexpr (R == 4) {
        C a0 = in[q], a1 = in[q + ms], a2 = in[q + 2 * ms], a3 = in[q + 3 * ms];
        C b0 = a0 + a2, b1 = a0 - a2, b2 = a1 + a3, b3 = times_minus_i(a1 - a3);
        out[q] = b0 + b2;
        out[q + s] = mul(b1 + b3, w[0]);
        out[q + 2 * s] = mul(b0 - b2, w[1]);
        out[q + 3 * s] = mul(b1 - b3, w[2]);
      } else if constexpr (R == 3) {
        constexpr float kSin = 0.86602540378443864676f;
        C a0 = in[q], a1 = in[q + ms], a2 = in[q + 2 * ms];
        C t1 = a1 + a2, t2 = a0 - 0.5f * t1;
        C t3 = kSin * times_minus_i(a1 - a2);
        out[q] = a0 + t1;
        out[q + s] = mul(t2 + t3, w[0]);
        out[q + 2 * s] = mul(t2 - t3, w[1]);
      } else if constexpr (R == 5) {
        constexpr float c1 = 0.30901699437494742410f;
        constexpr float c2 = -0.80901699437494742410f;
        constexpr float s1 = 0.95105651629515357212f;
        constexpr float s2 = 0.58778525229247312917f;
        C a0 = in[q], a1 = in[q + ms], a2 = in[q + 2 * ms], a3 = in[q + 3 * ms],
          a4 = in[q + 4 * ms];
        C t1 = a1 + a4, t2 = a2 + a3, t3 = a1 - a4, t4 = a2 - a3;
        C b1 = a0 + c1 * t1 + c2 * t2, b2 = a0 + c2 * t1 + c1 * t2;
        C d1 = times_minus_i(s1 * t3 + s2 * t4);
        C d2 = times_minus_i(s2 * t3 - s1 * t4);
        out[q] = a0 + t1 + t2;
        out[q + s] = mul(b1 + d1, w[0]);
        out[q + 2 * s] = mul(b2 + d2, w[1]);
        out[q + 3 * s] = mul(b2 - d2, w[2]);
        out[q + 4 * s] = mul(b1 - d1, w[3]);
      } else {
        for (int k = 0; k < radix; ++k) {
          C acc = in[q];
          for (int j = 1; j < radix; ++j) {
            acc = acc + mul(in[q + j * ms], roots[(size_t(j) * k) % radix]);
          }
          out[q + k * s] = k == 0 ? acc : mul(acc, w[k - 1]);
        }
      }
    }
  }
}

// kLanes consecutive complex values of one line seen as a cvec (split on
// load, interleaved again on store): a pass whose s interleaved sequences
// are a multiple of kLanes is then the lanes' pass over s / kLanes.
template <typename F> // float, or const float for a pass's input
struct PackedRef {
  F* p;
  operator cvec() const {
    using index_t = int __attribute__((vector_size(sizeof(lanes_t))));
    lanes_t lo, hi;
    std::memcpy(&lo, p, sizeof(lo));
    std::memcpy(&hi, p + kLanes, sizeof(hi));
    return {
        __builtin_shuffle(lo, hi, index_t{0, 2, 4, 6, 8, 10, 12, 14}),
        __builtin_shuffle(lo, hi, index_t{1, 3, 5, 7, 9, 11, 13, 15})};
  }
  const PackedRef& operator=(const cvec& v) const {
    using index_t = int __attribute__((vector_size(sizeof(lanes_t))));
    lanes_t lo =
        __builtin_shuffle(v.re, v.im, index_t{0, 8, 1, 9, 2, 10, 3, 11});
    lanes_t hi =
        __builtin_shuffle(v.re, v.im, index_t{4, 12, 5, 13, 6, 14, 7, 15});
    std::memcpy(p, &lo, sizeof(lo));
    std::memcpy(p + kLanes, &hi, sizeof(hi));
    return *this;
  }
};
template <typename F> struct Packed {
  F* p;
  PackedRef<F> operator[](size_t i) const { return {p + 2 * kLanes * i}; }
  Packed operator+(size_t i) const { return {p + 2 * kLanes * i}; }
};
static_assert(kLanes == 8, "PackedRef's shuffles are written for 8 lanes");

// The pass of `st` over s interleaved sequences of C (st.s, or st.s /
// kLanes for Packed views).
template <typename C, typename In, typename Out>
inline void run_stage(const FftStage& st, int s, In x, Out y) {
  const cfloat* tw = st.twiddles.data();
  switch (st.radix) {
  case 2:
    return pass<C, 2>(2, st.m, s, tw, nullptr, x, y);
  case 3:
    return pass<C, 3>(3, st.m, s, tw, nullptr, x, y);
  case 4:
    return pass<C, 4>(4, st.m, s, tw, nullptr, x, y);
  case 5:
    return pass<C, 5>(5, st.m, s, tw, nullptr, x, y);
  default:
    return pass<C, 0>(st.radix, st.m, s, tw, st.roots.data(), x, y);
  }
}

// The passes built for AVX2 + FMA and for the baseline (flatten: every
// pass inlined, so compiled for the clone's target); the loader picks the
// clone that fits the CPU.
#if defined(__x86_64__) && defined(__GNUC__)
#define MLX_FFT_CLONES                                                         \
  __attribute__((target_clones("arch=x86-64-v3", "default"), flatten))
#else
#define MLX_FFT_CLONES
#endif

MLX_FFT_CLONES void
run_stage_lanes(const FftStage& st, const cvec* x, cvec* y) {
  run_stage<cvec>(st, st.s, x, y);
}

// One line: packed when the inner loop covers whole groups of kLanes.
MLX_FFT_CLONES void
run_stage_line(const FftStage& st, const cfloat* x, cfloat* y) {
  if (st.s % kLanes == 0) {
    Packed<const float> in{reinterpret_cast<const float*>(x)};
    Packed<float> out{reinterpret_cast<float*>(y)};
    run_stage<cvec>(st, st.s / kLanes, in, out);
    return;
  }
  run_stage<cfloat>(st, st.s, x, y);
}

// z_j = x_{2j} + i x_{2j+1}: Z (h values) splits into the even samples'
// transform E_k = (Z_k + conj Z_{h-k}) / 2 and the odd ones' O_k = (Z_k -
// conj Z_{h-k}) / 2i, and X_k = E_k + w^k O_k, k <= h (Z_h = Z_0).
template <typename C>
inline void split_halves(const C* z, C* out, const cfloat* w, int h) {
  auto bin = [&](int k, const C& zk, const C& zh) {
    C zc = conj(zh);
    C e = 0.5f * (zk + zc);
    C o = 0.5f * times_minus_i(zk - zc);
    out[k] = e + mul(o, w[k]);
  };
  bin(0, z[0], z[0]);
  for (int k = 1; k < h; ++k) {
    bin(k, z[k], z[h - k]);
  }
  bin(h, z[0], z[0]);
}

MLX_FFT_CLONES void
split_halves_lanes(const cvec* z, cvec* out, const cfloat* w, int h) {
  split_halves(z, out, w, h);
}

} // namespace

// Bluestein: X_k = c_k sum_j (x_j c_j) conj(c_{k-j}), c_k = e^{-pi i k^2/n},
// the convolution done with transforms of a length m >= 2n - 1 of the
// form 2^a, 3 * 2^a or 5 * 2^a.
struct ComplexPlan::Bluestein {
  std::shared_ptr<const ComplexPlan> inner;
  std::vector<cfloat> chirp;  // c_k, k < n
  std::vector<cfloat> kernel; // transform of conj(c) wrapped, divided by m
};

ComplexPlan::ComplexPlan(int n) : n_(n) {
  auto radices = factorize(n);
  int largest = radices.empty() ? 1 : radices.back();
  int m = bluestein_length(2 * n - 1);
  if (largest > 7 && passes_cost(n) > 3 * passes_cost(m)) {
    bluestein_ = std::make_unique<Bluestein>();
    bluestein_->inner = complex_plan(m);
    bluestein_->chirp.resize(n);
    for (int64_t k = 0; k < n; ++k) {
      bluestein_->chirp[k] = root(k * k, 2 * int64_t(n));
    }
    std::vector<cfloat> a(m), b(m);
    for (int k = 0; k < n; ++k) {
      a[k] = std::conj(bluestein_->chirp[k]);
      if (k > 0) {
        a[m - k] = a[k];
      }
    }
    cfloat* t = bluestein_->inner->forward(a.data(), b.data());
    bluestein_->kernel.assign(t, t + m);
    for (auto& v : bluestein_->kernel) {
      v /= float(m);
    }
    return;
  }
  int s = 1;
  int length = n;
  for (int r : radices) {
    FftStage st{r, length / r, s, {}, {}};
    st.twiddles.resize(size_t(st.m) * (r - 1));
    if (r > 5) {
      for (int k = 0; k < r; ++k) {
        st.roots.push_back(root(k, r));
      }
    }
    for (int p = 0; p < st.m; ++p) {
      for (int k = 1; k < r; ++k) {
        st.twiddles[size_t(p) * (r - 1) + k - 1] = root(int64_t(p) * k, length);
      }
    }
    stages_.push_back(std::move(st));
    s *= r;
    length /= r;
  }
}

ComplexPlan::~ComplexPlan() = default;

size_t ComplexPlan::buffer_size() const {
  return bluestein_ ? bluestein_->inner->size() : size_t(n_);
}

template <typename C> C* ComplexPlan::forward_any(C* a, C* b) const {
  if (!bluestein_) {
    for (const auto& st : stages_) {
      if constexpr (std::is_same_v<C, cvec>) {
        run_stage_lanes(st, a, b);
      } else {
        run_stage_line(st, a, b);
      }
      std::swap(a, b);
    }
    return a;
  }
  const auto& bs = *bluestein_;
  auto inner = [&](C* x, C* y) {
    if constexpr (std::is_same_v<C, cvec>) {
      return bs.inner->forward_lanes(x, y);
    } else {
      return bs.inner->forward(x, y);
    }
  };
  int m = bs.inner->size();
  for (int k = 0; k < n_; ++k) {
    b[k] = mul(a[k], bs.chirp[k]);
  }
  std::fill(b + n_, b + m, C{});
  // The inverse transform as conj(forward(conj(.))).
  C* t = inner(b, a);
  for (int k = 0; k < m; ++k) {
    t[k] = conj(mul(t[k], bs.kernel[k]));
  }
  C* u = inner(t, t == a ? b : a);
  for (int k = 0; k < n_; ++k) {
    u[k] = mul(conj(u[k]), bs.chirp[k]);
  }
  return u;
}

cfloat* ComplexPlan::forward(cfloat* a, cfloat* b) const {
  return forward_any(a, b);
}

cvec* ComplexPlan::forward_lanes(cvec* a, cvec* b) const {
  return forward_any(a, b);
}

void ComplexPlan::forward_into(
    const cfloat* in, cfloat* out, cfloat* a, cfloat* b) const {
  if (bluestein_ || stages_.empty()) {
    std::copy(in, in + n_, a);
    const cfloat* y = forward(a, b);
    std::copy(y, y + n_, out);
    return;
  }
  // Alternate between a and out so that the last pass writes out.
  size_t k = stages_.size();
  const cfloat* x = in;
  for (size_t i = 0; i < k; ++i) {
    cfloat* y = (k - 1 - i) % 2 == 0 ? out : a;
    run_stage_line(stages_[i], x, y);
    x = y;
  }
}

RealPlan::RealPlan(int n) : n_(n) {
  if (n % 2 == 0) {
    complex_ = complex_plan(n / 2);
    twiddles_.resize(n / 2 + 1);
    for (int k = 0; k <= n / 2; ++k) {
      twiddles_[k] = root(k, n);
    }
  } else {
    complex_ = complex_plan(n);
  }
}

size_t RealPlan::buffer_size() const {
  return std::max(complex_->buffer_size(), size_t(n_ / 2 + 1));
}

cfloat* RealPlan::forward(cfloat* a, cfloat* b) const {
  if (n_ % 2) {
    // Widen the reals to complex in place, from the end.
    const float* x = reinterpret_cast<const float*>(a);
    for (int k = n_ - 1; k >= 0; --k) {
      a[k] = cfloat(x[k], 0.0f);
    }
    return complex_->forward(a, b);
  }
  cfloat* z = complex_->forward(a, b);
  cfloat* out = z == a ? b : a;
  split_halves(z, out, twiddles_.data(), n_ / 2);
  return out;
}

cvec* RealPlan::forward_lanes(cvec* a, cvec* b) const {
  if (n_ % 2) {
    // One real per value, from the end: a[k] reads a[k / 2], not yet
    // overwritten.
    for (int k = n_ - 1; k >= 0; --k) {
      lanes_t v = k % 2 ? a[k / 2].im : a[k / 2].re;
      a[k] = {v, lanes_t{}};
    }
    return complex_->forward_lanes(a, b);
  }
  cvec* z = complex_->forward_lanes(a, b);
  cvec* out = z == a ? b : a;
  split_halves_lanes(z, out, twiddles_.data(), n_ / 2);
  return out;
}

void RealPlan::forward_into(
    const float* x, cfloat* out, cfloat* a, cfloat* b) const {
  if (n_ % 2 || complex_->uses_bluestein()) {
    std::copy(x, x + n_, reinterpret_cast<float*>(a));
    const cfloat* y = forward(a, b);
    std::copy(y, y + n_ / 2 + 1, out);
    return;
  }
  complex_->forward_into(reinterpret_cast<const cfloat*>(x), a, b, nullptr);
  split_halves(a, out, twiddles_.data(), n_ / 2);
}

float* RealPlan::inverse(cfloat* a, cfloat* b) const {
  a[0].imag(0.0f);
  if (n_ % 2) {
    // The whole Hermitian spectrum, then Re conj(F(conj X)) = Re F(conj X).
    int h = n_ / 2;
    for (int k = 1; k <= h; ++k) {
      a[n_ - k] = a[k];
      a[k] = std::conj(a[k]);
    }
    cfloat* y = complex_->forward(a, b);
    float* x = reinterpret_cast<float*>(y);
    for (int k = 0; k < n_; ++k) {
      x[k] = y[k].real();
    }
    return x;
  }
  // Undo the split: Z_k = (X_k + conj X_{h-k}) + i w^{-k} (X_k - conj
  // X_{h-k}), whose unscaled inverse holds n (x_{2j} + i x_{2j+1}).
  int h = n_ / 2;
  a[h].imag(0.0f);
  for (int k = 0; k < h; ++k) {
    cfloat xk = a[k], xc = std::conj(a[h - k]);
    cfloat o = mul(xk - xc, std::conj(twiddles_[k]));
    // conj(Z_k), ready for the forward transform.
    b[k] = std::conj(xk + xc + cfloat(-o.imag(), o.real()));
  }
  cfloat* y = complex_->forward(b, a);
  for (int k = 0; k < h; ++k) {
    y[k] = std::conj(y[k]);
  }
  return reinterpret_cast<float*>(y);
}

namespace {

template <typename Plan>
std::shared_ptr<const Plan>
cached(int n, std::map<int, std::shared_ptr<const Plan>>& cache) {
  static std::mutex mutex;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(n);
    if (it != cache.end()) {
      return it->second;
    }
  }
  // Built outside the lock: a Bluestein plan asks for its inner plan.
  auto plan = std::make_shared<const Plan>(n);
  std::lock_guard<std::mutex> lock(mutex);
  if (cache.size() >= 64) {
    cache.clear();
  }
  return cache.emplace(n, plan).first->second;
}

} // namespace

std::shared_ptr<const ComplexPlan> complex_plan(int n) {
  static std::map<int, std::shared_ptr<const ComplexPlan>> cache;
  return cached(n, cache);
}

std::shared_ptr<const RealPlan> real_plan(int n) {
  static std::map<int, std::shared_ptr<const RealPlan>> cache;
  return cached(n, cache);
}

} // namespace mlx::core::cpu
