// SHA-256 and HMAC-SHA256 of the ring's handshake (distributed/ring/hmac.h)
// against published test vectors.
#include <gtest/gtest.h>

#include <string>

#include "mlx/distributed/ring/hmac.h"

namespace ring = mlx::core::distributed::ring;

namespace {

std::string hex(const ring::Digest& d) {
  return ring::to_hex(d.data(), d.size());
}

std::string repeat(char c, size_t n) {
  return std::string(n, c);
}

} // namespace

// FIPS 180-4's examples (the NIST "SHA256.pdf" example values and the
// one-million-'a' message of FIPS 180-2, appendix B.3).
TEST(Sha256Test, MatchesTheFipsExamples) {
  EXPECT_EQ(
      hex(ring::sha256("")),
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(
      hex(ring::sha256("abc")),
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(
      hex(ring::sha256(
          "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(
      hex(ring::sha256("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklm"
                       "nhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrs"
                       "tu")),
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  EXPECT_EQ(
      hex(ring::sha256(repeat('a', 1000000))),
      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// Lengths around the padding's edges (55 bytes fit one block with the
// length, 56 need a second). Expected values from coreutils' sha256sum
// (printf 'a%.0s' $(seq N) | sha256sum).
TEST(Sha256Test, PaddingEdgesAndPiecewiseUpdates) {
  struct Case {
    size_t length;
    const char* digest;
  };
  const Case cases[] = {
      {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
      {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
      {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
      {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
      {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
      {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
      {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
  };
  for (const Case& c : cases) {
    std::string message = repeat('a', c.length);
    EXPECT_EQ(hex(ring::sha256(message)), c.digest) << c.length << " bytes";
    // The same bytes fed in pieces of 1, 7 and 63 bytes.
    for (size_t piece : {1, 7, 63}) {
      ring::Sha256 hash;
      for (size_t at = 0; at < message.size(); at += piece) {
        hash.update(message.data() + at, std::min(piece, message.size() - at));
      }
      EXPECT_EQ(hex(hash.finish()), c.digest)
          << c.length << " bytes in pieces of " << piece;
    }
  }
}

// RFC 4231, section 4 (test case 5's output is truncated to 128 bits there).
TEST(HmacSha256Test, MatchesRfc4231) {
  std::string key4;
  for (char c = 1; c <= 25; ++c) {
    key4 += c;
  }
  struct Case {
    std::string key;
    std::string data;
    std::string mac;
  };
  const Case cases[] = {
      {repeat('\x0b', 20),
       "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Jefe",
       "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {repeat('\xaa', 20),
       repeat('\xdd', 50),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {key4,
       repeat('\xcd', 50),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {repeat('\x0c', 20),
       "Test With Truncation",
       "a3b6167473100ee06e0c796c2955552b"},
      {repeat('\xaa', 131),
       "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {repeat('\xaa', 131),
       "This is a test using a larger than block-size key and a larger than "
       "block-size data. The key needs to be hashed before being used by the "
       "HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  int number = 1;
  for (const Case& c : cases) {
    std::string mac = hex(ring::hmac_sha256(c.key, c.data));
    EXPECT_EQ(mac.substr(0, c.mac.size()), c.mac) << "test case " << number;
    ++number;
  }
}

TEST(HmacSha256Test, DigestsEqualComparesEveryByte) {
  ring::Digest a = ring::sha256("abc");
  ring::Digest b = a;
  EXPECT_TRUE(ring::digests_equal(a, b));
  for (size_t i : {size_t(0), size_t(17), size_t(31)}) {
    b = a;
    b[i] ^= 1;
    EXPECT_FALSE(ring::digests_equal(a, b)) << "byte " << i;
  }
}
