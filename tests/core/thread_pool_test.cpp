// The intra-op thread pool.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "mlx/backend/cpu/thread_pool.h"

namespace cpu = mlx::core::cpu;

TEST(ThreadPoolTest, EveryIndexRunsExactlyOnce) {
  constexpr size_t n = 1000003; // prime: uneven chunks
  std::vector<std::atomic<int>> hits(n);
  cpu::parallel_for(n, 1000, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      ++hits[i];
    }
  });
  for (size_t i = 0; i < n; ++i) {
    ASSERT_EQ(hits[i], 1) << i;
  }
}

TEST(ThreadPoolTest, SmallWorkRunsInlineAndEmptyWorkNotAtAll) {
  std::thread::id caller = std::this_thread::get_id();
  bool inline_call = false;
  cpu::parallel_for(10, 1000, [&](size_t b, size_t e) {
    inline_call = std::this_thread::get_id() == caller && b == 0 && e == 10;
  });
  EXPECT_TRUE(inline_call);
  int calls = 0;
  cpu::parallel_for(0, 1, [&](size_t, size_t) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(ThreadPoolTest, ExceptionReachesCallerAfterAllChunks) {
  std::atomic<size_t> done{0};
  EXPECT_THROW(
      cpu::parallel_for(
          1 << 20,
          1,
          [&](size_t b, size_t e) {
            done += e - b;
            if (b == 0) {
              throw std::runtime_error("chunk failed");
            }
          }),
      std::runtime_error);
  EXPECT_EQ(done, size_t(1) << 20);
}

TEST(ThreadPoolTest, NestedAndConcurrentCallsFinish) {
  std::atomic<size_t> total{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 3; ++t) {
    callers.emplace_back([&] {
      cpu::parallel_for(64, 1, [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i) {
          cpu::parallel_for(1000, 10, [&](size_t bb, size_t ee) {
            total += ee - bb;
          });
        }
      });
    });
  }
  for (auto& c : callers) {
    c.join();
  }
  EXPECT_EQ(total, size_t(3) * 64 * 1000);
}
