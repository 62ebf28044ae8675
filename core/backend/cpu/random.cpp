// CPU kernel of RandomBits: Threefry-2x32 over the counters of each key,
// parallel over (key, counter pair) and 8 counter pairs per vector block.
#include <algorithm>
#include <cstring>
#include <vector>

#include "mlx/backend/cpu/strided.h"
#include "mlx/backend/cpu/thread_pool.h"
#include "mlx/primitives/random.h"
#include "mlx/random_impl.h"

namespace mlx::core {

namespace {

using random::detail::threefry2x32_hash;
using random::detail::ThreefrySchedule;

// Counter pairs per block: 8 uint32 lanes fill one AVX2 register (and two
// SSE2 registers in the baseline build).
constexpr int kLanes = 8;
using Lanes = uint32_t __attribute__((vector_size(4 * kLanes)));
// Hashes per parallel chunk (one hash is ~100 integer operations).
constexpr size_t kHashGrain = 1 << 12;

// Hashes counter pairs (i, i + partner) for i in [begin, end) into whole
// words i and i + partner of a key's block. Bytes, not words: a key's block
// need not be 4-byte aligned. Built for AVX2 and for the baseline; the
// loader picks the clone that fits the CPU.
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
void hash_whole_pairs(
    const ThreefrySchedule& ks,
    uint8_t* bytes,
    size_t partner,
    size_t begin,
    size_t end) {
  const Lanes lane = {0, 1, 2, 3, 4, 5, 6, 7};
  size_t i = begin;
  for (; i + kLanes <= end; i += kLanes) {
    Lanes x0 = uint32_t(i) + lane;
    Lanes x1 = uint32_t(i + partner) + lane;
    threefry2x32_hash(ks, x0, x1);
    std::memcpy(bytes + 4 * i, &x0, sizeof(x0));
    std::memcpy(bytes + 4 * (i + partner), &x1, sizeof(x1));
  }
  for (; i < end; ++i) {
    uint32_t x0 = uint32_t(i);
    uint32_t x1 = uint32_t(i + partner);
    threefry2x32_hash(ks, x0, x1);
    std::memcpy(bytes + 4 * i, &x0, 4);
    std::memcpy(bytes + 4 * (i + partner), &x1, 4);
  }
}

// Stores the low bytes of `word` that fit in a block of `nbytes` bytes (the
// last word of a block whose size is not a multiple of 4 is cut, keeping
// its low bytes as JAX and MLX do on little-endian machines).
void store_word(uint8_t* bytes, size_t nbytes, size_t index, uint32_t word) {
  size_t offset = 4 * index;
  std::memcpy(bytes + offset, &word, std::min<size_t>(4, nbytes - offset));
}

// The words of one key's block of n words: pairs i < n / 2 hash the counter
// (i, i + ceil(n / 2)); an odd n adds word n / 2 from counter (n / 2, 0).
struct BlockLayout {
  size_t nbytes;  // bytes per key
  size_t half;    // floor(n / 2): counter pairs
  size_t partner; // ceil(n / 2): offset of a pair's second word
  size_t whole;   // pairs whose two words are both whole
  size_t hashes;  // hashes per key: half, plus one if n is odd
};

BlockLayout block_layout(size_t nbytes) {
  size_t words = (nbytes + 3) / 4;
  BlockLayout b{nbytes, words / 2, words - words / 2, 0, 0};
  // A cut last word belongs to the last pair (or to the odd word if n = 1).
  bool cut = nbytes % 4 != 0;
  b.whole = b.half - (cut && b.half > 0 ? 1 : 0);
  b.hashes = b.half + words % 2;
  return b;
}

// Hash t (in [whole, hashes)) of a key, with byte-exact stores.
void hash_edge(
    const ThreefrySchedule& ks,
    uint8_t* bytes,
    const BlockLayout& b,
    size_t t) {
  uint32_t x0 = uint32_t(t);
  uint32_t x1 = t < b.half ? uint32_t(t + b.partner) : 0u;
  threefry2x32_hash(ks, x0, x1);
  store_word(bytes, b.nbytes, t, x0);
  if (t < b.half) {
    store_word(bytes, b.nbytes, t + b.partner, x1);
  }
}

} // namespace

void RandomBits::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& keys = inputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  size_t num_keys = keys.size() / 2;
  if (out.size() == 0 || num_keys == 0) {
    return;
  }
  BlockLayout layout = block_layout(out.nbytes() / num_keys);

  // Keys may be any view (transposed, broadcast): read through the strides.
  const uint32_t* key_data = keys.data<uint32_t>();
  std::vector<ThreefrySchedule> schedules;
  schedules.reserve(num_keys);
  for (size_t k = 0; k < num_keys; ++k) {
    schedules.emplace_back(
        key_data[cpu::elem_to_loc(2 * k, keys.shape(), keys.strides())],
        key_data[cpu::elem_to_loc(2 * k + 1, keys.shape(), keys.strides())]);
  }

  // One flat range over every (key, hash) so that a single key with many
  // words and many keys with a few words both spread over the pool.
  uint8_t* base = out.data<uint8_t>();
  const size_t hashes = layout.hashes;
  cpu::parallel_for(num_keys * hashes, kHashGrain, [&](size_t b, size_t e) {
    while (b < e) {
      size_t k = b / hashes;
      size_t first = b % hashes;
      size_t last = std::min(hashes, first + (e - b));
      uint8_t* bytes = base + k * layout.nbytes;
      const ThreefrySchedule& ks = schedules[k];
      if (first < layout.whole) {
        hash_whole_pairs(
            ks, bytes, layout.partner, first, std::min(last, layout.whole));
      }
      for (size_t t = std::max(first, layout.whole); t < last; ++t) {
        hash_edge(ks, bytes, layout, t);
      }
      b += last - first;
    }
  });
}

} // namespace mlx::core
