// Data-parallel training through nn::average_gradients: the same program
// runs under mpirun and the ring launcher with 2 and 4 ranks.
#include <functional>
#include <set>

#include "dist_test_utils.h"
#include "mlx/nn/distributed.h"
#include "mlx/nn/module.h"
#include "mlx/primitives/primitive.h"
#include "mlx/random.h"
#include "mlx/tree.h"

namespace nn = mlx::nn;
namespace mu = mlx::utils;
using mu::Tree;

namespace {

// Number of AllSum / AllSumMany nodes in the graph that produces the leaves of
// `tree`.
int count_all_sums(const Tree& tree) {
  std::set<std::uintptr_t> seen;
  std::set<const mx::Primitive*> collectives;
  std::vector<mx::array> stack;
  for (auto& [path, leaf] : mu::tree_flatten(tree)) {
    stack.push_back(leaf);
  }
  int count = 0;
  while (!stack.empty()) {
    mx::array a = stack.back();
    stack.pop_back();
    if (!seen.insert(a.id()).second || !a.has_primitive()) {
      continue;
    }
    // The outputs of one AllSumMany share its primitive: count it once.
    if (std::string(a.primitive().name()).rfind("AllSum", 0) == 0 &&
        collectives.insert(&a.primitive()).second) {
      ++count;
    }
    for (auto& in : a.inputs()) {
      stack.push_back(in);
    }
  }
  return count;
}

// 100 float32 gradients of 10 elements (40 bytes each); rank q's values
// are rank_input(q, ...) of a per-gradient shape.
Tree hundred_gradients(int q) {
  Tree::List list;
  for (int i = 0; i < 100; ++i) {
    auto g = dist_test::rank_input(q, {2, 5}, mx::float32);
    list.push_back(Tree(mx::add(g, mx::array(float(i)))));
  }
  return Tree{{"grads", Tree(std::move(list))}};
}

Tree mean_over_ranks(int n, const std::function<Tree(int)>& make) {
  Tree total = make(0);
  for (int q = 1; q < n; ++q) {
    total = mu::tree_map(
        [](const std::vector<mx::array>& xs) { return mx::add(xs[0], xs[1]); },
        total,
        {make(q)});
  }
  return mu::tree_map(
      [n](const mx::array& a) {
        return mx::divide(a, mx::array(n, a.dtype()));
      },
      total);
}

void expect_trees_near(const Tree& got, const Tree& want, double tol) {
  auto g = mu::tree_flatten(got);
  auto w = mu::tree_flatten(want);
  ASSERT_EQ(g.size(), w.size());
  for (size_t i = 0; i < g.size(); ++i) {
    EXPECT_EQ(g[i].first, w[i].first);
    EXPECT_EQ(g[i].second.dtype(), w[i].second.dtype()) << g[i].first;
    expect_array_near(
        g[i].second,
        mlx_test::to_doubles(w[i].second),
        w[i].second.shape(),
        tol,
        tol);
  }
}

} // namespace

TEST(AverageGradientsTest, BucketsIssueTheExpectedCollectives) {
  auto group = dist_test::world();
  if (group.size() == 1) {
    GTEST_SKIP() << "needs several ranks";
  }
  Tree grads = hundred_gradients(group.rank());
  Tree want = mean_over_ranks(group.size(), hundred_gradients);
  struct Case {
    int64_t bucket_bytes;
    std::optional<mx::Dtype> wire;
    int all_sums;
  };
  // 40-byte gradients (20 on a 16-bit wire): a bucket closes at >=
  // bucket_bytes.
  std::vector<Case> cases = {
      {0, std::nullopt, 100},
      {-1, std::nullopt, 100},
      {32 << 20, std::nullopt, 1},
      {400, std::nullopt, 10},
      {41, std::nullopt, 50},
      {40, std::nullopt, 100},
      {1000, std::nullopt, 4},
      {400, mx::float16, 5},
      {32 << 20, mx::bfloat16, 1}};
  for (auto& c : cases) {
    SCOPED_TRACE(
        "all_reduce_size " + std::to_string(c.bucket_bytes) +
        (c.wire ? " on a 16-bit wire" : ""));
    auto averaged = nn::average_gradients(grads, group, c.bucket_bytes, c.wire);
    EXPECT_EQ(count_all_sums(averaged), c.all_sums);
    // Small integers: exact in float32 and float16 (sums below 2048);
    // bfloat16 keeps 8 significant bits.
    expect_trees_near(averaged, want, c.wire == mx::bfloat16 ? 1.0 / 128 : 0);
  }
}

TEST(AverageGradientsTest, MixedDtypesAndShapes) {
  auto group = dist_test::world();
  auto make = [](int q) {
    Tree t;
    t["a"] = Tree(dist_test::rank_input(q, {3, 4}, mx::float32));
    t["b"]["c"] = Tree(dist_test::rank_input(q, {}, mx::float64));
    t["b"]["d"] = Tree(dist_test::rank_input(q, {0, 3}, mx::float32));
    t["e"] = Tree(Tree::List{Tree(dist_test::rank_input(q, {7}, mx::float16))});
    return t;
  };
  auto averaged = nn::average_gradients(make(group.rank()), group);
  // Mixed dtypes cannot share a buffer: one collective per array (the
  // 0-size one included). Counted before evaluation detaches the graph.
  if (group.size() > 1) {
    EXPECT_EQ(count_all_sums(averaged), 4);
  }
  expect_trees_near(averaged, mean_over_ranks(group.size(), make), 1e-3);
}

TEST(AverageGradientsTest, SizeOneGroupReturnsTheInput) {
  auto group = dist_test::world();
  auto alone = group.split(group.rank());
  Tree grads = hundred_gradients(group.rank());
  auto same = nn::average_gradients(grads, alone);
  auto g = mu::tree_flatten(same);
  auto w = mu::tree_flatten(grads);
  for (size_t i = 0; i < g.size(); ++i) {
    EXPECT_EQ(g[i].second.id(), w[i].second.id());
  }
}

namespace {

// tanh MLP 4 -> 8 -> 1 with parameters from a fixed key (the same on every
// rank, as a seeded model would be).
class SmallMlp : public nn::Module {
public:
  SmallMlp() {
    auto keys = mx::random::split(mx::random::key(7), 4);
    auto k = [&](int i) { return mx::take(keys, mx::array(i), 0); };
    register_parameter(
        "w1", mx::random::normal({8, 4}, mx::float32, 0.0f, 0.5f, k(0)));
    register_parameter(
        "b1", mx::random::normal({8}, mx::float32, 0.0f, 0.1f, k(1)));
    register_parameter(
        "w2", mx::random::normal({1, 8}, mx::float32, 0.0f, 0.5f, k(2)));
    register_parameter("b2", mx::zeros({1}));
  }
  mx::array operator()(const mx::array& x) override {
    auto h = mx::tanh(
        mx::add(mx::matmul(x, mx::transpose(param("w1"))), param("b1")));
    return mx::add(mx::matmul(h, mx::transpose(param("w2"))), param("b2"));
  }
};

struct Batch {
  mx::array x, y;
};

Batch global_batch() {
  auto k = mx::random::split(mx::random::key(11), 2);
  auto x = mx::random::normal(
      {16, 4}, mx::float32, 0.0f, 1.0f, mx::take(k, mx::array(0), 0));
  auto y = mx::sin(mx::sum(x, {1}, true));
  return {x, y};
}

mx::array mse(SmallMlp& model, const mx::array& x, const mx::array& y) {
  return mx::mean(mx::square(mx::subtract(model(x), y)));
}

void sgd_step(SmallMlp& model, const Tree& grads, float lr) {
  model.update(mu::tree_map(
      [lr](const std::vector<mx::array>& pg) {
        return mx::subtract(pg[0], mx::multiply(mx::array(lr), pg[1]));
      },
      model.parameters(),
      {grads}));
}

} // namespace

TEST(DataParallelTest, MatchesSingleProcessAndStaysInSync) {
  auto group = dist_test::world();
  int n = group.size();
  int rank = group.rank();
  auto data = global_batch();
  int shard = 16 / n;
  auto x_local = mx::slice(data.x, {rank * shard, 0}, {(rank + 1) * shard, 4});
  auto y_local = mx::slice(data.y, {rank * shard, 0}, {(rank + 1) * shard, 1});

  SmallMlp parallel;
  SmallMlp single;
  auto parallel_step =
      nn::value_and_grad(parallel, [&](const mx::array& x, const mx::array& y) {
        return mse(parallel, x, y);
      });
  auto single_step =
      nn::value_and_grad(single, [&](const mx::array& x, const mx::array& y) {
        return mse(single, x, y);
      });
  for (int step = 0; step < 6; ++step) {
    auto [local_loss, local_grads] = parallel_step(x_local, y_local);
    // Small buckets: several collectives per step.
    sgd_step(parallel, nn::average_gradients(local_grads, group, 64), 0.2f);
    auto global_loss = mx::divide(
        mx::distributed::all_sum(local_loss, group), mx::array(float(n)));

    auto [loss, grads] = single_step(data.x, data.y);
    sgd_step(single, grads, 0.2f);
    // Equal shards: the mean of the shard losses is the global loss.
    EXPECT_NEAR(
        global_loss.item<float>(),
        loss.item<float>(),
        1e-5 * std::abs(loss.item<float>()))
        << "step " << step;
  }
  for (auto& [path, p] : mu::tree_flatten(parallel.parameters())) {
    SCOPED_TRACE(path);
    // Bit-identical on every rank: the max and min over ranks agree.
    auto hi = mx::distributed::all_max(p, group);
    auto lo = mx::distributed::all_min(p, group);
    EXPECT_TRUE(mx::array_equal(hi, lo).item<bool>());
    expect_array_near(
        p, mlx_test::to_doubles(single.param(path)), p.shape(), 1e-5, 1e-6);
  }
}
