// SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), for the ring's
// challenge-response handshake. Small and unoptimized: the handshake hashes
// a few hundred bytes per connection.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mlx::core::distributed::ring {

/** A SHA-256 digest (32 bytes). */
using Digest = std::array<uint8_t, 32>;

/** Incremental SHA-256: update() any number of times, then finish() once. */
class Sha256 {
public:
  /** SHA-256's block size in bytes (FIPS 180-4, section 1). */
  static constexpr size_t kBlockBytes = 64;

  Sha256();
  void update(const void* data, size_t bytes);
  Digest finish();

private:
  void compress(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, kBlockBytes> buffer_{};
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

Digest sha256(std::string_view message);

/** HMAC-SHA256 of `message` under `key` (any length: keys longer than a
 * block are hashed first, as RFC 2104 says). */
Digest hmac_sha256(std::string_view key, std::string_view message);

/** Compares two digests in time independent of where they differ, so that a
 * peer cannot learn a valid proof byte by byte from response times. */
bool digests_equal(const Digest& a, const Digest& b);

/** Lower-case hex text of `bytes`. */
std::string to_hex(const uint8_t* bytes, size_t count);

} // namespace mlx::core::distributed::ring
