// The element-wise kernels on Vulkan (shaders/{unary,binary,ternary}.comp),
// callable on their own so that Compiled can run its steps one by one, and
// the recording they share: inputs broadcast to the output's shape (read
// contiguously, as a scalar, or through collapsed strides in a metadata
// buffer), a row-contiguous output (or a donated input's buffer).
#pragma once

#include <cstdint>
#include <vector>

#include "mlx/array.h"
#include "mlx/backend/vulkan/encoder.h"
#include "mlx/backend/vulkan/utils.h"
#include "mlx/primitives/elementwise.h"

namespace mlx::core::vulkan {

/** out = op(in). `donate`: out may take over in's buffer (false when the
 * input is read again later, as in Compiled's steps). */
void unary_kernel(
    Encoder& enc,
    UnaryOp op,
    const array& in,
    array& out,
    const char* name,
    bool donate);

/** out = op(a, b), a and b broadcast to out's shape. */
void binary_kernel(
    Encoder& enc,
    BinaryOp op,
    const array& a,
    const array& b,
    array& out,
    const char* name,
    bool donate);

/** out = cond ? x : y, the three broadcast to out's shape. */
void select_kernel(
    Encoder& enc,
    const array& cond,
    const array& x,
    const array& y,
    array& out,
    const char* name,
    bool donate);

/** Inputs an element-wise shader reads at most (elementwise.glsl). */
constexpr size_t kMaxElementwiseInputs = 6;

/** Records `shader` (one of the element-wise shaders) over out's elements:
 * specialization constants `constants` followed by one read mode per
 * input; bindings: the inputs, the output, then the metadata (shape and
 * strides, then `program`: fused.comp's steps, four ints each). Inputs
 * whose index is in `donors` (in that order) may give out their buffer.
 * Checks sizes; an empty output gets an empty buffer and records nothing.
 * Inputs are pointers: a copied handle would make no input donatable. */
void record_elementwise(
    Encoder& enc,
    const char* shader,
    std::vector<uint32_t> constants,
    const std::vector<const array*>& inputs,
    array& out,
    const char* name,
    const std::vector<int>& donors,
    const std::vector<int32_t>& program = {});

/** For a float64 op: throws unless the device has shaderFloat64 and the op
 * is exact in double (the shaders have no double-precision transcendentals).
 */
void check_float64_op(const char* name, bool exact_in_double);

/** Throws "[name] complex64 is not supported on the Vulkan backend". */
[[noreturn]] void complex_unsupported(const char* name);

} // namespace mlx::core::vulkan
