// Helpers shared by the op front-ends, and array printing.
#pragma once

#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "mlx/array.h"

namespace mlx::core {

/** Broadcast two shapes NumPy-style; throws naming `op` if they don't. */
Shape broadcast_shapes(
    const Shape& a, const Shape& b, const char* op = "broadcast_shapes");

/** Axis in [-ndim, ndim) mapped to [0, ndim); throws naming `op`. */
int normalize_axis(int axis, int ndim, const char* op);

/** Sorted, unique, normalized axes; throws on duplicates or range. */
std::vector<int>
normalize_axes(const std::vector<int>& axes, int ndim, const char* op);

/** NumPy's slice normalization of start/stop/strides for an array of
 * `shape`: negative bounds count from the end, then clip to [0, n] (or
 * [-1, n - 1] going backwards). Rewrites start (and stop) in place and
 * returns the shape of the slice; throws naming `op` on bad lengths or a
 * zero step. */
Shape normalize_slice(
    const Shape& shape,
    Shape& start,
    Shape& stop,
    const Shape& strides,
    const char* op);

/** The type from promoting the arrays' types with one another. */
inline Dtype result_type(const array& a, const array& b) {
  return promote_types(a.dtype(), b.dtype());
}
inline Dtype result_type(const array& a, const array& b, const array& c) {
  return promote_types(result_type(a, b), c.dtype());
}
Dtype result_type(const std::vector<array>& arrays);

std::ostream& operator<<(std::ostream& os, const array& a);
std::ostream& operator<<(std::ostream& os, const std::vector<int32_t>& v);
std::ostream& operator<<(std::ostream& os, const std::vector<int64_t>& v);

/** Builds an exception message: error<std::invalid_argument>("[op] ", x). */
template <typename E = std::invalid_argument, typename... Args>
[[noreturn]] void throw_error(const Args&... args) {
  std::ostringstream msg;
  (msg << ... << args);
  throw E(msg.str());
}

} // namespace mlx::core
