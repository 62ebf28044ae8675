// CPU kernels of Sort, ArgSort, Partition and ArgPartition. Each row along
// the axis is gathered into a contiguous scratch buffer (values, or
// (value, index) pairs), sorted or partitioned there, and written to the
// row-contiguous output; rows are spread over the thread pool.
#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>
#include <vector>

#include "mlx/backend/cpu/strided.h"
#include "mlx/primitives/sort.h"

namespace mlx::core {

namespace {

// A strict weak order: numbers ascending, NaNs after all numbers and
// equivalent to each other (NumPy's order). Complex numbers compare
// lexicographically; one with a NaN part counts as NaN.
template <typename T> inline bool nan_last_less(T x, T y) {
  if constexpr (is_half_v<T>) {
    return nan_last_less(static_cast<float>(x), static_cast<float>(y));
  } else if constexpr (std::is_same_v<T, complex64_t>) {
    bool x_nan = std::isnan(x.real()) || std::isnan(x.imag());
    bool y_nan = std::isnan(y.real()) || std::isnan(y.imag());
    if (x_nan || y_nan) {
      return !x_nan;
    }
    return x.real() < y.real() || (x.real() == y.real() && x.imag() < y.imag());
  } else if constexpr (std::is_floating_point_v<T>) {
    return (y != y) ? (x == x) : (x < y);
  } else {
    return x < y;
  }
}

// Ties broken by the original index: std::sort on pairs is then stable.
template <typename T>
inline bool
pair_less(const std::pair<T, uint32_t>& a, const std::pair<T, uint32_t>& b) {
  if (nan_last_less(a.first, b.first)) {
    return true;
  }
  return !nan_last_less(b.first, a.first) && a.second < b.second;
}

struct SortParams {
  int axis;
  bool indices;   // output uint32 indices instead of values
  bool partition; // partition around kth instead of a full sort
  int kth;
};

// Rows at least this long are sorted by all threads together when there
// are fewer rows than threads (a flattened sort is one row).
constexpr int64_t kParallelSortMin = 1 << 16;

// Stable sort of [first, first + n) on the pool: chunks sorted in parallel,
// then merged pairwise in parallel rounds (std::merge keeps equal elements
// of the left run first, so the result stays stable).
template <typename V, typename Less>
void parallel_stable_sort(V* first, int64_t n, Less less) {
  int64_t chunks = cpu::num_threads();
  if (chunks <= 1 || n < kParallelSortMin) {
    std::stable_sort(first, first + n, less);
    return;
  }
  std::vector<int64_t> bound(chunks + 1);
  for (int64_t c = 0; c <= chunks; ++c) {
    bound[c] = n * c / chunks;
  }
  cpu::parallel_for(chunks, 1, [&](size_t b, size_t e) {
    for (size_t c = b; c < e; ++c) {
      std::stable_sort(first + bound[c], first + bound[c + 1], less);
    }
  });
  std::unique_ptr<V[]> scratch(new V[n]);
  V* src = first;
  V* dst = scratch.get();
  for (int64_t width = 1; width < chunks; width *= 2) {
    int64_t pairs = (chunks + 2 * width - 1) / (2 * width);
    cpu::parallel_for(pairs, 1, [&](size_t b, size_t e) {
      for (size_t q = b; q < e; ++q) {
        int64_t lo = bound[std::min<int64_t>(2 * width * q, chunks)];
        int64_t mid = bound[std::min<int64_t>(2 * width * q + width, chunks)];
        int64_t hi = bound[std::min<int64_t>(2 * width * (q + 1), chunks)];
        std::merge(src + lo, src + mid, src + mid, src + hi, dst + lo, less);
      }
    });
    std::swap(src, dst);
  }
  if (src != first) {
    std::copy(src, src + n, first);
  }
}

template <typename T>
void sort_rows(const array& in, array& out, const SortParams& p) {
  int64_t n = in.shape(p.axis);
  Shape outer_shape = in.shape();
  Strides in_outer = in.strides();
  Strides out_outer = row_major_strides(out.shape());
  int64_t in_inc = in_outer[p.axis];
  int64_t out_inc = out_outer[p.axis];
  outer_shape.erase(outer_shape.begin() + p.axis);
  in_outer.erase(in_outer.begin() + p.axis);
  out_outer.erase(out_outer.begin() + p.axis);
  size_t rows = in.size() / n;
  const T* src = in.data<T>();
  // Sorting costs ~log2(n) comparisons per element: count that as work.
  int64_t row_work =
      n * std::max<int64_t>(1, static_cast<int64_t>(std::log2(n + 1.0)));
  size_t grain = std::max<int64_t>(1, cpu::kElementwiseGrain / row_work);
  // Few long rows: one row at a time, each sorted by all threads.
  bool shared_rows = !p.partition && n >= kParallelSortMin &&
                     rows < static_cast<size_t>(cpu::num_threads());
  if (shared_rows) {
    grain = rows;
  }

  cpu::parallel_for(rows, grain, [&](size_t begin, size_t end) {
    if (p.indices) {
      std::unique_ptr<std::pair<T, uint32_t>[]> buf(
          new std::pair<T, uint32_t>[n]);
      uint32_t* dst = out.data<uint32_t>();
      for (size_t r = begin; r < end; ++r) {
        const T* row = src + cpu::elem_to_loc(r, outer_shape, in_outer);
        for (int64_t j = 0; j < n; ++j) {
          buf[j] = {row[j * in_inc], static_cast<uint32_t>(j)};
        }
        auto* first = buf.get();
        auto less = [](const auto& a, const auto& b) {
          return pair_less(a, b);
        };
        if (p.partition) {
          std::nth_element(first, first + p.kth, first + n, less);
        } else if (shared_rows) {
          parallel_stable_sort(first, n, less);
        } else {
          std::sort(first, first + n, less);
        }
        uint32_t* o = dst + cpu::elem_to_loc(r, outer_shape, out_outer);
        for (int64_t j = 0; j < n; ++j) {
          o[j * out_inc] = buf[j].second;
        }
      }
    } else {
      std::unique_ptr<T[]> buf(new T[n]);
      T* dst = out.data<T>();
      for (size_t r = begin; r < end; ++r) {
        const T* row = src + cpu::elem_to_loc(r, outer_shape, in_outer);
        T* o = dst + cpu::elem_to_loc(r, outer_shape, out_outer);
        // Work in the output row directly when it is contiguous.
        T* work = out_inc == 1 ? o : buf.get();
        for (int64_t j = 0; j < n; ++j) {
          work[j] = row[j * in_inc];
        }
        auto less = [](T a, T b) { return nan_last_less(a, b); };
        if (p.partition) {
          std::nth_element(work, work + p.kth, work + n, less);
        } else if (shared_rows) {
          parallel_stable_sort(work, n, less);
        } else {
          std::stable_sort(work, work + n, less);
        }
        if (work != o) {
          for (int64_t j = 0; j < n; ++j) {
            o[j * out_inc] = work[j];
          }
        }
      }
    }
  });
}

void sort_dispatch(const array& in, array& out, const SortParams& p) {
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  detail::dispatch_dtype(
      in.dtype(), [&](auto tag) { sort_rows<decltype(tag)>(in, out, p); });
}

} // namespace

void Sort::eval_cpu(const std::vector<array>& inputs, array& out) {
  sort_dispatch(inputs[0], out, {axis_, false, false, 0});
}

void ArgSort::eval_cpu(const std::vector<array>& inputs, array& out) {
  sort_dispatch(inputs[0], out, {axis_, true, false, 0});
}

void Partition::eval_cpu(const std::vector<array>& inputs, array& out) {
  sort_dispatch(inputs[0], out, {axis_, false, true, kth_});
}

void ArgPartition::eval_cpu(const std::vector<array>& inputs, array& out) {
  sort_dispatch(inputs[0], out, {axis_, true, true, kth_});
}

} // namespace mlx::core
