// Data types, their categories and MLX's type promotion rules.
#pragma once

#include <complex>
#include <cstdint>
#include <ostream>
#include <string>

#include "mlx/types/half_types.h"

namespace mlx::core {

using complex64_t = std::complex<float>;

enum class DtypeCategory {
  complexfloating,
  floating,
  inexact,
  signedinteger,
  unsignedinteger,
  integer,
  number,
  generic,
};

struct Dtype {
  enum class Val : uint8_t {
    bool_,
    uint8,
    uint16,
    uint32,
    uint64,
    int8,
    int16,
    int32,
    int64,
    float16,
    float32,
    float64,
    bfloat16,
    complex64,
  };

  // NumPy's kind characters: b(ool), u(nsigned), i(nteger), f(loat),
  // V (opaque: bfloat16, which NumPy has no native type for), c(omplex).
  enum class Kind { b, u, i, f, c, V };

  // MLX spells the categories Dtype::Category.
  using Category = DtypeCategory;

  constexpr Dtype(Val v, uint8_t s) : val_(v), size_(s) {}
  constexpr operator Val() const { return val_; }
  constexpr Val val() const { return val_; }
  /** Bytes per element. */
  constexpr uint8_t size() const { return size_; }

private:
  Val val_;
  uint8_t size_;
};

inline constexpr Dtype bool_{Dtype::Val::bool_, sizeof(bool)};
inline constexpr Dtype uint8{Dtype::Val::uint8, 1};
inline constexpr Dtype uint16{Dtype::Val::uint16, 2};
inline constexpr Dtype uint32{Dtype::Val::uint32, 4};
inline constexpr Dtype uint64{Dtype::Val::uint64, 8};
inline constexpr Dtype int8{Dtype::Val::int8, 1};
inline constexpr Dtype int16{Dtype::Val::int16, 2};
inline constexpr Dtype int32{Dtype::Val::int32, 4};
inline constexpr Dtype int64{Dtype::Val::int64, 8};
inline constexpr Dtype float16{Dtype::Val::float16, 2};
inline constexpr Dtype float32{Dtype::Val::float32, 4};
inline constexpr Dtype float64{Dtype::Val::float64, 8};
inline constexpr Dtype bfloat16{Dtype::Val::bfloat16, 2};
inline constexpr Dtype complex64{Dtype::Val::complex64, 8};

inline constexpr bool operator==(Dtype a, Dtype b) {
  return a.val() == b.val();
}
inline constexpr bool operator!=(Dtype a, Dtype b) {
  return a.val() != b.val();
}

// MLX exposes the categories as plain names: mx::floating, mx::integer, ...
inline constexpr DtypeCategory complexfloating = DtypeCategory::complexfloating;
inline constexpr DtypeCategory floating = DtypeCategory::floating;
inline constexpr DtypeCategory inexact = DtypeCategory::inexact;
inline constexpr DtypeCategory signedinteger = DtypeCategory::signedinteger;
inline constexpr DtypeCategory unsignedinteger = DtypeCategory::unsignedinteger;
inline constexpr DtypeCategory integer = DtypeCategory::integer;
inline constexpr DtypeCategory number = DtypeCategory::number;
inline constexpr DtypeCategory generic = DtypeCategory::generic;

bool issubdtype(const Dtype& a, const Dtype& b);
bool issubdtype(const Dtype& a, const DtypeCategory& b);
bool issubdtype(const DtypeCategory& a, const Dtype& b);
bool issubdtype(const DtypeCategory& a, const DtypeCategory& b);

/** The type both arguments convert to when combined in a binary op. */
Dtype promote_types(const Dtype& a, const Dtype& b);

inline uint8_t size_of(const Dtype& t) {
  return t.size();
}

Dtype::Kind kindof(const Dtype& t);

/** Name as MLX prints it: "float32", "bool", ... */
std::string dtype_to_string(const Dtype& t);

/** Floating-point limits, as NumPy's and MLX's `finfo`. */
struct finfo {
  explicit finfo(Dtype dtype);
  Dtype dtype;
  double min;
  double max;
  double eps;
  int bits;
  double smallest_normal;
};

/** Integer limits, as NumPy's and MLX's `iinfo`. */
struct iinfo {
  explicit iinfo(Dtype dtype);
  Dtype dtype;
  int64_t min;
  uint64_t max;
};

template <typename T> struct TypeToDtype { operator Dtype(); };

std::ostream& operator<<(std::ostream& os, const Dtype& dtype);
std::ostream& operator<<(std::ostream& os, DtypeCategory category);

} // namespace mlx::core
