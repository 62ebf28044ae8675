// Take, TakeAlongAxis, ScatterAddAxis and SliceUpdate on Vulkan
// (shaders/indexing.comp). Each op is a walk over a loop shape with strides
// for its operands (the gathered or scattered array, the indices, the
// destination), collapsed here and sent in a metadata buffer.
#include "mlx/backend/vulkan/indexing.h"

#include <array>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "mlx/backend/cpu/indices.h"
#include "mlx/backend/vulkan/allocator.h"
#include "mlx/backend/vulkan/copy.h"
#include "mlx/backend/vulkan/device.h"
#include "mlx/backend/vulkan/pipeline.h"
#include "mlx/backend/vulkan/utils.h"
#include "mlx/primitives/indexing.h"
#include "mlx/primitives/scatter.h"

namespace mlx::core {

namespace vulkan {

namespace {

// The push constants of shaders/indexing.comp.
struct IndexingParams {
  uint32_t n, ndim, src_offset, idx_offset, dst_offset, axis_size;
  int32_t axis_stride;
  uint32_t put_count;
  int32_t put_idx_stride;
  uint32_t serial;
};

// indexing.comp's OP specialization constant.
enum Op : uint32_t { kGather = 0, kScatterAdd = 1, kCopy = 2, kPut = 3 };

constexpr size_t kGroupSize = 256;    // local_size_x of indexing.comp
constexpr size_t kMaxGroupsX = 65535; // maxComputeWorkGroupCount minimum

// Operand strides: the gathered / copied source, the indices, the
// destination.
using Triple = std::array<int64_t, 3>;

struct Loop {
  std::vector<int64_t> shape;
  std::vector<Triple> strides;
  size_t size() const {
    size_t n = 1;
    for (auto s : shape) {
      n *= size_t(s);
    }
    return n;
  }
  // Appends a dim, dropping size 1 and merging it into the previous dim
  // when every operand steps over both as over one (and `merge` allows).
  void push(int64_t s, Triple st, bool merge_ok = true) {
    if (s == 1) {
      return;
    }
    if (!shape.empty() && merge_ok) {
      bool merge = true;
      for (int k = 0; k < 3; ++k) {
        merge &= strides.back()[k] == st[k] * s;
      }
      if (merge) {
        shape.back() *= s;
        strides.back() = st;
        return;
      }
    }
    shape.push_back(s);
    strides.push_back(st);
  }
};

[[noreturn]] void fail(const char* name, const std::string& what) {
  std::ostringstream msg;
  msg << "[" << name << "] " << what;
  throw std::invalid_argument(msg.str());
}

// Every offset the shader forms must fit its int32 arithmetic.
// `axis_reach` (the indexed axis') is added to operand `axis_operand`'s.
void check_reach(
    const char* name,
    const Loop& loop,
    int64_t axis_reach = 0,
    int axis_operand = 0) {
  for (int k = 0; k < 3; ++k) {
    int64_t reach = k == axis_operand ? axis_reach : 0;
    for (size_t d = 0; d < loop.shape.size(); ++d) {
      reach += std::abs(loop.strides[d][k]) * (loop.shape[d] - 1);
    }
    if (reach > std::numeric_limits<int32_t>::max()) {
      fail(
          name,
          "a stride reach beyond 2^31 elements is not supported on "
          "the Vulkan backend");
    }
  }
  if (loop.size() > std::numeric_limits<uint32_t>::max()) {
    fail(
        name,
        "more than 2^32 - 1 elements are not supported on the "
        "Vulkan backend");
  }
}

// Elements move as raw bits: every dtype, complex64 included, needs only
// the int64 arithmetic of the 8-byte moves.
void check_dtype(const char* name, Dtype) {
  check_int64(name);
}

// Indices must be integers; host-made ones are checked here with the CPU's
// error (the GPU clamps what it cannot report).
void check_indices(const array& idx, int64_t n, int axis, const char* op) {
  if (!issubdtype(idx.dtype(), integer)) {
    std::ostringstream msg;
    msg << "[" << op << "] Indices must be integers, got " << idx.dtype()
        << ".";
    throw std::invalid_argument(msg.str());
  }
  if (idx.size() == 0) {
    return;
  }
  if (!is_vulkan_buffer(idx.buffer()) || n == 0) {
    cpu::wrapped_indices(idx, n, axis, op); // throws when out of range
  }
}

// A binding of `out` (which has its buffer) for reading and writing, and
// the element of its first element.
ArrayBinding bind_inout(const array& out) {
  size_t align = binding_alignment();
  size_t start = size_t(out.offset()) / align * align;
  size_t end = size_t(out.offset()) + out.nbytes();
  size_t bytes = std::min(
      (end - start + 3) / 4 * 4, allocator().size(out.buffer()) - start);
  return {
      {out.buffer(), start, bytes, Access::read_write},
      uint32_t((size_t(out.offset()) - start) / out.itemsize())};
}

// Records one indexing.comp dispatch over `loop`.
void record(
    Encoder& enc,
    Op op,
    Dtype dtype,
    Dtype idx_dtype,
    const Binding& src,
    uint32_t src_first,
    const Binding& idx,
    uint32_t idx_first,
    const Binding& dst,
    uint32_t dst_first,
    const Loop& loop,
    uint32_t axis_size,
    int64_t axis_stride,
    uint32_t put_count = 1,
    int64_t put_idx_stride = 0,
    bool serial = false,
    uint32_t reduce = Scatter::Sum) {
  std::vector<int32_t> meta;
  for (auto s : loop.shape) {
    meta.push_back(int32_t(s));
  }
  for (int k = 0; k < 3; ++k) {
    for (auto& st : loop.strides) {
      meta.push_back(int32_t(st[k]));
    }
  }
  meta.push_back(0); // never an empty buffer (a 0-d loop)
  size_t bytes = meta.size() * sizeof(int32_t);
  Binding m{enc.upload(meta.data(), bytes), 0, bytes, Access::read};
  IndexingParams p{};
  p.n = uint32_t(loop.size());
  p.ndim = uint32_t(loop.shape.size());
  p.src_offset = src_first;
  p.idx_offset = idx_first;
  p.dst_offset = dst_first;
  p.axis_size = axis_size;
  p.axis_stride = int32_t(axis_stride);
  p.put_count = put_count;
  p.put_idx_stride = int32_t(put_idx_stride);
  p.serial = serial ? 1 : 0;
  size_t threads = serial ? 1 : p.n;
  if (op == kGather && dtype.size() < 4) {
    threads = (p.n + 4 / dtype.size() - 1) / (4 / dtype.size());
  }
  size_t groups = (threads + kGroupSize - 1) / kGroupSize;
  uint32_t gx = uint32_t(std::min(groups, kMaxGroupsX));
  uint32_t gy = uint32_t((groups + gx - 1) / gx);
  auto pipe = pipeline(
      "indexing",
      {uint32_t(Dtype::Val(dtype)),
       uint32_t(Dtype::Val(idx_dtype)),
       op,
       reduce});
  enc.dispatch(pipe, {src, idx, dst, m}, &p, sizeof(p), gx, gy);
}

// `in` in `dtype`: itself, or a GPU conversion kept alive until the batch
// completes.
array converted(Encoder& enc, const array& in, Dtype dtype, const char* name) {
  if (in.dtype() == dtype) {
    return in;
  }
  array c(in.shape(), dtype, nullptr, {});
  copy_to_row_contiguous(enc, in, c, name);
  c.set_status(array::Status::available);
  enc.add_completed_handler([c](std::exception_ptr) {});
  return c;
}

// Gathers along `axis` of `a` for every element of `loop` into the fresh
// output `out`.
void gather(
    Encoder& enc,
    const array& a,
    const array& indices,
    array& out,
    int axis,
    const Loop& loop,
    const char* op) {
  int64_t n = a.shape(axis);
  check_dtype(op, a.dtype());
  if (out.size() == 0) { // (no index is checked, as on the CPU)
    out.set_data(allocator().malloc(0));
    return;
  }
  check_indices(indices, n, axis, op);
  check_reach(
      op, loop, std::abs(a.strides()[axis]) * std::max<int64_t>(n - 1, 0));
  ArrayBinding src = bind_input(enc, a);
  ArrayBinding idx = bind_input(enc, indices);
  Binding dst = bind_output(out);
  record(
      enc,
      kGather,
      a.dtype(),
      indices.dtype(),
      src.binding,
      src.first,
      idx.binding,
      idx.first,
      dst,
      0,
      loop,
      uint32_t(n),
      a.strides()[axis]);
}

} // namespace

void copy_or_donate(
    Encoder& enc, const array& src, array& out, const char* name) {
  if (src.is_donatable(/*on_device=*/true) && is_vulkan_buffer(src.buffer())) {
    out.copy_shared_buffer(src);
  } else {
    copy_to_row_contiguous(enc, src, out, name);
  }
}

void copy_into(
    Encoder& enc,
    const array& in,
    array& out,
    int64_t offset,
    const Strides& strides,
    const char* name) {
  check_dtype(name, out.dtype());
  if (in.size() == 0) {
    return;
  }
  Loop loop;
  for (size_t d = 0; d < in.ndim(); ++d) {
    loop.push(in.shape(d), {in.strides()[d], 0, strides[d]});
  }
  check_reach(name, loop);
  array src = converted(enc, in, out.dtype(), name);
  ArrayBinding s = bind_input(enc, src);
  ArrayBinding d = bind_inout(out);
  int64_t first = int64_t(d.first) + offset;
  if (first < 0 || first > std::numeric_limits<int32_t>::max()) {
    fail(
        name,
        "an offset beyond 2^31 elements is not supported on the "
        "Vulkan backend");
  }
  record(
      enc,
      kCopy,
      out.dtype(),
      uint32,
      s.binding,
      s.first,
      s.binding,
      0,
      d.binding,
      uint32_t(first),
      loop,
      1,
      0);
}

} // namespace vulkan

namespace {

vulkan::Encoder& encoder_of(const Primitive& p) {
  return vulkan::encoder(p.stream().index);
}

} // namespace

void Take::eval_gpu(const std::vector<array>& inputs, array& out) {
  const array& a = inputs[0];
  const array& indices = inputs[1];
  // out = [a's dims before axis] x [indices' dims] x [a's dims after].
  vulkan::Loop loop;
  for (int d = 0; d < axis_; ++d) {
    loop.push(a.shape(d), {a.strides()[d], 0, 0});
  }
  for (size_t d = 0; d < indices.ndim(); ++d) {
    loop.push(indices.shape(d), {0, indices.strides()[d], 0});
  }
  for (int d = axis_ + 1; d < int(a.ndim()); ++d) {
    loop.push(a.shape(d), {a.strides()[d], 0, 0});
  }
  vulkan::gather(encoder_of(*this), a, indices, out, axis_, loop, "take");
}

void TakeAlongAxis::eval_gpu(const std::vector<array>& inputs, array& out) {
  const array& a = inputs[0];
  const array& indices = inputs[1];
  // `a` contributes its off-axis offset, the index the position on the axis.
  vulkan::Loop loop;
  for (int d = 0; d < int(out.ndim()); ++d) {
    int64_t as = d == axis_ ? 0 : a.strides()[d];
    loop.push(out.shape(d), {as, indices.strides()[d], 0});
  }
  vulkan::gather(
      encoder_of(*this), a, indices, out, axis_, loop, "take_along_axis");
}

void ScatterAddAxis::eval_gpu(const std::vector<array>& inputs, array& out) {
  const array& a = inputs[0];
  const array& indices = inputs[1];
  const array& values = inputs[2];
  const char* op = "scatter_add_axis";
  vulkan::check_dtype(name(), out.dtype());
  if (out.dtype().size() == 8) { // int64, uint64, float64, complex64
    std::ostringstream msg;
    msg << "[" << name() << "] " << out.dtype()
        << " is not supported on the Vulkan backend (additions of 8-byte "
           "elements would need 64-bit atomics)";
    throw std::runtime_error(msg.str());
  }
  int64_t n = a.shape(axis_);
  vulkan::check_indices(indices, n, axis_, op);
  auto& enc = encoder_of(*this);
  // Checks on the loop before anything is recorded.
  // Off the axis, dims where `a` has size 1 are broadcast: every update
  // there adds into the same element.
  Strides out_strides = row_major_strides(a.shape());
  vulkan::Loop loop;
  for (int d = 0; d < int(indices.ndim()); ++d) {
    int64_t os = (d == axis_ || a.shape(d) == 1) ? 0 : out_strides[d];
    loop.push(
        indices.shape(d), {values.strides()[d], indices.strides()[d], os});
  }
  vulkan::check_reach(name(), loop, std::abs(out_strides[axis_]) * n, 2);
  vulkan::copy_or_donate(enc, a, out, name());
  if (indices.size() == 0 || out.size() == 0) {
    return;
  }
  vulkan::ArrayBinding src = vulkan::bind_input(enc, values);
  vulkan::ArrayBinding idx = vulkan::bind_input(enc, indices);
  vulkan::ArrayBinding dst = vulkan::bind_inout(out);
  vulkan::record(
      enc,
      vulkan::kScatterAdd,
      out.dtype(),
      indices.dtype(),
      src.binding,
      src.first,
      idx.binding,
      idx.first,
      dst.binding,
      dst.first,
      loop,
      uint32_t(n),
      out.strides()[axis_]);
}

void PutAlongAxis::eval_gpu(const std::vector<array>& inputs, array& out) {
  const array& a = inputs[0];
  const array& indices = inputs[1];
  const char* op = "put_along_axis";
  int64_t n = a.shape(axis_);
  vulkan::check_dtype(name(), out.dtype());
  vulkan::check_indices(indices, n, axis_, op);
  // The update shape with the axis last (never merged: the shader finds
  // an update's later duplicates along it). Off the axis, dims where `a`
  // has size 1 are broadcast: updates of different rows may then collide,
  // and one invocation applies them all in order.
  auto& enc = encoder_of(*this);
  array values = vulkan::converted(enc, inputs[2], out.dtype(), name());
  Strides out_strides = row_major_strides(a.shape());
  vulkan::Loop loop;
  bool serial = false;
  for (int d = 0; d < int(indices.ndim()); ++d) {
    if (d == axis_) {
      continue;
    }
    bool broadcast = a.shape(d) == 1;
    serial |= broadcast && indices.shape(d) > 1;
    int64_t os = broadcast ? 0 : out_strides[d];
    loop.push(
        indices.shape(d), {values.strides()[d], indices.strides()[d], os});
  }
  int64_t count = indices.shape(axis_);
  loop.push(
      count, {values.strides()[axis_], indices.strides()[axis_], 0}, false);
  vulkan::check_reach(name(), loop, std::abs(out_strides[axis_]) * n, 2);
  vulkan::copy_or_donate(enc, a, out, name());
  if (indices.size() == 0 || out.size() == 0) {
    return;
  }
  vulkan::ArrayBinding src = vulkan::bind_input(enc, values);
  vulkan::ArrayBinding idx = vulkan::bind_input(enc, indices);
  vulkan::ArrayBinding dst = vulkan::bind_inout(out);
  vulkan::record(
      enc,
      vulkan::kPut,
      out.dtype(),
      indices.dtype(),
      src.binding,
      src.first,
      idx.binding,
      idx.first,
      dst.binding,
      dst.first,
      loop,
      uint32_t(n),
      out.strides()[axis_],
      uint32_t(count),
      indices.strides()[axis_],
      serial);
}

void Scatter::eval_gpu(const std::vector<array>& inputs, array& out) {
  const array& a = inputs[0];
  const array& indices = inputs[1];
  const array& updates = inputs[2];
  const char* op = op_name();
  vulkan::check_dtype(name(), out.dtype());
  if (reduce_ != None && out.dtype().size() == 8) {
    std::ostringstream msg;
    msg << "[" << op << "] " << out.dtype()
        << " is not supported on the Vulkan backend (combining 8-byte "
           "elements would need 64-bit atomics)";
    throw std::runtime_error(msg.str());
  }
  int64_t n = int64_t(a.size());
  vulkan::check_indices(indices, n, 0, op);
  // All 1-D. None: the last of duplicates must win, as the CPU's serial
  // loop: each update looks for a later one with its index (quadratic), or,
  // for many updates, one invocation applies them in order.
  constexpr int64_t kMaxQuadraticPut = 2048;
  int64_t count = int64_t(indices.size());
  vulkan::Loop loop;
  loop.push(count, {updates.strides()[0], indices.strides()[0], 0}, false);
  auto& enc = encoder_of(*this);
  vulkan::copy_or_donate(enc, a, out, name());
  if (count == 0 || out.size() == 0) {
    return;
  }
  vulkan::check_reach(name(), loop, std::abs(out.strides()[0]) * n, 2);
  vulkan::ArrayBinding src = vulkan::bind_input(enc, updates);
  vulkan::ArrayBinding idx = vulkan::bind_input(enc, indices);
  vulkan::ArrayBinding dst = vulkan::bind_inout(out);
  vulkan::record(
      enc,
      reduce_ == None ? vulkan::kPut : vulkan::kScatterAdd,
      out.dtype(),
      indices.dtype(),
      src.binding,
      src.first,
      idx.binding,
      idx.first,
      dst.binding,
      dst.first,
      loop,
      uint32_t(n),
      out.strides()[0],
      uint32_t(count),
      indices.strides()[0],
      reduce_ == None && count > kMaxQuadraticPut,
      reduce_ == None ? uint32_t(Sum) : uint32_t(reduce_));
}

void SliceUpdate::eval_gpu(const std::vector<array>& inputs, array& out) {
  const array& src = inputs[0];
  const array& update = inputs[1];
  auto& enc = encoder_of(*this);
  vulkan::check_dtype(name(), out.dtype());
  vulkan::copy_or_donate(enc, src, out, name());
  if (update.size() == 0) {
    return;
  }
  int64_t offset = 0;
  Strides dst_strides(out.ndim());
  for (size_t i = 0; i < out.ndim(); ++i) {
    offset += int64_t(start_[i]) * out.strides()[i];
    dst_strides[i] = out.strides()[i] * strides_[i];
  }
  vulkan::copy_into(enc, update, out, offset, dst_strides, name());
}

} // namespace mlx::core
