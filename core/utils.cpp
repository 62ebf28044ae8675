#include "mlx/utils.h"

#include <algorithm>
#include <iomanip>

#include "mlx/transforms.h"

namespace mlx::core {

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const Shape& big = a.size() >= b.size() ? a : b;
  const Shape& small = a.size() >= b.size() ? b : a;
  Shape out = big;
  size_t lead = big.size() - small.size();
  for (size_t i = 0; i < small.size(); ++i) {
    int32_t x = big[lead + i], y = small[i];
    if (x == y || y == 1) {
      out[lead + i] = x;
    } else if (x == 1) {
      out[lead + i] = y;
    } else {
      throw_error("[", op, "] Shapes ", a, " and ", b, " cannot be broadcast.");
    }
  }
  return out;
}

int normalize_axis(int axis, int ndim, const char* op) {
  if (axis < -ndim || axis >= ndim) {
    throw_error(
        "[",
        op,
        "] Axis ",
        axis,
        " is out of bounds for an array with ",
        ndim,
        " dimensions.");
  }
  return axis < 0 ? axis + ndim : axis;
}

std::vector<int>
normalize_axes(const std::vector<int>& axes, int ndim, const char* op) {
  std::vector<int> out;
  for (int ax : axes) {
    out.push_back(normalize_axis(ax, ndim, op));
  }
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end()) {
    throw_error("[", op, "] Received duplicate axes in ", axes, ".");
  }
  return out;
}

Shape normalize_slice(
    const Shape& in_shape,
    Shape& start,
    Shape& stop,
    const Shape& strides,
    const char* op) {
  size_t nd = in_shape.size();
  if (start.size() != nd || stop.size() != nd || strides.size() != nd) {
    throw_error(
        "[",
        op,
        "] Invalid number of indices or strides for an array with ",
        nd,
        " dimensions: start ",
        start,
        ", stop ",
        stop,
        ", strides ",
        strides,
        ".");
  }
  Shape shape(nd);
  for (size_t i = 0; i < nd; ++i) {
    int64_t n = in_shape[i];
    int64_t st = strides[i];
    if (st == 0) {
      throw_error("[", op, "] Slice step cannot be zero (axis ", i, ").");
    }
    auto norm = [&](int64_t v) {
      v = v < 0 ? v + n : v;
      return st > 0 ? std::clamp<int64_t>(v, 0, n)
                    : std::clamp<int64_t>(v, -1, n - 1);
    };
    int64_t b = norm(start[i]), e = norm(stop[i]);
    int64_t len = st > 0 ? (e - b + st - 1) / st : (b - e - st - 1) / -st;
    len = std::max<int64_t>(len, 0);
    // An empty slice is stored as [0:0], so that slicing again with the
    // normalized bounds (as the transform rules do) stays empty.
    start[i] = static_cast<int32_t>(len > 0 ? b : 0);
    stop[i] = static_cast<int32_t>(len > 0 ? e : 0);
    shape[i] = static_cast<int32_t>(len);
  }
  return shape;
}

namespace {

template <typename T> void print_value(std::ostream& os, T v) {
  if constexpr (std::is_same_v<T, bool>) {
    os << (v ? "true" : "false");
  } else if constexpr (std::is_same_v<T, complex64_t>) {
    // A nan imaginary part prints as "+nanj", as MLX does.
    bool minus = v.imag() < 0;
    os << v.real() << (minus ? "-" : "+") << (minus ? -v.imag() : v.imag())
       << "j";
  } else if constexpr (
      std::is_same_v<T, int8_t> || std::is_same_v<T, uint8_t>) {
    os << static_cast<int>(v);
  } else if constexpr (is_half_v<T>) {
    os << static_cast<float>(v);
  } else {
    os << v;
  }
}

// Prints arrays as MLX does: nested brackets, rows of deeper dims aligned
// under the first element, dims longer than 6 summarized with "...".
template <typename T>
void print_array(
    std::ostream& os,
    const array& a,
    const T* data,
    size_t dim,
    int64_t offset,
    int indent,
    bool summarize) {
  constexpr int kEdge = 3;
  if (a.ndim() == 0) {
    print_value(os, data[0]);
    return;
  }
  os << "[";
  int n = a.shape(static_cast<int>(dim));
  auto print_item = [&](int i) {
    int64_t off = offset + static_cast<int64_t>(i) * a.strides()[dim];
    if (dim + 1 == a.ndim()) {
      print_value(os, data[off]);
    } else {
      print_array(os, a, data, dim + 1, off, indent + 1, summarize);
    }
  };
  auto separator = [&]() {
    if (dim + 1 == a.ndim()) {
      os << ", ";
    } else {
      // One newline whatever the depth (MLX prints no blank lines).
      os << ",\n" << std::string(indent + 1, ' ');
    }
  };
  bool cut = summarize && n > 2 * kEdge;
  for (int i = 0; i < n; ++i) {
    if (cut && i == kEdge) {
      os << "...";
      separator();
      i = n - kEdge;
    }
    print_item(i);
    if (i + 1 < n) {
      separator();
    }
  }
  os << "]";
}

} // namespace

std::ostream& operator<<(std::ostream& os, const array& arr) {
  array a = arr;
  a.eval();
  constexpr int kIndent = 6; // strlen("array(")
  os << "array(";
  // MLX elides the middle of every dimension longer than 6, whatever the
  // total size.
  bool summarize = true;
  detail::dispatch_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    print_array(os, a, a.data<T>(), 0, 0, kIndent, summarize);
  });
  os << ", dtype=" << a.dtype() << ")";
  return os;
}

template <typename T>
std::ostream& print_vector(std::ostream& os, const std::vector<T>& v) {
  os << "(";
  for (size_t i = 0; i < v.size(); ++i) {
    os << v[i] << (i + 1 < v.size() || v.size() == 1 ? "," : "");
    if (i + 1 < v.size()) {
      os << " ";
    }
  }
  return os << ")";
}

std::ostream& operator<<(std::ostream& os, const std::vector<int32_t>& v) {
  return print_vector(os, v);
}

std::ostream& operator<<(std::ostream& os, const std::vector<int64_t>& v) {
  return print_vector(os, v);
}

Dtype result_type(const std::vector<array>& arrays) {
  if (arrays.empty()) {
    throw_error("[result_type] Needs at least one array.");
  }
  Dtype t = arrays[0].dtype();
  for (const auto& a : arrays) {
    t = promote_types(t, a.dtype());
  }
  return t;
}

} // namespace mlx::core
