#include "mlx/backend/vulkan/copy.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "mlx/backend/vulkan/allocator.h"
#include "mlx/backend/vulkan/device.h"
#include "mlx/backend/vulkan/pipeline.h"
#include "mlx/backend/vulkan/utils.h"

namespace mlx::core::vulkan {

namespace {

// The push constants of shaders/copy.glsl (80 bytes).
constexpr uint32_t kMaxPushDims = 8;
struct CopyParams {
  uint32_t n, in_offset, ndim, unused;
  uint32_t shape[kMaxPushDims];
  int32_t strides[kMaxPushDims];
};
static_assert(sizeof(CopyParams) <= kPushConstantBytes);

// copy.glsl's MODE specialization constant.
enum Mode : uint32_t { kStrided = 0, kContiguous = 1, kStridedMeta = 2 };

// Invocations per workgroup (local_size_x of copy.glsl) and the most
// workgroups in x every device allows (maxComputeWorkGroupCount minimum).
constexpr uint32_t kGroupSize = 256;
constexpr uint32_t kMaxGroupsX = 65535;

// Drops size-1 dims and merges dims that are contiguous with each other, so
// most views take few dims (a transposed matrix stays 2-d; a slice of rows
// becomes 1-d).
void collapse(
    const array& in,
    std::vector<int64_t>& shape,
    std::vector<int64_t>& strides) {
  for (size_t d = 0; d < in.ndim(); ++d) {
    int64_t s = in.shape()[d];
    if (s == 1) {
      continue;
    }
    int64_t st = in.strides()[d];
    if (!shape.empty() && strides.back() == st * s) {
      shape.back() *= s;
      strides.back() = st;
    } else {
      shape.push_back(s);
      strides.push_back(st);
    }
  }
}

} // namespace

void copy_to_row_contiguous(
    Encoder& enc, const array& in, array& out, const char* name) {
  check_int64(name);
  bool f64 = in.dtype() == float64 || out.dtype() == float64;
  if (f64) {
    check_float64(name);
  }
  size_t n = in.size();
  if (n > std::numeric_limits<uint32_t>::max()) {
    std::ostringstream msg;
    msg << "[" << name << "] " << n << " elements: the Vulkan copy handles "
        << "at most 2^32 - 1";
    throw std::invalid_argument(msg.str());
  }
  if (n == 0) {
    out.set_data(allocator().malloc(0));
    return;
  }
  std::vector<int64_t> shape, strides;
  collapse(in, shape, strides);
  for (size_t d = 0; d < shape.size(); ++d) {
    if (std::abs(strides[d]) > std::numeric_limits<int32_t>::max() ||
        std::abs(strides[d] * (shape[d] - 1)) >
            std::numeric_limits<int32_t>::max()) {
      std::ostringstream msg;
      msg << "[" << name << "] a stride reach beyond 2^31 elements is not "
          << "supported by the Vulkan copy";
      throw std::invalid_argument(msg.str());
    }
  }
  Mode mode = kStrided;
  if (shape.empty() || (shape.size() == 1 && strides[0] == 1)) {
    mode = kContiguous;
  } else if (shape.size() > kMaxPushDims) {
    mode = kStridedMeta;
  }

  // Every check done: now bind (may upload) and record.
  ArrayBinding src = bind_input(enc, in);
  CopyParams p{};
  p.n = uint32_t(n);
  p.in_offset = src.first;
  p.ndim = uint32_t(shape.size());
  // Binding 2 (the metadata) is declared by the shader whatever the mode:
  // something valid is bound there (the input again) when it is unused.
  std::vector<Binding> bindings{src.binding, {}, src.binding};
  if (mode == kStrided) {
    for (size_t d = 0; d < shape.size(); ++d) {
      p.shape[d] = uint32_t(shape[d]);
      p.strides[d] = int32_t(strides[d]);
    }
  } else if (mode == kStridedMeta) {
    std::vector<int32_t> meta;
    for (auto s : shape) {
      meta.push_back(int32_t(s));
    }
    for (auto s : strides) {
      meta.push_back(int32_t(s));
    }
    size_t bytes = meta.size() * sizeof(int32_t);
    bindings[2] = {enc.upload(meta.data(), bytes), 0, bytes, Access::read};
  }
  bindings[1] = bind_output(out);

  size_t out_size = out.itemsize();
  size_t per_word = out_size < 4 ? 4 / out_size : 1;
  size_t threads = (n + per_word - 1) / per_word;
  size_t groups = (threads + kGroupSize - 1) / kGroupSize;
  uint32_t gx = uint32_t(std::min<size_t>(groups, kMaxGroupsX));
  uint32_t gy = uint32_t((groups + gx - 1) / gx);
  auto pipe = pipeline(
      f64 ? "copy_f64" : "copy",
      {uint32_t(Dtype::Val(in.dtype())),
       uint32_t(Dtype::Val(out.dtype())),
       uint32_t(mode)});
  enc.dispatch(pipe, bindings, &p, sizeof(p), gx, gy);
}

} // namespace mlx::core::vulkan
