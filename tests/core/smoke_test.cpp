#include <gtest/gtest.h>

#include "mlx/mlx.h"

namespace mx = mlx::core;

TEST(SmokeTest, AddPrints) {
  auto x = mx::array({1, 2, 3});
  std::ostringstream os;
  os << x + x;
  EXPECT_EQ(os.str(), "array([2, 4, 6], dtype=int32)");
}
