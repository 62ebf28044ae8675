// Tests of quantize, dequantize, quantized_matmul and gather_qmm. Packed
// words below were worked out by hand from MLX's documented layout (values
// of a row packed from the lowest bits up, one little-endian bit stream);
// products are checked against matmul with the dequantized weights.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include "test_utils.h"

using namespace mlx::core;
using mlx_test::to_doubles;

namespace {

const std::vector<int> kGroupSizes = {32, 64, 128};
const std::vector<int> kBits = {2, 3, 4, 5, 6, 8};

array random_normal(const Shape& shape, uint64_t seed) {
  return random::normal(shape, float32, 0.0f, 1.0f, random::key(seed));
}

// Reference packer, one bit at a time: value i of a row sets bits
// i * bits + j of the row's stream, word (bit / 32), bit (bit % 32).
std::vector<double>
pack_bit_by_bit(const std::vector<uint32_t>& values, int bits) {
  std::vector<uint32_t> words(values.size() * bits / 32, 0);
  for (size_t i = 0; i < values.size(); ++i) {
    for (int j = 0; j < bits; ++j) {
      size_t bit = i * bits + j;
      if ((values[i] >> j) & 1u) {
        words[bit / 32] |= 1u << (bit % 32);
      }
    }
  }
  return std::vector<double>(words.begin(), words.end());
}

} // namespace

TEST(QuantizedTest, FourBitPackingMatchesHandComputedWords) {
  // w = [0..15, 0..15]: max 15 has the larger magnitude, so scale = -1 and
  // bias = 15 (MLX's rule), q = 15 - w; 8 nibbles per word, lowest first:
  // q = 15, 14, ..., 8 -> 0x89ABCDEF, q = 7, ..., 0 -> 0x01234567.
  std::vector<float> v(32);
  for (int i = 0; i < 32; ++i) {
    v[i] = static_cast<float>(i % 16);
  }
  array w(v.data(), {1, 32}, float32);
  auto q = quantize(w, 32, 4);
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[0].dtype(), uint32);
  expect_array_values(
      q[0], {1, 4}, {0x89ABCDEF, 0x01234567, 0x89ABCDEF, 0x01234567});
  expect_array_values(q[1], {1, 1}, {-1.0});
  expect_array_values(q[2], {1, 1}, {15.0});
  expect_array_values(
      dequantize(q[0], q[1], q[2], 32, 4),
      {1, 32},
      std::vector<double>(v.begin(), v.end()));

  // The mirror image: min -15 dominates, scale = 1, bias = -15, same codes.
  auto qn = quantize(negative(w), 32, 4);
  expect_array_values(
      qn[0], {1, 4}, {0x89ABCDEF, 0x01234567, 0x89ABCDEF, 0x01234567});
  expect_array_values(qn[1], {1, 1}, {1.0});
  expect_array_values(qn[2], {1, 1}, {-15.0});
}

TEST(QuantizedTest, ThreeBitValuesStraddleWords) {
  // w = i % 8: scale -1, bias 7, q = 7 - w. Eight 3-bit codes 7..0 make
  // the 24-bit chunk 0b000'001'010'011'100'101'110'111 = 0x053977, laid at
  // bits 0, 24, 48, 72: word0 = 0x053977 | 0x77 << 24 = 0x77053977,
  // word1 = 0x0539 | 0x3977 << 16 = 0x39770539, word2 = 0x05 | 0x053977 << 8.
  std::vector<float> v(32);
  for (int i = 0; i < 32; ++i) {
    v[i] = static_cast<float>(i % 8);
  }
  auto q = quantize(array(v.data(), {1, 32}, float32), 32, 3);
  expect_array_values(q[0], {1, 3}, {0x77053977, 0x39770539, 0x05397705});
  expect_array_values(q[1], {1, 1}, {-1.0});
  expect_array_values(q[2], {1, 1}, {7.0});
}

TEST(QuantizedTest, PackingMatchesBitByBitReferenceForAllBits) {
  // w = the codes themselves with the range pinned by 0 and 2^bits - 1
  // at the group's start, so q = (2^bits - 1) - w exactly.
  for (int bits : kBits) {
    int top = (1 << bits) - 1;
    std::vector<float> v(64);
    std::vector<uint32_t> codes(64);
    for (int i = 0; i < 64; ++i) {
      int w = i == 0 ? top : i == 1 ? 0 : (i * 7 + 3) % (top + 1);
      v[i] = static_cast<float>(w);
      codes[i] = static_cast<uint32_t>(top - w);
    }
    auto q = quantize(array(v.data(), {1, 64}, float32), 64, bits);
    SCOPED_TRACE("bits=" + std::to_string(bits));
    expect_array_values(q[0], {1, 2 * bits}, pack_bit_by_bit(codes, bits));
    expect_array_values(
        dequantize(q[0], q[1], q[2], 64, bits),
        {1, 64},
        std::vector<double>(v.begin(), v.end()));
  }
}

TEST(QuantizedTest, RoundTripErrorWithinOneStep) {
  // The documented rule rounds to the nearest of 2^b levels spaced
  // s = (max - min) / (2^b - 1): error <= s / 2 inside the represented
  // range. MLX's zero-point nudge (scale = edge / round(edge / s)) may
  // shorten the range at the far edge by less than one step s.
  array w = random_normal({4, 256}, 7);
  auto wv = to_doubles(w);
  for (int gs : kGroupSizes) {
    for (int bits : kBits) {
      auto q = quantize(w, gs, bits);
      auto deq = to_doubles(dequantize(q[0], q[1], q[2], gs, bits));
      auto sc = to_doubles(q[1]);
      auto bi = to_doubles(q[2]);
      double n_bins = (1 << bits) - 1;
      for (size_t g = 0; g < wv.size() / gs; ++g) {
        double lo = wv[g * gs], hi = wv[g * gs];
        for (int j = 0; j < gs; ++j) {
          lo = std::min(lo, wv[g * gs + j]);
          hi = std::max(hi, wv[g * gs + j]);
        }
        double step = (hi - lo) / n_bins;
        double range_a = bi[g], range_b = bi[g] + n_bins * sc[g];
        for (int j = 0; j < gs; ++j) {
          double x = wv[g * gs + j], err = std::abs(x - deq[g * gs + j]);
          bool inside = x >= std::min(range_a, range_b) - 1e-6 &&
                        x <= std::max(range_a, range_b) + 1e-6;
          double bound = inside ? std::abs(sc[g]) / 2 : step;
          ASSERT_LE(err, bound * (1 + 1e-5) + 1e-6)
              << "gs=" << gs << " bits=" << bits << " element " << g * gs + j;
        }
      }
    }
  }
}

TEST(QuantizedTest, QuantizedMatmulEqualsMatmulWithDequantizedWeight) {
  array x = random_normal({3, 128}, 1);
  array w = random_normal({40, 128}, 2);
  for (int gs : kGroupSizes) {
    for (int bits : kBits) {
      auto q = quantize(w, gs, bits);
      array wd = dequantize(q[0], q[1], q[2], gs, bits);
      auto want = to_doubles(matmul(x, transpose(wd)));
      SCOPED_TRACE(
          "gs=" + std::to_string(gs) + " bits=" + std::to_string(bits));
      expect_array_near(
          quantized_matmul(x, q[0], q[1], q[2], true, gs, bits),
          want,
          {3, 40},
          1e-5,
          1e-4);
    }
  }
}

TEST(QuantizedTest, QuantizedMatmulRowTailsAndRowLengths) {
  // Row counts around the kernel's 4-row blocks (1, 7, 13: a partial last
  // block), and rows of 32, 96 and 256 values: for 2-, 4- and 8-bit codes
  // some fill whole 8-word blocks (word kernel) and some do not (K = 32 at
  // 2 and 4 bits, K = 96 at 2 and 4 bits: the unpacking kernel).
  struct Case {
    int K, gs;
  };
  for (Case c : {Case{32, 32}, Case{96, 32}, Case{256, 64}, Case{256, 128}}) {
    for (int N : {1, 7, 13}) {
      array w = random_normal({N, c.K}, 20 + N);
      for (int M : {1, 2}) {
        array x = random_normal({M, c.K}, 30 + M);
        for (int bits : kBits) {
          auto q = quantize(w, c.gs, bits);
          array wd = dequantize(q[0], q[1], q[2], c.gs, bits);
          SCOPED_TRACE(
              "K=" + std::to_string(c.K) + " gs=" + std::to_string(c.gs) +
              " N=" + std::to_string(N) + " M=" + std::to_string(M) +
              " bits=" + std::to_string(bits));
          expect_array_near(
              quantized_matmul(x, q[0], q[1], q[2], true, c.gs, bits),
              to_doubles(matmul(x, transpose(wd))),
              {M, N},
              1e-5,
              1e-4);
        }
      }
    }
  }
}

TEST(QuantizedTest, QuantizedMatmulWithoutTranspose) {
  // w is [K, N] = [48, 64], quantized along N.
  array x = random_normal({2, 5, 48}, 3);
  array w = random_normal({48, 64}, 4);
  for (int gs : {32, 64}) {
    for (int bits : kBits) {
      auto q = quantize(w, gs, bits);
      array wd = dequantize(q[0], q[1], q[2], gs, bits);
      SCOPED_TRACE(
          "gs=" + std::to_string(gs) + " bits=" + std::to_string(bits));
      expect_array_near(
          quantized_matmul(x, q[0], q[1], q[2], false, gs, bits),
          to_doubles(matmul(x, wd)),
          {2, 5, 64},
          1e-5,
          1e-4);
    }
  }
}

TEST(QuantizedTest, BatchedWeightsBroadcastAgainstX) {
  array w = random_normal({2, 16, 64}, 5);
  array x = random_normal({3, 64}, 6);
  auto q = quantize(w, 32, 4);
  array wd = dequantize(q[0], q[1], q[2], 32, 4);
  expect_array_near(
      quantized_matmul(x, q[0], q[1], q[2], true, 32, 4),
      to_doubles(matmul(x, swapaxes(wd, -1, -2))),
      {2, 3, 16},
      1e-5,
      1e-4);
}

TEST(QuantizedTest, HalfPrecisionInputs) {
  array x = astype(random_normal({2, 64}, 8), bfloat16);
  array w = astype(random_normal({8, 64}, 9), bfloat16);
  auto q = quantize(w, 64, 4);
  EXPECT_EQ(q[1].dtype(), bfloat16);
  array out = quantized_matmul(x, q[0], q[1], q[2], true, 64, 4);
  EXPECT_EQ(out.dtype(), bfloat16);
  array wd = dequantize(q[0], q[1], q[2], 64, 4, "affine", float32);
  expect_array_near(
      out,
      to_doubles(matmul(astype(x, float32), transpose(wd))),
      {2, 8},
      1e-2,
      2e-2);
}

TEST(QuantizedTest, Mxfp4PackingAndScales) {
  // The 16 E2M1 values in code order, then again times 4: codes 0..15
  // (-0 takes code 0, the first nearest), scale 2^0 -> byte 127, and
  // 2^2 -> byte 129. Codes 0..7 -> 0x76543210; 0, 9..15 -> 0xFEDCBA90.
  const float e2m1[16] = {
      0, 0.5f, 1, 1.5f, 2, 3, 4, 6, -0, -0.5f, -1, -1.5f, -2, -3, -4, -6};
  std::vector<float> v(64);
  for (int i = 0; i < 64; ++i) {
    v[i] = e2m1[i % 16] * (i < 32 ? 1.0f : 4.0f);
  }
  auto q = quantize(array(v.data(), {1, 64}, float32), 32, 4, "mxfp4");
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[1].dtype(), uint8);
  std::vector<double> group_words = {
      0x76543210, 0xFEDCBA90, 0x76543210, 0xFEDCBA90};
  std::vector<double> words = group_words;
  words.insert(words.end(), group_words.begin(), group_words.end());
  expect_array_values(q[0], {1, 8}, words);
  expect_array_values(q[1], {1, 2}, {127, 129});
  array deq = dequantize(q[0], q[1], std::nullopt, 32, 4, "mxfp4");
  EXPECT_EQ(deq.dtype(), bfloat16);
  expect_array_values(deq, {1, 64}, std::vector<double>(v.begin(), v.end()));
}

TEST(QuantizedTest, Mxfp4Matmul) {
  array x = random_normal({2, 64}, 10);
  array w = random_normal({12, 64}, 11);
  auto q = quantize(w, std::nullopt, std::nullopt, "mxfp4");
  array wd = dequantize(q[0], q[1], std::nullopt, 32, 4, "mxfp4", float32);
  expect_array_near(
      quantized_matmul(x, q[0], q[1], std::nullopt, true, 32, 4, "mxfp4"),
      to_doubles(matmul(x, transpose(wd))),
      {2, 12},
      1e-5,
      1e-4);
  // Every element is one of the 16 E2M1 values times the group's scale:
  // the relative error of the largest element is at most 1/3 (3 vs 4).
  auto wv = to_doubles(w), dv = to_doubles(wd);
  for (size_t i = 0; i < wv.size(); ++i) {
    EXPECT_LE(std::abs(wv[i] - dv[i]), 1.0) << i;
  }
}

TEST(QuantizedTest, GatherQmmPicksMatricesByIndex) {
  array w = random_normal({3, 16, 64}, 12);
  array x = random_normal({2, 1, 64}, 13);
  auto q = quantize(w, 32, 4);
  array wd = dequantize(q[0], q[1], q[2], 32, 4);
  std::vector<int> lhs = {0, 1, 1, 0}, rhs = {2, 0, 1, 2};
  array out = gather_qmm(
      x,
      q[0],
      q[1],
      q[2],
      array({0, 1, 1, 0}, {4}),
      array({2, 0, 1, 2}, {4}),
      true,
      32,
      4);
  std::vector<double> want;
  for (int i = 0; i < 4; ++i) {
    auto part =
        to_doubles(matmul(take(x, lhs[i], 0), transpose(take(wd, rhs[i], 0))));
    want.insert(want.end(), part.begin(), part.end());
  }
  expect_array_near(out, want, {4, 1, 16}, 1e-5, 1e-4);

  array bad = gather_qmm(
      x, q[0], q[1], q[2], array({0}, {1}), array({3}, {1}), true, 32, 4);
  EXPECT_THROW(eval(bad), std::invalid_argument);
}

TEST(QuantizedTest, VjpWithRespectToXMatchesDequantizedMatmul) {
  array x = random_normal({3, 64}, 14);
  array w = random_normal({16, 64}, 15);
  auto q = quantize(w, 64, 4);
  array wd = dequantize(q[0], q[1], q[2], 64, 4);
  auto loss_q = [&](const array& a) {
    return sum(square(quantized_matmul(a, q[0], q[1], q[2], true, 64, 4)));
  };
  auto loss_d = [&](const array& a) {
    return sum(square(matmul(a, transpose(wd))));
  };
  expect_array_near(
      grad(loss_q)(x), to_doubles(grad(loss_d)(x)), {3, 64}, 1e-4, 1e-4);

  // gather_qmm: x[1] feeds two outputs, x[0] none.
  array wq3 = random_normal({2, 16, 64}, 16);
  auto q3 = quantize(wq3, 64, 4);
  array wd3 = dequantize(q3[0], q3[1], q3[2], 64, 4);
  array xs = random_normal({2, 1, 64}, 17);
  auto g_loss = [&](const array& a) {
    return sum(gather_qmm(
        a,
        q3[0],
        q3[1],
        q3[2],
        array({1, 1}, {2}),
        array({0, 1}, {2}),
        true,
        64,
        4));
  };
  // d/dx sum(x @ W^T) = column sums of W: rows 0 and 1 of wd3 summed.
  auto want = to_doubles(concatenate(
      {zeros({1, 1, 64}), reshape(sum(sum(wd3, 1), 0), {1, 1, 64})}, 0));
  expect_array_near(grad(g_loss)(xs), want, {2, 1, 64}, 1e-4, 1e-4);
}

TEST(QuantizedTest, VmapOverXAndOverWeights) {
  array w = random_normal({16, 64}, 18);
  auto q = quantize(w, 32, 4);
  array wd = dequantize(q[0], q[1], q[2], 32, 4);
  array xs = random_normal({64, 5}, 19); // batch along axis 1
  auto f = [&](const array& a) {
    return quantized_matmul(a, q[0], q[1], q[2], true, 32, 4);
  };
  expect_array_near(
      vmap(f, 1)(xs),
      to_doubles(matmul(transpose(xs), transpose(wd))),
      {5, 16},
      1e-5,
      1e-4);

  // Weights batched: a stack of 2 quantized matrices, one x.
  array w2 = random_normal({2, 16, 64}, 20);
  auto q2 = quantize(w2, 32, 4);
  array wd2 = dequantize(q2[0], q2[1], q2[2], 32, 4);
  array x = random_normal({64}, 21);
  auto g = [&](const std::vector<array>& in) {
    return std::vector<array>{
        quantized_matmul(x, in[0], in[1], in[2], true, 32, 4)};
  };
  auto out = vmap(g, {0, 0, 0})({q2[0], q2[1], q2[2]})[0];
  expect_array_near(
      out,
      to_doubles(
          squeeze(matmul(reshape(x, {1, 64}), swapaxes(wd2, -1, -2)), 1)),
      {2, 16},
      1e-5,
      1e-4);
}

TEST(QuantizedTest, BadArgumentsRaise) {
  array w = ones({4, 64});
  expect_throws_with_prefix(
      [&] { quantize(w, 16, 4); }, "[quantize]", "group size 16");
  expect_throws_with_prefix(
      [&] { quantize(w, 64, 7); }, "[quantize]", "number of bits 7");
  expect_throws_with_prefix(
      [&] { quantize(w, 64, 1); }, "[quantize]", "number of bits 1");
  expect_throws_with_prefix(
      [&] { quantize(w, 64, 4, "nf4"); }, "[quantize]", "'nf4'");
  expect_throws_with_prefix(
      [&] { quantize(w, 64, 8, "mxfp4"); }, "[quantize]", "bits=8");
  expect_throws_with_prefix(
      [&] { quantize(ones({64}), 64, 4); }, "[quantize]", "(64,)");
  expect_throws_with_prefix(
      [&] {
        quantize(ones({4, 96}), 64, 4);
      },
      "[quantize]",
      "divisible");
  expect_throws_with_prefix(
      [&] {
        quantize(ones({4, 64}, int32), 64, 4);
      },
      "[quantize]",
      "int32");

  auto q = quantize(w, 64, 4);
  expect_throws_with_prefix(
      [&] { dequantize(q[0], q[1], std::nullopt, 64, 4); },
      "[dequantize]",
      "Biases must be provided");
  expect_throws_with_prefix(
      [&] { dequantize(q[0], q[1], q[2], 32, 4); },
      "[dequantize]",
      "group_size=32");
  expect_throws_with_prefix(
      [&] { dequantize(astype(q[0], int32), q[1], q[2], 64, 4); },
      "[dequantize]",
      "uint32");
  expect_throws_with_prefix(
      [&] {
        quantized_matmul(ones({2, 32}), q[0], q[1], q[2], true, 64, 4);
      },
      "[quantized_matmul]",
      "(2, 32)");
  expect_throws_with_prefix(
      [&] {
        quantized_matmul(
            ones({2, 64}, complex64), q[0], q[1], q[2], true, 64, 4);
      },
      "[quantized_matmul]",
      "x.dtype()");
  expect_throws_with_prefix(
      [&] {
        gather_qmm(
            ones({1, 64}),
            q[0],
            q[1],
            q[2],
            array({0.5f}, {1}),
            std::nullopt,
            true,
            64,
            4);
      },
      "[gather_qmm]",
      "integers");
}
