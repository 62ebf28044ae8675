// jvp, vjp and vmap rules of the scan primitives. "Before"/"after" below
// mean in scan order (from the end of the axis when reverse).
#include "mlx/primitives/scan.h"

#include <limits>

#include "mlx/ops.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

array scalar_like(double value, const array& like) {
  return array(value, like.dtype());
}

// Position of each slot along `axis` in scan order (int32, 0 first),
// shaped to broadcast against an array of `ndim` dims.
array scan_order(int n, int axis, int ndim, bool reverse, Stream s) {
  Shape shape(ndim, 1);
  shape[axis] = n;
  array pos = arange(0, n, 1, s);
  if (reverse) {
    pos = subtract(array(n - 1), pos, s);
  }
  return reshape(pos, shape, s);
}

// Index along the axis of the slot at scan-order position `order`.
array index_of_order(const array& order, int n, bool reverse, Stream s) {
  return reverse ? subtract(array(n - 1), order, s) : order;
}

// Cumulative product rules. With z the first zero of x (in scan order),
// elements before z have y_j / x_i as their partial products; z itself sees
// the products of x with x_z replaced by 1; elements after z have none.
struct ProdParts {
  array before_zero; // x_i precedes the first zero
  array first_zero;  // x_i is the first zero
  array x_safe;      // x with zeros replaced by 1 (for divisions)
  array y_one;       // the scan of x with its first zero replaced by 1
};

ProdParts prod_parts(const array& x, const Scan& p, Stream s) {
  array is_zero = equal(x, scalar_like(0, x), s);
  array zeros_so_far =
      cumsum(astype(is_zero, int32, s), p.axis(), p.reverse(), true, s);
  array before_zero = equal(zeros_so_far, array(0), s);
  array first_zero = logical_and(is_zero, equal(zeros_so_far, array(1), s), s);
  array one = scalar_like(1, x);
  return {
      before_zero,
      first_zero,
      where(is_zero, one, x, s),
      cumprod(
          where(first_zero, one, x, s),
          p.axis(),
          p.reverse(),
          p.inclusive(),
          s)};
}

array cumprod_jvp(const array& x, const array& t, const Scan& p, Stream s) {
  auto parts = prod_parts(x, p, s);
  array y = cumprod(x, p.axis(), p.reverse(), p.inclusive(), s);
  // Output j has no zero among its factors: y_j * sum_i t_i / x_i.
  array no_zero_factor =
      p.inclusive() ? parts.before_zero
                    : logical_or(parts.before_zero, parts.first_zero, s);
  array smooth = multiply(
      y,
      cumsum(
          divide(t, parts.x_safe, s), p.axis(), p.reverse(), p.inclusive(), s),
      s);
  // Otherwise only the first zero's tangent contributes.
  array t_zero =
      sum(where(parts.first_zero, t, scalar_like(0, t), s), p.axis(), true, s);
  return where(no_zero_factor, smooth, multiply(parts.y_one, t_zero, s), s);
}

array cumprod_vjp(
    const array& x, const array& y, const array& g, const Scan& p, Stream s) {
  auto parts = prod_parts(x, p, s);
  auto accumulate = [&](const array& prods) {
    return cumsum(
        multiply(prods, g, s), p.axis(), !p.reverse(), p.inclusive(), s);
  };
  array zero = scalar_like(0, g);
  return where(
      parts.before_zero,
      divide(accumulate(y), parts.x_safe, s),
      where(parts.first_zero, accumulate(parts.y_one), zero, s),
      s);
}

// Cumulative max/min: output j copies x at src_j, the latest slot up to j
// (before j when exclusive) that equals the running extremum there; ties
// give the gradient to the latest tied slot.
struct ExtremumSources {
  array src;   // index of the source slot of each output (0 if none)
  array valid; // whether output j has a source (exclusive: not the first)
};

ExtremumSources extremum_sources(
    const array& x, const array& y_inclusive, const Scan& p, Stream s) {
  int n = x.shape(p.axis());
  int nd = static_cast<int>(x.ndim());
  array order = scan_order(n, p.axis(), nd, p.reverse(), s);
  array marked = equal(x, y_inclusive, s);
  array src_order = cummax(
      where(marked, order, array(-1), s),
      p.axis(),
      p.reverse(),
      p.inclusive(),
      s);
  array valid = greater_equal(src_order, array(0), s);
  array src =
      where(valid, index_of_order(src_order, n, p.reverse(), s), array(0), s);
  return {src, valid};
}

array inclusive_extremum(const array& x, const Scan& p, Stream s) {
  return p.op() == ScanOp::Max ? cummax(x, p.axis(), p.reverse(), true, s)
                               : cummin(x, p.axis(), p.reverse(), true, s);
}

array cumextremum_jvp(const array& x, const array& t, const Scan& p, Stream s) {
  auto e = extremum_sources(x, inclusive_extremum(x, p, s), p, s);
  return where(
      e.valid, take_along_axis(t, e.src, p.axis(), s), scalar_like(0, t), s);
}

array cumextremum_vjp(
    const array& x, const array& y, const array& g, const Scan& p, Stream s) {
  array y_inclusive = p.inclusive() ? y : inclusive_extremum(x, p, s);
  auto e = extremum_sources(x, y_inclusive, p, s);
  // The adjoint of the gather: add each cotangent at its source slot.
  array g_valid = where(e.valid, g, scalar_like(0, g), s);
  return scatter_add_axis(zeros_like(g, s), e.src, g_valid, p.axis(), s);
}

// log(exp(a)) split by sign so that log applies to positive values only;
// -inf where the sign does not match.
std::pair<array, array> log_of_signed_parts(const array& a, Stream s) {
  array zero = scalar_like(0, a);
  array one = scalar_like(1, a);
  array minus_inf = scalar_like(-std::numeric_limits<double>::infinity(), a);
  array pos = greater(a, zero, s);
  array neg = less(a, zero, s);
  return {
      where(pos, log(where(pos, a, one, s), s), minus_inf, s),
      where(neg, log(where(neg, negative(a, s), one, s), s), minus_inf, s)};
}

// d y_j = sum_{i <= j} t_i exp(x_i - y_j); an output of -inf (no
// contributing element) gets 0.
array logcumsumexp_jvp(
    const array& x, const array& t, const Scan& p, Stream s) {
  array y = logcumsumexp(x, p.axis(), p.reverse(), p.inclusive(), s);
  array empty = isneginf(y, s);
  array zero = scalar_like(0, x);
  array y_safe = where(empty, zero, y, s);
  auto [log_pos, log_neg] = log_of_signed_parts(t, s);
  auto part = [&](const array& log_t) {
    array acc =
        logcumsumexp(add(log_t, x, s), p.axis(), p.reverse(), p.inclusive(), s);
    return exp(subtract(where(empty, zero, acc, s), y_safe, s), s);
  };
  return where(empty, zero, subtract(part(log_pos), part(log_neg), s), s);
}

// d x_i = exp(x_i) sum_{j >= i} g_j exp(-y_j).
array logcumsumexp_vjp(
    const array& x, const array& y, const array& g, const Scan& p, Stream s) {
  array empty = isneginf(y, s);
  array zero = scalar_like(0, x);
  array minus_inf = scalar_like(-std::numeric_limits<double>::infinity(), x);
  array y_safe = where(empty, zero, y, s);
  auto [log_pos, log_neg] = log_of_signed_parts(g, s);
  auto part = [&](const array& log_g) {
    array terms = where(empty, minus_inf, subtract(log_g, y_safe, s), s);
    array acc = logcumsumexp(terms, p.axis(), !p.reverse(), p.inclusive(), s);
    return exp(add(acc, x, s), s);
  };
  return subtract(part(log_pos), part(log_neg), s);
}

} // namespace

std::vector<array> Scan::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  const array& x = primals[0];
  const array& t = tangents[0];
  Stream s = stream();
  switch (op_) {
  case ScanOp::Sum:
    return {cumsum(t, axis_, reverse_, inclusive_, s)};
  case ScanOp::Prod:
    return {cumprod_jvp(x, t, *this, s)};
  case ScanOp::Max:
  case ScanOp::Min:
    return {cumextremum_jvp(x, t, *this, s)};
  case ScanOp::LogAddExp:
    return {logcumsumexp_jvp(x, t, *this, s)};
  }
  throw_error("[Scan] Unknown scan.");
}

std::vector<array> Scan::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  const array& x = primals[0];
  const array& g = cotangents[0];
  const array& y = outputs[0];
  Stream s = stream();
  switch (op_) {
  case ScanOp::Sum:
    return {cumsum(g, axis_, !reverse_, inclusive_, s)};
  case ScanOp::Prod:
    return {cumprod_vjp(x, y, g, *this, s)};
  case ScanOp::Max:
  case ScanOp::Min:
    return {cumextremum_vjp(x, y, g, *this, s)};
  case ScanOp::LogAddExp:
    return {logcumsumexp_vjp(x, y, g, *this, s)};
  }
  throw_error("[Scan] Unknown scan.");
}

std::pair<std::vector<array>, std::vector<int>>
Scan::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  int batch = axes[0];
  int axis = axis_ + (batch >= 0 && batch <= axis_ ? 1 : 0);
  const array& x = inputs[0];
  Stream s = stream();
  array out = [&] {
    switch (op_) {
    case ScanOp::Sum:
      return cumsum(x, axis, reverse_, inclusive_, s);
    case ScanOp::Prod:
      return cumprod(x, axis, reverse_, inclusive_, s);
    case ScanOp::Max:
      return cummax(x, axis, reverse_, inclusive_, s);
    case ScanOp::Min:
      return cummin(x, axis, reverse_, inclusive_, s);
    case ScanOp::LogAddExp:
      break;
    }
    return logcumsumexp(x, axis, reverse_, inclusive_, s);
  }();
  return {{out}, {batch}};
}

} // namespace mlx::core
