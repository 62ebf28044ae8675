// Allocator accounting, the buffer cache, and buffer donation.
#include <gtest/gtest.h>

#include "mlx/mlx.h"
#include "mlx/primitives/primitive.h"

namespace mx = mlx::core;

namespace {
// 4 MiB: a multiple of every size class, so accounting is exact.
constexpr int kN = 1 << 20;
constexpr size_t kBytes = kN * sizeof(float);
} // namespace

TEST(MemoryTest, ActivePeakAndCache) {
  mx::clear_cache();
  size_t base = mx::get_active_memory();
  {
    auto x = mx::full({kN}, 1.0f);
    mx::eval(x);
    EXPECT_GE(mx::get_active_memory(), base + kBytes);
    EXPECT_GE(mx::get_peak_memory(), base + kBytes);
  }
  // Freed buffers go to the cache...
  EXPECT_LE(mx::get_active_memory(), base + 1024);
  EXPECT_GE(mx::get_cache_memory(), kBytes);
  // ...and are reused by the next allocation of that size.
  {
    size_t cached = mx::get_cache_memory();
    auto y = mx::full({kN}, 2.0f);
    mx::eval(y);
    EXPECT_LE(mx::get_cache_memory(), cached - kBytes + 1024);
  }
  mx::clear_cache();
  EXPECT_EQ(mx::get_cache_memory(), 0u);
  mx::reset_peak_memory();
  EXPECT_LE(mx::get_peak_memory(), mx::get_active_memory() + 1024);
}

TEST(MemoryTest, LimitsReturnPreviousValues) {
  size_t mem = mx::get_memory_limit();
  EXPECT_GT(mem, 0u);
  size_t prev = mx::set_memory_limit(mem / 2);
  EXPECT_EQ(prev, mem);
  EXPECT_EQ(mx::set_memory_limit(mem), mem / 2);

  size_t cache_prev = mx::set_cache_limit(0);
  {
    auto x = mx::full({kN}, 1.0f);
    mx::eval(x);
  }
  // With a zero cache limit freed buffers go straight back to the system.
  EXPECT_EQ(mx::get_cache_memory(), 0u);
  EXPECT_EQ(mx::set_cache_limit(cache_prev), 0u);
  EXPECT_EQ(mx::set_wired_limit(0), 0u);
}

TEST(MemoryTest, DonationReusesOneBuffer) {
  mx::clear_cache();
  size_t base = mx::get_active_memory();
  mx::reset_peak_memory();
  // x is referenced only by the graph: exp(x) and exp(exp(x)) reuse its
  // buffer, so the whole evaluation holds one 4 MiB buffer, not three.
  auto y = mx::exp(mx::exp(mx::full({kN}, 0.0f)));
  mx::eval(y);
  size_t small = 4096; // the scalar fill value and its conversions
  EXPECT_LE(mx::get_peak_memory(), base + kBytes + small);
  EXPECT_NEAR(y.data<float>()[123], std::exp(1.0f), 1e-6);
}

TEST(MemoryTest, NoDonationWhenInputIsStillReferenced) {
  mx::clear_cache();
  auto x = mx::full({kN}, 0.0f);
  mx::eval(x);
  size_t base = mx::get_active_memory();
  mx::reset_peak_memory();
  auto y = mx::exp(mx::exp(x));
  mx::eval(y);
  // x stays valid (one new buffer for exp(x), reused by exp(exp(x))).
  EXPECT_EQ(x.data<float>()[7], 0.0f);
  EXPECT_LE(mx::get_peak_memory(), base + kBytes + 4096);
  EXPECT_GE(mx::get_peak_memory(), base + kBytes);
}

TEST(MemoryTest, LongChainHoldsBoundedMemory) {
  mx::clear_cache();
  size_t base = mx::get_active_memory();
  mx::reset_peak_memory();
  constexpr int kSmall = 1 << 16; // 256 KiB per intermediate
  auto x = mx::zeros({kSmall});
  for (int i = 0; i < 10000; ++i) {
    x = x + 1.0f;
  }
  mx::eval(x);
  // 10,000 live intermediates would be 2.5 GB; a few are allowed.
  EXPECT_LE(mx::get_peak_memory(), base + 4 * kSmall * sizeof(float));
  EXPECT_EQ(x.data<float>()[kSmall - 1], 10000.0f);
}

namespace {

// Two outputs (a copy of the input and its negation) from one primitive.
class CopyAndNegate : public mx::Primitive {
public:
  explicit CopyAndNegate(mx::Stream s) : mx::Primitive(s) {}
  void eval_cpu(
      const std::vector<mx::array>& inputs,
      std::vector<mx::array>& outputs) override {
    const auto& in = inputs[0];
    for (int k = 0; k < 2; ++k) {
      outputs[k].set_data(mx::allocator::malloc(in.nbytes()));
      for (size_t i = 0; i < in.size(); ++i) {
        outputs[k].data<float>()[i] =
            (k == 0 ? 1.0f : -1.0f) * in.data<float>()[i];
      }
    }
  }
  void
  eval_gpu(const std::vector<mx::array>&, std::vector<mx::array>&) override {
    throw std::runtime_error("[CopyAndNegate] no gpu");
  }
  const char* name() const override { return "CopyAndNegate"; }
};

std::vector<mx::array> copy_and_negate(const mx::array& x) {
  return mx::array::make_arrays(
      {x.shape(), x.shape()},
      {mx::float32, mx::float32},
      std::make_shared<CopyAndNegate>(mx::default_stream(mx::Device::cpu)),
      {x});
}

} // namespace

TEST(MemoryTest, UnevaluatedSiblingOutputsAreFreed) {
  mx::clear_cache();
  size_t base = mx::get_active_memory();
  {
    auto x = mx::full({kN}, 2.0f);
    mx::eval(x);
    auto outs = copy_and_negate(x);
    EXPECT_EQ(outs[0].siblings().size(), 1u);
  } // both outputs dropped unevaluated: the group and x are freed
  EXPECT_LE(mx::get_active_memory(), base + 1024);
  {
    auto x = mx::full({kN}, 2.0f);
    mx::eval(x);
    auto outs = copy_and_negate(x);
    x = mx::array(0.0f); // assignment drops the caller's handle to x
    mx::array kept = outs[1];
    outs.clear(); // one output still held: the input must stay alive
    EXPECT_GE(mx::get_active_memory(), base + kBytes);
    EXPECT_EQ(kept.data<float>() == nullptr, true);
    EXPECT_FLOAT_EQ(mx::sum(kept).item<float>(), -2.0f * kN);
  }
  EXPECT_LE(mx::get_active_memory(), base + 1024);
}
