// FusedVJP, the one-kernel backward passes of the fused norms and of
// attention: gradients against those of the float64 definitions written
// with ops (fast_reference.h), for each float dtype and for contiguous,
// transposed and sliced inputs, several blocks of query rows, grouped
// heads, masks and sinks. Finite differences, vmap and second derivatives
// of the same rules: fast_grad_test.cpp.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "fast_reference.h"
#include "mlx/fast.h"
#include "mlx/primitives/primitive.h"

namespace {

using namespace mlx_test;
namespace fast = mx::fast;
using Arrays = std::vector<mx::array>;
using Fun = std::function<mx::array(const Arrays&)>;

// Gradients of sum(f(inputs) * c) for every input.
Arrays gradients(const Fun& f, const Arrays& inputs, const mx::array& c) {
  std::vector<int> argnums;
  for (size_t i = 0; i < inputs.size(); ++i) {
    argnums.push_back(static_cast<int>(i));
  }
  auto loss = [&](const Arrays& in) {
    return mx::sum(mx::multiply(mx::astype(f(in), mx::float64), c));
  };
  return mx::grad(loss, argnums)(inputs);
}

// The fused gradients against the reference's, and that they come from
// FusedVJP (one output of it at least).
void expect_same_gradients(
    const Fun& fused, const Fun& reference, const Arrays& inputs, double tol) {
  mx::array c = random_input(fused(inputs).shape(), 99);
  Arrays got = gradients(fused, inputs, c);
  Arrays want = gradients(reference, inputs, c);
  ASSERT_EQ(got.size(), want.size());
  bool any_fused = false;
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE("gradient of input " + std::to_string(i));
    EXPECT_EQ(got[i].dtype(), inputs[i].dtype());
    // (before eval, which detaches arrays from their primitives)
    any_fused |= got[i].has_primitive() &&
                 std::string(got[i].primitive().name()) == "FusedVJP";
    expect_close(got[i], want[i], tol);
  }
  EXPECT_TRUE(any_fused);
}

// Inputs of `shape` in three layouts with the same values.
std::vector<std::pair<std::string, mx::array>>
layouts(const mx::Shape& shape, uint32_t seed, mx::Dtype t) {
  mx::array x = input(shape, seed, t);
  // Transposed storage, and a slice of a larger array (rows apart).
  mx::array tr = mx::swapaxes(mx::contiguous(mx::swapaxes(x, 0, -1)), 0, -1);
  mx::Shape big = shape;
  big.back() += 3;
  mx::Shape stop = shape;
  mx::array sliced =
      mx::slice(input(big, seed + 1, t), mx::Shape(shape.size(), 0), stop);
  return {{"contiguous", x}, {"transposed", tr}, {"sliced", sliced}};
}

TEST(FastVJP, LayerNormMatchesComposedOpsForEachTypeAndLayout) {
  for (auto t : kFloatTypes) {
    for (auto& [name, x] : layouts({6, 5, 40}, 1, t)) {
      SCOPED_TRACE(mx::dtype_to_string(t) + " " + name);
      mx::array w = input({40}, 2, t);
      mx::array b = input({40}, 3, t);
      // Tolerances: the gradients sum 40 terms in the compute type.
      double tol = 4 * tolerance(t);
      expect_same_gradients(
          [](const Arrays& in) {
            return fast::layer_norm(in[0], in[1], in[2], 1e-5f);
          },
          [](const Arrays& in) {
            return layer_norm_ref(in[0], in[1], in[2], 1e-5f);
          },
          {x, w, b},
          tol);
      expect_same_gradients(
          [](const Arrays& in) {
            return fast::layer_norm(in[0], std::nullopt, in[1], 1e-5f);
          },
          [](const Arrays& in) {
            return layer_norm_ref(in[0], std::nullopt, in[1], 1e-5f);
          },
          {x, b},
          tol);
      expect_same_gradients(
          [](const Arrays& in) {
            return fast::layer_norm(in[0], std::nullopt, std::nullopt, 1e-5f);
          },
          [](const Arrays& in) {
            return layer_norm_ref(in[0], std::nullopt, std::nullopt, 1e-5f);
          },
          {x},
          tol);
    }
  }
}

TEST(FastVJP, RmsNormMatchesComposedOpsForEachTypeAndLayout) {
  for (auto t : kFloatTypes) {
    for (auto& [name, x] : layouts({4, 3, 33}, 4, t)) {
      SCOPED_TRACE(mx::dtype_to_string(t) + " " + name);
      mx::array w = input({33}, 5, t);
      double tol = 4 * tolerance(t);
      expect_same_gradients(
          [](const Arrays& in) { return fast::rms_norm(in[0], in[1], 1e-5f); },
          [](const Arrays& in) { return rms_norm_ref(in[0], in[1], 1e-5f); },
          {x, w},
          tol);
      expect_same_gradients(
          [](const Arrays& in) {
            return fast::rms_norm(in[0], std::nullopt, 1e-5f);
          },
          [](const Arrays& in) {
            return rms_norm_ref(in[0], std::nullopt, 1e-5f);
          },
          {x},
          tol);
    }
  }
}

TEST(FastVJP, NormGradientOfOneInputOnly) {
  // Only the weight's gradient (x held fixed), many rows over the tasks.
  mx::array x = input({300, 16}, 6, mx::float32);
  mx::array w = input({16}, 7, mx::float32);
  mx::array c = random_input({300, 16}, 8);
  auto loss = [&](const mx::array& wt) {
    return mx::sum(
        mx::astype(fast::layer_norm(x, wt, std::nullopt, 1e-5f), mx::float64) *
        c);
  };
  auto ref = [&](const mx::array& wt) {
    return mx::sum(layer_norm_ref(x, wt, std::nullopt, 1e-5f) * c);
  };
  expect_close(mx::grad(loss)(w), mx::grad(ref)(w), 1e-4);
}

// q, k, v (B, H, T, D) built as the transformer does: (B, T, H, D) viewed
// with the head axis swapped in (strided), or contiguous.
Arrays attention_inputs(
    int b, int hq, int hkv, int tq, int tk, int d, mx::Dtype t, bool strided) {
  auto make = [&](int h, int len, uint32_t seed) {
    if (strided) {
      return mx::swapaxes(input({b, len, h, d}, seed, t), 1, 2);
    }
    return input({b, h, len, d}, seed, t);
  };
  return {make(hq, tq, 10), make(hkv, tk, 11), make(hkv, tk, 12)};
}

TEST(FastVJP, AttentionMatchesComposedOpsForEachTypeMaskAndLayout) {
  for (auto t : kFloatTypes) {
    for (bool strided : {false, true}) {
      SCOPED_TRACE(mx::dtype_to_string(t) + (strided ? " strided" : ""));
      // Grouped heads (4 over 2), 6 queries over 9 keys.
      Arrays in = attention_inputs(2, 4, 2, 6, 9, 8, t, strided);
      mx::array add = input({6, 9}, 13, t);
      mx::array keep =
          mx::greater(random_input({2, 1, 6, 9}, 14), mx::array(-0.6));
      mx::array sinks = input({4}, 15, t);
      double tol = 4 * tolerance(t);
      float scale = 0.4f;
      for (std::string mode : {"", "causal", "add", "keep", "sinks"}) {
        SCOPED_TRACE(mode);
        std::optional<mx::array> mask;
        if (mode == "add") {
          mask = add;
        } else if (mode == "keep") {
          mask = keep;
        }
        std::optional<mx::array> s;
        if (mode == "sinks") {
          s = sinks;
        }
        std::string m = mode == "causal" ? "causal" : (mask ? "array" : "");
        std::string ref_mode = mode == "causal" ? "causal" : "";
        expect_same_gradients(
            [&](const Arrays& x) {
              return fast::scaled_dot_product_attention(
                  x[0], x[1], x[2], scale, m, mask, s);
            },
            [&](const Arrays& x) {
              return sdpa_ref(x[0], x[1], x[2], scale, ref_mode, mask, s);
            },
            in,
            tol);
      }
    }
  }
}

TEST(FastVJP, AttentionOverSeveralBlocksOfQueryRows) {
  // Long keys and wide heads make blocks of 16 query rows (the kernel's
  // minimum), so 40 queries span three blocks; causal, more keys than
  // queries.
  Arrays in = attention_inputs(1, 2, 1, 40, 300, 64, mx::float32, true);
  expect_same_gradients(
      [](const Arrays& x) {
        return fast::scaled_dot_product_attention(
            x[0], x[1], x[2], 0.125f, "causal");
      },
      [](const Arrays& x) {
        return sdpa_ref(x[0], x[1], x[2], 0.125f, "causal", std::nullopt);
      },
      in,
      1e-4);
}

TEST(FastVJP, AttentionMaskGradientGoesThroughTheComposedForm) {
  // An additive mask's gradient: the kernel does not cover it; q, k, v and
  // the mask get the reference's gradients.
  Arrays in = attention_inputs(1, 2, 2, 3, 4, 4, mx::float64, false);
  in.push_back(input({3, 4}, 16, mx::float64));
  mx::array c = random_input({1, 2, 3, 4}, 17);
  auto fused = [](const Arrays& x) {
    return fast::scaled_dot_product_attention(
        x[0], x[1], x[2], 0.5f, "array", x[3]);
  };
  auto ref = [](const Arrays& x) {
    return sdpa_ref(x[0], x[1], x[2], 0.5f, "", x[3]);
  };
  Arrays got = gradients(fused, in, c);
  Arrays want = gradients(ref, in, c);
  for (size_t i = 0; i < got.size(); ++i) {
    expect_close(got[i], want[i], 1e-12);
  }
}

} // namespace
