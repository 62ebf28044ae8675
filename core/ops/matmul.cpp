#include "mlx/ops/matmul.h"

#include <algorithm>
#include <numeric>

#include "mlx/ops/creation.h"
#include "mlx/ops/elementwise.h"
#include "mlx/ops/indexing.h"
#include "mlx/ops/reduce.h"
#include "mlx/ops/shape.h"
#include "mlx/primitives/matmul.h"
#include "mlx/utils.h"

namespace mlx::core {

void detail::check_inner_dims(
    const array& a,
    const array& b,
    const Shape& given_a,
    const Shape& given_b,
    const char* op) {
  if (a.shape(-1) != b.shape(-2)) {
    throw_error(
        "[",
        op,
        "] Last dimension of first input with shape ",
        given_a,
        " must match second to last dimension of second input with shape ",
        given_b,
        ".");
  }
}

namespace {

// MLX's matmul supports floating point and complex types only (BLAS has no
// integer gemm); integer and bool inputs are rejected, not converted.
Dtype product_dtype(Dtype a, Dtype b, const char* op) {
  Dtype out = promote_types(a, b);
  if (!issubdtype(out, inexact)) {
    throw_error(
        "[",
        op,
        "] Only floating point and complex types are supported, but ",
        a,
        " and ",
        b,
        " were provided, which promote to ",
        out,
        ".");
  }
  return out;
}

// The operands of a (batched) matrix product, as the primitives take them.
struct ProductOperands {
  array a;                   // [batch..., M, K]
  array b;                   // [batch..., K, N]
  Shape out_shape;           // [batch..., M, N]
  std::vector<int> squeezed; // axes of out_shape added for 1-D inputs
};

ProductOperands product_operands(
    const array& in_a,
    const array& in_b,
    Dtype dtype,
    const char* op,
    StreamOrDevice s) {
  if (in_a.ndim() == 0 || in_b.ndim() == 0) {
    throw_error(
        "[",
        op,
        "] Got 0 dimension input. Inputs must have at least one ",
        "dimension (shapes ",
        in_a.shape(),
        " and ",
        in_b.shape(),
        ").");
  }
  array a = astype(in_a, dtype, s);
  array b = astype(in_b, dtype, s);
  if (a.ndim() == 1) {
    a = reshape(a, {1, a.shape(0)}, s);
  }
  if (b.ndim() == 1) {
    b = reshape(b, {b.shape(0), 1}, s);
  }
  detail::check_inner_dims(a, b, in_a.shape(), in_b.shape(), op);
  Shape batch = broadcast_shapes(
      Shape(a.shape().begin(), a.shape().end() - 2),
      Shape(b.shape().begin(), b.shape().end() - 2),
      op);
  auto with_matrix = [&](int rows, int cols) {
    Shape shape = batch;
    shape.push_back(rows);
    shape.push_back(cols);
    return shape;
  };
  int m = a.shape(-2), k = a.shape(-1), n = b.shape(-1);
  ProductOperands ops{
      broadcast_to(a, with_matrix(m, k), s),
      broadcast_to(b, with_matrix(k, n), s),
      with_matrix(m, n),
      {}};
  int nd = static_cast<int>(ops.out_shape.size());
  if (in_a.ndim() == 1) {
    ops.squeezed.push_back(nd - 2);
  }
  if (in_b.ndim() == 1) {
    ops.squeezed.push_back(nd - 1);
  }
  return ops;
}

} // namespace

namespace {

// a (..., M, K) @ b (K, N) runs as one (prod(...) M, K) @ (K, N) product, as
// MLX does: one large gemm instead of a batch of small ones against a
// broadcast b (whose gradient would then be summed over the batch).
bool fold_batch_into_rows(const array& a, const array& b) {
  return a.ndim() > 2 && b.ndim() == 2 && a.shape(-1) == b.shape(0) &&
         a.size() > 0 && a.shape(-1) > 0;
}

Shape folded_result_shape(const array& a, const array& b) {
  Shape shape = a.shape();
  shape.back() = b.shape(1);
  return shape;
}

} // namespace

array matmul(const array& a, const array& b, StreamOrDevice s) {
  if (fold_batch_into_rows(a, b)) {
    array rows = matmul(reshape(a, {-1, a.shape(-1)}, s), b, s);
    return reshape(rows, folded_result_shape(a, b), s);
  }
  Dtype dtype = product_dtype(a.dtype(), b.dtype(), "matmul");
  auto ops = product_operands(a, b, dtype, "matmul", s);
  auto stream = to_stream(s);
  array out(
      ops.out_shape, dtype, std::make_shared<Matmul>(stream), {ops.a, ops.b});
  return ops.squeezed.empty() ? out : squeeze(out, ops.squeezed, s);
}

array addmm(
    array c,
    array a,
    array b,
    const float& alpha,
    const float& beta,
    StreamOrDevice s) {
  // A bias-like c (at most 1-D) broadcasts the same way to the folded rows.
  if (fold_batch_into_rows(a, b) && c.ndim() <= 1) {
    array rows = addmm(c, reshape(a, {-1, a.shape(-1)}, s), b, alpha, beta, s);
    return reshape(rows, folded_result_shape(a, b), s);
  }
  Dtype dtype = product_dtype(
      c.dtype(), product_dtype(a.dtype(), b.dtype(), "addmm"), "addmm");
  auto ops = product_operands(a, b, dtype, "addmm", s);
  // c broadcasts to the result's shape (the 1-D dims already removed).
  Shape result;
  for (int d = 0; d < static_cast<int>(ops.out_shape.size()); ++d) {
    if (std::find(ops.squeezed.begin(), ops.squeezed.end(), d) ==
        ops.squeezed.end()) {
      result.push_back(ops.out_shape[d]);
    }
  }
  if (c.ndim() > result.size() ||
      broadcast_shapes(c.shape(), result, "addmm") != result) {
    throw_error(
        "[addmm] c with shape ",
        c.shape(),
        " cannot be broadcast to the shape of a @ b, ",
        result,
        ".");
  }
  // Give c the product's rank (size-1 dims where the result has none) while
  // it is still small, then broadcast it as a view.
  c = astype(c, dtype, s);
  Shape padded(result.size() - c.ndim(), 1);
  padded.insert(padded.end(), c.shape().begin(), c.shape().end());
  c = reshape(c, padded, s);
  if (!ops.squeezed.empty()) {
    c = expand_dims(c, ops.squeezed, s);
  }
  c = broadcast_to(c, ops.out_shape, s);
  auto stream = to_stream(s);
  array out(
      ops.out_shape,
      dtype,
      std::make_shared<AddMM>(stream, alpha, beta),
      {c, ops.a, ops.b});
  return ops.squeezed.empty() ? out : squeeze(out, ops.squeezed, s);
}

namespace {

Shape batch_shape_of(const array& x) {
  return Shape(x.shape().begin(), x.shape().end() - 2);
}

// Flat indices into x's batch dims (default: every matrix, in x's batch
// shape, so that the other operand's indices broadcast against them).
array batch_indices(
    const std::optional<array>& indices,
    const array& x,
    const char* name,
    StreamOrDevice s) {
  if (!indices) {
    Shape batch = batch_shape_of(x);
    double count = static_cast<double>(shape_size(batch));
    return reshape(arange(0.0, count, uint32, s), batch, s);
  }
  if (!issubdtype(indices->dtype(), integer)) {
    throw_error(
        "[gather_mm] ",
        name,
        " must have an integer dtype, got ",
        indices->dtype(),
        ".");
  }
  return *indices;
}

} // namespace

array gather_mm(
    array a,
    array b,
    std::optional<array> lhs_indices,
    std::optional<array> rhs_indices,
    bool /* sorted_indices: a hint only */,
    StreamOrDevice s) {
  if (a.ndim() < 2 || b.ndim() < 2) {
    throw_error(
        "[gather_mm] The inputs must have at least 2 dims, got shapes ",
        a.shape(),
        " and ",
        b.shape(),
        ".");
  }
  if (!lhs_indices && !rhs_indices) {
    return matmul(a, b, s);
  }
  Dtype dtype = product_dtype(a.dtype(), b.dtype(), "gather_mm");
  detail::check_inner_dims(a, b, a.shape(), b.shape(), "gather_mm");
  array lhs = batch_indices(lhs_indices, a, "lhs_indices", s);
  array rhs = batch_indices(rhs_indices, b, "rhs_indices", s);
  Shape batch = broadcast_shapes(lhs.shape(), rhs.shape(), "gather_mm");
  lhs = broadcast_to(lhs, batch, s);
  rhs = broadcast_to(rhs, batch, s);
  a = astype(a, dtype, s);
  b = astype(b, dtype, s);
  auto stream = to_stream(s);
  if (stream.device == Device::gpu) {
    // No GPU kernel yet: gather the matrices and multiply them with the
    // GPU's take and matmul kernels.
    auto flat = [&](const array& x) {
      int count = static_cast<int>(shape_size(batch_shape_of(x)));
      return reshape(x, {count, x.shape(-2), x.shape(-1)}, s);
    };
    return matmul(take(flat(a), lhs, 0, s), take(flat(b), rhs, 0, s), s);
  }
  Shape out_shape = batch;
  out_shape.insert(out_shape.end(), {a.shape(-2), b.shape(-1)});
  return array(
      std::move(out_shape),
      dtype,
      std::make_shared<GatherMM>(stream),
      {a, b, lhs, rhs});
}

array detail::gather_mm_scatter_add(
    const array& a,
    const array& b,
    const array& l,
    const array& r,
    const array& o,
    const Shape& out_batch,
    StreamOrDevice s) {
  if (a.ndim() < 2 || b.ndim() < 2 || a.shape(-1) != b.shape(-2)) {
    throw_error(
        "[gather_mm] The gradient's products need shapes [..., M, K] and "
        "[..., K, N], got ",
        a.shape(),
        " and ",
        b.shape(),
        ".");
  }
  for (const array* idx : {&l, &r, &o}) {
    if (!issubdtype(idx->dtype(), integer)) {
      throw_error(
          "[gather_mm] The gradient's indices must have an integer dtype, "
          "got ",
          idx->dtype(),
          ".");
    }
  }
  Shape products = broadcast_shapes(
      broadcast_shapes(l.shape(), r.shape(), "gather_mm"),
      o.shape(),
      "gather_mm");
  Dtype dtype = product_dtype(a.dtype(), b.dtype(), "gather_mm");
  Shape out_shape = out_batch;
  out_shape.insert(out_shape.end(), {a.shape(-2), b.shape(-1)});
  auto stream = to_stream(s);
  return array(
      std::move(out_shape),
      dtype,
      std::make_shared<GatherMMScatterAdd>(stream, out_batch),
      {astype(a, dtype, s),
       astype(b, dtype, s),
       broadcast_to(l, products, s),
       broadcast_to(r, products, s),
       broadcast_to(o, products, s)});
}

array inner(const array& a, const array& b, StreamOrDevice s) {
  if (a.ndim() == 0 || b.ndim() == 0) {
    return multiply(a, b, s);
  }
  if (a.shape(-1) != b.shape(-1)) {
    throw_error(
        "[inner] Last dimensions of the inputs must match, got shapes ",
        a.shape(),
        " and ",
        b.shape(),
        ".");
  }
  product_dtype(a.dtype(), b.dtype(), "inner");
  return tensordot(a, b, {-1}, {-1}, s);
}

array outer(const array& a, const array& b, StreamOrDevice s) {
  return multiply(
      reshape(flatten(a, s), {static_cast<int32_t>(a.size()), 1}, s),
      flatten(b, s),
      s);
}

array tensordot(
    const array& a, const array& b, const int axes, StreamOrDevice s) {
  int na = static_cast<int>(a.ndim()), nb = static_cast<int>(b.ndim());
  if (axes < 0 || axes > na || axes > nb) {
    throw_error(
        "[tensordot] axes must be in [0, min(a.ndim, b.ndim)], got ",
        axes,
        " for shapes ",
        a.shape(),
        " and ",
        b.shape(),
        ".");
  }
  std::vector<int> axes_a(axes), axes_b(axes);
  std::iota(axes_a.begin(), axes_a.end(), na - axes);
  std::iota(axes_b.begin(), axes_b.end(), 0);
  return tensordot(a, b, axes_a, axes_b, s);
}

array tensordot(
    const array& a,
    const array& b,
    const std::vector<int>& axes_a_in,
    const std::vector<int>& axes_b_in,
    StreamOrDevice s) {
  if (axes_a_in.size() != axes_b_in.size()) {
    throw_error(
        "[tensordot] Got ",
        axes_a_in.size(),
        " axes for a and ",
        axes_b_in.size(),
        " axes for b; they must pair up.");
  }
  Dtype dtype = product_dtype(a.dtype(), b.dtype(), "tensordot");
  int na = static_cast<int>(a.ndim()), nb = static_cast<int>(b.ndim());
  std::vector<int> axes_a, axes_b;
  for (size_t i = 0; i < axes_a_in.size(); ++i) {
    axes_a.push_back(normalize_axis(axes_a_in[i], na, "tensordot"));
    axes_b.push_back(normalize_axis(axes_b_in[i], nb, "tensordot"));
    if (a.shape(axes_a[i]) != b.shape(axes_b[i])) {
      throw_error(
          "[tensordot] Axis ",
          axes_a_in[i],
          " of a (shape ",
          a.shape(),
          ") and axis ",
          axes_b_in[i],
          " of b (shape ",
          b.shape(),
          ") have different sizes.");
    }
  }
  // Order the free axes in front of a's contracted ones and after b's, so
  // the product is one [M, K] @ [K, N] matmul.
  auto arrange = [&](const array& x,
                     const std::vector<int>& contracted,
                     bool contracted_first,
                     Shape& free_shape) {
    int nd = static_cast<int>(x.ndim());
    std::vector<bool> is_contracted(nd, false);
    for (int ax : contracted) {
      if (is_contracted[ax]) {
        throw_error("[tensordot] Repeated axis ", ax, " in the axes.");
      }
      is_contracted[ax] = true;
    }
    std::vector<int> free, perm;
    int32_t free_size = 1, contracted_size = 1;
    for (int d = 0; d < nd; ++d) {
      if (!is_contracted[d]) {
        free.push_back(d);
        free_shape.push_back(x.shape(d));
        free_size *= x.shape(d);
      } else {
        contracted_size *= x.shape(d);
      }
    }
    if (contracted_first) {
      perm = contracted;
      perm.insert(perm.end(), free.begin(), free.end());
    } else {
      perm = free;
      perm.insert(perm.end(), contracted.begin(), contracted.end());
    }
    std::vector<int> identity(nd);
    std::iota(identity.begin(), identity.end(), 0);
    array y = perm == identity ? astype(x, dtype, s)
                               : transpose(astype(x, dtype, s), perm, s);
    return contracted_first ? reshape(y, {contracted_size, free_size}, s)
                            : reshape(y, {free_size, contracted_size}, s);
  };
  Shape out_shape;
  array a2 = arrange(a, axes_a, false, out_shape);
  array b2 = arrange(b, axes_b, true, out_shape);
  return reshape(matmul(a2, b2, s), out_shape, s);
}

array kron(const array& a, const array& b, StreamOrDevice s) {
  if (a.ndim() == 0 || b.ndim() == 0) {
    return multiply(a, b, s);
  }
  // Interleave the dims: a as [a0, 1, a1, 1, ...], b as [1, b0, 1, b1, ...];
  // their product [a0, b0, a1, b1, ...] merges pairwise into the result.
  size_t nd = std::max(a.ndim(), b.ndim());
  auto padded = [&](const array& x, size_t d) {
    size_t lead = nd - x.ndim();
    return d < lead ? 1 : x.shape(static_cast<int>(d - lead));
  };
  Shape a_shape, b_shape, out_shape;
  for (size_t d = 0; d < nd; ++d) {
    a_shape.insert(a_shape.end(), {padded(a, d), 1});
    b_shape.insert(b_shape.end(), {1, padded(b, d)});
    out_shape.push_back(padded(a, d) * padded(b, d));
  }
  array product = multiply(reshape(a, a_shape, s), reshape(b, b_shape, s), s);
  return reshape(product, out_shape, s);
}

array vecdot(const array& a, const array& b, int axis, StreamOrDevice s) {
  if (a.ndim() == 0 || b.ndim() == 0) {
    throw_error(
        "[vecdot] Inputs must be at least 1-D, got shapes ",
        a.shape(),
        " and ",
        b.shape(),
        ".");
  }
  Shape shape = broadcast_shapes(a.shape(), b.shape(), "vecdot");
  int ax = normalize_axis(axis, static_cast<int>(shape.size()), "vecdot");
  int off_a = static_cast<int>(shape.size() - a.ndim());
  int off_b = static_cast<int>(shape.size() - b.ndim());
  if (ax < off_a || ax < off_b || a.shape(ax - off_a) != b.shape(ax - off_b)) {
    throw_error(
        "[vecdot] Shapes ",
        a.shape(),
        " and ",
        b.shape(),
        " differ along axis ",
        axis,
        ".");
  }
  return sum(multiply(conjugate(a, s), b, s), ax, false, s);
}

} // namespace mlx::core
