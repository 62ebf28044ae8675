// send, recv, recv_like, barrier, and sub-groups made by split with
// collectives inside them.
#include "dist_test_utils.h"

using namespace dist_test;

namespace {

// Sends to `dst` and receives from `src` without deadlocking when sends
// block until received (MPI's rendezvous for large messages): even ranks
// send first, odd ranks receive first.
mx::array
send_then_recv(const mx::array& x, int dst, int src, const dist::Group& g) {
  if (g.rank() % 2 == 0) {
    mx::eval(dist::send(x, dst, g));
    return dist::recv_like(x, src, g);
  }
  auto got = dist::recv_like(x, src, g);
  mx::eval(got);
  mx::eval(dist::send(x, dst, g));
  return got;
}

} // namespace

TEST(PointToPointTest, RingShiftSmallAndLarge) {
  auto g = world();
  int n = g.size();
  int r = g.rank();
  if (n < 2) {
    GTEST_SKIP() << "needs two processes";
  }
  int right = (r + 1) % n;
  int left = (r + n - 1) % n;
  // Large enough for MPI's rendezvous protocol; int8 and a transposed view.
  for (auto shape : {mx::Shape{5}, mx::Shape{300000}}) {
    for (auto dtype : {mx::float32, mx::int8, mx::complex64, mx::bool_}) {
      auto got = send_then_recv(rank_input(r, shape, dtype), right, left, g);
      expect_array_eq(got, rank_input(left, shape, dtype));
    }
  }
  auto view = mx::transpose(rank_input(r, {4, 3}, mx::int16));
  auto got = send_then_recv(view, right, left, g);
  expect_array_eq(got, mx::transpose(rank_input(left, {4, 3}, mx::int16)));
}

TEST(PointToPointTest, PairsExchangeBothWays) {
  auto g = world();
  int n = g.size();
  int r = g.rank();
  if (n < 2) {
    GTEST_SKIP() << "needs two processes";
  }
  // Pairs (0, 1), (2, 3), ...; an odd rank out stays idle.
  int partner = r % 2 == 0 ? r + 1 : r - 1;
  if (partner >= n) {
    return;
  }
  auto x = rank_input(r, {3, 4}, mx::float64);
  mx::array got = mx::array(0.0);
  if (r % 2 == 0) {
    mx::eval(dist::send(x, partner, g));
    got = dist::recv({3, 4}, mx::float64, partner, g);
  } else {
    got = dist::recv({3, 4}, mx::float64, partner, g);
    got.eval();
    mx::eval(dist::send(x, partner, g));
  }
  expect_array_eq(got, rank_input(partner, {3, 4}, mx::float64));
}

TEST(PointToPointTest, SendReturnsItsInput) {
  auto g = world();
  if (g.size() < 2) {
    GTEST_SKIP() << "needs two processes";
  }
  int r = g.rank();
  auto x = rank_input(r, {6}, mx::int32);
  if (r == 0) {
    auto sent = dist::send(x, 1, g);
    expect_array_eq(sent, x);
  } else if (r == 1) {
    auto got = dist::recv_like(x, 0, g);
    expect_array_eq(got, rank_input(0, {6}, mx::int32));
  }
}

TEST(PointToPointTest, RejectsInvalidPeers) {
  auto g = world();
  int n = g.size();
  int r = g.rank();
  auto x = mx::array({1.0f, 2.0f});
  expect_throws_with_prefix([&] { dist::send(x, n, g); }, "[send]", "rank");
  expect_throws_with_prefix([&] { dist::send(x, -1, g); }, "[send]");
  expect_throws_with_prefix([&] { dist::send(x, r, g); }, "[send]", "own rank");
  expect_throws_with_prefix([&] { dist::recv_like(x, n, g); }, "[recv]");
  expect_throws_with_prefix(
      [&] { dist::recv({2}, mx::float32, r, g); }, "[recv]", "own rank");
}

TEST(PointToPointTest, BarrierReturnsOnEveryRank) {
  dist::barrier();
  dist::barrier(world());
  SUCCEED();
}

TEST(SplitTest, SubGroupsOrderedByKeyRunCollectives) {
  auto g = world();
  int n = g.size();
  int r = g.rank();
  // Even and odd ranks; the key n - r reverses their order.
  auto sub = g.split(r % 2, n - r);
  std::vector<int> members;
  for (int q = r % 2; q < n; q += 2) {
    members.push_back(q);
  }
  std::reverse(members.begin(), members.end());
  int expected_rank = static_cast<int>(
      std::find(members.begin(), members.end(), r) - members.begin());
  ASSERT_EQ(sub.size(), static_cast<int>(members.size()));
  EXPECT_EQ(sub.rank(), expected_rank);

  auto x = rank_input(r, {10}, mx::float32);
  auto sum = dist::all_sum(x, sub);
  std::vector<double> expected(10, 0.0);
  std::vector<double> gathered;
  for (int q : members) {
    auto v = mlx_test::to_doubles(rank_input(q, {10}, mx::float32));
    for (size_t i = 0; i < v.size(); ++i) {
      expected[i] += v[i];
    }
    gathered.insert(gathered.end(), v.begin(), v.end());
  }
  expect_array_values(sum, {10}, expected);
  // Sub-group rank order, not world order.
  auto all = dist::all_gather(x, sub);
  expect_array_values(all, {10 * static_cast<int>(members.size())}, gathered);
}

TEST(SplitTest, DefaultKeyKeepsOrderAndSubGroupsNest) {
  auto g = world();
  int n = g.size();
  int r = g.rank();
  // Lower and upper half, then each half split again into singles.
  auto half = g.split(r < n / 2 ? 0 : 1);
  int half_size = r < n / 2 ? n / 2 : n - n / 2;
  EXPECT_EQ(half.size(), half_size);
  EXPECT_EQ(half.rank(), r < n / 2 ? r : r - n / 2);
  auto single = half.split(half.rank());
  EXPECT_EQ(single.size(), 1);
  EXPECT_EQ(single.rank(), 0);
  auto x = mx::array({float(r)});
  // In a group of one a collective is the identity.
  expect_array_eq(dist::all_sum(x, single), x);
  // Sum of the half's world ranks.
  double expected = 0;
  for (int q = (r < n / 2 ? 0 : n / 2); q < (r < n / 2 ? n / 2 : n); ++q) {
    expected += q;
  }
  expect_array_values(dist::all_sum(x, half), {1}, {expected});
  expect_throws_with_prefix([&] { g.split(-2); }, "[split]", "-2");
}
