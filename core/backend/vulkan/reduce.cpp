// Reduce and ArgReduce on Vulkan (shaders/reduce.glsl). The input is viewed
// as [kept dims] x [reduced dims], each group collapsed; a plan picks one
// workgroup per output (long contiguous rows) or one invocation per output
// (short rows, or column reductions where neighbouring outputs are
// neighbours in memory), and splits long reductions into chunks whose
// partial results a second dispatch reduces.
#include <algorithm>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "mlx/backend/vulkan/allocator.h"
#include "mlx/backend/vulkan/device.h"
#include "mlx/backend/vulkan/pipeline.h"
#include "mlx/backend/vulkan/utils.h"
#include "mlx/primitives/reduce.h"

namespace mlx::core {

namespace {

using vulkan::Access;
using vulkan::Binding;
using vulkan::Encoder;

// The push constants of shaders/reduce.glsl (96 bytes).
constexpr uint32_t kMaxPushDims = 4;
struct ReduceParams {
  uint32_t n_out, n_red, split, chunk, in_offset, kept_ndim, red_ndim, unused;
  uint32_t kept_shape[kMaxPushDims];
  int32_t kept_strides[kMaxPushDims];
  uint32_t red_shape[kMaxPushDims];
  int32_t red_strides[kMaxPushDims];
};
static_assert(sizeof(ReduceParams) <= vulkan::kPushConstantBytes);

// Invocations per workgroup (local_size_x of reduce.glsl) and the most
// workgroups in x every device allows (maxComputeWorkGroupCount minimum).
constexpr size_t kGroupSize = 256;
constexpr size_t kMaxGroupsX = 65535;

// Rows at most this long get one invocation each instead of a workgroup: a
// workgroup would leave most of its invocations idle.
constexpr size_t kShortRow = 64;
// Splitting targets: enough workgroups (or invocations) to fill a large GPU
// (an H100 has 132 SMs of 2048 threads), each with enough work (reduced
// elements per invocation) to hide the partial results' extra pass.
constexpr size_t kTargetGroups = 1024;
constexpr size_t kTargetThreads = 1 << 18;
constexpr size_t kMinPerThread = 16;
// Reduced elements per invocation at most on CPU-type devices (see plan).
constexpr size_t kCpuDeviceLoop = 4096;

// Dims of one group (kept or reduced), size-1 dims dropped and dims
// contiguous with each other merged, row-major order kept.
struct Dims {
  std::vector<int64_t> shape, strides;
  size_t size() const {
    size_t n = 1;
    for (auto s : shape) {
      n *= size_t(s);
    }
    return n;
  }
  void push(int64_t s, int64_t st) {
    if (s == 1) {
      return;
    }
    if (!shape.empty() && strides.back() == st * s) {
      shape.back() *= s;
      strides.back() = st;
    } else {
      shape.push_back(s);
      strides.push_back(st);
    }
  }
};

[[noreturn]] void fail(const char* name, const std::string& what) {
  std::ostringstream msg;
  msg << "[" << name << "] " << what;
  throw std::invalid_argument(msg.str());
}

void check_dtypes(const char* name, Dtype in, Dtype out) {
  if (in == complex64 || out == complex64) {
    std::ostringstream msg;
    msg << "[" << name << "] complex64 is not supported on the Vulkan backend";
    throw std::runtime_error(msg.str());
  }
  vulkan::check_int64(name);
  if (in == float64 || out == float64) {
    vulkan::check_float64(name);
  }
}

// Every element offset must fit the shader's int32 arithmetic.
void check_reach(const char* name, const Dims& d) {
  int64_t reach = 0;
  for (size_t i = 0; i < d.shape.size(); ++i) {
    reach += std::abs(d.strides[i]) * (d.shape[i] - 1);
  }
  if (reach > std::numeric_limits<int32_t>::max()) {
    fail(
        name,
        "a stride reach beyond 2^31 elements is not supported by the "
        "Vulkan reduction");
  }
}

// The dtype partial results are kept in: the accumulator's.
Dtype partial_dtype(Dtype in) {
  if (in == float64) {
    return float64;
  }
  if (issubdtype(in, floating)) {
    return float32;
  }
  return in == uint64 ? uint64 : int64;
}

// Metadata and push constants for kept / reduced dims.
void fill_params(
    Encoder& enc,
    ReduceParams& p,
    const Dims& kept,
    const Dims& red,
    std::vector<Binding>& bindings,
    bool& meta) {
  p.kept_ndim = uint32_t(kept.shape.size());
  p.red_ndim = uint32_t(red.shape.size());
  meta = kept.shape.size() > kMaxPushDims || red.shape.size() > kMaxPushDims;
  if (!meta) {
    for (size_t d = 0; d < kept.shape.size(); ++d) {
      p.kept_shape[d] = uint32_t(kept.shape[d]);
      p.kept_strides[d] = int32_t(kept.strides[d]);
    }
    for (size_t d = 0; d < red.shape.size(); ++d) {
      p.red_shape[d] = uint32_t(red.shape[d]);
      p.red_strides[d] = int32_t(red.strides[d]);
    }
    return;
  }
  std::vector<int32_t> m;
  for (auto s : kept.shape) {
    m.push_back(int32_t(s));
  }
  for (auto s : kept.strides) {
    m.push_back(int32_t(s));
  }
  for (auto s : red.shape) {
    m.push_back(int32_t(s));
  }
  for (auto s : red.strides) {
    m.push_back(int32_t(s));
  }
  size_t bytes = m.size() * sizeof(int32_t);
  bindings[2] = {enc.upload(m.data(), bytes), 0, bytes, Access::read};
}

void dispatch_groups(
    Encoder& enc,
    const vulkan::Pipeline& pipe,
    const std::vector<Binding>& bindings,
    const ReduceParams& p,
    size_t groups) {
  uint32_t gx = uint32_t(std::min(groups, kMaxGroupsX));
  uint32_t gy = uint32_t((groups + gx - 1) / gx);
  enc.dispatch(pipe, bindings, &p, sizeof(p), gx, gy);
}

// Records out[o] = reduce(in[kept(o) + red(i)] for every i): `in` is a
// binding whose element `in_first` is the view's first element.
void record_reduce(
    Encoder& enc,
    const Binding& in,
    uint32_t in_first,
    Dtype in_dtype,
    const Binding& out,
    Dtype out_dtype,
    ReduceOp op,
    const Dims& kept,
    const Dims& red) {
  size_t n_out = kept.size(), n_red = red.size();
  bool kept_inner = !kept.shape.empty() && kept.strides.back() == 1;
  bool red_inner = !red.shape.empty() && red.strides.back() == 1;
  bool per_thread =
      n_red <= kShortRow || (kept_inner && !red_inner && n_out >= 32);
  size_t split = 1;
  if (per_thread) {
    split = std::min(
        (kTargetThreads + n_out - 1) / n_out,
        std::max<size_t>(1, n_red / (kMinPerThread * 4)));
  } else {
    split = std::min(
        (kTargetGroups + n_out - 1) / n_out,
        std::max<size_t>(1, n_red / (kGroupSize * kMinPerThread)));
  }
  split = std::max<size_t>(split, 1);
  if (vulkan::device().is_cpu()) {
    // Lavapipe ends a shader's loops after 65,535 iterations in all,
    // silently: bound each invocation's share of a chunk.
    size_t most = per_thread ? kCpuDeviceLoop : kCpuDeviceLoop * kGroupSize;
    split = std::max(split, (n_red + most - 1) / most);
  }
  size_t chunk = std::max<size_t>(1, (n_red + split - 1) / split);
  split = std::max<size_t>(1, (n_red + chunk - 1) / chunk);

  Dtype pass_dtype = split > 1 ? partial_dtype(in_dtype) : out_dtype;
  Binding pass_out = out;
  if (split > 1) {
    size_t bytes = (n_out * split * pass_dtype.size() + 3) / 4 * 4;
    pass_out = {enc.temporary(bytes), 0, bytes, Access::write};
  }
  ReduceParams p{};
  p.n_out = uint32_t(n_out);
  p.n_red = uint32_t(n_red);
  p.split = uint32_t(split);
  p.chunk = uint32_t(chunk);
  p.in_offset = in_first;
  std::vector<Binding> bindings{in, pass_out, in};
  bool meta;
  fill_params(enc, p, kept, red, bindings, meta);
  // Rows read four elements at a time: contiguous float32 rows whose
  // chunks all start at multiples of 4 elements.
  bool aligned = in_first % 4 == 0 && (split == 1 || chunk % 4 == 0);
  for (auto stride : kept.strides) {
    aligned = aligned && stride % 4 == 0;
  }
  bool vec4 = !per_thread && !meta && in_dtype == float32 &&
              red.shape.size() == 1 && red.strides[0] == 1 && aligned;
  bool f64 = in_dtype == float64 || pass_dtype == float64;
  const char* shader = f64 ? "reduce_f64"
                       : vulkan::device().features.subgroup_shuffle
                           ? "reduce_subgroup"
                           : "reduce";
  auto pipe = vulkan::pipeline(
      shader,
      {uint32_t(Dtype::Val(in_dtype)),
       uint32_t(Dtype::Val(pass_dtype)),
       uint32_t(op),
       per_thread ? 1u : 0u,
       meta ? 1u : 0u,
       vec4 ? 1u : 0u});
  size_t virt = n_out * split;
  dispatch_groups(
      enc,
      pipe,
      bindings,
      p,
      per_thread ? (virt + kGroupSize - 1) / kGroupSize : virt);
  if (split == 1) {
    return;
  }
  // The partials: [n_out, split] (workgroups) or [split, n_out]
  // (invocations); reduce the split axis.
  Dims kept2, red2;
  int64_t no = int64_t(n_out), sp = int64_t(split);
  kept2.push(no, per_thread ? 1 : sp);
  red2.push(sp, per_thread ? no : 1);
  pass_out.access = Access::read;
  record_reduce(enc, pass_out, 0, pass_dtype, out, out_dtype, op, kept2, red2);
}

void check_sizes(const char* name, size_t n_out, size_t n_red) {
  if (n_out * std::max<size_t>(n_red, 1) >
      std::numeric_limits<uint32_t>::max()) {
    fail(
        name,
        "more than 2^32 - 1 elements are not supported by the Vulkan "
        "reduction");
  }
}

Encoder& encoder_of(const Primitive& p) {
  return vulkan::encoder(p.stream().index);
}

} // namespace

void Reduce::eval_gpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  const char* nm = name();
  check_dtypes(nm, in.dtype(), out.dtype());
  Dims kept, red;
  for (int d = 0; d < int(in.ndim()); ++d) {
    bool reduced = std::find(axes_.begin(), axes_.end(), d) != axes_.end();
    (reduced ? red : kept).push(in.shape(d), in.strides()[d]);
  }
  size_t n_out = kept.size(), n_red = red.size();
  check_sizes(nm, n_out, n_red);
  check_reach(nm, kept);
  check_reach(nm, red);
  if (out.size() == 0) {
    out.set_data(vulkan::allocator().malloc(0));
    return;
  }
  auto& enc = encoder_of(*this);
  if (in.size() == 0) {
    // A reduced axis of size 0: every output is the identity (n_red is 0,
    // so the shader reads nothing; a dummy buffer stands in for `in`).
    Binding dummy{enc.temporary(8), 0, 8, Access::read};
    Binding o = vulkan::bind_output(out);
    record_reduce(enc, dummy, 0, in.dtype(), o, out.dtype(), op_, kept, red);
    return;
  }
  vulkan::ArrayBinding src = vulkan::bind_input(enc, in);
  Binding o = vulkan::bind_output(out);
  record_reduce(
      enc, src.binding, src.first, in.dtype(), o, out.dtype(), op_, kept, red);
}

void ArgReduce::eval_gpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  const char* nm = name();
  check_dtypes(nm, in.dtype(), in.dtype());
  Dims kept, red;
  for (int d = 0; d < int(in.ndim()); ++d) {
    if (d != axis_) {
      kept.push(in.shape(d), in.strides()[d]);
    }
  }
  // The reduced axis stays one dim (even of size 1): the shader reads its
  // stride.
  red.shape.push_back(in.shape(axis_));
  red.strides.push_back(in.strides()[axis_]);
  size_t n_out = kept.size(), n_red = size_t(in.shape(axis_));
  check_sizes(nm, n_out, n_red);
  check_reach(nm, kept);
  check_reach(nm, red);
  if (out.size() == 0 || in.size() == 0) {
    // No output, or rows of no elements (index 0, never read).
    auto& enc = encoder_of(*this);
    if (out.size() == 0) {
      out.set_data(vulkan::allocator().malloc(0));
    } else {
      Binding o = vulkan::bind_output(out);
      enc.fill(o.buffer, 0, o.size, 0);
    }
    return;
  }
  auto& enc = encoder_of(*this);
  vulkan::ArrayBinding src = vulkan::bind_input(enc, in);
  bool per_thread =
      n_red <= kShortRow || (!kept.shape.empty() && kept.strides.back() == 1 &&
                             red.strides[0] != 1 && n_out >= 32);
  ReduceParams p{};
  p.n_out = uint32_t(n_out);
  p.n_red = uint32_t(n_red);
  p.split = 1;
  p.chunk = uint32_t(n_red);
  p.in_offset = src.first;
  std::vector<Binding> bindings{src.binding, {}, src.binding};
  bool meta;
  fill_params(enc, p, kept, red, bindings, meta);
  bindings[1] = vulkan::bind_output(out);
  bool f64 = in.dtype() == float64;
  auto pipe = vulkan::pipeline(
      f64 ? "arg_reduce_f64" : "arg_reduce",
      {uint32_t(Dtype::Val(in.dtype())),
       uint32_t(Dtype::Val(out.dtype())),
       uint32_t(op_),
       per_thread ? 1u : 0u,
       meta ? 1u : 0u});
  dispatch_groups(
      enc,
      pipe,
      bindings,
      p,
      per_thread ? (n_out + kGroupSize - 1) / kGroupSize : n_out);
}

} // namespace mlx::core
