// RandomBits on Vulkan (shaders/random.comp): the CPU kernel's Threefry-2x32
// bits, byte for byte, for every width and key batch.
#include <algorithm>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "mlx/backend/vulkan/allocator.h"
#include "mlx/backend/vulkan/copy.h"
#include "mlx/backend/vulkan/pipeline.h"
#include "mlx/backend/vulkan/utils.h"
#include "mlx/primitives/random.h"

namespace mlx::core {

namespace {

// The push constants of shaders/random.comp.
struct RandomParams {
  uint32_t total_bytes, block_bytes, words, half_words, partner, key_first;
};

// Invocations per workgroup (local_size_x of random.comp) and the most
// workgroups in x every device allows.
constexpr size_t kGroupSize = 256;
constexpr size_t kMaxGroupsX = 65535;

} // namespace

void RandomBits::eval_gpu(const std::vector<array>& inputs, array& out) {
  auto& enc = vulkan::encoder(stream().index);
  size_t num_keys = inputs[0].size() / 2;
  if (out.nbytes() >= size_t(std::numeric_limits<uint32_t>::max())) {
    std::ostringstream msg;
    msg << "[" << name() << "] " << out.nbytes() << " bytes: the Vulkan "
        << "kernel makes fewer than 2^32";
    throw std::invalid_argument(msg.str());
  }
  if (out.size() == 0 || num_keys == 0) {
    out.set_data(vulkan::allocator().malloc(0));
    return;
  }
  // The kernel reads keys as consecutive word pairs.
  array keys = inputs[0];
  if (!keys.flags().row_contiguous) {
    keys = array(inputs[0].shape(), uint32, nullptr, {});
    vulkan::copy_to_row_contiguous(enc, inputs[0], keys, name());
    keys.set_status(array::Status::available);
    enc.add_completed_handler([keys](std::exception_ptr) {});
  }
  size_t block = out.nbytes() / num_keys;
  uint32_t words = uint32_t((block + 3) / 4);
  auto src = vulkan::bind_input(enc, keys);
  // Blocks of whole words: one invocation per hash (two words each);
  // otherwise one per output word (see random.comp).
  bool whole = block % 4 == 0;
  size_t hashes = num_keys * (words - words / 2);
  RandomParams p{
      uint32_t(whole ? hashes : out.nbytes()),
      uint32_t(block),
      words,
      words / 2,
      words - words / 2,
      src.first};
  std::vector<vulkan::Binding> bindings{src.binding, vulkan::bind_output(out)};
  size_t threads = whole ? hashes : (out.nbytes() + 3) / 4;
  size_t groups = (threads + kGroupSize - 1) / kGroupSize;
  uint32_t gx = uint32_t(std::min(groups, kMaxGroupsX));
  uint32_t gy = uint32_t((groups + gx - 1) / gx);
  enc.dispatch(
      vulkan::pipeline("random", {uint32_t(whole)}),
      bindings,
      &p,
      sizeof(p),
      gx,
      gy);
}

} // namespace mlx::core
