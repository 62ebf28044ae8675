#include "mlx/ops/sort.h"

#include <memory>

#include "mlx/ops/creation.h"
#include "mlx/ops/elementwise.h"
#include "mlx/ops/reduce.h"
#include "mlx/ops/shape.h"
#include "mlx/primitives/sort.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

// kth in [-n, n) mapped to [0, n); throws naming `op`.
int normalize_kth(int kth, int n, int axis, const char* op) {
  if (kth < -n || kth >= n) {
    throw_error(
        "[",
        op,
        "] kth ",
        kth,
        " is out of bounds for axis ",
        axis,
        " of size ",
        n,
        ".");
  }
  return kth < 0 ? kth + n : kth;
}

} // namespace

array sort(const array& a, int axis, StreamOrDevice s) {
  int ax = normalize_axis(axis, static_cast<int>(a.ndim()), "sort");
  return array(
      a.shape(), a.dtype(), std::make_shared<Sort>(to_stream(s), ax), {a});
}

array sort(const array& a, StreamOrDevice s) {
  return sort(flatten(a, s), 0, s);
}

array argsort(const array& a, int axis, StreamOrDevice s) {
  int ax = normalize_axis(axis, static_cast<int>(a.ndim()), "argsort");
  return array(
      a.shape(), uint32, std::make_shared<ArgSort>(to_stream(s), ax), {a});
}

array argsort(const array& a, StreamOrDevice s) {
  return argsort(flatten(a, s), 0, s);
}

array partition(const array& a, int kth, int axis, StreamOrDevice s) {
  int ax = normalize_axis(axis, static_cast<int>(a.ndim()), "partition");
  int k = normalize_kth(kth, a.shape(ax), axis, "partition");
  return array(
      a.shape(),
      a.dtype(),
      std::make_shared<Partition>(to_stream(s), k, ax),
      {a});
}

array partition(const array& a, int kth, StreamOrDevice s) {
  return partition(flatten(a, s), kth, 0, s);
}

array argpartition(const array& a, int kth, int axis, StreamOrDevice s) {
  int ax = normalize_axis(axis, static_cast<int>(a.ndim()), "argpartition");
  int k = normalize_kth(kth, a.shape(ax), axis, "argpartition");
  return array(
      a.shape(),
      uint32,
      std::make_shared<ArgPartition>(to_stream(s), k, ax),
      {a});
}

array argpartition(const array& a, int kth, StreamOrDevice s) {
  return argpartition(flatten(a, s), kth, 0, s);
}

array topk(const array& a, int k, int axis, StreamOrDevice s) {
  int ax = normalize_axis(axis, static_cast<int>(a.ndim()), "topk");
  int n = a.shape(ax);
  if (k < 0 || k > n) {
    throw_error(
        "[topk] k ",
        k,
        " must be in [0, ",
        n,
        "] for axis ",
        axis,
        " of shape ",
        a.shape(),
        ".");
  }
  Shape start(a.ndim(), 0);
  Shape stop = a.shape();
  start[ax] = n - k;
  if (k == 0) {
    return slice(a, start, stop, s);
  }
  // The k largest end up in the last k slots; sorting just those (k log k)
  // gives a deterministic order.
  array top = slice(partition(a, n - k, ax, s), start, stop, s);
  return sort(top, ax, s);
}

array topk(const array& a, int k, StreamOrDevice s) {
  return topk(flatten(a, s), k, 0, s);
}

array searchsorted(
    const array& sorted_sequence,
    const array& values,
    const std::string& side,
    StreamOrDevice s) {
  if (side != "left" && side != "right") {
    throw_error(
        "[searchsorted] Invalid side '",
        side,
        "': expected 'left' or 'right'.");
  }
  if (sorted_sequence.ndim() != 1) {
    throw_error(
        "[searchsorted] The sorted sequence must be 1-D, got shape ",
        sorted_sequence.shape(),
        ".");
  }
  if (sorted_sequence.dtype() == complex64 || values.dtype() == complex64) {
    throw_error("[searchsorted] Not supported for complex64.");
  }
  // The insertion point is the number of elements that sort before the
  // value (left) or not after it (right), NaNs sorting last.
  Dtype t = promote_types(sorted_sequence.dtype(), values.dtype());
  array seq = astype(sorted_sequence, t, s);
  array v = expand_dims(astype(values, t, s), -1, s);
  array before = side == "left" ? less(seq, v, s) : less_equal(seq, v, s);
  if (issubdtype(t, inexact)) {
    array nan_v = isnan(v, s);
    before = logical_or(
        before,
        side == "left" ? logical_and(nan_v, logical_not(isnan(seq, s), s), s)
                       : nan_v,
        s);
  }
  return astype(sum(before, -1, false, s), uint32, s);
}

} // namespace mlx::core
