// Einstein summation (MLX's einsum and einsum_path): NumPy's subscripts,
// with an ellipsis for broadcast dims and repeated indices for diagonals and
// traces. Operands are contracted a pair at a time through matmul, in the
// order einsum_path chooses by FLOP count: the cheapest order for a few
// operands, greedy for many.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "mlx/array.h"
#include "mlx/stream.h"

namespace mlx::core {

/** The contraction order for `einsum(subscripts, operands)`: the positions
 * (in the current list of operands) contracted at each step, their result
 * appended to the end of the list, as in NumPy; and a printable report of
 * the scaling, FLOP counts and steps. */
std::pair<std::vector<std::vector<int>>, std::string>
einsum_path(const std::string& subscripts, const std::vector<array>& operands);

/** The Einstein sum of `operands` described by `subscripts`, e.g.
 * "ij,jk->ik" (matmul), "ii->" (trace), "...ij->...ji". Without "->" the
 * output holds the indices used once, sorted, after the ellipsis dims.
 * Size-1 dims broadcast; ellipsis dims left out of an explicit output are
 * summed, as MLX does. */
array einsum(
    const std::string& subscripts,
    const std::vector<array>& operands,
    StreamOrDevice s = {});

} // namespace mlx::core
