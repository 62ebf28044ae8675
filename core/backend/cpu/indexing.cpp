// CPU kernels of the indexing primitives. Elements are moved as raw bits
// (dispatching on the item size, not the dtype), and every index is
// wrapped and bounds-checked before it is used.
#include <cstring>
#include <type_traits>

#include "mlx/backend/cpu/copy.h"
#include "mlx/backend/cpu/indices.h"
#include "mlx/backend/cpu/strided.h"
#include "mlx/primitives/indexing.h"
#include "mlx/primitives/shape.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

/** Maps a raw index into [0, n) the NumPy way (negative counts from the
 * end); throws std::invalid_argument naming `op` when it stays outside. */
template <typename I>
inline int64_t wrap_index(I raw, int64_t n, int axis, const char* op) {
  if constexpr (std::is_unsigned_v<I>) {
    if (static_cast<uint64_t>(raw) < static_cast<uint64_t>(n)) {
      return static_cast<int64_t>(raw);
    }
    throw_error(
        "[",
        op,
        "] The index ",
        static_cast<uint64_t>(raw),
        " is out of bounds for axis ",
        axis,
        " with size ",
        n,
        ".");
  } else {
    int64_t v = static_cast<int64_t>(raw);
    int64_t w = v < 0 ? v + n : v;
    if (w >= 0 && w < n) {
      return w;
    }
    throw_error(
        "[",
        op,
        "] The index ",
        v,
        " is out of bounds for axis ",
        axis,
        " with size ",
        n,
        ".");
  }
}

/** Calls f(I{}) for an integer index dtype. */
template <typename F> void dispatch_index(Dtype dtype, const char* op, F&& f) {
  detail::dispatch_dtype(dtype, [&](auto tag) {
    using I = decltype(tag);
    if constexpr (std::is_integral_v<I> && !std::is_same_v<I, bool>) {
      f(I{});
    } else {
      throw_error("[", op, "] Indices must be integers, got ", dtype, ".");
    }
  });
}

/** Offsets (in elements) of the row-major positions of shape/strides. */
std::vector<int64_t>
element_offsets(const Shape& shape, const Strides& strides) {
  std::vector<int64_t> offsets(shape_size(shape));
  for (size_t i = 0; i < offsets.size(); ++i) {
    offsets[i] = cpu::elem_to_loc(i, shape, strides);
  }
  return offsets;
}

} // namespace

namespace cpu {

std::vector<int64_t>
wrapped_indices(const array& idx, int64_t n, int axis, const char* op) {
  std::vector<int64_t> pos(idx.size());
  if (pos.empty()) {
    return pos;
  }
  dispatch_index(idx.dtype(), op, [&](auto tag) {
    using I = decltype(tag);
    const I* src = idx.data<I>();
    int64_t* dst = pos.data();
    cpu::strided_rows<2>(
        idx.shape(),
        {idx.strides(), row_major_strides(idx.shape())},
        [&](const std::array<int64_t, 2>& off,
            int32_t len,
            const std::array<int64_t, 2>& inc) {
          for (int32_t i = 0; i < len; ++i) {
            dst[off[1] + i * inc[1]] =
                wrap_index(src[off[0] + i * inc[0]], n, axis, op);
          }
        });
  });
  return pos;
}

} // namespace cpu

void Take::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& a = inputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  int64_t n = a.shape(axis_);
  std::vector<int64_t> pos = cpu::wrapped_indices(inputs[1], n, axis_, "take");

  // a = [pre dims] x [axis] x [post dims]; out = [pre] x [indices] x [post].
  Shape pre_shape(a.shape().begin(), a.shape().begin() + axis_);
  Strides pre_strides(a.strides().begin(), a.strides().begin() + axis_);
  Shape post_shape(a.shape().begin() + axis_ + 1, a.shape().end());
  Strides post_strides(a.strides().begin() + axis_ + 1, a.strides().end());
  size_t inner = shape_size(post_shape);
  size_t num_idx = pos.size();
  size_t rows = out.size() / inner;
  int64_t axis_stride = a.strides()[axis_];

  // The post dims are one run of consecutive elements: copy rows whole.
  Shape collapsed = post_shape;
  std::array<Strides, 1> collapsed_strides{post_strides};
  cpu::collapse_dims(collapsed, collapsed_strides);
  bool post_contiguous =
      inner == 1 || (collapsed.size() == 1 && collapsed_strides[0][0] == 1);
  std::vector<int64_t> post_offsets;
  if (!post_contiguous) {
    post_offsets = element_offsets(post_shape, post_strides);
  }

  size_t itemsize = a.itemsize();
  const char* src = a.data<char>();
  char* dst = out.data<char>();
  size_t grain = std::max<size_t>(1, cpu::kElementwiseGrain / inner);
  cpu::dispatch_bits(itemsize, [&](auto tag) {
    using U = decltype(tag);
    cpu::parallel_for(rows, grain, [&](size_t begin, size_t end) {
      for (size_t r = begin; r < end; ++r) {
        int64_t base = cpu::elem_to_loc(r / num_idx, pre_shape, pre_strides) +
                       pos[r % num_idx] * axis_stride;
        if (post_contiguous) {
          std::memcpy(
              dst + r * inner * itemsize,
              src + base * itemsize,
              inner * itemsize);
        } else {
          const U* s = reinterpret_cast<const U*>(src) + base;
          U* d = reinterpret_cast<U*>(dst) + r * inner;
          for (size_t k = 0; k < inner; ++k) {
            d[k] = s[post_offsets[k]];
          }
        }
      }
    });
  });
}

void TakeAlongAxis::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& a = inputs[0];
  const array& idx = inputs[1];
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  int64_t n = a.shape(axis_);
  int64_t axis_stride = a.strides()[axis_];
  // Walk the output; `a` contributes its off-axis offset, the index the
  // position along the axis.
  Strides a_strides = a.strides();
  a_strides[axis_] = 0;
  int axis = axis_;
  dispatch_index(idx.dtype(), "take_along_axis", [&](auto itag) {
    using I = decltype(itag);
    cpu::dispatch_bits(a.itemsize(), [&](auto tag) {
      using U = decltype(tag);
      const U* src = reinterpret_cast<const U*>(a.data<char>());
      const I* ind = idx.data<I>();
      U* dst = reinterpret_cast<U*>(out.data<char>());
      cpu::strided_rows<3>(
          out.shape(),
          {a_strides, idx.strides(), out.strides()},
          [&](const std::array<int64_t, 3>& off,
              int32_t len,
              const std::array<int64_t, 3>& inc) {
            for (int32_t i = 0; i < len; ++i) {
              int64_t p = wrap_index(
                  ind[off[1] + i * inc[1]], n, axis, "take_along_axis");
              dst[off[2] + i * inc[2]] =
                  src[off[0] + i * inc[0] + p * axis_stride];
            }
          });
    });
  });
}

void PutAlongAxis::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& a = inputs[0];
  const array& idx = inputs[1];
  const array& values = inputs[2];
  cpu::donate_or_copy(a, out);
  if (idx.size() == 0) {
    return;
  }
  int64_t n = a.shape(axis_);
  int64_t axis_stride = out.strides()[axis_];
  // Off the axis, dims of size 1 in `a` are broadcast against the update.
  Strides out_strides = out.strides();
  for (size_t d = 0; d < out_strides.size(); ++d) {
    if (static_cast<int>(d) == axis_ || a.shape(d) == 1) {
      out_strides[d] = 0;
    }
  }
  Shape shape = idx.shape();
  std::array<Strides, 3> strides{out_strides, idx.strides(), values.strides()};
  cpu::collapse_dims(shape, strides);
  size_t rows = shape_size(shape) / shape.back();
  int axis = axis_;
  dispatch_index(idx.dtype(), "put_along_axis", [&](auto itag) {
    using I = decltype(itag);
    cpu::dispatch_bits(out.itemsize(), [&](auto tag) {
      using U = decltype(tag);
      const U* vals = reinterpret_cast<const U*>(values.data<char>());
      const I* ind = idx.data<I>();
      U* dst = reinterpret_cast<U*>(out.data<char>());
      // Serial, so that the last of duplicate indices wins, as in NumPy.
      cpu::for_each_row<3>(
          shape,
          strides,
          0,
          rows,
          [&](const std::array<int64_t, 3>& off,
              int32_t len,
              const std::array<int64_t, 3>& inc) {
            for (int32_t i = 0; i < len; ++i) {
              int64_t p = wrap_index(
                  ind[off[1] + i * inc[1]], n, axis, "put_along_axis");
              dst[off[0] + i * inc[0] + p * axis_stride] =
                  vals[off[2] + i * inc[2]];
            }
          });
    });
  });
}

void SliceUpdate::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& src = inputs[0];
  const array& update = inputs[1];
  cpu::donate_or_copy(src, out);
  if (update.size() == 0) {
    return;
  }
  int64_t offset = 0;
  Strides dst_strides(out.ndim());
  for (size_t i = 0; i < out.ndim(); ++i) {
    offset += static_cast<int64_t>(start_[i]) * out.strides()[i];
    dst_strides[i] = out.strides()[i] * strides_[i];
  }
  cpu::copy_strided(
      update, out, update.shape(), update.strides(), dst_strides, 0, offset);
}

void Diagonal::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  if (out.size() == 0) {
    out.set_data(allocator::malloc(0));
    return;
  }
  Strides strides;
  for (int d = 0; d < static_cast<int>(in.ndim()); ++d) {
    if (d != axis1_ && d != axis2_) {
      strides.push_back(in.strides()[d]);
    }
  }
  // One step along the diagonal moves one step along both axes.
  strides.push_back(in.strides()[axis1_] + in.strides()[axis2_]);
  int64_t offset = offset_ >= 0
                       ? static_cast<int64_t>(offset_) * in.strides()[axis2_]
                       : -static_cast<int64_t>(offset_) * in.strides()[axis1_];
  auto [flags, span] = view_layout(out.shape(), strides);
  out.copy_shared_buffer(in, strides, flags, span, offset);
}

} // namespace mlx::core
