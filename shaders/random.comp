#version 450
// RandomBits: Threefry-2x32 (20 rounds), the bits of the CPU kernel
// (core/backend/cpu/random.cpp, core/random_impl.h) byte for byte. Each key
// fills a block of `block_bytes` bytes made of `words` 32-bit words: counter
// pair (t, t + partner) hashes to words t and t + partner for t < half
// (half = words / 2, partner = words - half), and an odd count adds word
// `half` from the pair (half, 0). A last word cut by the block's end keeps
// its low bytes (little-endian).
//
// WHOLE_WORDS (blocks of whole words, as every uint32 output): one
// invocation per hash, writing its two words. Otherwise one invocation
// writes one word of the output buffer, byte by byte: blocks need not start
// on a word boundary (uint8 or uint16 blocks of odd sizes), so a word may
// hold bytes of two keys, and no two invocations may write the same word.
layout(local_size_x = 256) in;

layout(constant_id = 0) const bool WHOLE_WORDS = false;

layout(std430, set = 0, binding = 0) readonly buffer Keys { uint keys[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Out { uint dst[]; };

layout(push_constant) uniform Params {
  uint total_bytes; // of the output (WHOLE_WORDS: the hashes to make)
  uint block_bytes; // per key
  uint words;       // per key: ceil(block_bytes / 4)
  uint half_words;  // words / 2
  uint partner;     // words - half_words
  uint key_first;   // element offset of the (row-contiguous) keys
}
p;

uint rotl(uint x, uint r) {
  return (x << r) | (x >> (32u - r));
}

// Threefry-2x32 with 20 rounds: five groups of four rounds, each followed
// by a key injection (rotation constants R_32x2).
uvec2 threefry(uint k0, uint k1, uvec2 x) {
  uint ks[3] = uint[3](k0, k1, k0 ^ k1 ^ 0x1BD11BDAu);
  const uint rot[8] = uint[8](13u, 15u, 26u, 6u, 17u, 29u, 16u, 24u);
  x.x += ks[0];
  x.y += ks[1];
  for (uint s = 1u; s <= 5u; ++s) {
    uint first = (s & 1u) == 1u ? 0u : 4u;
    for (uint r = 0u; r < 4u; ++r) {
      x.x += x.y;
      x.y = rotl(x.y, rot[first + r]);
      x.y ^= x.x;
    }
    x.x += ks[s % 3u];
    x.y += ks[(s + 1u) % 3u] + s;
  }
  return x;
}

// Word i of key k's block.
uint block_word(uint k, uint i) {
  uint k0 = keys[p.key_first + 2u * k];
  uint k1 = keys[p.key_first + 2u * k + 1u];
  if (i < p.half_words) {
    return threefry(k0, k1, uvec2(i, i + p.partner)).x;
  }
  if (i < p.partner) { // the odd word: counter (half, 0)
    return threefry(k0, k1, uvec2(i, 0u)).x;
  }
  return threefry(k0, k1, uvec2(i - p.partner, i)).y;
}

// Hash h of all keys' hashes (half_words + words % 2 per key).
void whole_words(uint h) {
  uint per_key = p.words - p.half_words; // = partner
  uint k = h / per_key, t = h % per_key;
  uint k0 = keys[p.key_first + 2u * k];
  uint k1 = keys[p.key_first + 2u * k + 1u];
  uint base = k * p.words;
  bool pair = t < p.half_words;
  uvec2 x = threefry(k0, k1, uvec2(t, pair ? t + p.partner : 0u));
  dst[base + t] = x.x;
  if (pair) {
    dst[base + t + p.partner] = x.y;
  }
}

void main() {
  uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  uint w = group * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
  if (WHOLE_WORDS) {
    if (w < p.total_bytes) {
      whole_words(w);
    }
    return;
  }
  uint first = 4u * w;
  if (first >= p.total_bytes) {
    return;
  }
  uint result = 0u;
  uint cached_key = 0xffffffffu, cached_word = 0u, value = 0u;
  for (uint j = 0u; j < 4u && first + j < p.total_bytes; ++j) {
    uint b = first + j;
    uint k = b / p.block_bytes;
    uint offset = b % p.block_bytes;
    uint i = offset / 4u;
    // A word holds bytes of at most two block words: hash each once.
    if (k != cached_key || i != cached_word) {
      value = block_word(k, i);
      cached_key = k;
      cached_word = i;
    }
    result |= ((value >> (8u * (offset & 3u))) & 0xffu) << (8u * j);
  }
  dst[w] = result;
}
