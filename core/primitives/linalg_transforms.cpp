// jvp, vjp and vmap rules of the factorizations, written with ops (and the
// linalg functions) so that they compose. Symmetric inputs (Cholesky, Eigh)
// are treated as symmetric: tangents are symmetrized and cotangents come
// out symmetric. vmap moves the vmapped axis to the front: every
// factorization is already batched over its leading axes.
#include "mlx/primitives/linalg.h"

#include <stdexcept>

#include "mlx/ops.h"
#include "mlx/ops/linalg.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

array mT(const array& x, Stream s) {
  return swapaxes(x, -1, -2, s);
}

array sym(const array& x, Stream s) {
  return multiply(add(x, mT(x, s), s), array(0.5, x.dtype()), s);
}

// F_ij = 1 / (w_j - w_i) off the diagonal, 0 on it: the coupling of
// eigen (or squared singular) values in the eigenvector derivatives.
array spectral_gaps(const array& w, Stream s) {
  int n = w.shape(-1);
  array gaps = subtract(expand_dims(w, -2, s), expand_dims(w, -1, s), s);
  array eye_n = identity(n, w.dtype(), s);
  array inv_gaps = reciprocal(add(gaps, eye_n, s), s);
  return multiply(inv_gaps, subtract(array(1.0, w.dtype()), eye_n, s), s);
}

array diag_embed(const array& v, Stream s) {
  return multiply(
      expand_dims(v, -2, s), identity(v.shape(-1), v.dtype(), s), s);
}

array diag_of(const array& m, Stream s) {
  return diagonal(m, 0, -2, -1, s);
}

// The single input with its vmapped axis first, for `apply`; outputs are
// batched on axis 0.
std::pair<std::vector<array>, std::vector<int>> vmap_front(
    const std::vector<array>& inputs,
    const std::vector<int>& axes,
    Stream s,
    const std::function<std::vector<array>(const array&)>& apply) {
  if (axes[0] < 0) {
    auto outs = apply(inputs[0]);
    return {outs, std::vector<int>(outs.size(), -1)};
  }
  array x = axes[0] == 0 ? inputs[0] : moveaxis(inputs[0], axes[0], 0, s);
  auto outs = apply(x);
  return {outs, std::vector<int>(outs.size(), 0)};
}

array triangle(const array& x, Inverse::Kind kind, Stream s) {
  return kind == Inverse::Kind::lower ? tril(x, 0, s) : triu(x, 0, s);
}

} // namespace

// ---- Inverse: d(X) = -X dA X with X = inv(A) (dA restricted to the
// triangle read for a triangular inverse).

std::vector<array> Inverse::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>&) {
  Stream s = stream();
  array x(
      primals[0].shape(),
      primals[0].dtype(),
      std::make_shared<Inverse>(s, kind_, op_),
      {primals[0]});
  array da =
      kind_ == Kind::general ? tangents[0] : triangle(tangents[0], kind_, s);
  return {negative(matmul(matmul(x, da, s), x, s), s)};
}

std::vector<array> Inverse::vjp(
    const std::vector<array>&,
    const std::vector<array>& cotangents,
    const std::vector<int>&,
    const std::vector<array>& outputs) {
  Stream s = stream();
  array xt = mT(outputs[0], s);
  array g = negative(matmul(matmul(xt, cotangents[0], s), xt, s), s);
  return {kind_ == Kind::general ? g : triangle(g, kind_, s)};
}

std::pair<std::vector<array>, std::vector<int>>
Inverse::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  return vmap_front(inputs, axes, stream(), [&](const array& x) {
    return std::vector<array>{array(
        x.shape(),
        x.dtype(),
        std::make_shared<Inverse>(stream(), kind_, op_),
        {x})};
  });
}

// ---- Solve: x = A^-1 b, so dx = A^-1 (db - dA x);
//   b_bar = A^-T x_bar, A_bar = -b_bar x^T.

std::vector<array> Solve::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>& argnums) {
  Stream s = stream();
  const array &a = primals[0], &b = primals[1];
  array rhs = zeros_like(b, s);
  for (size_t i = 0; i < argnums.size(); ++i) {
    if (argnums[i] == 1) {
      rhs = add(rhs, tangents[i], s);
    } else {
      array x = array(b.shape(), b.dtype(), std::make_shared<Solve>(s), {a, b});
      rhs = subtract(rhs, matmul(tangents[i], x, s), s);
    }
  }
  return {array(b.shape(), b.dtype(), std::make_shared<Solve>(s), {a, rhs})};
}

std::vector<array> Solve::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>& argnums,
    const std::vector<array>& outputs) {
  Stream s = stream();
  array b_bar = array(
      primals[1].shape(),
      primals[1].dtype(),
      std::make_shared<Solve>(s),
      {mT(primals[0], s), cotangents[0]});
  std::vector<array> grads;
  for (int arg : argnums) {
    grads.push_back(
        arg == 1 ? b_bar : negative(matmul(b_bar, mT(outputs[0], s), s), s));
  }
  return grads;
}

std::pair<std::vector<array>, std::vector<int>>
Solve::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  // Both with the vmapped axis first (or none): linalg::solve broadcasts
  // the batch axes, and b stays a matrix.
  auto front = [&](int i) {
    return axes[i] <= 0 ? inputs[i] : moveaxis(inputs[i], axes[i], 0, stream());
  };
  array a = front(0), b = front(1);
  if (axes[0] >= 0 && axes[1] < 0) {
    b = expand_dims(b, 0, stream());
  } else if (axes[0] < 0 && axes[1] >= 0) {
    a = expand_dims(a, 0, stream());
  }
  bool batched = axes[0] >= 0 || axes[1] >= 0;
  return {{linalg::solve(a, b, stream())}, {batched ? 0 : -1}};
}

// ---- Cholesky (in lower form; upper is its transpose): with
// Phi(X) = tril(X) with the diagonal halved,
//   dL = L Phi(L^-1 dA L^-T),  A_bar = sym(L^-T Phi(L^T L_bar) L^-1).

namespace {

array phi(const array& x, Stream s) {
  array half_diag =
      multiply(diag_embed(diag_of(x, s), s), array(0.5, x.dtype()), s);
  return subtract(tril(x, 0, s), half_diag, s);
}

} // namespace

std::vector<array> Cholesky::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>&) {
  Stream s = stream();
  array l = linalg::cholesky(primals[0], false, s);
  array l_inv = linalg::tri_inv(l, false, s);
  array inner = matmul(matmul(l_inv, sym(tangents[0], s), s), mT(l_inv, s), s);
  array dl = matmul(l, phi(inner, s), s);
  return {upper_ ? mT(dl, s) : dl};
}

std::vector<array> Cholesky::vjp(
    const std::vector<array>&,
    const std::vector<array>& cotangents,
    const std::vector<int>&,
    const std::vector<array>& outputs) {
  Stream s = stream();
  array l = upper_ ? mT(outputs[0], s) : outputs[0];
  array l_bar = upper_ ? mT(cotangents[0], s) : cotangents[0];
  array l_inv = linalg::tri_inv(l, false, s);
  array p = phi(matmul(mT(l, s), l_bar, s), s);
  return {sym(matmul(matmul(mT(l_inv, s), p, s), l_inv, s), s)};
}

std::pair<std::vector<array>, std::vector<int>>
Cholesky::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  return vmap_front(inputs, axes, stream(), [&](const array& x) {
    return std::vector<array>{linalg::cholesky(x, upper_, stream())};
  });
}

// ---- Eigh: with P = V^T dA V and F the spectral gaps,
//   dw = diag(P), dV = V (F o P);  A_bar = sym(V (diag(w_bar) + F o V^T
//   V_bar) V^T).

std::vector<array> Eigh::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>&) {
  Stream s = stream();
  auto [w, v] = linalg::eigh(primals[0], std::string(1, uplo_), s);
  array p = matmul(matmul(mT(v, s), sym(tangents[0], s), s), v, s);
  array dv = matmul(v, multiply(spectral_gaps(w, s), p, s), s);
  return {diag_of(p, s), dv};
}

std::vector<array> Eigh::vjp(
    const std::vector<array>&,
    const std::vector<array>& cotangents,
    const std::vector<int>&,
    const std::vector<array>& outputs) {
  Stream s = stream();
  const array& w = outputs[0];
  const array& v = outputs[1];
  array inner =
      add(diag_embed(cotangents[0], s),
          multiply(spectral_gaps(w, s), matmul(mT(v, s), cotangents[1], s), s),
          s);
  return {sym(matmul(matmul(v, inner, s), mT(v, s), s), s)};
}

std::pair<std::vector<array>, std::vector<int>>
Eigh::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  return vmap_front(inputs, axes, stream(), [&](const array& x) {
    auto [w, v] = linalg::eigh(x, std::string(1, uplo_), stream());
    return std::vector<array>{w, v};
  });
}

// ---- QR (M >= N, so R is square): with C = Q^T dA R^-1 and
// Omega = tril(C, -1) - tril(C, -1)^T,
//   dR = (C - Omega) R, dQ = Q Omega + dA R^-1 - Q C;
//   A_bar = (Q_bar + Q copyltu(M)) R^-T, M = R R_bar^T - Q_bar^T Q.

namespace {

void check_qr_grad_shape(const array& a) {
  if (a.shape(-2) < a.shape(-1)) {
    throw_error(
        "[linalg::qr] Gradients need at least as many rows as columns, got "
        "shape ",
        a.shape(),
        ".");
  }
}

} // namespace

std::vector<array> QRF::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>&) {
  Stream s = stream();
  check_qr_grad_shape(primals[0]);
  auto [q, r] = linalg::qr(primals[0], s);
  const array& da = tangents[0];
  array da_rinv = matmul(da, linalg::tri_inv(r, true, s), s);
  array c = matmul(mT(q, s), da_rinv, s);
  array low = tril(c, -1, s);
  array omega = subtract(low, mT(low, s), s);
  array dr = matmul(subtract(c, omega, s), r, s);
  array dq = add(matmul(q, subtract(omega, c, s), s), da_rinv, s);
  return {dq, dr};
}

std::vector<array> QRF::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>&,
    const std::vector<array>& outputs) {
  Stream s = stream();
  check_qr_grad_shape(primals[0]);
  const array& q = outputs[0];
  const array& r = outputs[1];
  const array& q_bar = cotangents[0];
  array m = subtract(
      matmul(r, mT(cotangents[1], s), s), matmul(mT(q_bar, s), q, s), s);
  array copyltu = add(tril(m, 0, s), mT(tril(m, -1, s), s), s);
  array lhs = add(q_bar, matmul(q, copyltu, s), s);
  return {matmul(lhs, mT(linalg::tri_inv(r, true, s), s), s)};
}

std::pair<std::vector<array>, std::vector<int>>
QRF::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  return vmap_front(inputs, axes, stream(), [&](const array& x) {
    auto [q, r] = linalg::qr(x, stream());
    return std::vector<array>{q, r};
  });
}

// ---- SVD. Singular values alone: ds = diag(U^T dA V), A_bar = U diag(s_bar)
// V^T (U, V reduced to K columns). With U and V (square matrices only),
// F the gaps of s^2, dP = U^T dA V and S = diag(s):
//   dU = U (F o (dP S + S dP^T)), dV = V (F o (S dP + dP^T S)),
//   A_bar = U (F o (U^T U_bar - U_bar^T U) S + diag(s_bar)
//              + S (F o (V^T V_bar - V_bar^T V))) V^T.

namespace {

// {u (..., M, K), s, v (..., N, K)} of a: the parts the rules use.
std::vector<array> reduced_svd(const array& a, Stream s) {
  auto usv = linalg::svd(a, true, s);
  int m = a.shape(-2), n = a.shape(-1), k = std::min(m, n);
  Shape start(a.ndim(), 0);
  Shape u_stop = usv[0].shape();
  u_stop.back() = k;
  Shape vt_stop = usv[2].shape();
  vt_stop[vt_stop.size() - 2] = k;
  return {
      slice(usv[0], start, u_stop, s),
      usv[1],
      mT(slice(usv[2], start, vt_stop, s), s)};
}

void check_svd_grad_shape(const array& a) {
  if (a.shape(-2) != a.shape(-1)) {
    throw_error(
        "[linalg::svd] Gradients of U and Vt need square matrices, got "
        "shape ",
        a.shape(),
        " (use compute_uv=false for the singular values alone).");
  }
}

} // namespace

std::vector<array> SVD::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>&) {
  Stream s = stream();
  if (compute_uv_) {
    check_svd_grad_shape(primals[0]);
  }
  auto usv = reduced_svd(primals[0], s);
  const array &u = usv[0], &sv = usv[1], &v = usv[2];
  array dp = matmul(matmul(mT(u, s), tangents[0], s), v, s);
  array ds = diag_of(dp, s);
  if (!compute_uv_) {
    return {ds};
  }
  array f = spectral_gaps(square(sv, s), s);
  array row_s = expand_dims(sv, -2, s); // X S scales column j by s_j
  array col_s = expand_dims(sv, -1, s); // S X scales row i by s_i
  array du = matmul(
      u,
      multiply(
          f, add(multiply(dp, row_s, s), multiply(col_s, mT(dp, s), s), s), s),
      s);
  array dv = matmul(
      v,
      multiply(
          f, add(multiply(col_s, dp, s), multiply(mT(dp, s), row_s, s), s), s),
      s);
  return {du, ds, mT(dv, s)};
}

std::vector<array> SVD::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>&,
    const std::vector<array>& outputs) {
  Stream s = stream();
  if (!compute_uv_) {
    auto usv = reduced_svd(primals[0], s);
    array scaled_u = multiply(usv[0], expand_dims(cotangents[0], -2, s), s);
    return {matmul(scaled_u, mT(usv[2], s), s)};
  }
  check_svd_grad_shape(primals[0]);
  const array &u = outputs[0], &sv = outputs[1];
  array v = mT(outputs[2], s);
  const array& u_bar = cotangents[0];
  array v_bar = mT(cotangents[2], s);
  array f = spectral_gaps(square(sv, s), s);
  array ut_ubar = matmul(mT(u, s), u_bar, s);
  array vt_vbar = matmul(mT(v, s), v_bar, s);
  array left = multiply(
      multiply(f, subtract(ut_ubar, mT(ut_ubar, s), s), s),
      expand_dims(sv, -2, s),
      s);
  array right = multiply(
      expand_dims(sv, -1, s),
      multiply(f, subtract(vt_vbar, mT(vt_vbar, s), s), s),
      s);
  array inner = add(add(left, diag_embed(cotangents[1], s), s), right, s);
  return {matmul(matmul(u, inner, s), mT(v, s), s)};
}

std::pair<std::vector<array>, std::vector<int>>
SVD::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  return vmap_front(inputs, axes, stream(), [&](const array& x) {
    return linalg::svd(x, compute_uv_, stream());
  });
}

// ---- Not differentiable: vmap only.

// ---- LU of a square A = (L U)[rows], lu packing L (unit diagonal) below
// the diagonal and U on and above it. With M = L U and F = L^-1 dM U^-1,
//   dL = L tril(F, -1), dU = triu(F) U;
//   M_bar = L^-T (tril(L^T L_bar, -1) + triu(U_bar U^T)) U^-T,
// and A's rows are M's permuted (a fixed permutation: pivots and rows are
// constant).

namespace {

std::vector<array> lu_of(const array& x, Stream s, bool of_transpose = false) {
  int m = x.shape(-2), n = x.shape(-1);
  Shape batch(x.shape().begin(), x.shape().end() - 2);
  Shape pivots = batch, rows = batch;
  pivots.push_back(std::min(m, n));
  rows.push_back(m);
  return array::make_arrays(
      {x.shape(), pivots, rows},
      {x.dtype(), uint32, uint32},
      std::make_shared<LUF>(s, of_transpose),
      {x});
}

void check_lu_grad(const array& a, bool of_transpose) {
  // Only det uses a^T's factors, behind stop_gradient.
  if (of_transpose) {
    throw_error("[linalg::lu_factor] No gradient for the LU of a^T.");
  }
  if (a.shape(-2) != a.shape(-1)) {
    throw_error(
        "[linalg::lu_factor] Gradients need square matrices, got shape ",
        a.shape(),
        ".");
  }
}

// {L, U} of a packed square lu.
std::pair<array, array> unpack_lu(const array& lu, Stream s) {
  array l = add(tril(lu, -1, s), identity(lu.shape(-1), lu.dtype(), s), s);
  return {l, triu(lu, 0, s)};
}

// Row i of the result is row index[i] of x (batched).
array take_rows(const array& x, const array& index, Stream s) {
  return take_along_axis(x, expand_dims(index, -1, s), -2, s);
}

} // namespace

std::vector<array> LUF::jvp(
    const std::vector<array>& primals,
    const std::vector<array>& tangents,
    const std::vector<int>&) {
  Stream s = stream();
  check_lu_grad(primals[0], of_transpose_);
  auto out = lu_of(primals[0], s);
  auto [l, u] = unpack_lu(out[0], s);
  // dA = dM[rows], so dM = dA[argsort(rows)].
  array dm = take_rows(tangents[0], argsort(out[2], -1, s), s);
  array f = matmul(
      matmul(linalg::tri_inv(l, false, s), dm, s),
      linalg::tri_inv(u, true, s),
      s);
  array dlu = add(matmul(l, tril(f, -1, s), s), matmul(triu(f, 0, s), u, s), s);
  return {dlu, zeros_like(out[1], s), zeros_like(out[2], s)};
}

std::vector<array> LUF::vjp(
    const std::vector<array>& primals,
    const std::vector<array>& cotangents,
    const std::vector<int>&,
    const std::vector<array>& outputs) {
  Stream s = stream();
  check_lu_grad(primals[0], of_transpose_);
  auto [l, u] = unpack_lu(outputs[0], s);
  const array& g = cotangents[0];
  array inner =
      add(tril(matmul(mT(l, s), tril(g, -1, s), s), -1, s),
          triu(matmul(triu(g, 0, s), mT(u, s), s), 0, s),
          s);
  array m_bar = matmul(
      matmul(mT(linalg::tri_inv(l, false, s), s), inner, s),
      mT(linalg::tri_inv(u, true, s), s),
      s);
  return {take_rows(m_bar, outputs[2], s)};
}

std::pair<std::vector<array>, std::vector<int>>
LUF::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  return vmap_front(inputs, axes, stream(), [&](const array& x) {
    return lu_of(x, stream(), of_transpose_);
  });
}

std::pair<std::vector<array>, std::vector<int>>
Eig::vmap(const std::vector<array>& inputs, const std::vector<int>& axes) {
  return vmap_front(inputs, axes, stream(), [&](const array& x) {
    if (!compute_vectors_) {
      return std::vector<array>{linalg::eigvals(x, stream())};
    }
    auto [w, v] = linalg::eig(x, stream());
    return std::vector<array>{w, v};
  });
}

} // namespace mlx::core
