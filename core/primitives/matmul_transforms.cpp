// jvp, vjp and vmap rules of the matmul primitives. The primitives' operands
// already share the output's batch dims (the op front-ends broadcast them),
// so cotangents need no reduction here: the Broadcast rule sums them over
// the broadcast batch axes.
#include "mlx/primitives/matmul.h"

#include <optional>
#include <string_view>

#include "mlx/ops.h"
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

} // namespace

std::vector<array> Matmul::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  Stream s = stream();
  std::optional<array> out;
  for (size_t k = 0; k < argnums.size(); ++k) {
    array term = argnums[k] == 0 ? matmul(tangents[k], primals[1], s)
                                 : matmul(primals[0], tangents[k], s);
    out = out ? add(*out, term, s) : term;
  }
  return {*out};
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
  std::optional<array> product;
  std::optional<array> out;
  for (size_t k = 0; k < argnums.size(); ++k) {
    if (argnums[k] == 0) {
      out = scaled(tangents[k], beta_, s);
      continue;
    }
    array term = argnums[k] == 1 ? matmul(tangents[k], primals[2], s)
                                 : matmul(primals[1], tangents[k], s);
    product = product ? add(*product, term, s) : term;
  }
  if (product) {
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

} // namespace mlx::core
