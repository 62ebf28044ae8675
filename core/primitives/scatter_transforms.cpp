// jvp, vjp and vmap rules of the scatter primitives. ScatterAddAxis is
// linear in (a, values) and the adjoint of TakeAlongAxis: its vjp gathers
// the cotangent at the indices. Indices carry no gradient.
#include "mlx/primitives/scatter.h"

#include "mlx/ops.h"
#include "mlx/primitives/rule_utils.h"
#include "mlx/utils.h"

namespace mlx::core {

std::vector<array> ScatterAddAxis::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  array ta = zeros_like(primals[0], stream());
  bool values_tangent = false;
  array tv = ta;
  for (size_t i = 0; i < argnums.size(); ++i) {
    if (argnums[i] == 0) {
      ta = tangents[i];
    } else if (argnums[i] == 2) {
      tv = tangents[i];
      values_tangent = true;
    }
  }
  if (!values_tangent) {
    return {ta};
  }
  return {scatter_add_axis(ta, primals[1], tv, axis_, stream())};
}

std::vector<array> ScatterAddAxis::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  const array& c = cotangents[0];
  std::vector<array> vjps;
  for (int arg : argnums) {
    if (arg == 0) {
      vjps.push_back(c);
    } else if (arg == 2) {
      vjps.push_back(take_along_axis(c, primals[1], axis_, stream()));
    } else {
      vjps.push_back(zeros_like(primals[1], stream()));
    }
  }
  return vjps;
}

std::pair<std::vector<array>, std::vector<int>> ScatterAddAxis::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  // The output is batched: an unbatched array is repeated; unbatched
  // indices or values get a leading axis of size 1 (the op broadcasts).
  int batch = detail::batch_size(inputs, axes);
  array a = detail::batch_first(inputs[0], axes[0], batch, true, stream());
  array idx = detail::batch_first(inputs[1], axes[1], batch, false, stream());
  array vals = detail::batch_first(inputs[2], axes[2], batch, false, stream());
  return {{scatter_add_axis(a, idx, vals, axis_ + 1, stream())}, {0}};
}

std::vector<array> Scatter::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  if (reduce_ == Prod) {
    throw_error("[scatter_prod] JVP is not implemented.");
  }
  auto s = stream();
  const array& a = primals[0];
  const array& idx = primals[1];
  const array& updates = primals[2];
  array ta = zeros_like(a, s);
  array tu = zeros_like(updates, s);
  for (size_t i = 0; i < argnums.size(); ++i) {
    if (argnums[i] == 0) {
      ta = tangents[i];
    } else if (argnums[i] == 2) {
      tu = tangents[i];
    }
  }
  if (reduce_ == None || reduce_ == Sum) {
    // Linear in (a, updates): scatter the tangents the same way.
    return {scatter_flat(ta, idx, tu, reduce_, s)};
  }
  // Max/Min: the tangent of every value that equals the result (the
  // transpose of the vjp below).
  array out = scatter_flat(a, idx, updates, reduce_, s);
  array from_a = where(equal(out, a, s), ta, zeros_like(ta, s), s);
  array won = equal(take(out, idx, s), updates, s);
  array from_u = where(won, tu, zeros_like(tu, s), s);
  return {scatter_flat(from_a, idx, from_u, Sum, s)};
}

std::vector<array> Scatter::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  if (reduce_ == Prod) {
    throw_error("[scatter_prod] VJP is not implemented.");
  }
  const array& c = cotangents[0];
  const array& a = primals[0];
  const array& idx = primals[1];
  const array& updates = primals[2];
  const array& out = outputs[0];
  auto s = stream();
  std::vector<array> vjps;
  for (int arg : argnums) {
    if (arg == 0) {
      if (reduce_ == None) {
        // Overwritten elements get no gradient.
        vjps.push_back(scatter_flat(c, idx, zeros_like(updates, s), None, s));
      } else if (reduce_ == Sum) {
        vjps.push_back(c);
      } else {
        // Max/Min: the elements that kept their value.
        vjps.push_back(where(equal(out, a, s), c, zeros_like(c, s), s));
      }
    } else if (arg == 2) {
      array g = take(c, idx, s);
      if (reduce_ == Max || reduce_ == Min) {
        // The updates that won.
        g = where(equal(take(out, idx, s), updates, s), g, zeros_like(g, s), s);
      }
      vjps.push_back(g);
    } else {
      // Indices carry no gradient.
      vjps.push_back(zeros_like(idx, s));
    }
  }
  return vjps;
}

std::pair<std::vector<array>, std::vector<int>>
Scatter::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  // Batch b of the 1-D problem becomes the slice [b*N, (b+1)*N) of one
  // flat problem: offset the indices by b*N (wrapping negatives first).
  auto s = stream();
  int batch = detail::batch_size(inputs, axes);
  array a = detail::batch_first(inputs[0], axes[0], batch, true, s);
  array idx = detail::batch_first(inputs[1], axes[1], batch, true, s);
  array upd = detail::batch_first(inputs[2], axes[2], batch, true, s);
  int64_t n = a.shape(1);
  array in_range = logical_and(
      greater_equal(idx, array(-n, int64), s),
      less(idx, array(n, int64), s),
      s);
  array wrapped = where(
      less(idx, array(0, int64), s), add(idx, array(n, int64), s), idx, s);
  array base = multiply(
      reshape(arange(0, batch, int64, s), {batch, 1}, s), array(n, int64), s);
  // Out-of-range indices stay out of range of the flat problem.
  array flat_idx =
      where(in_range, add(wrapped, base, s), array(-batch * n - 1, int64), s);
  array out = scatter_flat(
      flatten(a, s), flatten(flat_idx, s), flatten(upd, s), reduce_, s);
  return {{reshape(out, a.shape(), s)}, {0}};
}

} // namespace mlx::core
