// Joining, splitting and repeating ops: concatenate, stack, split, pad,
// tile, repeat and roll.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "mlx/array.h"
#include "mlx/stream.h"

namespace mlx::core {

/** Join arrays along an existing axis; dtypes are promoted. Without an
 * axis, the arrays are flattened first. */
array concatenate(std::vector<array> arrays, int axis, StreamOrDevice s = {});
array concatenate(std::vector<array> arrays, StreamOrDevice s = {});

/** Join same-shape arrays along a new axis (default 0). */
array stack(const std::vector<array>& arrays, int axis, StreamOrDevice s = {});
array stack(const std::vector<array>& arrays, StreamOrDevice s = {});

/** Views of `num_splits` equal parts along `axis` (default 0); the axis
 * size must divide evenly. */
std::vector<array>
split(const array& a, int num_splits, int axis, StreamOrDevice s = {});
std::vector<array> split(const array& a, int num_splits, StreamOrDevice s = {});
/** Views a[:i0], a[i0:i1], ..., a[in:] along `axis`, with NumPy slicing
 * of the split points (negative values count from the end). */
std::vector<array>
split(const array& a, const Shape& indices, int axis, StreamOrDevice s = {});
std::vector<array>
split(const array& a, const Shape& indices, StreamOrDevice s = {});

/** Pad the given axes by low/high amounts. mode "constant" fills with the
 * scalar pad_value, "edge" repeats the edge values. */
array pad(
    const array& a,
    const std::vector<int>& axes,
    const Shape& low_pad_size,
    const Shape& high_pad_size,
    const array& pad_value = array(0),
    const std::string& mode = "constant",
    StreamOrDevice s = {});
/** One (low, high) pair per axis. */
array pad(
    const array& a,
    const std::vector<std::pair<int, int>>& pad_width,
    const array& pad_value = array(0),
    const std::string& mode = "constant",
    StreamOrDevice s = {});
/** The same (low, high) pair for every axis. */
array pad(
    const array& a,
    const std::pair<int, int>& pad_width,
    const array& pad_value = array(0),
    const std::string& mode = "constant",
    StreamOrDevice s = {});
/** The same amount on both sides of every axis. */
array pad(
    const array& a,
    int pad_width,
    const array& pad_value = array(0),
    const std::string& mode = "constant",
    StreamOrDevice s = {});

/** Repeat the whole array reps[i] times along each axis (NumPy's tile:
 * the shorter of reps and a.shape is padded with leading ones). */
array tile(const array& arr, std::vector<int> reps, StreamOrDevice s = {});

/** Repeat each element `repeats` times along `axis`; without an axis the
 * array is flattened first. */
array repeat(const array& arr, int repeats, int axis, StreamOrDevice s = {});
array repeat(const array& arr, int repeats, StreamOrDevice s = {});

/** Shift elements along axes, wrapping around; without axes the array is
 * rolled as if flattened. Several shifts for one axis add up, and a single
 * shift (or axis) is used for every axis (or shift). */
array roll(const array& a, int shift, StreamOrDevice s = {});
array roll(const array& a, const Shape& shift, StreamOrDevice s = {});
array roll(const array& a, int shift, int axis, StreamOrDevice s = {});
array roll(
    const array& a,
    int shift,
    const std::vector<int>& axes,
    StreamOrDevice s = {});
array roll(const array& a, const Shape& shift, int axis, StreamOrDevice s = {});
array roll(
    const array& a,
    const Shape& shift,
    const std::vector<int>& axes,
    StreamOrDevice s = {});

} // namespace mlx::core
