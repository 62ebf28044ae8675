// mlx::utils::Tree and the tree utilities.
#include "mlx/tree.h"

#include "test_utils.h"

namespace mu = mlx::utils;
using mu::Tree;

namespace {

Tree sample() {
  // {"b": [x, {"w": y}], "a": z}: keys sort, lists keep their order.
  Tree t;
  t["b"] = Tree(Tree::List{
      Tree(mx::array(1.0f)), Tree{{"w", Tree(mx::array({2.0f, 3.0f}))}}});
  t["a"] = Tree(mx::array(4.0f));
  return t;
}

std::vector<std::string> keys(const mu::FlatTree& flat) {
  std::vector<std::string> out;
  for (auto& [k, v] : flat) {
    out.push_back(k);
  }
  return out;
}

float value(mx::array a) {
  return a.item<float>();
}

} // namespace

TEST(TreeTest, FlattenUsesDotPathsInKeyOrder) {
  auto flat = mu::tree_flatten(sample());
  EXPECT_EQ(keys(flat), (std::vector<std::string>{"a", "b.0", "b.1.w"}));
  EXPECT_EQ(flat[2].second.size(), 2u);
  auto prefixed = mu::tree_flatten(sample(), "model");
  EXPECT_EQ(prefixed[1].first, "model.b.0");
}

TEST(TreeTest, UnflattenInvertsFlatten) {
  auto t = mu::tree_unflatten(mu::tree_flatten(sample()));
  ASSERT_TRUE(t.is_dict());
  ASSERT_TRUE(t.at("b").is_list());
  EXPECT_EQ(t.at("b").size(), 2u);
  EXPECT_EQ(t.at("b").at(size_t(1)).at("w").as_array().shape(), mx::Shape{2});
  EXPECT_EQ(value(t.at("a").as_array()), 4.0f);
  EXPECT_EQ(t.num_leaves(), 3u);
}

TEST(TreeTest, UnflattenFillsListGapsAsMlx) {
  // A Sequential whose middle layer has no parameters.
  auto t = mu::tree_unflatten(
      {{"layers.2.weight", mx::array(1.0f)},
       {"layers.0.weight", mx::array(2.0f)}});
  ASSERT_TRUE(t.at("layers").is_list());
  ASSERT_EQ(t.at("layers").size(), 3u);
  EXPECT_TRUE(t.at("layers").at(size_t(1)).is_empty());
  EXPECT_EQ(value(t.at("layers").at(size_t(0)).at("weight").as_array()), 2.0f);
  // Flattening skips the empty slot.
  EXPECT_EQ(
      keys(mu::tree_flatten(t)),
      (std::vector<std::string>{"layers.0.weight", "layers.2.weight"}));
}

TEST(TreeTest, UnflattenRejectsConflicts) {
  expect_throws_with_prefix(
      [] {
        mu::tree_unflatten({{"a", mx::array(1)}, {"a.b", mx::array(2)}});
      },
      "[tree_unflatten]",
      "a.b");
  expect_throws_with_prefix(
      [] {
        mu::tree_unflatten({{"a.b", mx::array(1)}, {"a", mx::array(2)}});
      },
      "[tree_unflatten]",
      "\"a\"");
  expect_throws_with_prefix(
      [] {
        mu::tree_unflatten({{"a..b", mx::array(1)}});
      },
      "[tree_unflatten]",
      "a..b");
  expect_throws_with_prefix(
      [] {
        mu::tree_unflatten({{"l.0", mx::array(1)}, {"l.00", mx::array(2)}});
      },
      "[tree_unflatten]",
      "twice");
}

TEST(TreeTest, MapKeepsStructure) {
  auto doubled = mu::tree_map(
      [](const mx::array& a) { return mx::multiply(a, mx::array(2.0f)); },
      sample());
  auto flat = mu::tree_flatten(doubled);
  EXPECT_EQ(keys(flat), (std::vector<std::string>{"a", "b.0", "b.1.w"}));
  expect_array_near(flat[2].second, {4.0, 6.0}, {2});
  EXPECT_EQ(flat[0].second.item<float>(), 8.0f);
}

TEST(TreeTest, MapOverSeveralTrees) {
  auto t = sample();
  auto ones =
      mu::tree_map([](const mx::array& a) { return mx::ones_like(a); }, t);
  auto sum = mu::tree_map(
      [](const std::vector<mx::array>& xs) { return mx::add(xs[0], xs[1]); },
      t,
      {ones});
  expect_array_near(mu::tree_flatten(sum)[2].second, {3.0, 4.0}, {2});
  Tree missing;
  missing["a"] = Tree(mx::array(1.0f));
  expect_throws_with_prefix(
      [&] {
        mu::tree_map(
            [](const std::vector<mx::array>& xs) { return xs[0]; },
            t,
            {missing});
      },
      "[tree_map]",
      "\"b\"");
}

TEST(TreeTest, MapWithPathSeesPaths) {
  std::vector<std::string> seen;
  auto out = mu::tree_map_with_path(
      [&](const std::string& path, const mx::array& a) {
        seen.push_back(path);
        return path == "p.b.1.w" ? mx::zeros_like(a) : a;
      },
      sample(),
      "p");
  EXPECT_EQ(seen, (std::vector<std::string>{"p.a", "p.b.0", "p.b.1.w"}));
  expect_array_near(out.at("b").at(size_t(1)).at("w").as_array(), {0, 0}, {2});
}

TEST(TreeTest, ReduceFoldsLeavesInOrder) {
  auto total = mu::tree_reduce<double>(
      [](double acc, const mx::array& a) {
        return acc + mx::sum(a).item<float>();
      },
      sample(),
      0.0);
  EXPECT_DOUBLE_EQ(total, 1 + 2 + 3 + 4);
}

TEST(TreeTest, AccessorsNameTheKind) {
  Tree leaf(mx::array(1.0f));
  expect_throws_with_prefix([&] { leaf.as_dict(); }, "[Tree]", "an array");
  expect_throws_with_prefix([&] { sample().at("zz"); }, "[Tree]", "zz");
  expect_throws_with_prefix(
      [&] { sample().at("b").at(size_t(5)); }, "[Tree]", "5");
  EXPECT_FALSE(leaf.contains("a"));
  EXPECT_EQ(Tree().size(), 0u);
  std::ostringstream os;
  os << sample();
  EXPECT_EQ(
      os.str(),
      "{\"a\": array(, float32), \"b\": [array(, float32), {\"w\": "
      "array(2, float32)}]}");
}
