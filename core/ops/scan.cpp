#include "mlx/ops/scan.h"

#include <memory>

#include "mlx/ops/creation.h"
#include "mlx/ops/shape.h"
#include "mlx/primitives/scan.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

array scan(
    const array& a,
    int axis,
    bool reverse,
    bool inclusive,
    ScanOp op,
    const char* name,
    StreamOrDevice s) {
  int ax = normalize_axis(axis, static_cast<int>(a.ndim()), name);
  Dtype t = a.dtype();
  if (op == ScanOp::LogAddExp) {
    if (t == complex64) {
      throw_error("[", name, "] Not supported for dtype ", t, ".");
    }
    if (!issubdtype(t, floating)) {
      t = float32;
    }
  } else if ((op == ScanOp::Sum || op == ScanOp::Prod) && t == bool_) {
    t = int32;
  }
  auto stream = to_stream(s);
  array in = astype(a, t, stream);
  return array(
      in.shape(),
      t,
      std::make_shared<Scan>(stream, op, ax, reverse, inclusive),
      {in});
}

} // namespace

#define MLX_SCAN_OP(fn, op)                                                    \
  array fn(                                                                    \
      const array& a,                                                          \
      int axis,                                                                \
      bool reverse,                                                            \
      bool inclusive,                                                          \
      StreamOrDevice s) {                                                      \
    return scan(a, axis, reverse, inclusive, op, #fn, s);                      \
  }                                                                            \
  array fn(const array& a, bool reverse, bool inclusive, StreamOrDevice s) {   \
    return scan(flatten(a, s), 0, reverse, inclusive, op, #fn, s);             \
  }

MLX_SCAN_OP(cumsum, ScanOp::Sum)
MLX_SCAN_OP(cumprod, ScanOp::Prod)
MLX_SCAN_OP(cummax, ScanOp::Max)
MLX_SCAN_OP(cummin, ScanOp::Min)
MLX_SCAN_OP(logcumsumexp, ScanOp::LogAddExp)
#undef MLX_SCAN_OP

array cumsum(
    const array& a,
    bool reverse,
    bool inclusive,
    std::optional<Dtype> dtype,
    StreamOrDevice s) {
  return cumsum(astype(a, dtype.value_or(a.dtype()), s), reverse, inclusive, s);
}

array cumsum(
    const array& a,
    int axis,
    bool reverse,
    bool inclusive,
    std::optional<Dtype> dtype,
    StreamOrDevice s) {
  return cumsum(
      astype(a, dtype.value_or(a.dtype()), s), axis, reverse, inclusive, s);
}

array cumprod(
    const array& a,
    bool reverse,
    bool inclusive,
    std::optional<Dtype> dtype,
    StreamOrDevice s) {
  return cumprod(
      astype(a, dtype.value_or(a.dtype()), s), reverse, inclusive, s);
}

array cumprod(
    const array& a,
    int axis,
    bool reverse,
    bool inclusive,
    std::optional<Dtype> dtype,
    StreamOrDevice s) {
  return cumprod(
      astype(a, dtype.value_or(a.dtype()), s), axis, reverse, inclusive, s);
}

} // namespace mlx::core
