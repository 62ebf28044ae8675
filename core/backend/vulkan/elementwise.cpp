#include "mlx/backend/vulkan/elementwise.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

#include "mlx/backend/vulkan/allocator.h"
#include "mlx/backend/vulkan/device.h"
#include "mlx/backend/vulkan/pipeline.h"
#include "mlx/backend/vulkan/utils.h"

namespace mlx::core::vulkan {

namespace {

// The push constants of shaders/elementwise.glsl.
struct ElementwiseParams {
  uint32_t n, ndim;
  uint32_t first[kMaxElementwiseInputs];
  uint32_t steps; // fused.comp: steps of its program
  uint32_t bools; // fused.comp: bit k: input k is bool; bit 31: the output
};
static_assert(sizeof(ElementwiseParams) <= kPushConstantBytes);

// elementwise.glsl's read modes.
enum Mode : uint32_t { kContiguous = 0, kScalar = 1, kStrided = 2 };

// Invocations per workgroup (local_size_x of elementwise.glsl) and the most
// workgroups in x every device allows (maxComputeWorkGroupCount minimum).
constexpr uint32_t kGroupSize = 256;
constexpr uint32_t kMaxGroupsX = 65535;

// The constant_id of elementwise.glsl's WORDS_PER_INVOCATION.
constexpr size_t kWordsConstant = 7;

// Words per invocation of the generic kernels (4), and vec4s per invocation
// of the float32 fast path (shaders/vec4.glsl, 8), measured on an H100
// (benchmarks/RESULTS.md): add and exp over 256 MiB ran 10-17% faster with
// four words than with one, and 5-10% faster again with eight vec4s than
// with four. MLX_VULKAN_EW_WORDS=n and MLX_VULKAN_EW_VEC4S=n override them
// (tests, tuning).
uint32_t items_per_invocation(const char* env_name, int fallback) {
  if (const char* env = std::getenv(env_name)) {
    return uint32_t(std::clamp(std::atoi(env), 1, 16));
  }
  return uint32_t(fallback);
}

size_t round_up(size_t v, size_t to) {
  return (v + to - 1) / to * to;
}

Mode mode_of(const array& in, const array& out) {
  if (in.data_size() == 1) {
    return kScalar; // one stored element, maybe broadcast
  }
  if (in.flags().row_contiguous && in.size() == out.size() &&
      in.data_size() == in.size()) {
    return kContiguous;
  }
  return kStrided;
}

// Whether `in` may give its buffer to `out`: a whole row-contiguous Vulkan
// buffer of the output's dtype that nothing else refers to (as the CPU
// kernels donate; offset 0 so the two bindings coincide).
bool can_donate(const array& in, const array& out) {
  return in.dtype() == out.dtype() && in.size() == out.size() &&
         in.is_donatable(/*on_device=*/true) && is_vulkan_buffer(in.buffer()) &&
         in.offset() == 0;
}

// The float32 fast path of `shader` (shaders/vec4.glsl) where it applies,
// else nullptr: float32 operands, each contiguous or a scalar, a float32
// output, and whole, 16-byte aligned vec4s everywhere.
// MLX_VULKAN_EW_VEC4=0 turns it off (tuning, tests).
const char* vec4_variant(
    const char* shader,
    const std::vector<const array*>& inputs,
    const array& out,
    const std::vector<Mode>& modes,
    const std::vector<Binding>& bindings,
    const ElementwiseParams& p) {
  if (const char* env = std::getenv("MLX_VULKAN_EW_VEC4");
      env && std::string(env) == "0") {
    return nullptr;
  }
  std::string name = shader;
  const char* variant = name == "unary"    ? "unary_vec4"
                        : name == "binary" ? "binary_vec4"
                                           : nullptr;
  if (!variant || out.dtype() != float32 || p.n % 4 != 0) {
    return nullptr;
  }
  for (size_t k = 0; k < inputs.size(); ++k) {
    if (inputs[k]->dtype() != float32 || modes[k] == kStrided) {
      return nullptr;
    }
    if (modes[k] == kContiguous &&
        (p.first[k] % 4 != 0 || bindings[k].offset % 16 != 0)) {
      return nullptr;
    }
  }
  return variant;
}

} // namespace

void check_float64_op(const char* name, bool exact_in_double) {
  check_float64(name);
  if (!exact_in_double) {
    std::ostringstream msg;
    msg << "[" << name << "] float64 is not supported on the Vulkan "
        << "backend (no double-precision " << name << " in shaders)";
    throw std::invalid_argument(msg.str());
  }
}

void complex_unsupported(const char* name) {
  std::ostringstream msg;
  msg << "[" << name << "] complex64 is not supported on the Vulkan backend";
  throw std::invalid_argument(msg.str());
}

void record_elementwise(
    Encoder& enc,
    const char* shader,
    std::vector<uint32_t> constants,
    const std::vector<const array*>& inputs,
    array& out,
    const char* name,
    const std::vector<int>& donors,
    const std::vector<int32_t>& program) {
  check_int64(name); // the shaders compute integers in 64 bits
  if (inputs.size() > kMaxElementwiseInputs) {
    std::ostringstream msg;
    msg << "[" << name << "] " << inputs.size() << " inputs: the Vulkan "
        << "element-wise kernels read at most " << kMaxElementwiseInputs;
    throw std::invalid_argument(msg.str());
  }
  size_t n = out.size();
  if (n > std::numeric_limits<uint32_t>::max()) {
    std::ostringstream msg;
    msg << "[" << name << "] " << n << " elements: the Vulkan element-wise "
        << "kernels handle at most 2^32 - 1";
    throw std::invalid_argument(msg.str());
  }
  if (n == 0) {
    out.set_data(allocator().malloc(0));
    return;
  }
  size_t ni = inputs.size();
  std::vector<Mode> modes;
  for (auto* in : inputs) {
    modes.push_back(mode_of(*in, out));
  }

  // The output shape with every strided input's strides (broadcast: right
  // aligned, 0 on size-1 and new axes), size-1 dims dropped and dims merged
  // where every strided input steps through them contiguously.
  std::vector<int64_t> shape;
  std::vector<std::vector<int64_t>> strides(ni);
  for (size_t d = 0; d < out.ndim(); ++d) {
    int64_t s = out.shape(d);
    if (s == 1) {
      continue;
    }
    std::vector<int64_t> st(ni, 0);
    for (size_t k = 0; k < ni; ++k) {
      auto& in = *inputs[k];
      int64_t lead = int64_t(out.ndim()) - int64_t(in.ndim());
      int64_t di = int64_t(d) - lead;
      if (modes[k] == kStrided && di >= 0 && in.shape(di) != 1) {
        st[k] = in.strides()[di];
      }
    }
    bool merge = !shape.empty();
    for (size_t k = 0; k < ni && merge; ++k) {
      merge = strides[k].back() == st[k] * s;
    }
    if (merge) {
      shape.back() *= s;
      for (size_t k = 0; k < ni; ++k) {
        strides[k].back() = st[k];
      }
    } else {
      shape.push_back(s);
      for (size_t k = 0; k < ni; ++k) {
        strides[k].push_back(st[k]);
      }
    }
  }
  constexpr int64_t kMaxI32 = std::numeric_limits<int32_t>::max();
  for (size_t k = 0; k < ni; ++k) {
    for (size_t d = 0; d < shape.size(); ++d) {
      if (std::abs(strides[k][d]) * (shape[d] - 1) > kMaxI32 ||
          std::abs(strides[k][d]) > kMaxI32) {
        std::ostringstream msg;
        msg << "[" << name << "] a stride reach beyond 2^31 elements is not "
            << "supported by the Vulkan element-wise kernels";
        throw std::invalid_argument(msg.str());
      }
    }
  }
  bool any_strided =
      std::find(modes.begin(), modes.end(), kStrided) != modes.end();

  // Every check done: now bind (may upload) and record.
  ElementwiseParams p{};
  p.n = uint32_t(n);
  p.ndim = uint32_t(shape.size());
  std::vector<Binding> bindings;
  for (size_t k = 0; k < ni; ++k) {
    ArrayBinding b = bind_input(enc, *inputs[k]);
    bindings.push_back(b.binding);
    p.first[k] = b.first;
    constants.push_back(uint32_t(modes[k]));
  }
  if (!program.empty()) {
    // fused.comp binds every input slot and reads NUM_INPUTS of them.
    bindings.resize(kMaxElementwiseInputs, bindings[0]);
    constants.resize(kMaxElementwiseInputs, 0);
    constants.push_back(uint32_t(ni));
    for (size_t k = 0; k < ni; ++k) {
      p.bools |= inputs[k]->dtype() == bool_ ? 1u << k : 0u;
    }
    p.bools |= out.dtype() == bool_ ? 1u << 31 : 0u;
  }
  bool donated = false;
  for (int k : donors) {
    if (modes[k] == kContiguous && can_donate(*inputs[k], out)) {
      out.copy_shared_buffer(*inputs[k]);
      size_t bytes = round_up(out.nbytes(), 4);
      bindings.push_back({out.buffer(), 0, bytes, Access::write});
      donated = true;
      break;
    }
  }
  if (!donated) {
    bindings.push_back(bind_output(out));
  }
  if (any_strided || !program.empty()) {
    std::vector<int32_t> meta;
    for (auto s : shape) {
      meta.push_back(int32_t(s));
    }
    for (auto& st : strides) {
      for (auto s : st) {
        meta.push_back(int32_t(s));
      }
    }
    meta.insert(meta.end(), program.begin(), program.end());
    p.steps = uint32_t(program.size() / 4);
    size_t bytes = meta.size() * sizeof(int32_t);
    bindings.push_back(
        {enc.upload(meta.data(), bytes), 0, bytes, Access::read});
  } else {
    // The metadata binding is declared whatever the modes: something valid
    // (the first input again) is bound there when it is unused.
    bindings.push_back(bindings[0]);
  }

  size_t out_size = out.itemsize();
  size_t per_word = out_size < 4 ? 4 / out_size : 1;
  size_t words = (n + per_word - 1) / per_word;
  uint32_t per_invocation = items_per_invocation("MLX_VULKAN_EW_WORDS", 4);
  const char* vec4 = program.empty()
                         ? vec4_variant(shader, inputs, out, modes, bindings, p)
                         : nullptr;
  if (vec4) {
    shader = vec4;
    words = n / 4; // vec4s
    per_invocation = items_per_invocation("MLX_VULKAN_EW_VEC4S", 8);
  }
  constants.resize(kWordsConstant, 0);
  constants.push_back(per_invocation);
  size_t groups =
      (words + kGroupSize * per_invocation - 1) / (kGroupSize * per_invocation);
  uint32_t gx = uint32_t(std::min<size_t>(groups, kMaxGroupsX));
  uint32_t gy = uint32_t((groups + gx - 1) / gx);
  enc.dispatch(pipeline(shader, constants), bindings, &p, sizeof(p), gx, gy);
}

} // namespace mlx::core::vulkan
