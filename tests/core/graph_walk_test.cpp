// detail::walk_graph, the walk behind eval's, the transforms' and compile's
// tapes: post-order, stopping where told, shared nodes and multi-output
// primitives once, and no recursion on deep graphs.
#include <algorithm>
#include <map>
#include <set>

#include "mlx/graph_walk.h"
#include "test_utils.h"

namespace {

using Ids = std::vector<std::uintptr_t>;

bool has_primitive(const mx::array& a) {
  return a.has_primitive();
}

// The ids `walk_graph` hands to on_node, in order.
template <typename Enter>
Ids walk_ids(const std::vector<mx::array>& outputs, Enter enter) {
  Ids order;
  mx::detail::walk_graph(
      outputs, enter, [&](mx::array a) { order.push_back(a.id()); });
  return order;
}

} // namespace

TEST(GraphWalk, VisitsInputsBeforeUsersDepthFirstFromTheFirstInput) {
  mx::array a({1.0f, 2.0f});
  mx::array b({3.0f, 4.0f});
  auto c = mx::add(a, b);
  auto d = mx::multiply(c, a);
  auto e_exp = mx::exp(d);
  auto e = mx::add(e_exp, c);
  // e's first input leads through d to c, so c comes first; the leaves a
  // and b are not entered; c, reached again from e, is not repeated.
  EXPECT_EQ(
      walk_ids({e}, has_primitive), (Ids{c.id(), d.id(), e_exp.id(), e.id()}));
}

TEST(GraphWalk, OutputsAreWalkedInOrderAndSharedNodesOnce) {
  mx::array a({1.0f});
  auto c = mx::negative(a);
  auto d = mx::exp(c);
  auto e = mx::sin(c);
  EXPECT_EQ(walk_ids({d, e, c}, has_primitive), (Ids{c.id(), d.id(), e.id()}));
}

TEST(GraphWalk, EnterStopsTheWalkAndIsAskedOncePerArray) {
  mx::array a({1.0f, 2.0f});
  auto c = mx::add(a, a);
  auto d = mx::multiply(c, c);
  auto e = mx::add(mx::exp(d), c);
  std::map<std::uintptr_t, int> asked;
  auto enter = [&](const mx::array& x) {
    ++asked[x.id()];
    return x.has_primitive() && x.id() != d.id();
  };
  Ids order = walk_ids({e}, enter);
  // Not entering d hides nothing that e reaches another way: c is visited
  // through e's second input.
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order[1], c.id());
  EXPECT_EQ(order[2], e.id());
  EXPECT_EQ(asked.count(a.id()), 1u);
  for (auto& [id, times] : asked) {
    EXPECT_EQ(times, 1) << "array " << id << " asked " << times << " times";
  }
}

TEST(GraphWalk, StoppedNodesHideTheirInputs) {
  mx::array a({1.0f});
  auto c = mx::exp(a);
  auto d = mx::sin(c);
  auto e = mx::cos(d);
  auto enter = [&](const mx::array& x) {
    return x.has_primitive() && x.id() != d.id();
  };
  EXPECT_EQ(walk_ids({e}, enter), (Ids{e.id()}));
}

TEST(GraphWalk, DiamondChainIsLinearNotExponential) {
  // Each step uses the previous node twice: a walk that did not remember
  // visited nodes would make 2^40 visits.
  mx::array x({1.0f});
  Ids expected;
  for (int i = 0; i < 40; ++i) {
    x = mx::add(x, x);
    expected.push_back(x.id());
  }
  EXPECT_EQ(walk_ids({x}, has_primitive), expected);
}

TEST(GraphWalk, MultiOutputPrimitiveIsVisitedOnceThroughEitherOutput) {
  mx::array m({4.0f, 1.0f, 2.0f, 3.0f}, {2, 2});
  auto [q, r] = mx::linalg::qr(m, mx::Device::cpu);
  ASSERT_EQ(q.siblings().size(), 1u);
  auto sum_q = mx::sum(q);
  auto s = mx::add(r, sum_q);
  Ids order = walk_ids({s}, has_primitive);
  // s's first input is r: the QR node is visited through r (after the
  // nodes that prepare its input); q, its sibling, is not visited again
  // on the way through sum(q).
  auto at = [&](std::uintptr_t id) {
    return std::find(order.begin(), order.end(), id) - order.begin();
  };
  EXPECT_EQ(std::count(order.begin(), order.end(), q.id()), 0);
  EXPECT_EQ(std::count(order.begin(), order.end(), r.id()), 1);
  EXPECT_LT(at(r.id()), at(sum_q.id()));
  ASSERT_FALSE(order.empty());
  EXPECT_EQ(order.back(), s.id());
  EXPECT_EQ(
      order.size(),
      std::set<std::uintptr_t>(order.begin(), order.end()).size());
}

TEST(GraphWalk, DeepChainDoesNotOverflowTheStack) {
  // 200k nested nodes: a recursive walk would need far more than a
  // thread's 8 MiB stack.
  constexpr int kDepth = 200000;
  mx::array x({1.0f});
  auto first = mx::negative(x);
  x = first;
  for (int i = 1; i < kDepth; ++i) {
    x = mx::negative(x);
  }
  size_t count = 0;
  std::uintptr_t first_seen = 0, last_seen = 0;
  mx::detail::walk_graph({x}, has_primitive, [&](mx::array a) {
    if (count++ == 0) {
      first_seen = a.id();
    }
    last_seen = a.id();
  });
  EXPECT_EQ(count, static_cast<size_t>(kDepth));
  EXPECT_EQ(first_seen, first.id());
  EXPECT_EQ(last_seen, x.id());
}
