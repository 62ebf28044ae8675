// Matrix and tensor products: matmul, addmm, inner, outer, tensordot, kron,
// gather_mm, block_masked_mm, segmented_mm and the Hadamard transform.
#pragma once

#include <optional>
#include <vector>

#include "mlx/array.h"
#include "mlx/stream.h"

namespace mlx::core {

/** Matrix product with NumPy's rules: a 1-D first operand is a row vector,
 * a 1-D second operand a column vector (the added dim is removed from the
 * result), and the batch dims (all but the last two) broadcast. Inputs
 * must promote to a floating point or complex type. */
array matmul(const array& a, const array& b, StreamOrDevice s = {});

/** alpha * (a @ b) + beta * c, with c broadcast to the product's shape. */
array addmm(
    array c,
    array a,
    array b,
    const float& alpha = 1.0f,
    const float& beta = 1.0f,
    StreamOrDevice s = {});

/** Sum product over the last axes (the dot product of 1-D arrays). */
array inner(const array& a, const array& b, StreamOrDevice s = {});

/** Outer product of the flattened inputs. */
array outer(const array& a, const array& b, StreamOrDevice s = {});

/** Contract the last `axes` dims of a with the first `axes` dims of b. */
array tensordot(
    const array& a, const array& b, const int axes = 2, StreamOrDevice s = {});

/** Contract dims axes_a[i] of a with dims axes_b[i] of b. */
array tensordot(
    const array& a,
    const array& b,
    const std::vector<int>& axes_a,
    const std::vector<int>& axes_b,
    StreamOrDevice s = {});

/** Kronecker product. */
array kron(const array& a, const array& b, StreamOrDevice s = {});

/** sum(conj(a) * b) along `axis` (a and b broadcast). */
array vecdot(
    const array& a, const array& b, int axis = -1, StreamOrDevice s = {});

/** Matrix products of a[lhs_indices] (a: [..., M, K], its batch dims
 * flattened for indexing) and b[rhs_indices] (b: [..., K, N]); absent
 * indices take every batch in order. The index arrays broadcast to the
 * result's batch shape: [*I, M, N]. On the CPU one primitive reads the
 * indexed matrices in place (no gathered copies), and consecutive products
 * that share a matrix of b and read consecutive matrices of a (tokens
 * sorted by expert) run as one gemm whether or not `sorted_indices` says
 * so (it is unused); differentiable in a and b. */
array gather_mm(
    array a,
    array b,
    std::optional<array> lhs_indices = std::nullopt,
    std::optional<array> rhs_indices = std::nullopt,
    bool sorted_indices = false,
    StreamOrDevice s = {});

/** Matrix product of a [..., M, K] and b [..., K, N] with blocks of
 * block_size x block_size (32 or 64) masked: mask_lhs [..., ceil(M/bs),
 * ceil(K/bs)] masks blocks of a, mask_rhs [..., ceil(K/bs), ceil(N/bs)]
 * blocks of b and mask_out [..., ceil(M/bs), ceil(N/bs)] blocks of the
 * result (each broadcast to the batch shape). A boolean mask zeroes the
 * blocks where it is false; a float mask scales every block by its value
 * (when one operand mask is a float, both are). Without masks this is
 * matmul. Composed from ops, so differentiable in a, b and float masks. */
array block_masked_mm(
    array a,
    array b,
    int block_size,
    std::optional<array> mask_out = std::nullopt,
    std::optional<array> mask_lhs = std::nullopt,
    std::optional<array> mask_rhs = std::nullopt,
    StreamOrDevice s = {});

/** One product per segment of the contracted axis: with a [M, K], b [K, N]
 * and integer segments [..., 2] holding (start, end) pairs, the result
 * [..., M, N] holds a[:, start:end] @ b[start:end, :] per pair (zero where
 * end <= start; bounds are clipped to [0, K]). Composed from ops (each
 * product reads all of K, masked), so differentiable in a and b. */
array segmented_mm(array a, array b, array segments, StreamOrDevice s = {});

/** The Hadamard transform of the last axis, times `scale` (default
 * 1/sqrt(n)): x @ kron(H_m, H_{2^k})^T for n = m * 2^k with m in
 * {1, 12, 20, 28}, as MLX (same order-m matrices). The 2^k part runs in
 * O(n log n) butterflies, the m part as a product with H_m. */
array hadamard_transform(
    const array& a,
    std::optional<float> scale = std::nullopt,
    StreamOrDevice s = {});

namespace detail {

/** Throws unless a [..., M, K] and b [..., K, N] agree on K; the message
 * names `op` and the shapes the caller gave (given_a, given_b: before a
 * vector operand became a matrix). */
void check_inner_dims(
    const array& a,
    const array& b,
    const Shape& given_a,
    const Shape& given_b,
    const char* op);

/** out [out_batch..., M, N] = 0, then out[o[i]] += a[l[i]] @ b[r[i]] for
 * every product i (the integer index arrays broadcast together; a is
 * [..., M, K], b [..., K, N]): gather_mm's gradients, built by its vjp
 * rule (and by import_function). */
array gather_mm_scatter_add(
    const array& a,
    const array& b,
    const array& l,
    const array& r,
    const array& o,
    const Shape& out_batch,
    StreamOrDevice s = {});

} // namespace detail

} // namespace mlx::core
