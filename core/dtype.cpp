#include "mlx/dtype.h"

#include <limits>
#include <sstream>
#include <stdexcept>

namespace mlx::core {

namespace {

bool is_unsigned(Dtype t) {
  return t == uint8 || t == uint16 || t == uint32 || t == uint64;
}
bool is_signed(Dtype t) {
  return t == int8 || t == int16 || t == int32 || t == int64;
}
bool is_floating(Dtype t) {
  return t == float16 || t == bfloat16 || t == float32 || t == float64;
}

Dtype signed_of_size(int bytes) {
  switch (bytes) {
  case 1:
    return int8;
  case 2:
    return int16;
  case 4:
    return int32;
  default:
    return int64;
  }
}

} // namespace

Dtype promote_types(const Dtype& a, const Dtype& b) {
  if (a == b) {
    return a;
  }
  if (a == complex64 || b == complex64) {
    return complex64;
  }
  if (a == bool_) {
    return b;
  }
  if (b == bool_) {
    return a;
  }
  bool fa = is_floating(a), fb = is_floating(b);
  if (fa && fb) {
    if (a == float64 || b == float64) {
      return float64;
    }
    // float16 and bfloat16 do not contain each other: meet in float32.
    if (a.size() == 2 && b.size() == 2) {
      return float32;
    }
    return a.size() > b.size() ? a : b;
  }
  if (fa) {
    return a;
  }
  if (fb) {
    return b;
  }
  // Both integers.
  if (is_unsigned(a) == is_unsigned(b)) {
    return a.size() > b.size() ? a : b;
  }
  const Dtype& u = is_unsigned(a) ? a : b;
  const Dtype& s = is_unsigned(a) ? b : a;
  if (s.size() > u.size()) {
    return s;
  }
  // No signed type holds uint64: MLX (unlike NumPy) falls back to float32.
  if (u == uint64) {
    return float32;
  }
  return signed_of_size(2 * u.size());
}

Dtype::Kind kindof(const Dtype& t) {
  if (t == bool_) {
    return Dtype::Kind::b;
  }
  if (is_unsigned(t)) {
    return Dtype::Kind::u;
  }
  if (is_signed(t)) {
    return Dtype::Kind::i;
  }
  if (t == bfloat16) {
    return Dtype::Kind::V;
  }
  if (t == complex64) {
    return Dtype::Kind::c;
  }
  return Dtype::Kind::f;
}

bool issubdtype(const Dtype& a, const Dtype& b) {
  return a == b;
}

bool issubdtype(const DtypeCategory&, const Dtype&) {
  return false;
}

bool issubdtype(const Dtype& a, const DtypeCategory& cat) {
  switch (cat) {
  case DtypeCategory::complexfloating:
    return a == complex64;
  case DtypeCategory::floating:
    return is_floating(a);
  case DtypeCategory::inexact:
    return is_floating(a) || a == complex64;
  case DtypeCategory::signedinteger:
    return is_signed(a);
  case DtypeCategory::unsignedinteger:
    return is_unsigned(a);
  case DtypeCategory::integer:
    return is_signed(a) || is_unsigned(a);
  case DtypeCategory::number:
    return a != bool_;
  case DtypeCategory::generic:
    return true;
  }
  return false;
}

bool issubdtype(const DtypeCategory& a, const DtypeCategory& b) {
  if (a == b || b == DtypeCategory::generic) {
    return true;
  }
  switch (a) {
  case DtypeCategory::complexfloating:
  case DtypeCategory::floating:
    return b == DtypeCategory::inexact || b == DtypeCategory::number;
  case DtypeCategory::signedinteger:
  case DtypeCategory::unsignedinteger:
    return b == DtypeCategory::integer || b == DtypeCategory::number;
  case DtypeCategory::inexact:
  case DtypeCategory::integer:
    return b == DtypeCategory::number;
  default:
    return false;
  }
}

std::string dtype_to_string(const Dtype& t) {
  switch (t.val()) {
  case Dtype::Val::bool_:
    return "bool";
  case Dtype::Val::uint8:
    return "uint8";
  case Dtype::Val::uint16:
    return "uint16";
  case Dtype::Val::uint32:
    return "uint32";
  case Dtype::Val::uint64:
    return "uint64";
  case Dtype::Val::int8:
    return "int8";
  case Dtype::Val::int16:
    return "int16";
  case Dtype::Val::int32:
    return "int32";
  case Dtype::Val::int64:
    return "int64";
  case Dtype::Val::float16:
    return "float16";
  case Dtype::Val::float32:
    return "float32";
  case Dtype::Val::float64:
    return "float64";
  case Dtype::Val::bfloat16:
    return "bfloat16";
  case Dtype::Val::complex64:
    return "complex64";
  }
  return "unknown";
}

finfo::finfo(Dtype t) : dtype(t) {
  if (!issubdtype(t, inexact)) {
    std::ostringstream msg;
    msg << "[finfo] dtype " << t << " is not inexact.";
    throw std::invalid_argument(msg.str());
  }
  if (t == float16) {
    max = 65504.0;
    eps = 0.0009765625;                // 2^-10
    smallest_normal = 6.103515625e-05; // 2^-14
  } else if (t == bfloat16) {
    max = 3.3895313892515355e38; // (2 - 2^-7) * 2^127
    eps = 0.0078125;             // 2^-7
    smallest_normal = static_cast<double>(std::numeric_limits<float>::min());
  } else if (t == float64) {
    max = std::numeric_limits<double>::max();
    eps = std::numeric_limits<double>::epsilon();
    smallest_normal = std::numeric_limits<double>::min();
  } else { // float32, and complex64 per component
    max = std::numeric_limits<float>::max();
    eps = std::numeric_limits<float>::epsilon();
    smallest_normal = static_cast<double>(std::numeric_limits<float>::min());
    dtype = float32; // MLX reports complex64's component type
  }
  min = -max;
  bits = dtype.size() * 8;
}

iinfo::iinfo(Dtype t) : dtype(t) {
  auto set = [this](auto lo, auto hi) {
    min = static_cast<int64_t>(lo);
    max = static_cast<uint64_t>(hi);
  };
  switch (t.val()) {
  case Dtype::Val::uint8:
    set(0, UINT8_MAX);
    break;
  case Dtype::Val::uint16:
    set(0, UINT16_MAX);
    break;
  case Dtype::Val::uint32:
    set(0, UINT32_MAX);
    break;
  case Dtype::Val::uint64:
    set(0, UINT64_MAX);
    break;
  case Dtype::Val::int8:
    set(INT8_MIN, INT8_MAX);
    break;
  case Dtype::Val::int16:
    set(INT16_MIN, INT16_MAX);
    break;
  case Dtype::Val::int32:
    set(INT32_MIN, INT32_MAX);
    break;
  case Dtype::Val::int64:
    set(INT64_MIN, INT64_MAX);
    break;
  default: {
    std::ostringstream msg;
    msg << "[iinfo] dtype " << t << " is not integral.";
    throw std::invalid_argument(msg.str());
  }
  }
}

template <typename T> TypeToDtype<T>::operator Dtype() {
  if constexpr (std::is_same_v<T, bool>) {
    return bool_;
  } else if constexpr (std::is_same_v<T, uint8_t>) {
    return uint8;
  } else if constexpr (std::is_same_v<T, uint16_t>) {
    return uint16;
  } else if constexpr (std::is_same_v<T, uint32_t>) {
    return uint32;
  } else if constexpr (std::is_same_v<T, uint64_t>) {
    return uint64;
  } else if constexpr (std::is_same_v<T, int8_t>) {
    return int8;
  } else if constexpr (std::is_same_v<T, int16_t>) {
    return int16;
  } else if constexpr (std::is_same_v<T, int32_t>) {
    return int32;
  } else if constexpr (std::is_same_v<T, int64_t>) {
    return int64;
  } else if constexpr (std::is_same_v<T, float16_t>) {
    return float16;
  } else if constexpr (std::is_same_v<T, bfloat16_t>) {
    return bfloat16;
  } else if constexpr (std::is_same_v<T, float>) {
    return float32;
  } else if constexpr (std::is_same_v<T, double>) {
    // As in MLX: C++ double scalars and lists make float32 arrays (so that
    // `x * 2.0` keeps x's float32); float64 must be asked for explicitly.
    return float32;
  } else {
    static_assert(std::is_same_v<T, complex64_t>, "unsupported dtype");
    return complex64;
  }
}

template struct TypeToDtype<bool>;
template struct TypeToDtype<uint8_t>;
template struct TypeToDtype<uint16_t>;
template struct TypeToDtype<uint32_t>;
template struct TypeToDtype<uint64_t>;
template struct TypeToDtype<int8_t>;
template struct TypeToDtype<int16_t>;
template struct TypeToDtype<int32_t>;
template struct TypeToDtype<int64_t>;
template struct TypeToDtype<float16_t>;
template struct TypeToDtype<bfloat16_t>;
template struct TypeToDtype<float>;
template struct TypeToDtype<double>;
template struct TypeToDtype<complex64_t>;

std::ostream& operator<<(std::ostream& os, const Dtype& dtype) {
  return os << dtype_to_string(dtype);
}

std::ostream& operator<<(std::ostream& os, DtypeCategory c) {
  static const char* names[] = {
      "complexfloating",
      "floating",
      "inexact",
      "signedinteger",
      "unsignedinteger",
      "integer",
      "number",
      "generic"};
  return os << names[static_cast<int>(c)];
}

} // namespace mlx::core
