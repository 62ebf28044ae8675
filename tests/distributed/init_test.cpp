// init() in a process started alone (no mpirun, no ring settings): a group
// of one on which the collectives are identities; strict init fails.
#include "../core/test_utils.h"
#include "mlx/distributed/ops.h"

namespace dist = mx::distributed;

TEST(InitTest, AloneGivesAGroupOfOne) {
  EXPECT_TRUE(dist::is_available());
  auto g = dist::init();
  EXPECT_EQ(g.size(), 1);
  EXPECT_EQ(g.rank(), 0);
  // The world group is made once.
  EXPECT_EQ(dist::init().raw_group(), g.raw_group());
  EXPECT_EQ(dist::init(false, "mpi").size(), 1);
  EXPECT_EQ(dist::init(false, "ring").size(), 1);
}

TEST(InitTest, StrictInitFailsWithAClearMessage) {
  try {
    dist::init(true);
    ADD_FAILURE() << "strict init succeeded without a launcher";
  } catch (const std::runtime_error& e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.rfind("[init]", 0), 0u) << msg;
    EXPECT_NE(msg.find("mpirun"), std::string::npos) << msg;
  }
  EXPECT_THROW(dist::init(true, "mpi"), std::runtime_error);
  EXPECT_THROW(dist::init(true, "ring"), std::exception);
  expect_throws_with_prefix(
      [] { dist::init(false, "nccl"); }, "[init]", "nccl");
}

TEST(InitTest, CollectivesOnAGroupOfOneReturnTheirInput) {
  auto x = mx::transpose(mx::reshape(mx::arange(6), {2, 3}));
  for (auto& y :
       {dist::all_sum(x),
        dist::all_max(x),
        dist::all_min(x),
        dist::all_gather(x),
        dist::sum_scatter(x),
        dist::broadcast(x, 0)}) {
    EXPECT_TRUE(y.is_same(x));
  }
  auto s = mx::array(2.5f);
  EXPECT_TRUE(dist::all_gather(s).is_same(s));
  dist::barrier();
}

TEST(InitTest, GroupOfOneRejectsPeersAndSplitsIntoItself) {
  auto g = dist::init();
  expect_throws_with_prefix(
      [&] { dist::send(mx::array(1), 0, g); }, "[send]", "own rank");
  expect_throws_with_prefix(
      [&] { dist::recv({1}, mx::int32, 1, g); }, "[recv]", "size 1");
  expect_throws_with_prefix(
      [&] { dist::broadcast(mx::array(1), 1, g); }, "[broadcast]");
  auto sub = g.split(3);
  EXPECT_EQ(sub.size(), 1);
  EXPECT_EQ(sub.rank(), 0);
}
