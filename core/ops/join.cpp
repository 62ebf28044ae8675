#include "mlx/ops/join.h"

#include <algorithm>
#include <climits>
#include <map>
#include <numeric>

#include "mlx/ops/creation.h"
#include "mlx/ops/indexing.h"
#include "mlx/ops/shape.h"
#include "mlx/primitives/join.h"
#include "mlx/utils.h"

namespace mlx::core {

array concatenate(std::vector<array> arrays, int axis, StreamOrDevice s) {
  if (arrays.empty()) {
    throw_error("[concatenate] No arrays provided for concatenation.");
  }
  const array& first = arrays[0];
  int ax = normalize_axis(axis, static_cast<int>(first.ndim()), "concatenate");
  Shape shape = first.shape();
  shape[ax] = 0;
  Dtype dtype = first.dtype();
  for (const auto& x : arrays) {
    bool match = x.ndim() == first.ndim();
    for (size_t d = 0; match && d < x.ndim(); ++d) {
      match = static_cast<int>(d) == ax || x.shape(d) == first.shape(d);
    }
    if (!match) {
      throw_error(
          "[concatenate] All the input arrays must have the same shape except "
          "along the concatenation axis ",
          axis,
          ", got shapes ",
          first.shape(),
          " and ",
          x.shape(),
          ".");
    }
    int64_t total = static_cast<int64_t>(shape[ax]) + x.shape(ax);
    if (total > INT32_MAX) {
      throw_error(
          "[concatenate] The output axis size ", total, " is too large.");
    }
    shape[ax] = static_cast<int32_t>(total);
    dtype = promote_types(dtype, x.dtype());
  }
  if (arrays.size() == 1) {
    return astype(first, dtype, s);
  }
  return array(
      shape,
      dtype,
      std::make_shared<Concatenate>(to_stream(s), ax),
      std::move(arrays));
}

array concatenate(std::vector<array> arrays, StreamOrDevice s) {
  for (auto& x : arrays) {
    x = flatten(x, s);
  }
  return concatenate(std::move(arrays), 0, s);
}

array stack(const std::vector<array>& arrays, int axis, StreamOrDevice s) {
  if (arrays.empty()) {
    throw_error("[stack] No arrays provided for stacking.");
  }
  int ax =
      normalize_axis(axis, static_cast<int>(arrays[0].ndim()) + 1, "stack");
  std::vector<array> expanded;
  for (const auto& x : arrays) {
    if (x.shape() != arrays[0].shape()) {
      throw_error(
          "[stack] All arrays must have the same shape, got ",
          arrays[0].shape(),
          " and ",
          x.shape(),
          ".");
    }
    expanded.push_back(expand_dims(x, ax, s));
  }
  return concatenate(std::move(expanded), ax, s);
}

array stack(const std::vector<array>& arrays, StreamOrDevice s) {
  return stack(arrays, 0, s);
}

std::vector<array>
split(const array& a, const Shape& indices, int axis, StreamOrDevice s) {
  int ax = normalize_axis(axis, static_cast<int>(a.ndim()), "split");
  // Each part is the NumPy slice a[prev:next] along the axis.
  std::vector<array> parts;
  Shape start(a.ndim(), 0);
  Shape stop = a.shape();
  for (size_t i = 0; i <= indices.size(); ++i) {
    stop[ax] = i < indices.size() ? indices[i] : a.shape(ax);
    parts.push_back(slice(a, start, stop, s));
    start[ax] = stop[ax];
  }
  return parts;
}

std::vector<array>
split(const array& a, const Shape& indices, StreamOrDevice s) {
  return split(a, indices, 0, s);
}

std::vector<array>
split(const array& a, int num_splits, int axis, StreamOrDevice s) {
  int ax = normalize_axis(axis, static_cast<int>(a.ndim()), "split");
  if (num_splits <= 0) {
    throw_error(
        "[split] The number of splits must be positive, got ", num_splits, ".");
  }
  int n = a.shape(ax);
  if (n % num_splits != 0) {
    throw_error(
        "[split] Array split does not result in sub arrays with equal size: "
        "axis ",
        axis,
        " of size ",
        n,
        " cannot be split into ",
        num_splits,
        " parts.");
  }
  Shape indices;
  for (int k = 1; k < num_splits; ++k) {
    indices.push_back(k * (n / num_splits));
  }
  return split(a, indices, ax, s);
}

std::vector<array> split(const array& a, int num_splits, StreamOrDevice s) {
  return split(a, num_splits, 0, s);
}

namespace {

/** Concatenates the edge slices of `x` along `ax`, broadcast lo / hi times. */
array pad_edge(const array& x, int ax, int lo, int hi, StreamOrDevice s) {
  int n = x.shape(ax);
  if (n == 0) {
    throw_error(
        "[pad] Cannot pad the empty axis ",
        ax,
        " of an array of shape ",
        x.shape(),
        " in edge mode.");
  }
  std::vector<array> parts;
  Shape start(x.ndim(), 0);
  Shape stop = x.shape();
  if (lo > 0) {
    stop[ax] = 1;
    Shape shape = x.shape();
    shape[ax] = lo;
    parts.push_back(broadcast_to(slice(x, start, stop, s), shape, s));
  }
  parts.push_back(x);
  if (hi > 0) {
    start[ax] = n - 1;
    stop[ax] = n;
    Shape shape = x.shape();
    shape[ax] = hi;
    parts.push_back(broadcast_to(slice(x, start, stop, s), shape, s));
  }
  return concatenate(std::move(parts), ax, s);
}

} // namespace

array pad(
    const array& a,
    const std::vector<int>& axes,
    const Shape& low_pad_size,
    const Shape& high_pad_size,
    const array& pad_value,
    const std::string& mode,
    StreamOrDevice s) {
  if (axes.size() != low_pad_size.size() ||
      axes.size() != high_pad_size.size()) {
    throw_error(
        "[pad] Got ",
        axes.size(),
        " axes, ",
        low_pad_size.size(),
        " low and ",
        high_pad_size.size(),
        " high padding sizes; they must match.");
  }
  if (mode != "constant" && mode != "edge") {
    throw_error(
        "[pad] Invalid padding mode '",
        mode,
        "': expected 'constant' or 'edge'.");
  }
  if (pad_value.size() != 1) {
    throw_error(
        "[pad] The pad value must be a scalar, got shape ",
        pad_value.shape(),
        ".");
  }
  int nd = static_cast<int>(a.ndim());
  std::vector<int> ax(axes.size());
  for (size_t i = 0; i < axes.size(); ++i) {
    ax[i] = normalize_axis(axes[i], nd, "pad");
    if (low_pad_size[i] < 0 || high_pad_size[i] < 0) {
      throw_error(
          "[pad] Padding sizes must be non-negative, got (",
          low_pad_size[i],
          ", ",
          high_pad_size[i],
          ") for axis ",
          axes[i],
          ".");
    }
  }
  normalize_axes(axes, nd, "pad"); // rejects duplicates

  if (mode == "edge") {
    array x = a;
    for (size_t i = 0; i < ax.size(); ++i) {
      if (low_pad_size[i] > 0 || high_pad_size[i] > 0) {
        x = pad_edge(x, ax[i], low_pad_size[i], high_pad_size[i], s);
      }
    }
    return x;
  }
  Shape shape = a.shape();
  Shape start(nd, 0);
  Shape stop = a.shape();
  for (size_t i = 0; i < ax.size(); ++i) {
    int64_t size = static_cast<int64_t>(a.shape(ax[i])) + low_pad_size[i] +
                   high_pad_size[i];
    if (size > INT32_MAX) {
      throw_error(
          "[pad] The padded size ",
          size,
          " of axis ",
          axes[i],
          " is too large.");
    }
    shape[ax[i]] = static_cast<int32_t>(size);
    start[ax[i]] = low_pad_size[i];
    stop[ax[i]] = low_pad_size[i] + a.shape(ax[i]);
  }
  if (shape == a.shape()) {
    return a;
  }
  // Fill, then copy `a` into the middle (the fill's buffer is reused).
  auto filled = full(shape, reshape(pad_value, {}, s), a.dtype(), s);
  return slice_update(filled, a, start, stop, s);
}

array pad(
    const array& a,
    const std::vector<std::pair<int, int>>& pad_width,
    const array& pad_value,
    const std::string& mode,
    StreamOrDevice s) {
  if (pad_width.size() != a.ndim()) {
    throw_error(
        "[pad] Got ",
        pad_width.size(),
        " padding pairs for an array of shape ",
        a.shape(),
        "; expected one per axis.");
  }
  std::vector<int> axes(a.ndim());
  std::iota(axes.begin(), axes.end(), 0);
  Shape low, high;
  for (auto [lo, hi] : pad_width) {
    low.push_back(lo);
    high.push_back(hi);
  }
  return pad(a, axes, low, high, pad_value, mode, s);
}

array pad(
    const array& a,
    const std::pair<int, int>& pad_width,
    const array& pad_value,
    const std::string& mode,
    StreamOrDevice s) {
  return pad(
      a,
      std::vector<std::pair<int, int>>(a.ndim(), pad_width),
      pad_value,
      mode,
      s);
}

array pad(
    const array& a,
    int pad_width,
    const array& pad_value,
    const std::string& mode,
    StreamOrDevice s) {
  return pad(a, std::make_pair(pad_width, pad_width), pad_value, mode, s);
}

array tile(const array& arr, std::vector<int> reps, StreamOrDevice s) {
  for (int r : reps) {
    if (r < 0) {
      throw_error(
          "[tile] Repetitions must be non-negative, got ",
          Shape(reps.begin(), reps.end()),
          ".");
    }
  }
  size_t nd = std::max(arr.ndim(), reps.size());
  Shape shape(nd - arr.ndim(), 1);
  shape.insert(shape.end(), arr.shape().begin(), arr.shape().end());
  reps.insert(reps.begin(), nd - reps.size(), 1);
  // View as (1, s0, 1, s1, ...), broadcast to (r0, s0, r1, s1, ...) and
  // merge the pairs: one strided copy.
  Shape interleaved, broadcast, out_shape;
  for (size_t d = 0; d < nd; ++d) {
    interleaved.insert(interleaved.end(), {1, shape[d]});
    broadcast.insert(broadcast.end(), {reps[d], shape[d]});
    int64_t size = static_cast<int64_t>(reps[d]) * shape[d];
    if (size > INT32_MAX) {
      throw_error(
          "[tile] The tiled size ", size, " of axis ", d, " is too large.");
    }
    out_shape.push_back(static_cast<int32_t>(size));
  }
  if (out_shape == shape) {
    return reshape(arr, shape, s);
  }
  auto x = broadcast_to(reshape(arr, interleaved, s), broadcast, s);
  return reshape(x, out_shape, s);
}

array repeat(const array& arr, int repeats, int axis, StreamOrDevice s) {
  int ax = normalize_axis(axis, static_cast<int>(arr.ndim()), "repeat");
  if (repeats < 0) {
    throw_error(
        "[repeat] The number of repeats must be non-negative, got ",
        repeats,
        ".");
  }
  int64_t size = static_cast<int64_t>(arr.shape(ax)) * repeats;
  if (size > INT32_MAX) {
    throw_error(
        "[repeat] The repeated size ",
        size,
        " of axis ",
        axis,
        " is too large.");
  }
  // (.., n, ..) -> (.., n, repeats, ..) by broadcasting -> (.., n * repeats,
  // ..).
  Shape broadcast = arr.shape();
  broadcast.insert(broadcast.begin() + ax + 1, repeats);
  Shape out_shape = arr.shape();
  out_shape[ax] = static_cast<int32_t>(size);
  auto x = broadcast_to(expand_dims(arr, ax + 1, s), broadcast, s);
  return reshape(x, out_shape, s);
}

array repeat(const array& arr, int repeats, StreamOrDevice s) {
  return repeat(flatten(arr, s), repeats, 0, s);
}

namespace {

/** Rolls along one (normalized) axis: the last `shift` elements move to
 * the front. */
array roll_axis(const array& a, int64_t shift, int ax, StreamOrDevice s) {
  int64_t n = a.shape(ax);
  if (n == 0) {
    return a;
  }
  int64_t k = ((shift % n) + n) % n;
  if (k == 0) {
    return a;
  }
  Shape start(a.ndim(), 0);
  Shape stop = a.shape();
  start[ax] = static_cast<int32_t>(n - k);
  auto tail = slice(a, start, stop, s);
  start[ax] = 0;
  stop[ax] = static_cast<int32_t>(n - k);
  auto head = slice(a, start, stop, s);
  return concatenate({tail, head}, ax, s);
}

array roll_flat(const array& a, int64_t shift, StreamOrDevice s) {
  return reshape(roll_axis(flatten(a, s), shift, 0, s), a.shape(), s);
}

int64_t total_shift(const Shape& shift) {
  return std::accumulate(shift.begin(), shift.end(), int64_t{0});
}

} // namespace

array roll(const array& a, int shift, StreamOrDevice s) {
  return roll_flat(a, shift, s);
}

array roll(const array& a, const Shape& shift, StreamOrDevice s) {
  return roll_flat(a, total_shift(shift), s);
}

array roll(const array& a, int shift, int axis, StreamOrDevice s) {
  return roll(a, Shape{shift}, std::vector<int>{axis}, s);
}

array roll(
    const array& a, int shift, const std::vector<int>& axes, StreamOrDevice s) {
  return roll(a, Shape{shift}, axes, s);
}

array roll(const array& a, const Shape& shift, int axis, StreamOrDevice s) {
  return roll(a, shift, std::vector<int>{axis}, s);
}

array roll(
    const array& a,
    const Shape& shift,
    const std::vector<int>& axes,
    StreamOrDevice s) {
  // NumPy broadcasting of shift against axes; repeated axes add up.
  if (shift.size() != 1 && axes.size() != 1 && shift.size() != axes.size()) {
    throw_error(
        "[roll] Got ",
        shift.size(),
        " shifts for ",
        axes.size(),
        " axes; they must match or one of them must have size 1.");
  }
  // A size-1 side broadcasts to the other, even to size 0 (no roll).
  size_t count = shift.size() == 1 ? axes.size() : shift.size();
  std::map<int, int64_t> per_axis;
  for (size_t i = 0; i < count; ++i) {
    int ax = axes[axes.size() == 1 ? 0 : i];
    per_axis[normalize_axis(ax, static_cast<int>(a.ndim()), "roll")] +=
        shift[shift.size() == 1 ? 0 : i];
  }
  array x = a;
  for (auto [ax, k] : per_axis) {
    x = roll_axis(x, k, ax, s);
  }
  return x;
}

} // namespace mlx::core
