// jvp, vjp and vmap rules of the matmul primitives. Matmul's and AddMM's
// operands already share the output's batch dims (the op front-ends
// broadcast them), so cotangents need no reduction here: the Broadcast rule
// sums them over the broadcast batch axes. GatherMM's cotangents (and
// GatherMMScatterAdd's) are GatherMMScatterAdd products: each product's
// gradient is added to the matrix its index picked.
#include "mlx/primitives/matmul.h"

#include <optional>
#include <string_view>

#include "mlx/ops.h"
#include "mlx/primitives/rule_utils.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

array matrix_transpose(const array& a, Stream s) {
  return swapaxes(a, -1, -2, s);
}

array scaled(const array& a, float factor, Stream s) {
  return factor == 1.0f ? a : multiply(a, array(factor, a.dtype()), s);
}

// Cotangents of a and b in out = a @ b, for the requested operands.
array matmul_vjp_a(const array& g, const array& b, Stream s) {
  return matmul(g, matrix_transpose(b, s), s);
}

// When b is itself a transpose (a Linear layer's x @ w.T), the cotangent is
// built transposed, (g^T a)^T: the Transpose rule turns it back into a
// row-contiguous gradient of w, which the optimizer's element-wise updates
// read much faster than a transposed view. Same values either way.
array matmul_vjp_b(const array& a, const array& g, const array& b, Stream s) {
  if (b.ndim() == 2 && b.has_primitive() &&
      std::string_view(b.primitive().name()) == "Transpose") {
    return matrix_transpose(matmul(matrix_transpose(g, s), a, s), s);
  }
  return matmul(matrix_transpose(a, s), g, s);
}

// The batched operands with their batch axis first.
array batch_first(const array& x, int axis, Stream s) {
  return axis > 0 ? moveaxis(x, axis, 0, s) : x;
}

Shape batch_shape_of(const array& x) {
  return Shape(x.shape().begin(), x.shape().end() - 2);
}

Shape with_matrix(Shape batch, int rows, int cols) {
  batch.insert(batch.end(), {rows, cols});
  return batch;
}

using detail::gather_mm_scatter_add;

// Cotangents of a and b (argnums 0, 1; the indices get zeros) where
// out[o[i]] += a[l[i]] @ b[r[i]]: a[l[i]] gets g[o[i]] @ b[r[i]]^T and
// b[r[i]] gets a[l[i]]^T @ g[o[i]], summed over the products that share a
// matrix.
std::vector<array> product_vjps(
    const std::vector<array>& primals,
    const array& o,
    const array& g,
    const std::vector<int>& argnums,
    Stream s) {
  const array& a = primals[0];
  const array& b = primals[1];
  const array& l = primals[2];
  const array& r = primals[3];
  std::vector<array> vjps;
  for (int arg : argnums) {
    if (arg == 0) {
      vjps.push_back(astype(
          gather_mm_scatter_add(
              g, matrix_transpose(b, s), o, r, l, batch_shape_of(a), s),
          a.dtype(),
          s));
    } else if (arg == 1) {
      vjps.push_back(astype(
          gather_mm_scatter_add(
              matrix_transpose(a, s), g, l, o, r, batch_shape_of(b), s),
          b.dtype(),
          s));
    } else {
      vjps.push_back(zeros_like(primals[arg], s)); // indices: no gradient
    }
  }
  return vjps;
}

// Indices into a batch of `count` matrices per instance, made indices into
// the instances' batches folded into one (V * count matrices): instance v's
// index j becomes v * count + j. Indices are wrapped first; out-of-range
// ones become V * count, out of range of the folded batch, so the kernel
// still raises for them. `indices` has the instance axis first if
// `batched`, else none (it is then the same for every instance).
array fold_indices(
    const array& indices,
    bool batched,
    int instances,
    int64_t count,
    Stream s) {
  array j = astype(indices, int64, s);
  array n = array(count, int64);
  j = where(less(j, array(0, int64), s), add(j, n, s), j, s);
  array in_range =
      logical_and(greater_equal(j, array(0, int64), s), less(j, n, s), s);
  Shape offsets_shape(indices.ndim() + (batched ? 0 : 1), 1);
  offsets_shape[0] = instances;
  array offsets = reshape(
      multiply(arange(0.0, double(instances), int64, s), n, s),
      offsets_shape,
      s);
  return where(
      in_range, add(j, offsets, s), array(instances * count, int64), s);
}

// A vmapped operand x (instance axis `axis`) with its instances folded
// into its batch, [V * count, R, C], and its indices folded to match.
std::pair<array, array> fold_operand(
    const array& x,
    int axis,
    const array& indices,
    bool batched_indices,
    int instances,
    Stream s) {
  array first = batch_first(x, axis, s);
  int64_t count = static_cast<int64_t>(shape_size(batch_shape_of(first))) /
                  std::max(instances, 1);
  array folded = reshape(
      first,
      {static_cast<int>(instances * count), first.shape(-2), first.shape(-1)},
      s);
  return {folded, fold_indices(indices, batched_indices, instances, count, s)};
}

// The jvp of a product bilinear in inputs `first` and `first + 1`: the sum
// of term(tangent of the first factor?, tangent) over the tangents of those
// two inputs (others carry none into it); none when neither has one.
template <typename Term>
std::optional<array> bilinear_jvp(
    const std::vector<int>& argnums,
    const std::vector<array>& tangents,
    int first,
    Term term,
    Stream s) {
  std::optional<array> out;
  for (size_t k = 0; k < argnums.size(); ++k) {
    int which = argnums[k] - first;
    if (which != 0 && which != 1) {
      continue;
    }
    array t = term(which == 0, tangents[k]);
    out = out ? add(*out, t, s) : t;
  }
  return out;
}

} // namespace

std::vector<array> Matmul::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  Stream s = stream();
  auto term = [&](bool of_a, const array& t) {
    return of_a ? matmul(t, primals[1], s) : matmul(primals[0], t, s);
  };
  return {*bilinear_jvp(argnums, tangents, 0, term, s)};
}

std::vector<array> Matmul::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  Stream s = stream();
  const array& g = cotangents[0];
  std::vector<array> vjps;
  for (int arg : argnums) {
    vjps.push_back(
        arg == 0 ? matmul_vjp_a(g, primals[1], s)
                 : matmul_vjp_b(primals[0], g, primals[1], s));
  }
  return vjps;
}

std::pair<std::vector<array>, std::vector<int>>
Matmul::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  // An unbatched operand has one dim fewer and broadcasts over the batch.
  Stream s = stream();
  array a = batch_first(inputs[0], axes[0], s);
  array b = batch_first(inputs[1], axes[1], s);
  return {{matmul(a, b, s)}, {0}};
}

std::vector<array> AddMM::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  // inputs {c, a, b}: d out = alpha (da @ b + a @ db) + beta dc.
  Stream s = stream();
  std::optional<array> out;
  for (size_t k = 0; k < argnums.size(); ++k) {
    if (argnums[k] == 0) {
      out = scaled(tangents[k], beta_, s);
    }
  }
  auto term = [&](bool of_a, const array& t) {
    return of_a ? matmul(t, primals[2], s) : matmul(primals[1], t, s);
  };
  if (auto product = bilinear_jvp(argnums, tangents, 1, term, s)) {
    array term = scaled(*product, alpha_, s);
    out = out ? add(*out, term, s) : term;
  }
  return {*out};
}

std::vector<array> AddMM::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  Stream s = stream();
  const array& g = cotangents[0];
  std::vector<array> vjps;
  for (int arg : argnums) {
    if (arg == 0) {
      vjps.push_back(scaled(g, beta_, s));
    } else if (arg == 1) {
      vjps.push_back(scaled(matmul_vjp_a(g, primals[2], s), alpha_, s));
    } else {
      vjps.push_back(
          scaled(matmul_vjp_b(primals[1], g, primals[2], s), alpha_, s));
    }
  }
  return vjps;
}

std::pair<std::vector<array>, std::vector<int>>
AddMM::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  Stream s = stream();
  array c = batch_first(inputs[0], axes[0], s);
  array a = batch_first(inputs[1], axes[1], s);
  array b = batch_first(inputs[2], axes[2], s);
  if (axes[1] < 0 && axes[2] < 0) {
    // Only c is batched: the product must have the batch dim for c to
    // broadcast to it.
    Shape shape = a.shape();
    shape.insert(shape.begin(), c.shape(0));
    a = broadcast_to(expand_dims(a, 0, s), shape, s);
  }
  return {{addmm(c, a, b, alpha_, beta_, s)}, {0}};
}

std::vector<array> GatherMM::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  // d out = gather_mm(da, b) + gather_mm(a, db); the indices carry none.
  Stream s = stream();
  const array& lhs = primals[2];
  const array& rhs = primals[3];
  auto term = [&](bool of_a, const array& t) {
    return of_a ? gather_mm(t, primals[1], lhs, rhs, false, s)
                : gather_mm(primals[0], t, lhs, rhs, false, s);
  };
  auto out = bilinear_jvp(argnums, tangents, 0, term, s);
  if (!out) {
    return {zeros(
        with_matrix(lhs.shape(), primals[0].shape(-2), primals[1].shape(-1)),
        primals[0].dtype(),
        s)};
  }
  return {*out};
}

std::vector<array> GatherMM::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  // Product i is out[i] = a[lhs[i]] @ b[rhs[i]].
  Stream s = stream();
  const array& lhs = primals[2];
  array each =
      reshape(arange(0.0, double(lhs.size()), uint32, s), lhs.shape(), s);
  return product_vjps(primals, each, cotangents[0], argnums, s);
}

std::pair<std::vector<array>, std::vector<int>>
GatherMM::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  // The instances fold into the batched operands' batches and the indices
  // (which then carry the instance axis first); an unbatched index array
  // broadcasts against a batched one as it is.
  Stream s = stream();
  int instances = detail::batch_size(inputs, axes);
  array a = inputs[0], b = inputs[1];
  array lhs = batch_first(inputs[2], axes[2], s);
  array rhs = batch_first(inputs[3], axes[3], s);
  if (axes[0] >= 0) {
    std::tie(a, lhs) =
        fold_operand(a, axes[0], lhs, axes[2] >= 0, instances, s);
  }
  if (axes[1] >= 0) {
    std::tie(b, rhs) =
        fold_operand(b, axes[1], rhs, axes[3] >= 0, instances, s);
  }
  return {{gather_mm(a, b, lhs, rhs, false, s)}, {0}};
}

std::vector<array> GatherMMScatterAdd::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  // Linear in a and in b; the indices carry no tangent.
  Stream s = stream();
  const array& a = primals[0];
  const array& b = primals[1];
  auto term = [&](bool of_a, const array& t) {
    return gather_mm_scatter_add(
        of_a ? t : a,
        of_a ? b : t,
        primals[2],
        primals[3],
        primals[4],
        out_batch_,
        s);
  };
  auto out = bilinear_jvp(argnums, tangents, 0, term, s);
  if (!out) {
    return {zeros(
        with_matrix(out_batch_, a.shape(-2), b.shape(-1)),
        promote_types(a.dtype(), b.dtype()),
        s)};
  }
  return {*out};
}

std::vector<array> GatherMMScatterAdd::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  return product_vjps(primals, primals[4], cotangents[0], argnums, stream());
}

std::pair<std::vector<array>, std::vector<int>> GatherMMScatterAdd::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  // As GatherMM's rule, and each instance adds to its own outputs.
  Stream s = stream();
  int instances = detail::batch_size(inputs, axes);
  array a = inputs[0], b = inputs[1];
  array l = batch_first(inputs[2], axes[2], s);
  array r = batch_first(inputs[3], axes[3], s);
  array o = batch_first(inputs[4], axes[4], s);
  if (axes[0] >= 0) {
    std::tie(a, l) = fold_operand(a, axes[0], l, axes[2] >= 0, instances, s);
  }
  if (axes[1] >= 0) {
    std::tie(b, r) = fold_operand(b, axes[1], r, axes[3] >= 0, instances, s);
  }
  int64_t count = static_cast<int64_t>(shape_size(out_batch_));
  o = fold_indices(o, axes[4] >= 0, instances, count, s);
  array out = gather_mm_scatter_add(
      a, b, l, r, o, {static_cast<int>(instances * count)}, s);
  Shape shape = out_batch_;
  shape.insert(shape.begin(), instances);
  return {
      {reshape(out, with_matrix(shape, out.shape(-2), out.shape(-1)), s)}, {0}};
}

} // namespace mlx::core
