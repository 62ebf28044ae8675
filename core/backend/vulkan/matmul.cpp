// Matmul and AddMM on Vulkan (shaders/matmul.comp). Operands whose last two
// dims are a row- or column-major matrix (any leading dimension, batch dims
// with any strides, broadcast included) are read in place; others are
// copied to row-contiguous first. float16/bfloat16 accumulate in float32 and
// are rounded once by the copy kernel, as the CPU backend does.
#include "mlx/backend/vulkan/matmul.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

#include "mlx/backend/vulkan/allocator.h"
#include "mlx/backend/vulkan/copy.h"
#include "mlx/backend/vulkan/device.h"
#include "mlx/backend/vulkan/pipeline.h"
#include "mlx/backend/vulkan/utils.h"
#include "mlx/primitives/matmul.h"

namespace mlx::core::vulkan {

namespace {

// The push constants of shaders/matmul.comp.
struct GemmParams {
  uint32_t m, n, k, batch;
  int32_t lda, ldb, ldo;
  int32_t c_row, c_col;
  float alpha, beta;
};
static_assert(sizeof(GemmParams) <= kPushConstantBytes);

// A tile shape: BM x BN outputs per workgroup, BK deep, TM x TN per
// invocation ((BM / TM) * (BN / TN) invocations).
struct Tile {
  uint32_t bm, bn, bk, tm, tn;
  // shaders/matmul.glsl's LAYOUT bits (lanes 4 x 8, loads along M / N).
  uint32_t layout = 0;
  uint32_t threads() const { return (bm / tm) * (bn / tn); }
};
constexpr uint32_t kLanes4x8 = 1, kLoadAlongMN = 2;

// 64 x 128 with 8 x 8 per invocation (128 invocations, 24 KiB of shared
// memory double-buffered) for large products: the best of the tiles
// measured on an H100 (benchmarks/RESULTS.md); 64 x 64 keeps more
// workgroups in flight for mid-sized ones; 32 x 32 suits CPU devices
// (lavapipe) and small products.
constexpr Tile kLarge{64, 128, 16, 8, 8};
constexpr Tile kMedium{64, 64, 16, 4, 4};
constexpr Tile kSmall{32, 32, 16, 4, 4};

// Workgroups that keep a large GPU busy (choose_tile).
constexpr int64_t kBusyGroups = 256;

// The most workgroups in y and z every device allows.
constexpr int64_t kMaxGroups = 65535;

uint32_t ceil_div(int64_t a, int64_t b) {
  return uint32_t((a + b - 1) / b);
}

// The shader of a tile's register block: TM and TN are compile-time
// constants of shaders/matmul*.comp.
const char* shader_of(const Tile& t) {
  if (t.tm == 8) {
    return t.tn == 16 ? "matmul_8x16" : t.tn == 8 ? "matmul_8x8" : "matmul_8x4";
  }
  return "matmul";
}

// A tile from MLX_VULKAN_MATMUL_TILE=bm,bn,bk,tm,tn[,layout] (tuning): a
// compiled register block, and shared-memory tiles the invocations load in
// whole vec4s.
void check_custom_tile(const Tile& t, const char* text) {
  bool block = t.tm == 4 ? t.tn == 4
                         : t.tm == 8 && (t.tn == 4 || t.tn == 8 || t.tn == 16);
  bool ok = block && t.bm % t.tm == 0 && t.bn % t.tn == 0 && t.bk % 4 == 0 &&
            t.bm * t.bk / 4 % t.threads() == 0 &&
            t.bn * t.bk / 4 % t.threads() == 0 && t.layout < 4;
  // 4 x 8 lanes tile the grid of register blocks in whole groups of 32.
  uint32_t wm = t.bm / std::max(t.tm, 1u), wn = t.bn / std::max(t.tn, 1u);
  if ((t.layout & kLanes4x8) && (wm % 4 != 0 || wn % 8 != 0)) {
    ok = false;
  }
  if (!ok) {
    std::ostringstream msg;
    msg << "[matmul] MLX_VULKAN_MATMUL_TILE=" << text << ": not a tile the "
        << "kernel takes (tm x tn 4 x 4, 8 x 4, 8 x 8 or 8 x 16; bm, bn "
           "multiples of tm, tn; bm bk / 4 and bn bk / 4 multiples of the "
           "invocations; layout bits 0-3, lanes 4 x 8 only where bm / tm is "
           "a multiple of 4 and bn / tn of 8)";
    throw std::invalid_argument(msg.str());
  }
}

// MLX_VULKAN_MATMUL_TILE=large|medium|small forces a tile (tests run each
// on lavapipe); otherwise by device and size.
Tile choose_tile(const Gemm& g) {
  if (const char* env = std::getenv("MLX_VULKAN_MATMUL_TILE")) {
    std::string t = env;
    if (t == "large") {
      return kLarge;
    }
    if (t == "medium") {
      return kMedium;
    }
    if (t == "small") {
      return kSmall;
    }
    Tile custom{};
    if (std::sscanf(
            env,
            "%u,%u,%u,%u,%u,%u",
            &custom.bm,
            &custom.bn,
            &custom.bk,
            &custom.tm,
            &custom.tn,
            &custom.layout) >= 5) {
      check_custom_tile(custom, env);
      return custom;
    }
  }
  if (device().is_cpu()) {
    return kSmall;
  }
  // On a GPU the largest tile that still gives every compute unit work:
  // a product with fewer workgroups than units leaves most of the GPU idle
  // (kBusyGroups: about two per SM of an H100).
  int64_t batch = int64_t(g.out_offsets.size());
  for (const Tile& t : {kLarge, kMedium}) {
    if (int64_t(ceil_div(g.m, t.bm)) * ceil_div(g.n, t.bn) * batch >=
        kBusyGroups) {
      return t;
    }
  }
  return kSmall;
}

[[noreturn]] void too_large(const char* name, const char* what) {
  std::ostringstream msg;
  msg << "[" << name << "] " << what << " beyond the 32-bit indexing of the "
      << "Vulkan matmul kernel";
  throw std::invalid_argument(msg.str());
}

// Offsets and strides become int32 in the shader: every element of a
// binding must be addressable.
void check_binding(const Binding& b, size_t item, const char* name) {
  if (b.size / item > size_t(std::numeric_limits<int32_t>::max())) {
    too_large(name, "an operand of 2^31 elements or more is");
  }
}

bool aligned4(const GemmOperand& op, int64_t ld) {
  if (op.binding.offset % 16 != 0 || ld % 4 != 0) {
    return false;
  }
  return std::all_of(op.offsets.begin(), op.offsets.end(), [](int64_t o) {
    return o % 4 == 0;
  });
}

// One dispatch of matmul.comp; c_f32: C holds float32 words (out itself).
void record_gemm(Encoder& enc, const Gemm& g, const char* name, bool c_f32) {
  int64_t batch = int64_t(g.out_offsets.size());
  int64_t limit = std::numeric_limits<int32_t>::max();
  if (g.m > limit || g.n > limit || g.k > limit || batch > limit) {
    too_large(name, "a size");
  }
  for (int64_t ld : {g.a.ld, g.b.ld, g.ldo, g.c_row, g.c_col}) {
    if (std::abs(ld) > limit) {
      too_large(name, "a stride");
    }
  }
  size_t item = size_of(g.dtype);
  check_binding(g.a.binding, item, name);
  check_binding(g.b.binding, item, name);
  check_binding(g.out, 4, name);
  if (g.has_c) {
    check_binding(g.c.binding, item, name);
  }
  Tile t = choose_tile(g);
  if (ceil_div(g.m, t.bm) > kMaxGroups) {
    too_large(name, "more rows than the dispatch allows is");
  }
  if (batch == 0 || g.m == 0 || g.n == 0) {
    return;
  }

  std::vector<uint32_t> meta(4 * batch);
  for (int64_t i = 0; i < batch; ++i) {
    meta[4 * i] = uint32_t(g.a.offsets[i]);
    meta[4 * i + 1] = uint32_t(g.b.offsets[i]);
    meta[4 * i + 2] = g.has_c ? uint32_t(g.c.offsets[i]) : 0u;
    meta[4 * i + 3] = uint32_t(g.out_offsets[i]);
  }
  bool f32 = g.dtype == float32;
  bool vec_a = f32 && aligned4(g.a, g.a.ld);
  bool vec_b = f32 && aligned4(g.b, g.b.ld);
  GemmOperand out_op{g.out, true, g.ldo, g.out_offsets};
  bool vec_out = aligned4(out_op, g.ldo);

  GemmParams p{
      uint32_t(g.m),
      uint32_t(g.n),
      uint32_t(g.k),
      uint32_t(batch),
      int32_t(g.a.ld),
      int32_t(g.b.ld),
      int32_t(g.ldo),
      int32_t(g.c_row),
      int32_t(g.c_col),
      g.alpha,
      g.beta};
  size_t meta_bytes = meta.size() * sizeof(uint32_t);
  std::vector<Binding> bindings{
      g.a.binding,
      g.b.binding,
      g.has_c ? g.c.binding : g.a.binding, // declared either way
      g.out,
      {enc.upload(meta.data(), meta_bytes), 0, meta_bytes, Access::read}};
  auto pipe = pipeline(
      shader_of(t),
      {t.threads(),
       t.bm,
       t.bn,
       t.bk,
       t.tm,
       t.tn,
       uint32_t(Dtype::Val(g.dtype)),
       uint32_t(g.a.row_major),
       uint32_t(g.b.row_major),
       uint32_t(vec_a),
       uint32_t(vec_b),
       uint32_t(vec_out),
       uint32_t(g.has_c),
       uint32_t(c_f32),
       t.layout});
  enc.dispatch(
      pipe,
      bindings,
      &p,
      sizeof(p),
      ceil_div(g.n, t.bn),
      ceil_div(g.m, t.bm),
      uint32_t(std::min(batch, kMaxGroups)));
}

// Lavapipe (llvmpipe) ends a shader's loops after 65,535 iterations in all,
// silently: on CPU-type devices a deep product runs as slices of at most
// kCpuDeviceDepth, each adding into out (the first applies beta * C).
constexpr int64_t kCpuDeviceDepth = 8192;

} // namespace

void gemm(Encoder& enc, const Gemm& g, const char* name) {
  if (!device().is_cpu() || g.k <= kCpuDeviceDepth) {
    record_gemm(enc, g, name, false);
    return;
  }
  for (int64_t k0 = 0; k0 < g.k; k0 += kCpuDeviceDepth) {
    Gemm slice = g;
    slice.k = std::min(kCpuDeviceDepth, g.k - k0);
    // A's column k0 and B's row k0 (the depth dim of each).
    int64_t a_step = g.a.row_major ? k0 : k0 * g.a.ld;
    int64_t b_step = g.b.row_major ? k0 * g.b.ld : k0;
    for (auto& o : slice.a.offsets) {
      o += a_step;
    }
    for (auto& o : slice.b.offsets) {
      o += b_step;
    }
    bool first = k0 == 0;
    if (!first) {
      slice.has_c = true;
      slice.c = {g.out, true, g.ldo, g.out_offsets};
      slice.c.binding.access = Access::read;
      slice.c_row = g.ldo;
      slice.c_col = 1;
      slice.beta = 1.0f;
    }
    record_gemm(enc, slice, name, !first);
  }
}
} // namespace mlx::core::vulkan

namespace mlx::core {

namespace {

using vulkan::Binding;
using vulkan::GemmOperand;

// Element offsets (relative to the view's first element) of every matrix of
// a batch, in row-major order of the batch dims.
std::vector<int64_t>
batch_offsets(const Shape& batch_shape, const Strides& strides, int64_t first) {
  int64_t count = 1;
  for (auto s : batch_shape) {
    count *= s;
  }
  std::vector<int64_t> out(count);
  std::vector<int> index(batch_shape.size(), 0);
  int64_t loc = 0;
  for (int64_t i = 0; i < count; ++i) {
    out[i] = first + loc;
    for (int d = int(batch_shape.size()) - 1; d >= 0; --d) {
      loc += strides[d];
      if (++index[d] < batch_shape[d]) {
        break;
      }
      loc -= strides[d] * batch_shape[d];
      index[d] = 0;
    }
  }
  return out;
}

// The in-place reading of a rows x cols matrix with strides (sr, sc), as
// the CPU backend's blas_layout: row-major (unit column stride) or
// column-major (unit row stride), with a non-negative leading dimension.
bool matrix_layout(
    int64_t rows, int64_t cols, int64_t sr, int64_t sc, GemmOperand& op) {
  if ((sc == 1 || cols == 1) && (rows == 1 || sr >= 0)) {
    op.row_major = true;
    op.ld = rows == 1 ? 0 : sr;
    return true;
  }
  if ((sr == 1 || rows == 1) && (cols == 1 || sc >= 0)) {
    op.row_major = false;
    op.ld = cols == 1 ? 0 : sc;
    return true;
  }
  return false;
}

// Binds a (..., rows, cols) operand, copying it to row-contiguous when it is
// no matrix the kernel reads in place. Copies go to `keep`.
GemmOperand bind_operand(
    vulkan::Encoder& enc,
    const array& in,
    const Shape& batch_shape,
    std::vector<array>& keep,
    const char* name) {
  int nd = int(in.ndim());
  GemmOperand op;
  array src = in;
  if (!matrix_layout(
          in.shape(nd - 2),
          in.shape(nd - 1),
          in.strides()[nd - 2],
          in.strides()[nd - 1],
          op)) {
    src = array(in.shape(), in.dtype(), nullptr, {});
    vulkan::copy_to_row_contiguous(enc, in, src, name);
    src.set_status(array::Status::available);
    keep.push_back(src);
    op.row_major = true;
    op.ld = in.shape(nd - 1);
  }
  auto bound = vulkan::bind_input(enc, src);
  op.binding = bound.binding;
  Strides batch_strides(src.strides().begin(), src.strides().end() - 2);
  op.offsets = batch_offsets(batch_shape, batch_strides, bound.first);
  return op;
}

void check_dtype(Dtype dtype, const char* name) {
  if (dtype != float32 && dtype != float16 && dtype != bfloat16) {
    std::ostringstream msg;
    msg << "[" << name << "] dtype " << dtype << " is not supported on the "
        << "Vulkan backend (float32, float16 and bfloat16 are)";
    throw std::invalid_argument(msg.str());
  }
}

// out = alpha * a @ b + beta * c (c null: beta = 0).
void matmul_gpu(
    const Primitive& prim,
    const array& a,
    const array& b,
    const array* c,
    float alpha,
    float beta,
    array& out) {
  const char* name = prim.name();
  check_dtype(out.dtype(), name);
  if (out.size() == 0) {
    out.set_data(vulkan::allocator().malloc(0));
    return;
  }
  auto& enc = vulkan::encoder(prim.stream().index);
  int nd = int(out.ndim());
  Shape batch_shape(out.shape().begin(), out.shape().end() - 2);
  vulkan::Gemm g;
  g.m = out.shape(nd - 2);
  g.n = out.shape(nd - 1);
  g.k = a.shape(nd - 1);
  g.dtype = out.dtype();
  g.alpha = alpha;
  g.beta = beta;
  int64_t batch = int64_t(out.size()) / (g.m * g.n);
  std::vector<array> keep;
  if (g.k > 0) {
    g.a = bind_operand(enc, a, batch_shape, keep, name);
    g.b = bind_operand(enc, b, batch_shape, keep, name);
  } else {
    // Nothing is read: any valid buffer stands in.
    Binding dummy{enc.temporary(16), 0, 16, vulkan::Access::read};
    g.a = {dummy, true, 0, std::vector<int64_t>(batch, 0)};
    g.b = g.a;
  }
  if (c != nullptr && beta != 0.0f) {
    // c is broadcast to out's shape: any strides (0 where broadcast).
    auto bound = vulkan::bind_input(enc, *c);
    g.has_c = true;
    g.c.binding = bound.binding;
    Strides batch_strides(c->strides().begin(), c->strides().end() - 2);
    g.c.offsets = batch_offsets(batch_shape, batch_strides, bound.first);
    g.c_row = c->strides()[nd - 2];
    g.c_col = c->strides()[nd - 1];
  }
  // float32 results go straight to out; half types through a float32
  // buffer rounded by the copy kernel.
  bool f32 = out.dtype() == float32;
  array acc = f32 ? out : array(out.shape(), float32, nullptr, {});
  g.out = vulkan::bind_output(acc);
  g.ldo = g.n;
  g.out_offsets.resize(batch);
  for (int64_t i = 0; i < batch; ++i) {
    g.out_offsets[i] = i * g.m * g.n;
  }
  vulkan::gemm(enc, g, name);
  if (!f32) {
    acc.set_status(array::Status::available);
    vulkan::copy_to_row_contiguous(enc, acc, out, name);
    keep.push_back(acc);
  }
  if (!keep.empty()) {
    enc.add_completed_handler([keep = std::move(keep)](std::exception_ptr) {});
  }
}

} // namespace

void Matmul::eval_gpu(const std::vector<array>& inputs, array& out) {
  matmul_gpu(*this, inputs[0], inputs[1], nullptr, 1.0f, 0.0f, out);
}

void AddMM::eval_gpu(const std::vector<array>& inputs, array& out) {
  matmul_gpu(*this, inputs[1], inputs[2], &inputs[0], alpha_, beta_, out);
}

} // namespace mlx::core
