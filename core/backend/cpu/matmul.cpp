// CPU kernels of Matmul, AddMM, GatherMM and GatherMMScatterAdd: one BLAS
// gemm per batch element, on pointers into the operands (GatherMM picks
// each product's matrices by its index arrays, so nothing is gathered;
// GatherMMScatterAdd adds each product to its target matrix); consecutive
// products that share b and stack rows of a run as one gemm. Operands that
// BLAS can read as they are (row-major, or column-major passed as
// transposed) are not copied; other strided ones are copied once into a
// row-contiguous buffer. float16/bfloat16 are converted to float32, run
// through sgemm and converted back.
#include <climits>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

#include "mlx/backend/cpu/blas.h"
#include "mlx/backend/cpu/copy.h"
#include "mlx/backend/cpu/indices.h"
#include "mlx/backend/cpu/strided.h"
#include "mlx/primitives/matmul.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

using cpu::configure_blas_threads;
using cpu::kSmallGemmWork;

// One operand as BLAS reads it: the array holding the data (the input or a
// copy), whether it is transposed, its leading dimension, and the shape and
// element strides of its batch dims (stride 0 where broadcast).
struct GemmOperand {
  array data;
  bool trans;
  int ld;
  Shape batch_shape;
  Strides batch_strides;

  // Element offset of the matrix at row-major position `index` of the batch.
  int64_t offset(size_t index) const {
    return cpu::elem_to_loc(index, batch_shape, batch_strides);
  }
};

// Which matrix of each operand's batch the product at output batch
// position i reads: i itself (Matmul, AddMM: the batch dims are broadcast
// to the output's), or the i-th gathered index (GatherMM). With `out`, the
// `products` products are instead added to the output matrices out[i]
// (GatherMMScatterAdd).
struct BatchIndices {
  const int64_t* a = nullptr;
  const int64_t* b = nullptr;
  const int64_t* out = nullptr;
  size_t products = 0;
};

// The BLAS view of a rows x cols matrix with element strides (sr, sc), if
// there is one: row-major (unit column stride) or column-major (unit row
// stride), with a leading dimension that fits an int. Strides of size-1
// dims do not matter.
std::optional<std::pair<bool, int>>
blas_layout(int64_t rows, int64_t cols, int64_t sr, int64_t sc) {
  if ((sc == 1 || cols == 1) && (rows == 1 || (sr >= cols && sr <= INT_MAX))) {
    return std::make_pair(
        false, static_cast<int>(rows == 1 ? std::max<int64_t>(cols, 1) : sr));
  }
  if ((sr == 1 || rows == 1) && (cols == 1 || (sc >= rows && sc <= INT_MAX))) {
    return std::make_pair(
        true, static_cast<int>(cols == 1 ? std::max<int64_t>(rows, 1) : sc));
  }
  return std::nullopt;
}

// A fresh row-contiguous temporary of the given shape and dtype.
array make_buffer(const Shape& shape, Dtype dtype) {
  array buf(shape, dtype, nullptr, {});
  buf.set_data(allocator::malloc(buf.nbytes()));
  buf.set_status(array::Status::available);
  return buf;
}

GemmOperand prepare_operand(const array& in, Dtype compute) {
  int nd = static_cast<int>(in.ndim());
  int64_t rows = in.shape(nd - 2);
  int64_t cols = in.shape(nd - 1);
  Shape batch_shape(in.shape().begin(), in.shape().end() - 2);
  Strides batch_strides(in.strides().begin(), in.strides().end() - 2);
  if (in.dtype() == compute) {
    auto layout =
        blas_layout(rows, cols, in.strides()[nd - 2], in.strides()[nd - 1]);
    if (layout) {
      return {
          in,
          layout->first,
          layout->second,
          std::move(batch_shape),
          std::move(batch_strides)};
    }
  }
  // Copy (and convert). Batch dims broadcast with stride 0 stay broadcast:
  // the copy holds them once.
  Shape copy_shape = in.shape();
  for (int d = 0; d < nd - 2; ++d) {
    if (batch_strides[d] == 0) {
      copy_shape[d] = 1;
    }
  }
  array buf = make_buffer(copy_shape, compute);
  Strides copy_strides = row_major_strides(copy_shape);
  cpu::copy_strided(in, buf, copy_shape, in.strides(), copy_strides);
  for (int d = 0; d < nd - 2; ++d) {
    batch_strides[d] = batch_strides[d] == 0 ? 0 : copy_strides[d];
  }
  return {
      buf,
      false,
      static_cast<int>(std::max<int64_t>(cols, 1)),
      std::move(batch_shape),
      std::move(batch_strides)};
}

// `count` consecutive products, from product `first`, run as one gemm.
struct StackedRun {
  size_t first;
  int count;
  int64_t a_offset;
  int64_t b_offset;
};

// Consecutive products that read the same matrix of b and, stacked, the
// consecutive rows of a row-major a (in a mixture of experts: tokens sorted
// by expert) run as one gemm of count * m rows, which reads b once: their
// output rows are consecutive already.
std::vector<StackedRun> stacked_runs(
    const GemmOperand& a,
    const GemmOperand& b,
    BatchIndices picks,
    size_t batch,
    int m) {
  std::vector<StackedRun> runs;
  for (size_t i = 0; i < batch; ++i) {
    int64_t a_off = a.offset(picks.a ? picks.a[i] : i);
    int64_t b_off = b.offset(picks.b ? picks.b[i] : i);
    if (!runs.empty()) {
      StackedRun& last = runs.back();
      int64_t next_rows = last.a_offset + int64_t(last.count) * m * a.ld;
      if (!a.trans && b_off == last.b_offset && a_off == next_rows &&
          int64_t(last.count + 1) * m <= INT_MAX) {
        ++last.count;
        continue;
      }
    }
    runs.push_back({i, 1, a_off, b_off});
  }
  return runs;
}

// acc (zeroed, row-contiguous) += a[picks.a[i]] @ b[picks.b[i]] at matrix
// picks.out[i], for each product i. The products are grouped by output
// matrix (a stable counting sort): the groups run in parallel, the products
// of a group one after the other, each a gemm with beta = 1.
template <typename T>
void scattered_gemm(
    const GemmOperand& a,
    const GemmOperand& b,
    T* out,
    int m,
    int n,
    int k,
    BatchIndices picks,
    size_t targets) {
  std::vector<size_t> start(targets + 1, 0);
  for (size_t i = 0; i < picks.products; ++i) {
    ++start[picks.out[i] + 1];
  }
  for (size_t t = 0; t < targets; ++t) {
    start[t + 1] += start[t];
  }
  std::vector<size_t> order(picks.products);
  std::vector<size_t> next(start.begin(), start.end() - 1);
  for (size_t i = 0; i < picks.products; ++i) {
    order[next[picks.out[i]]++] = i;
  }
  const T* a_ptr = a.data.data<T>();
  const T* b_ptr = b.data.data<T>();
  size_t out_matrix = static_cast<size_t>(m) * n;
  auto run = [&](size_t begin, size_t end) {
    for (size_t t = begin; t < end; ++t) {
      for (size_t p = start[t]; p < start[t + 1]; ++p) {
        size_t i = order[p];
        cpu::gemm(
            a.trans,
            b.trans,
            m,
            n,
            k,
            T(1),
            a_ptr + a.offset(picks.a[i]),
            a.ld,
            b_ptr + b.offset(picks.b[i]),
            b.ld,
            T(1),
            out + t * out_matrix,
            n);
      }
    }
  };
  size_t work = out_matrix * static_cast<size_t>(k) *
                std::max<size_t>(picks.products, 1) / targets;
  if (targets > 1 && work < kSmallGemmWork) {
    cpu::parallel_for(targets, std::max<size_t>(1, kSmallGemmWork / work), run);
  } else {
    run(0, targets);
  }
}

// acc (row-contiguous, acc's dtype T) = alpha * a @ b + beta * acc, the
// matrices of a and b picked by `picks`.
template <typename T>
void batched_gemm(
    const array& a_in,
    const array& b_in,
    array& acc,
    T alpha,
    T beta,
    BatchIndices picks) {
  int nd = static_cast<int>(acc.ndim());
  int m = acc.shape(nd - 2);
  int n = acc.shape(nd - 1);
  int k = a_in.shape(-1);
  size_t batch = shape_size(Shape(acc.shape().begin(), acc.shape().end() - 2));
  T* out = acc.data<T>();
  size_t out_matrix = static_cast<size_t>(m) * n;

  if (k == 0) {
    // gemm with k == 0 only scales C; do it here rather than rely on every
    // BLAS handling the degenerate leading dimensions.
    for (size_t i = 0; i < acc.size(); ++i) {
      out[i] = beta == T(0) ? T(0) : out[i] * beta;
    }
    return;
  }

  configure_blas_threads();
  GemmOperand a = prepare_operand(a_in, acc.dtype());
  GemmOperand b = prepare_operand(b_in, acc.dtype());
  if (picks.out) {
    scattered_gemm<T>(a, b, out, m, n, k, picks, batch);
    return;
  }
  const T* a_ptr = a.data.data<T>();
  const T* b_ptr = b.data.data<T>();
  std::vector<StackedRun> runs = stacked_runs(a, b, picks, batch, m);
  auto run = [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      const StackedRun& s = runs[r];
      cpu::gemm(
          a.trans,
          b.trans,
          m * s.count,
          n,
          k,
          alpha,
          a_ptr + s.a_offset,
          a.ld,
          b_ptr + s.b_offset,
          b.ld,
          beta,
          out + s.first * out_matrix,
          n);
    }
  };
  size_t work = out_matrix * static_cast<size_t>(k) * batch / runs.size();
  if (runs.size() > 1 && work < kSmallGemmWork) {
    cpu::parallel_for(
        runs.size(), std::max<size_t>(1, kSmallGemmWork / work), run);
  } else {
    run(0, runs.size());
  }
}

// out = alpha * a @ b + beta * c (c may be null, meaning beta = 0).
void matmul_cpu(
    const array& a,
    const array& b,
    const array* c,
    float alpha,
    float beta,
    array& out,
    BatchIndices picks = {}) {
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  bool half = out.dtype() == float16 || out.dtype() == bfloat16;
  Dtype compute = half ? float32 : out.dtype();
  // Half types accumulate in a float32 buffer, converted at the end.
  array acc = half ? make_buffer(out.shape(), float32) : out;
  if (picks.out) {
    std::memset(acc.data<char>(), 0, acc.nbytes()); // products add to it
  } else if (c == nullptr || beta == 0.0f) {
    beta = 0.0f; // BLAS does not read C when beta is 0.
  } else {
    cpu::copy_strided(
        *c, acc, out.shape(), c->strides(), row_major_strides(out.shape()));
  }
  switch (compute) {
  case Dtype::Val::float32:
    batched_gemm<float>(a, b, acc, alpha, beta, picks);
    break;
  case Dtype::Val::float64:
    batched_gemm<double>(a, b, acc, alpha, beta, picks);
    break;
  case Dtype::Val::complex64:
    batched_gemm<complex64_t>(a, b, acc, alpha, beta, picks);
    break;
  default:
    throw_error("[matmul] No CPU kernel for dtype ", out.dtype(), ".");
  }
  if (half) {
    Strides strides = row_major_strides(out.shape());
    cpu::copy_strided(acc, out, out.shape(), strides, strides);
  }
}

// The number of matrices in x's batch dims.
int64_t matrix_count(const array& x) {
  return static_cast<int64_t>(
      shape_size(Shape(x.shape().begin(), x.shape().end() - 2)));
}

} // namespace

void Matmul::eval_cpu(const std::vector<array>& inputs, array& out) {
  matmul_cpu(inputs[0], inputs[1], nullptr, 1.0f, 0.0f, out);
}

void AddMM::eval_cpu(const std::vector<array>& inputs, array& out) {
  matmul_cpu(inputs[1], inputs[2], &inputs[0], alpha_, beta_, out);
}

void GatherMM::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& a = inputs[0];
  const array& b = inputs[1];
  // Every index is checked (and wrapped) before any product runs.
  std::vector<int64_t> lhs =
      cpu::wrapped_indices(inputs[2], matrix_count(a), 0, "gather_mm");
  std::vector<int64_t> rhs =
      cpu::wrapped_indices(inputs[3], matrix_count(b), 0, "gather_mm");
  matmul_cpu(a, b, nullptr, 1.0f, 0.0f, out, {lhs.data(), rhs.data()});
}

void GatherMMScatterAdd::eval_cpu(
    const std::vector<array>& inputs, array& out) {
  const char* op = "gather_mm gradient";
  std::vector<int64_t> lhs =
      cpu::wrapped_indices(inputs[2], matrix_count(inputs[0]), 0, op);
  std::vector<int64_t> rhs =
      cpu::wrapped_indices(inputs[3], matrix_count(inputs[1]), 0, op);
  std::vector<int64_t> to =
      cpu::wrapped_indices(inputs[4], matrix_count(out), 0, op);
  matmul_cpu(
      inputs[0],
      inputs[1],
      nullptr,
      1.0f,
      0.0f,
      out,
      {lhs.data(), rhs.data(), to.data(), to.size()});
}

} // namespace mlx::core
