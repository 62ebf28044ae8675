// MLX_DIST_DEBUG=1: the ranks compare each operation before running it.
// Run with the variable set (ctest sets it); without it these tests skip.
#include <cstdlib>

#include "dist_test_utils.h"

using namespace dist_test;

namespace {

bool debug_mode() {
  const char* v = std::getenv("MLX_DIST_DEBUG");
  return v != nullptr && std::string(v) == "1";
}

} // namespace

class DebugTest : public testing::Test {
protected:
  void SetUp() override {
    if (!debug_mode() || world().size() < 2) {
      GTEST_SKIP() << "needs MLX_DIST_DEBUG=1 and two processes";
    }
  }
};

TEST_F(DebugTest, MatchingOperationsStillWork) {
  int n = world().size();
  auto x = mx::full({5}, 1.0f, mx::float32);
  expect_array_values(dist::all_sum(x), {5}, std::vector<double>(5, n));
  auto g = dist::all_gather(mx::array({world().rank()}));
  EXPECT_EQ(g.shape(), mx::Shape({n}));
  dist::barrier();
}

TEST_F(DebugTest, DifferentCollectivesNameTheRanksAndCalls) {
  // Rank 0 sums, the others take the max: every rank raises the same error.
  auto x = mx::zeros({4}, mx::float32);
  bool first = world().rank() == 0;
  expect_runtime_error(
      [&] { mx::eval(first ? dist::all_sum(x) : dist::all_max(x)); },
      {"disagree",
       world().size() > 2 ? "ranks 1, 2" : "rank 1",
       "rank 0: all_sum of 4 elements of float32",
       "rank 1: all_max of 4 elements of float32"});
}

TEST_F(DebugTest, DifferentSizesAndDtypesAreCaught) {
  int r = world().rank();
  // The last rank sends one element more.
  auto x = mx::zeros({r == world().size() - 1 ? 4 : 3}, mx::int32);
  expect_runtime_error(
      [&] { mx::eval(dist::all_sum(x)); },
      {"[all_sum]", "of 3 elements of int32", "of 4 elements of int32"});
  auto y = mx::zeros({3}, r == 0 ? mx::float16 : mx::bfloat16);
  expect_runtime_error(
      [&] { mx::eval(dist::all_sum(y)); }, {"float16", "bfloat16"});
  // The operations after a caught mismatch still line up.
  expect_array_values(
      dist::all_sum(mx::array({1})), {1}, {double(world().size())});
}

TEST_F(DebugTest, ReceiverCatchesASizeMismatch) {
  // In a pair sub-group of its own: the unmatched message stays there.
  int r = world().rank();
  auto pair = world().split(r < 2 ? 0 : 1);
  if (r >= 2) {
    return;
  }
  if (r == 0) {
    mx::eval(dist::send(mx::zeros({8}, mx::float32), 1, pair));
  } else {
    expect_runtime_error(
        [&] { mx::eval(dist::recv({4}, mx::float32, 0, pair)); },
        {"[recv]", "Rank 0", "16 bytes", "send of 32 bytes"});
  }
}
