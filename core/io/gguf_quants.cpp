// GGUF's Q4_0, Q4_1 and Q8_0 blocks as our affine quantization (group size
// 32; ops/quantized.h): the q of a row form a little-endian bit stream, so
// with 4 bits byte k holds weights 2k (low nibble) and 2k + 1 (high).
//   Q4_0: d, 16 bytes; weight j < 16 is the low nibble of byte j, weight
//         j + 16 its high nibble; w = d * (q - 8)  -> scale d, bias -8d.
//   Q4_1: d, m, 16 bytes as Q4_0; w = d * q + m     -> scale d, bias m.
//   Q8_0: d, 32 int8 q; w = d * q; stored as q + 128 (flipping the sign
//         bit)                                     -> scale d, bias -128d.
#include "mlx/io/gguf.h"
#include "mlx/io/io_impl.h"

namespace mlx::core::io::gguf {
namespace {

constexpr int kQ4Offset = 8;   // Q4_0's q - 8
constexpr int kQ8Offset = 128; // int8 -> uint8
constexpr int kHalfBlock = kQuantGroupSize / 2;

float16_t half_at(const uint8_t* p) {
  return float16_t::from_bits(get_u16(p));
}

// GGUF's 4-bit block order (low nibbles, then high nibbles) to ours
// (consecutive weights share a byte).
void repack_nibbles(const uint8_t* qs, uint8_t* out) {
  for (int k = 0; k < kHalfBlock; ++k) {
    int j = 2 * (k % (kHalfBlock / 2));     // first source byte of the pair
    int shift = k < kHalfBlock / 2 ? 0 : 4; // low nibbles first
    uint8_t lo = (qs[j] >> shift) & 0xF;
    uint8_t hi = (qs[j + 1] >> shift) & 0xF;
    out[k] = static_cast<uint8_t>(lo | (hi << 4));
  }
}

} // namespace

void unpack_quant_blocks(
    uint32_t type,
    const uint8_t* src,
    uint64_t n_blocks,
    uint8_t* weights,
    float16_t* scales,
    float16_t* biases) {
  auto format = quant_format(type);
  uint64_t weight_bytes = format->bits * kQuantGroupSize / 8;
  for (uint64_t b = 0; b < n_blocks; ++b) {
    const uint8_t* block = src + b * format->block_bytes;
    uint8_t* out = weights + b * weight_bytes;
    float d = half_at(block);
    scales[b] = half_at(block);
    switch (type) {
    case kQ4_0:
      biases[b] = -kQ4Offset * d;
      repack_nibbles(block + 2, out);
      break;
    case kQ4_1:
      biases[b] = half_at(block + 2);
      repack_nibbles(block + 4, out);
      break;
    case kQ8_0:
      biases[b] = -kQ8Offset * d;
      for (int j = 0; j < kQuantGroupSize; ++j) {
        out[j] = block[2 + j] ^ 0x80;
      }
      break;
    }
  }
}

} // namespace mlx::core::io::gguf
