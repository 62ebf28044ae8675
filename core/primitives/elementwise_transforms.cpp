// jvp, vjp and vmap rules of the Binary and Select primitives. The ops
// broadcast their inputs before building these nodes, so every input has
// the output's shape and the cotangents need no reduction (the Broadcast
// nodes in front sum them). Unary and AsType are in unary_transforms.cpp.
#include <algorithm>
#include <optional>

#include "mlx/ops.h"
#include "mlx/primitives/elementwise.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

[[noreturn]] void
throw_not_differentiable(const char* name, const char* which, Dtype dtype) {
  throw_error(
      "[",
      name,
      "] The ",
      which,
      " is not defined: ",
      name,
      " of ",
      dtype,
      " is not differentiable (its output is integer/boolean).");
}

// The inputs of an element-wise node batched along axis 0 and broadcast to
// one shape, for inputs batched along `axes` (-1: not batched). An input
// of lower rank broadcasts from the right, so unit axes go after the batch
// axis of a batched input and in front of an unbatched one.
std::vector<array> batch_first(
    const std::vector<array>& inputs, const std::vector<int>& axes, Stream s) {
  int ndim = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    ndim = std::max(
        ndim, static_cast<int>(inputs[i].ndim()) - (axes[i] >= 0 ? 1 : 0));
  }
  std::vector<array> out;
  Shape shape;
  for (size_t i = 0; i < inputs.size(); ++i) {
    array x = inputs[i];
    Shape expanded;
    if (axes[i] >= 0) {
      if (axes[i] != 0) {
        x = moveaxis(x, axes[i], 0, s);
      }
      expanded = x.shape();
      expanded.insert(expanded.begin() + 1, ndim + 1 - x.ndim(), 1);
    } else {
      expanded = x.shape();
      expanded.insert(expanded.begin(), ndim + 1 - x.ndim(), 1);
    }
    if (expanded != x.shape()) {
      x = reshape(x, expanded, s);
    }
    shape = i == 0 ? x.shape() : broadcast_shapes(shape, x.shape(), "vmap");
    out.push_back(std::move(x));
  }
  for (auto& x : out) {
    x = broadcast_to(x, shape, s);
  }
  return out;
}

// Inputs for a batched element-wise node and the output's batch axis:
// unchanged when every input is batched along the same axis with the same
// shape, else batched along axis 0.
std::pair<std::vector<array>, int> batched_inputs(
    const std::vector<array>& inputs, const std::vector<int>& axes, Stream s) {
  bool same = std::all_of(
      axes.begin(), axes.end(), [&](int a) { return a == axes[0] && a >= 0; });
  for (auto& x : inputs) {
    same = same && x.shape() == inputs[0].shape();
  }
  if (same) {
    return {inputs, axes[0]};
  }
  return {batch_first(inputs, axes, s), 0};
}

// g times the partial derivative of the op with respect to input `arg`,
// at (a, b) with out = op(a, b).
array binary_partial(
    BinaryOp op,
    int arg,
    const array& a,
    const array& b,
    const array& out,
    const array& g,
    Stream s) {
  Dtype t = out.dtype();
  switch (op) {
  case BinaryOp::Add:
    return g;
  case BinaryOp::Subtract:
    return arg == 0 ? g : negative(g, s);
  case BinaryOp::Multiply:
    return multiply(g, arg == 0 ? b : a, s);
  case BinaryOp::Divide: // d/db (a / b) = -out / b
    return arg == 0 ? divide(g, b, s)
                    : negative(divide(multiply(g, out, s), b, s), s);
  case BinaryOp::Remainder: // a - b floor(a / b), as MLX
    return arg == 0 ? g
                    : negative(multiply(g, floor(divide(a, b, s), s), s), s);
  case BinaryOp::FloorDivide: // piecewise constant
    return zeros_like(out, s);
  // Ties give the gradient to b, as MLX. The gradient is g times the cast
  // mask, as MLX: a multiply vectorizes where a select would branch.
  case BinaryOp::Maximum: {
    array mask = arg == 0 ? greater(a, b, s) : less_equal(a, b, s);
    return multiply(g, astype(mask, t, s), s);
  }
  case BinaryOp::Minimum: {
    array mask = arg == 0 ? less(a, b, s) : greater_equal(a, b, s);
    return multiply(g, astype(mask, t, s), s);
  }
  case BinaryOp::Power: {
    if (arg == 0) { // b a^(b - 1)
      return multiply(
          g, multiply(b, power(a, subtract(b, array(1.0, t), s), s), s), s);
    }
    // log(a) a^b, taken as 0 where a^b = 0 (a = 0, b > 0) as MLX.
    array d = multiply(log(a, s), out, s);
    return multiply(
        g, where(not_equal(out, array(0.0, t), s), d, array(0.0, t), s), s);
  }
  case BinaryOp::ArcTan2: { // atan2(a, b): (b, -a) / (a^2 + b^2)
    array norm = add(square(a, s), square(b, s), s);
    return arg == 0 ? divide(multiply(g, b, s), norm, s)
                    : negative(divide(multiply(g, a, s), norm, s), s);
  }
  case BinaryOp::LogAddExp: // exp(a - out) = sigmoid(a - b)
    return multiply(
        g, sigmoid(arg == 0 ? subtract(a, b, s) : subtract(b, a, s), s), s);
  default:
    throw_error("[Binary] Missing derivative rule.");
  }
}

} // namespace

std::vector<array> Binary::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  const array& a = primals[0];
  const array& b = primals[1];
  Dtype out_dtype = is_comparison(op_) ? bool_ : a.dtype();
  if (!issubdtype(out_dtype, inexact)) {
    throw_not_differentiable(name(), "jvp", a.dtype());
  }
  // A lazy node for the rules that use op(a, b); computed only if used.
  array out(
      a.shape(), out_dtype, std::make_shared<Binary>(stream(), op_), {a, b});
  if (argnums.empty()) {
    return {zeros_like(out, stream())};
  }
  array tangent =
      binary_partial(op_, argnums[0], a, b, out, tangents[0], stream());
  for (size_t k = 1; k < argnums.size(); ++k) {
    tangent =
        add(tangent,
            binary_partial(op_, argnums[k], a, b, out, tangents[k], stream()),
            stream());
  }
  return {tangent};
}

std::vector<array> Binary::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  if (!issubdtype(outputs[0].dtype(), inexact)) {
    throw_not_differentiable(name(), "vjp", primals[0].dtype());
  }
  std::vector<array> vjps;
  for (int arg : argnums) {
    vjps.push_back(binary_partial(
        op_, arg, primals[0], primals[1], outputs[0], cotangents[0], stream()));
  }
  return vjps;
}

std::pair<std::vector<array>, std::vector<int>>
Binary::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  auto [xs, axis] = batched_inputs(inputs, axes, stream());
  Dtype out_dtype = is_comparison(op_) ? bool_ : xs[0].dtype();
  Shape shape = xs[0].shape(); // before xs is moved into the node
  array out(
      std::move(shape),
      out_dtype,
      std::make_shared<Binary>(stream(), op_),
      std::move(xs));
  return {{out}, {axis}};
}

std::vector<array> Select::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  const array& cond = primals[0];
  Dtype t = primals[1].dtype();
  if (!issubdtype(t, inexact)) {
    throw_not_differentiable(name(), "jvp", t);
  }
  // The condition has no tangent; x's and y's are selected like x and y.
  array zero(0.0, t);
  std::optional<array> tx, ty;
  for (size_t k = 0; k < argnums.size(); ++k) {
    if (argnums[k] == 1) {
      tx = tangents[k];
    } else if (argnums[k] == 2) {
      ty = tangents[k];
    }
  }
  if (!tx && !ty) {
    return {zeros(cond.shape(), t, stream())};
  }
  return {where(cond, tx.value_or(zero), ty.value_or(zero), stream())};
}

std::vector<array> Select::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  const array& cond = primals[0];
  const array& c = cotangents[0];
  Dtype t = outputs[0].dtype();
  if (!issubdtype(t, inexact)) {
    throw_not_differentiable(name(), "vjp", t);
  }
  array zero(0.0, t);
  std::vector<array> vjps;
  for (int arg : argnums) {
    if (arg == 0) {
      vjps.push_back(zeros_like(cond, stream()));
    } else if (arg == 1) {
      vjps.push_back(where(cond, c, zero, stream()));
    } else {
      vjps.push_back(where(cond, zero, c, stream()));
    }
  }
  return vjps;
}

std::pair<std::vector<array>, std::vector<int>>
Select::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  auto [xs, axis] = batched_inputs(inputs, axes, stream());
  Dtype t = xs[1].dtype();
  Shape shape = xs[0].shape(); // before xs is moved into the node
  array out(
      std::move(shape), t, std::make_shared<Select>(stream()), std::move(xs));
  return {{out}, {axis}};
}

} // namespace mlx::core
