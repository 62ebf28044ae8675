// CPU kernel of the scatter primitives: out = copy of a, then the values
// are added at their (wrapped, bounds-checked) index positions.
#include <numeric>
#include <type_traits>

#include "mlx/backend/cpu/copy.h"
#include "mlx/backend/cpu/indices.h"
#include "mlx/backend/cpu/strided.h"
#include "mlx/primitives/scatter.h"
#include "mlx/utils.h"

namespace mlx::core {

void ScatterAddAxis::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& a = inputs[0];
  const array& idx = inputs[1];
  const array& values = inputs[2];
  cpu::donate_or_copy(a, out);
  if (idx.size() == 0) {
    return;
  }
  int64_t n = a.shape(axis_);
  std::vector<int64_t> pos =
      cpu::wrapped_indices(idx, n, axis_, "scatter_add_axis");

  // Walk the update shape with the axis innermost. The output contributes
  // its off-axis offset (0 along dims where `a` has size 1 and is
  // broadcast), the index the position along the axis.
  int nd = static_cast<int>(idx.ndim());
  std::vector<int> order(nd);
  std::iota(order.begin(), order.end(), 0);
  order.erase(order.begin() + axis_);
  order.push_back(axis_);
  Strides pos_strides = row_major_strides(idx.shape());
  bool broadcast = false;
  Shape shape;
  std::array<Strides, 3> strides; // out, values, positions
  for (int d : order) {
    int64_t out_stride = out.strides()[d];
    if (d == axis_) {
      out_stride = 0;
    } else if (a.shape(d) == 1) {
      out_stride = 0;
      broadcast |= idx.shape(d) > 1;
    }
    shape.push_back(idx.shape(d));
    strides[0].push_back(out_stride);
    strides[1].push_back(values.strides()[d]);
    strides[2].push_back(pos_strides[d]);
  }
  cpu::collapse_dims(shape, strides);
  size_t inner = shape.back();
  size_t rows = shape_size(shape) / inner;
  int64_t axis_stride = out.strides()[axis_];

  detail::dispatch_dtype(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* dst = out.data<T>();
    const T* src = values.data<T>();
    const int64_t* p = pos.data();
    auto add_row = [&](const std::array<int64_t, 3>& off,
                       int32_t len,
                       const std::array<int64_t, 3>& inc) {
      for (int32_t i = 0; i < len; ++i) {
        T& target =
            dst[off[0] + i * inc[0] + p[off[2] + i * inc[2]] * axis_stride];
        target = static_cast<T>(target + src[off[1] + i * inc[1]]);
      }
    };
    if (broadcast) {
      // Several off-axis positions share an output element: stay serial.
      cpu::for_each_row<3>(shape, strides, 0, rows, add_row);
      return;
    }
    // Each row holds distinct off-axis positions, so rows never write the
    // same element and can run in parallel.
    size_t grain = std::max<size_t>(1, cpu::kElementwiseGrain / inner);
    cpu::parallel_for(rows, grain, [&](size_t begin, size_t end) {
      cpu::for_each_row<3>(shape, strides, begin, end, add_row);
    });
  });
}

namespace {

// Combines one update into its target by the reduction.
template <typename T> void combine(T& target, T v, Scatter::ReduceType r) {
  using C = std::conditional_t<is_half_v<T>, float, T>;
  C t = static_cast<C>(target);
  C u = static_cast<C>(v);
  switch (r) {
  case Scatter::None:
    target = v;
    return;
  case Scatter::Sum:
    target = static_cast<T>(t + u);
    return;
  case Scatter::Prod:
    target = static_cast<T>(t * u);
    return;
  case Scatter::Max:
    if constexpr (!std::is_same_v<T, complex64_t>) {
      target = u > t ? v : target;
    }
    return;
  case Scatter::Min:
    if constexpr (!std::is_same_v<T, complex64_t>) {
      target = u < t ? v : target;
    }
    return;
  }
}

} // namespace

void Scatter::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& a = inputs[0];
  const array& idx = inputs[1];
  const array& updates = inputs[2];
  cpu::donate_or_copy(a, out);
  if (idx.size() == 0) {
    return;
  }
  // In order, serially: with duplicate indices the last write wins (None)
  // and every update is combined exactly once.
  std::vector<int64_t> pos = cpu::wrapped_indices(idx, a.size(), 0, op_name());
  int64_t out_stride = out.strides()[0];
  int64_t upd_stride = updates.strides()[0];
  detail::dispatch_dtype(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* dst = out.data<T>();
    const T* src = updates.data<T>();
    for (size_t k = 0; k < pos.size(); ++k) {
      combine(dst[pos[k] * out_stride], src[k * upd_stride], reduce_);
    }
  });
}

} // namespace mlx::core
