// The layout primitives that never copy, shared by every backend: a view is
// the input's buffer with new strides and a byte offset, whichever device
// holds it.
#pragma once

#include <vector>

#include "mlx/array.h"

namespace mlx::core::views {

/** Makes `out` a view of `in`'s buffer with the given strides; `offset` is
 * in elements, relative to in's first element. */
void make_view(
    const array& in, array& out, const Strides& strides, int64_t offset);

/** Reshape as a view; false when in's layout needs a copy instead. */
bool reshape(const array& in, array& out);

void transpose(const array& in, array& out, const std::vector<int>& axes);

/** Broadcast of `in` to out's shape (stride 0 on the new axes). */
void broadcast(const array& in, array& out);

void slice(
    const array& in, array& out, const Shape& start, const Shape& strides);

/** View with the same layout (StopGradient, a no-op Contiguous). */
void share(const array& in, array& out);

} // namespace mlx::core::views
