// Matrix and tensor products: matmul, addmm, inner, outer, tensordot, kron,
// gather_mm and the Hadamard transform.
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
 * result's batch shape: [*I, M, N]. Composed from take and matmul (so
 * differentiable in a and b); `sorted_indices` is a hint and is unused. */
array gather_mm(
    array a,
    array b,
    std::optional<array> lhs_indices = std::nullopt,
    std::optional<array> rhs_indices = std::nullopt,
    bool sorted_indices = false,
    StreamOrDevice s = {});

/** The Hadamard transform of the last axis (size a power of 2), times
 * `scale` (default 1/sqrt(n)), computed in O(n log n) butterflies. */
array hadamard_transform(
    const array& a,
    std::optional<float> scale = std::nullopt,
    StreamOrDevice s = {});

} // namespace mlx::core
