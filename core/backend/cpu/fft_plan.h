// Plans of 1-D discrete Fourier transforms in float32, our own code (no
// dependency: FFTW is GPL, and kissfft is slower than pocketfft, the bar
// NumPy sets). A complex plan of length n factors n into radices 4, 2, 3, 5
// and other small primes and runs Stockham passes (self-sorting, ping-pong
// between two buffers) with twiddles precomputed in double; a length with
// a large prime factor goes through Bluestein's chirp-z convolution of a
// length 2^a, 3 * 2^a or 5 * 2^a instead. Real transforms of even length run a
// complex one of half the length on the reals taken in pairs. Batches run
// kLanes transforms at once, side by side in SIMD lanes (`cvec`): every
// butterfly of a pass is then plain vector arithmetic, whatever its radix.
#pragma once

#include <complex>
#include <memory>
#include <vector>

namespace mlx::core::cpu {

using cfloat = std::complex<float>;

/** Transforms that a lane-interleaved buffer holds side by side. */
inline constexpr int kLanes = 8;
using lanes_t = float __attribute__((vector_size(kLanes * sizeof(float))));
/** Value k of kLanes sequences: their real parts, then imaginary parts.
 * alignas: without AVX, GCC aligns lanes_t to 16 bytes only, but the AVX2
 * clones load it with aligned 32-byte moves. */
struct alignas(sizeof(lanes_t)) cvec {
  lanes_t re, im;
};

/** One Stockham pass of a plan: radix-point butterflies over s interleaved
 * sequences of length radix * m. */
struct FftStage {
  int radix;
  int m;                        // the sub-transforms' length after this pass
  int s;                        // number of interleaved sequences before it
  std::vector<cfloat> twiddles; // m * (radix - 1)
  std::vector<cfloat> roots;    // e^{-2 pi i k / radix}, generic radices
};

/** The forward transform X_k = sum_j x_j e^{-2 pi i jk / n}. */
class ComplexPlan {
public:
  explicit ComplexPlan(int n);
  ~ComplexPlan();
  int size() const { return n_; }
  /** Each of the two work buffers' length (complex values). */
  size_t buffer_size() const;
  /** x in a[0, n); returns the buffer (a or b) holding X. */
  cfloat* forward(cfloat* a, cfloat* b) const;
  /** X of the n values at `in` into `out` (neither a work buffer), saving
   * the copies in and out of the buffers. */
  void forward_into(const cfloat* in, cfloat* out, cfloat* a, cfloat* b) const;
  /** kLanes transforms at once: lane l of a[0, n) is sequence l; returns
   * the buffer (a or b, buffer_size() values each) holding the X. */
  cvec* forward_lanes(cvec* a, cvec* b) const;
  bool uses_bluestein() const { return bluestein_ != nullptr; }

private:
  struct Bluestein;
  template <typename C> C* forward_any(C* a, C* b) const;

  int n_;
  std::vector<FftStage> stages_;
  std::unique_ptr<Bluestein> bluestein_;
};

/** Transforms of real sequences of length n: n / 2 + 1 bins. */
class RealPlan {
public:
  explicit RealPlan(int n);
  int size() const { return n_; }
  size_t buffer_size() const;
  /** The n reals at the start of a (as floats); returns the buffer holding
   * the bins. */
  cfloat* forward(cfloat* a, cfloat* b) const;
  /** The bins of the n reals at `x` into `out` (neither a work buffer). */
  void forward_into(const float* x, cfloat* out, cfloat* a, cfloat* b) const;
  /** The bins in a (imaginary parts of the first and, for even n, the last
   * ignored); returns the buffer holding, as floats, the n reals of the
   * unscaled inverse (n times the inverse transform). */
  float* inverse(cfloat* a, cfloat* b) const;
  /** kLanes transforms at once: lane l of a[j] holds x_{2j} + i x_{2j+1}
   * of sequence l, j < (n + 1) / 2 (0 past the end for odd n); returns the
   * buffer holding the n / 2 + 1 bins. */
  cvec* forward_lanes(cvec* a, cvec* b) const;

private:
  int n_;
  std::shared_ptr<const ComplexPlan> complex_; // of n / 2 (even), or n
  std::vector<cfloat> twiddles_; // e^{-2 pi i k / n}, k <= n / 2 (even n)
};

/** Shared, cached plans (built once per length). */
std::shared_ptr<const ComplexPlan> complex_plan(int n);
std::shared_ptr<const RealPlan> real_plan(int n);

} // namespace mlx::core::cpu
