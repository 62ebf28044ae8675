// The factorizations, inverses and solvers of mlx::core::linalg: argument
// checks and the graphs over the primitives of primitives/linalg.h
// (norm and cross are in linalg_norm.cpp).
#include "mlx/ops/linalg.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "mlx/primitives/linalg.h"
#include "mlx/transforms.h"
#include "mlx/utils.h"

namespace mlx::core::linalg {

namespace detail {

Stream
checked_stream(const array& a, StreamOrDevice s, const char* op, bool square) {
  Stream stream = to_stream(s);
  if (stream.device.type == Device::gpu) {
    throw_error(
        "[",
        op,
        "] This op is not yet supported on the GPU (MLX runs linalg on the "
        "CPU only). Explicitly pass a CPU stream to run it.");
  }
  if (a.dtype() != float32 && a.dtype() != float64) {
    throw_error(
        "[",
        op,
        "] Arrays must have type float32 or float64, got ",
        a.dtype(),
        ".");
  }
  if (a.ndim() < 2) {
    throw_error(
        "[",
        op,
        "] Arrays must have >= 2 dimensions, got shape ",
        a.shape(),
        ".");
  }
  if (square && a.shape(-1) != a.shape(-2)) {
    throw_error(
        "[", op, "] Matrices must be square, got shape ", a.shape(), ".");
  }
  return stream;
}

} // namespace detail

using detail::checked_stream;

namespace {

array mT(const array& x, Stream s) {
  return swapaxes(x, -1, -2, s);
}

array inverse(const array& a, Inverse::Kind kind, const char* op, Stream s) {
  return array(
      a.shape(), a.dtype(), std::make_shared<Inverse>(s, kind, op), {a});
}

Inverse::Kind triangle_kind(bool upper) {
  return upper ? Inverse::Kind::upper : Inverse::Kind::lower;
}

// {lu, pivots, rows} of the LUF primitive (of a^T with of_transpose).
std::vector<array>
lu_outputs(const array& a, Stream s, bool of_transpose = false) {
  int m = a.shape(-2), n = a.shape(-1);
  Shape batch(a.shape().begin(), a.shape().end() - 2);
  Shape pivots = batch, rows = batch;
  pivots.push_back(std::min(m, n));
  rows.push_back(m);
  return array::make_arrays(
      {a.shape(), pivots, rows},
      {a.dtype(), uint32, uint32},
      std::make_shared<LUF>(s, of_transpose),
      {a});
}

// The solve of a @ x = b: a 1-D b is a vector, a's and b's batch axes
// broadcast (matmul's rules). General matrices go through the Solve
// primitive (?gesv); triangular ones through their inverse.
array solve_with(
    const array& a,
    const array& b,
    bool triangular,
    bool upper,
    const char* op,
    StreamOrDevice s) {
  Stream stream = checked_stream(a, s, op, true);
  Dtype dtype = promote_types(a.dtype(), b.dtype());
  if (dtype != float32 && dtype != float64) {
    throw_error(
        "[",
        op,
        "] Arrays must have type float32 or float64, got ",
        a.dtype(),
        " and ",
        b.dtype(),
        ".");
  }
  if (b.ndim() < 1 || b.shape(b.ndim() == 1 ? 0 : -2) != a.shape(-1)) {
    throw_error(
        "[",
        op,
        "] b must have shape (..., n) or (..., n, k) for a of shape ",
        a.shape(),
        ", got ",
        b.shape(),
        ".");
  }
  if (triangular) {
    array a_inv =
        inverse(astype(a, dtype, stream), triangle_kind(upper), op, stream);
    return matmul(a_inv, astype(b, dtype, stream), stream);
  }
  bool vector = b.ndim() == 1;
  array bm = astype(vector ? expand_dims(b, -1, stream) : b, dtype, stream);
  Shape batch = broadcast_shapes(
      Shape(a.shape().begin(), a.shape().end() - 2),
      Shape(bm.shape().begin(), bm.shape().end() - 2),
      op);
  Shape a_shape = batch, b_shape = batch;
  a_shape.insert(a_shape.end(), {a.shape(-2), a.shape(-1)});
  b_shape.insert(b_shape.end(), {bm.shape(-2), bm.shape(-1)});
  array x(
      b_shape,
      dtype,
      std::make_shared<Solve>(stream),
      {broadcast_to(astype(a, dtype, stream), a_shape, stream),
       broadcast_to(bm, b_shape, stream)});
  return vector ? squeeze(x, -1, stream) : x;
}

} // namespace

array inv(const array& a, StreamOrDevice s) {
  Stream stream = checked_stream(a, s, "linalg::inv", true);
  return inverse(a, Inverse::Kind::general, "linalg::inv", stream);
}

array tri_inv(const array& a, bool upper, StreamOrDevice s) {
  Stream stream = checked_stream(a, s, "linalg::tri_inv", true);
  return inverse(a, triangle_kind(upper), "linalg::tri_inv", stream);
}

array cholesky(const array& a, bool upper, StreamOrDevice s) {
  Stream stream = checked_stream(a, s, "linalg::cholesky", true);
  return array(
      a.shape(), a.dtype(), std::make_shared<Cholesky>(stream, upper), {a});
}

array cholesky_inv(const array& a, bool upper, StreamOrDevice s) {
  Stream stream = checked_stream(a, s, "linalg::cholesky_inv", true);
  array f_inv =
      inverse(a, triangle_kind(upper), "linalg::cholesky_inv", stream);
  // inv(L L^T) = L^-T L^-1; inv(U^T U) = U^-1 U^-T.
  return upper ? matmul(f_inv, mT(f_inv, stream), stream)
               : matmul(mT(f_inv, stream), f_inv, stream);
}

std::pair<array, array> lu_factor(const array& a, StreamOrDevice s) {
  Stream stream = checked_stream(a, s, "linalg::lu_factor", false);
  auto out = lu_outputs(a, stream);
  return {out[0], out[1]};
}

std::vector<array>
detail::lu_factorization(const array& a, bool of_transpose, StreamOrDevice s) {
  Stream stream = checked_stream(
      a, s, of_transpose ? "linalg::det" : "linalg::lu_factor", of_transpose);
  return lu_outputs(a, stream, of_transpose);
}

std::vector<array> lu(const array& a, StreamOrDevice s) {
  Stream stream = checked_stream(a, s, "linalg::lu", false);
  auto out = lu_outputs(a, stream);
  int m = a.shape(-2), n = a.shape(-1), k = std::min(m, n);
  Shape start(a.ndim(), 0);
  Shape l_stop = a.shape(), u_stop = a.shape();
  l_stop.back() = k;
  u_stop[a.ndim() - 2] = k;
  array l =
      add(slice(tril(out[0], -1, stream), start, l_stop, stream),
          eye(m, k, 0, a.dtype(), stream),
          stream);
  array u = slice(triu(out[0], 0, stream), start, u_stop, stream);
  return {out[2], l, u};
}

std::pair<array, array> qr(const array& a, StreamOrDevice s) {
  Stream stream = checked_stream(a, s, "linalg::qr", false);
  int m = a.shape(-2), n = a.shape(-1), k = std::min(m, n);
  Shape q_shape = a.shape(), r_shape = a.shape();
  q_shape.back() = k;
  r_shape[a.ndim() - 2] = k;
  auto out = array::make_arrays(
      {q_shape, r_shape},
      {a.dtype(), a.dtype()},
      std::make_shared<QRF>(stream),
      {a});
  return {out[0], out[1]};
}

std::vector<array> svd(const array& a, bool compute_uv, StreamOrDevice s) {
  Stream stream = checked_stream(a, s, "linalg::svd", false);
  int m = a.shape(-2), n = a.shape(-1);
  Shape batch(a.shape().begin(), a.shape().end() - 2);
  Shape s_shape = batch, u_shape = batch, vt_shape = batch;
  s_shape.push_back(std::min(m, n));
  u_shape.insert(u_shape.end(), {m, m});
  vt_shape.insert(vt_shape.end(), {n, n});
  auto prim = std::make_shared<SVD>(stream, compute_uv);
  if (!compute_uv) {
    return array::make_arrays({s_shape}, {a.dtype()}, prim, {a});
  }
  return array::make_arrays(
      {u_shape, s_shape, vt_shape},
      {a.dtype(), a.dtype(), a.dtype()},
      prim,
      {a});
}

array pinv(const array& a, StreamOrDevice s) {
  Stream stream = checked_stream(a, s, "linalg::pinv", false);
  int m = a.shape(-2), n = a.shape(-1), k = std::min(m, n);
  auto usv = svd(a, true, stream);
  Shape start(a.ndim(), 0);
  Shape u_stop = usv[0].shape(), vt_stop = usv[2].shape();
  u_stop.back() = k;
  vt_stop[a.ndim() - 2] = k;
  array u = slice(usv[0], start, u_stop, stream);
  array vt = slice(usv[2], start, vt_stop, stream);
  // Singular values below max(s) * max(M, N) * eps count as zero (NumPy's
  // and MLX's cutoff).
  double eps = a.dtype() == float32 ? std::numeric_limits<float>::epsilon()
                                    : std::numeric_limits<double>::epsilon();
  array sv = usv[1];
  array cutoff = multiply(
      max(sv, -1, true, stream),
      array(eps * std::max(m, n), a.dtype()),
      stream);
  array keep = greater(sv, cutoff, stream);
  array safe = where(keep, sv, array(1.0, a.dtype()), stream);
  array s_inv =
      where(keep, reciprocal(safe, stream), array(0.0, a.dtype()), stream);
  return matmul(
      multiply(mT(vt, stream), expand_dims(s_inv, -2, stream), stream),
      mT(u, stream),
      stream);
}

array solve(const array& a, const array& b, StreamOrDevice s) {
  return solve_with(a, b, false, false, "linalg::solve", s);
}

array solve_triangular(
    const array& a, const array& b, bool upper, StreamOrDevice s) {
  return solve_with(a, b, true, upper, "linalg::solve_triangular", s);
}

std::pair<array, array> eig(const array& a, StreamOrDevice s) {
  Stream stream = checked_stream(a, s, "linalg::eig", true);
  Shape w_shape(a.shape().begin(), a.shape().end() - 1);
  auto out = array::make_arrays(
      {w_shape, a.shape()},
      {complex64, complex64},
      std::make_shared<Eig>(stream, true),
      {a});
  return {out[0], out[1]};
}

array eigvals(const array& a, StreamOrDevice s) {
  Stream stream = checked_stream(a, s, "linalg::eigvals", true);
  Shape w_shape(a.shape().begin(), a.shape().end() - 1);
  return array(w_shape, complex64, std::make_shared<Eig>(stream, false), {a});
}

std::pair<array, array>
eigh(const array& a, std::string UPLO, StreamOrDevice s) {
  Stream stream = checked_stream(a, s, "linalg::eigh", true);
  if (UPLO != "L" && UPLO != "U") {
    throw_error("[linalg::eigh] UPLO must be 'L' or 'U', got '", UPLO, "'.");
  }
  Shape w_shape(a.shape().begin(), a.shape().end() - 1);
  auto out = array::make_arrays(
      {w_shape, a.shape()},
      {a.dtype(), a.dtype()},
      std::make_shared<Eigh>(stream, UPLO[0]),
      {a});
  return {out[0], out[1]};
}

array eigvalsh(const array& a, std::string UPLO, StreamOrDevice s) {
  return eigh(a, UPLO, s).first;
}

namespace {

// {sign, log|det|} from the LU factorization of a^T (det(a^T) = det(a);
// a^T's factors need no transposes of a's row-major data): U's diagonal,
// and one sign flip per row swap.
std::pair<array, array> slogdet_values(const array& a, Stream s) {
  // Behind stop_gradient: the custom rules below differentiate det, and
  // the transforms must not look for LU's (nonexistent) rules.
  auto out = lu_outputs(stop_gradient(a, s), s, true);
  array u_diag = diagonal(out[0], 0, -2, -1, s);
  int k = a.shape(-1);
  array swaps =
      sum(astype(not_equal(out[1], arange(0, k, uint32, s), s), int32, s),
          -1,
          false,
          s);
  array negatives = sum(
      astype(less(u_diag, array(0.0, a.dtype()), s), int32, s), -1, false, s);
  array odd =
      equal(remainder(add(swaps, negatives, s), array(2), s), array(1), s);
  array sign = where(odd, array(-1.0, a.dtype()), array(1.0, a.dtype()), s);
  array logabs = sum(log(abs(u_diag, s), s), -1, false, s);
  // A zero on U's diagonal: sign 0, log|det| = -inf (from log(0)).
  array singular = any(equal(u_diag, array(0.0, a.dtype()), s), -1, false, s);
  sign = where(singular, array(0.0, a.dtype()), sign, s);
  return {sign, logabs};
}

// trace(inv(a) @ t) for the jvps: sum of inv(a)^T * t.
array trace_inv_times(const array& a, const array& t, Stream s) {
  array a_inv = inverse(a, Inverse::Kind::general, "linalg::det", s);
  return sum(multiply(mT(a_inv, s), t, s), {-2, -1}, false, s);
}

array inv_transpose(const array& a, Stream s) {
  return mT(inverse(a, Inverse::Kind::general, "linalg::det", s), s);
}

} // namespace

// det and slogdet are custom functions: their forward pass goes through the
// (non-differentiable) LU factorization, their rules through the inverse:
// d log|det A| = trace(A^-1 dA), so grad det = det A^-T.
array det(const array& a, StreamOrDevice s) {
  Stream stream = checked_stream(a, s, "linalg::det", true);
  auto forward = [stream](const std::vector<array>& x) {
    auto [sign, logabs] = slogdet_values(x[0], stream);
    return std::vector<array>{multiply(sign, exp(logabs, stream), stream)};
  };
  auto vjp_fn = [stream](
                    const std::vector<array>& primals,
                    const std::vector<array>& cotangents,
                    const std::vector<array>& outputs) {
    array scale = expand_dims(
        multiply(cotangents[0], outputs[0], stream), {-2, -1}, stream);
    return std::vector<array>{
        multiply(scale, inv_transpose(primals[0], stream), stream)};
  };
  auto jvp_fn = [stream, forward](
                    const std::vector<array>& primals,
                    const std::vector<array>& tangents,
                    const std::vector<int>&) {
    array d = forward(primals)[0];
    return std::vector<array>{
        multiply(d, trace_inv_times(primals[0], tangents[0], stream), stream)};
  };
  return custom_function(forward, vjp_fn, jvp_fn)({a})[0];
}

std::pair<array, array> slogdet(const array& a, StreamOrDevice s) {
  Stream stream = checked_stream(a, s, "linalg::slogdet", true);
  auto forward = [stream](const std::vector<array>& x) {
    auto [sign, logabs] = slogdet_values(x[0], stream);
    return std::vector<array>{sign, logabs};
  };
  auto vjp_fn = [stream](
                    const std::vector<array>& primals,
                    const std::vector<array>& cotangents,
                    const std::vector<array>&) {
    array scale = expand_dims(cotangents[1], {-2, -1}, stream);
    return std::vector<array>{
        multiply(scale, inv_transpose(primals[0], stream), stream)};
  };
  auto jvp_fn = [stream](
                    const std::vector<array>& primals,
                    const std::vector<array>& tangents,
                    const std::vector<int>&) {
    array t = trace_inv_times(primals[0], tangents[0], stream);
    return std::vector<array>{zeros_like(t, stream), t};
  };
  auto out = custom_function(forward, vjp_fn, jvp_fn)({a});
  return {out[0], out[1]};
}

} // namespace mlx::core::linalg
