#include "mlx/ops/reduce.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "mlx/ops/creation.h"
#include "mlx/ops/elementwise.h"
#include "mlx/ops/indexing.h"
#include "mlx/ops/shape.h"
#include "mlx/ops/sort.h"
#include "mlx/primitives/reduce.h"
#include "mlx/primitives/softmax.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

std::vector<int> all_axes(const array& a) {
  std::vector<int> axes(a.ndim());
  std::iota(axes.begin(), axes.end(), 0);
  return axes;
}

array reduce(
    const array& a,
    const std::vector<int>& axes_in,
    bool keepdims,
    ReduceOp op,
    Dtype out_dtype,
    const char* name,
    StreamOrDevice s) {
  auto axes = normalize_axes(axes_in, static_cast<int>(a.ndim()), name);
  if (axes.empty()) {
    return astype(a, out_dtype, s);
  }
  if ((op == ReduceOp::Min || op == ReduceOp::Max)) {
    for (int ax : axes) {
      if (a.shape(ax) == 0) {
        throw_error(
            "[",
            name,
            "] Cannot reduce the empty axis ",
            ax,
            " of an array of shape ",
            a.shape(),
            ": the operation has no identity.");
      }
    }
  }
  Shape kept = a.shape();
  for (int ax : axes) {
    kept[ax] = 1;
  }
  auto stream = to_stream(s);
  array in = (op == ReduceOp::And || op == ReduceOp::Or)
                 ? astype(a, bool_, stream)
                 : a;
  array out(kept, out_dtype, std::make_shared<Reduce>(stream, op, axes), {in});
  return keepdims ? out : squeeze(out, axes, stream);
}

Dtype sum_dtype(Dtype t) {
  return t == bool_ ? int32 : t;
}

} // namespace

#define MLX_REDUCTION_OVERLOADS(fn)                                            \
  array fn(const array& a, bool keepdims, StreamOrDevice s) {                  \
    return fn(a, all_axes(a), keepdims, s);                                    \
  }                                                                            \
  array fn(const array& a, int axis, bool keepdims, StreamOrDevice s) {        \
    return fn(a, std::vector<int>{axis}, keepdims, s);                         \
  }

array all(
    const array& a,
    const std::vector<int>& axes,
    bool keepdims,
    StreamOrDevice s) {
  return reduce(a, axes, keepdims, ReduceOp::And, bool_, "all", s);
}
array any(
    const array& a,
    const std::vector<int>& axes,
    bool keepdims,
    StreamOrDevice s) {
  return reduce(a, axes, keepdims, ReduceOp::Or, bool_, "any", s);
}
array sum(
    const array& a,
    const std::vector<int>& axes,
    bool keepdims,
    StreamOrDevice s) {
  return reduce(
      a, axes, keepdims, ReduceOp::Sum, sum_dtype(a.dtype()), "sum", s);
}
array prod(
    const array& a,
    const std::vector<int>& axes,
    bool keepdims,
    StreamOrDevice s) {
  return reduce(
      a, axes, keepdims, ReduceOp::Prod, sum_dtype(a.dtype()), "prod", s);
}
array max(
    const array& a,
    const std::vector<int>& axes,
    bool keepdims,
    StreamOrDevice s) {
  return reduce(a, axes, keepdims, ReduceOp::Max, a.dtype(), "max", s);
}
array min(
    const array& a,
    const std::vector<int>& axes,
    bool keepdims,
    StreamOrDevice s) {
  return reduce(a, axes, keepdims, ReduceOp::Min, a.dtype(), "min", s);
}

array mean(
    const array& a,
    const std::vector<int>& axes,
    bool keepdims,
    StreamOrDevice s) {
  auto ax = normalize_axes(axes, static_cast<int>(a.ndim()), "mean");
  double count = 1;
  for (int i : ax) {
    count *= a.shape(i);
  }
  Dtype t = issubdtype(a.dtype(), inexact) ? a.dtype() : float32;
  array total = sum(astype(a, t, s), ax, keepdims, s);
  return multiply(total, array(1.0 / count, t), s);
}

array logsumexp(
    const array& a,
    const std::vector<int>& axes,
    bool keepdims,
    StreamOrDevice s) {
  auto ax = normalize_axes(axes, static_cast<int>(a.ndim()), "logsumexp");
  Dtype t = issubdtype(a.dtype(), inexact) ? a.dtype() : float32;
  array x = astype(a, t, s);
  if (x.size() == 0) {
    return log(sum(exp(x, s), ax, keepdims, s), s);
  }
  // Shift by the max for stability; an infinite max would give inf - inf.
  array m = stop_gradient(max(x, ax, true, s), s);
  m = where(isinf(m, s), zeros_like(m, s), m, s);
  array out = add(log(sum(exp(subtract(x, m, s), s), ax, true, s), s), m, s);
  return keepdims ? out : squeeze(out, ax, s);
}

MLX_REDUCTION_OVERLOADS(all)
MLX_REDUCTION_OVERLOADS(any)
MLX_REDUCTION_OVERLOADS(sum)
MLX_REDUCTION_OVERLOADS(prod)
MLX_REDUCTION_OVERLOADS(max)
MLX_REDUCTION_OVERLOADS(min)
MLX_REDUCTION_OVERLOADS(mean)
MLX_REDUCTION_OVERLOADS(logsumexp)
#undef MLX_REDUCTION_OVERLOADS

array var(
    const array& a,
    const std::vector<int>& axes,
    bool keepdims,
    int ddof,
    StreamOrDevice s) {
  auto ax = normalize_axes(axes, static_cast<int>(a.ndim()), "var");
  double count = 1;
  for (int i : ax) {
    count *= a.shape(i);
  }
  Dtype t = issubdtype(a.dtype(), inexact) ? a.dtype() : float32;
  array x = astype(a, t, s);
  // Two passes (mean, then squared deviations): no cancellation.
  array mu = mean(x, ax, true, s);
  array sq = square(subtract(x, mu, s), s);
  array total = sum(sq, ax, keepdims, s);
  double denom = std::max(count - ddof, 0.0);
  return divide(total, array(denom, t), s);
}

array var(const array& a, bool keepdims, int ddof, StreamOrDevice s) {
  return var(a, all_axes(a), keepdims, ddof, s);
}
array var(const array& a, int axis, bool keepdims, int ddof, StreamOrDevice s) {
  return var(a, std::vector<int>{axis}, keepdims, ddof, s);
}

array std(
    const array& a,
    const std::vector<int>& axes,
    bool keepdims,
    int ddof,
    StreamOrDevice s) {
  return sqrt(var(a, axes, keepdims, ddof, s), s);
}
array std(const array& a, bool keepdims, int ddof, StreamOrDevice s) {
  return std(a, all_axes(a), keepdims, ddof, s);
}
array std(const array& a, int axis, bool keepdims, int ddof, StreamOrDevice s) {
  return std(a, std::vector<int>{axis}, keepdims, ddof, s);
}

namespace {

array arg_reduce(
    const array& a,
    int axis,
    bool keepdims,
    ArgReduceOp op,
    const char* name,
    StreamOrDevice s) {
  int ax = normalize_axis(axis, static_cast<int>(a.ndim()), name);
  if (a.shape(ax) == 0) {
    throw_error(
        "[", name, "] Cannot take the ", name, " of an empty axis ", axis, ".");
  }
  Shape shape = a.shape();
  shape[ax] = 1;
  auto stream = to_stream(s);
  array out(shape, uint32, std::make_shared<ArgReduce>(stream, op, ax), {a});
  return keepdims ? out : squeeze(out, ax, stream);
}

array arg_reduce_flat(
    const array& a,
    bool keepdims,
    ArgReduceOp op,
    const char* name,
    StreamOrDevice s) {
  if (a.size() == 0) {
    throw_error("[", name, "] Cannot take the ", name, " of an empty array.");
  }
  array out = arg_reduce(reshape(a, {-1}, s), 0, false, op, name, s);
  return keepdims ? reshape(out, Shape(a.ndim(), 1), s) : out;
}

} // namespace

array argmax(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return arg_reduce(a, axis, keepdims, ArgReduceOp::ArgMax, "argmax", s);
}
array argmax(const array& a, bool keepdims, StreamOrDevice s) {
  return arg_reduce_flat(a, keepdims, ArgReduceOp::ArgMax, "argmax", s);
}
array argmin(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return arg_reduce(a, axis, keepdims, ArgReduceOp::ArgMin, "argmin", s);
}
array argmin(const array& a, bool keepdims, StreamOrDevice s) {
  return arg_reduce_flat(a, keepdims, ArgReduceOp::ArgMin, "argmin", s);
}

array softmax(
    const array& a,
    const std::vector<int>& axes,
    bool precise,
    StreamOrDevice s) {
  auto ax = normalize_axes(axes, static_cast<int>(a.ndim()), "softmax");
  Dtype t = issubdtype(a.dtype(), inexact) ? a.dtype() : float32;
  if (t == complex64) {
    throw_error("[softmax] Not supported for complex64.");
  }
  bool upcast = precise && t.size() == 2;
  array x = astype(a, upcast ? float32 : t, s);
  if (x.size() == 0) {
    return astype(x, t, s);
  }
  // Over the last axis on the CPU: the one-pass primitive (the GPU has no
  // Softmax kernel yet and takes the composed form below).
  Stream stream = to_stream(s);
  if (ax.size() == 1 && ax[0] == static_cast<int>(x.ndim()) - 1 &&
      stream.device == Device::cpu) {
    array y(
        x.shape(), x.dtype(), std::make_shared<Softmax>(stream, precise), {x});
    return astype(y, t, s);
  }
  // Subtracting the max keeps exp in range; it cancels in the ratio.
  array m = stop_gradient(max(x, ax, true, s), s);
  m = where(isinf(m, s), zeros_like(m, s), m, s);
  array e = exp(subtract(x, m, s), s);
  return astype(divide(e, sum(e, ax, true, s), s), t, s);
}

array softmax(const array& a, bool precise, StreamOrDevice s) {
  return softmax(a, all_axes(a), precise, s);
}

array softmax(const array& a, int axis, bool precise, StreamOrDevice s) {
  return softmax(a, std::vector<int>{axis}, precise, s);
}

array count_nonzero(const array& a, bool keepdims, StreamOrDevice s) {
  std::vector<int> axes(a.ndim());
  std::iota(axes.begin(), axes.end(), 0);
  return count_nonzero(a, axes, keepdims, s);
}

array count_nonzero(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return count_nonzero(a, std::vector<int>{axis}, keepdims, s);
}

array count_nonzero(
    const array& a,
    const std::vector<int>& axes,
    bool keepdims,
    StreamOrDevice s) {
  normalize_axes(axes, static_cast<int>(a.ndim()), "count_nonzero");
  array nonzero = astype(not_equal(a, array(0, a.dtype()), s), int32, s);
  return sum(nonzero, axes, keepdims, s);
}

array median(const array& a, bool keepdims, StreamOrDevice s) {
  std::vector<int> axes(a.ndim());
  std::iota(axes.begin(), axes.end(), 0);
  return median(a, axes, keepdims, s);
}

array median(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return median(a, std::vector<int>{axis}, keepdims, s);
}

array median(
    const array& a,
    const std::vector<int>& axes,
    bool keepdims,
    StreamOrDevice s) {
  int nd = static_cast<int>(a.ndim());
  std::vector<int> red = normalize_axes(axes, nd, "median");
  if (a.dtype() == complex64) {
    throw_error("[median] Not supported for complex64.");
  }
  // The kept axes first, the reduced ones flattened into the last.
  std::vector<int> order;
  Shape kept;
  size_t n = 1;
  for (int d = 0; d < nd; ++d) {
    if (std::find(red.begin(), red.end(), d) == red.end()) {
      order.push_back(d);
      kept.push_back(a.shape(d));
    } else {
      n *= a.shape(d);
    }
  }
  if (n == 0) {
    throw_error(
        "[median] Cannot take the median over ",
        axes,
        " of an array of shape ",
        a.shape(),
        ": no elements.");
  }
  order.insert(order.end(), red.begin(), red.end());
  Dtype t = issubdtype(a.dtype(), inexact) ? a.dtype() : float32;
  Shape flat = kept;
  flat.push_back(static_cast<int32_t>(n));
  array x = reshape(transpose(astype(a, t, s), order, s), flat, s);
  // Sorting puts NaNs last; NumPy's median of a row with a NaN is NaN.
  array sorted = sort(x, -1, s);
  int mid = static_cast<int>(n / 2);
  array hi = take(sorted, mid, -1, s);
  array med =
      n % 2 ? hi
            : multiply(
                  add(take(sorted, mid - 1, -1, s), hi, s), array(0.5, t), s);
  med = where(any(isnan(x, s), -1, false, s), array(NAN, t), med, s);
  if (keepdims) {
    med = expand_dims(med, red, s);
  }
  return med;
}

array number_of_elements(
    const array& a,
    std::vector<int> axes,
    bool inverted,
    Dtype dtype,
    StreamOrDevice s) {
  // Shapes are static here, so the count is a constant.
  double n = 1;
  for (int ax :
       normalize_axes(axes, static_cast<int>(a.ndim()), "number_of_elements")) {
    n *= a.shape(ax);
  }
  if (inverted) {
    n = 1.0 / n;
  }
  return astype(array(n, float64), dtype, s);
}

} // namespace mlx::core
