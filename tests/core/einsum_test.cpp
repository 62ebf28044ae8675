// einsum and einsum_path: values against NumPy 1.24's np.einsum on the
// arange inputs below (printed once and written in), the paths against
// np.einsum_path (optimize='optimal' / 'greedy'), FLOP counts worked out by
// hand with NumPy's formula, gradients against finite differences, vmap
// against a loop, and the errors of bad subscripts.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "grad_check.h"
#include "test_utils.h"

namespace {

using namespace mlx_test;

TEST(EinsumTest, MatrixProductExplicitAndImplicit) {
  auto a = range({2, 3}), b = range({3, 4});
  std::vector<double> want = {20, 23, 26, 29, 56, 68, 80, 92};
  expect_array_near(mx::einsum("ij,jk->ik", {a, b}), want, {2, 4});
  expect_array_near(mx::einsum("ij,jk", {a, b}), want, {2, 4});
  // Implicit output is sorted: "ji" is the transpose.
  expect_array_near(mx::einsum("ji", {a}), {0, 3, 1, 4, 2, 5}, {3, 2});
  // np.einsum('ij,kj', A, arange(6).reshape(2, 3) + 1)
  auto c = mx::add(range({2, 3}), mx::array(1.0f));
  expect_array_near(mx::einsum("ij,kj", {a, c}), {8, 17, 26, 62}, {2, 2});
}

TEST(EinsumTest, RepeatedIndicesTakeDiagonalsAndTraces) {
  auto m = range({3, 3});
  expect_array_near(mx::einsum("ii->", {m}), {12}, {});
  expect_array_near(mx::einsum("ii->i", {m}), {0, 4, 8}, {3});
  expect_array_near(mx::einsum("iij->j", {range({3, 3, 2})}), {24, 27}, {2});
  expect_array_near(
      mx::einsum("iji->ij", {range({2, 3, 2})}), {0, 2, 4, 7, 9, 11}, {2, 3});
  // Trace of a product of three: np.einsum('ij,jk,ki->', ...)
  expect_array_near(
      mx::einsum("ij,jk,ki->", {range({2, 2}), range({2, 3}), range({3, 2})}),
      {174},
      {});
}

TEST(EinsumTest, EllipsisBroadcastsBatchDims) {
  // (2, 2, 3) @ (3, 4): b has no batch dims under its ellipsis.
  expect_array_near(
      mx::einsum("...ij,...jk->...ik", {range({2, 2, 3}), range({3, 4})}),
      {20, 23, 26, 29, 56, 68, 80, 92, 92, 113, 134, 155, 128, 158, 188, 218},
      {2, 2, 4});
  expect_array_near(
      mx::einsum("i...->...", {range({2, 3, 4})}),
      {12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34},
      {3, 4});
  expect_array_near(
      mx::einsum("bi,bj->bij", {range({2, 3}), range({2, 2})}),
      {0, 0, 0, 1, 0, 2, 6, 9, 8, 12, 10, 15},
      {2, 3, 2});
  // A size-1 dim broadcasts against the other operand's size 3.
  auto col = mx::array({1.0f, 2.0f}, {2, 1});
  expect_array_near(
      mx::einsum("ij,jk->ik", {col, range({3, 4})}),
      {12, 15, 18, 21, 24, 30, 36, 42},
      {2, 4});
}

TEST(EinsumTest, NonContiguousAndIntegerInputs) {
  // A transposed view and a strided slice: np.einsum('ji,jk->ik', A.T,
  // B[:, ::2]).
  auto at = mx::transpose(range({2, 3}));
  auto b = mx::slice(range({3, 4}), {0, 0}, {3, 4}, {1, 2});
  expect_array_near(mx::einsum("ji,jk->ik", {at, b}), {20, 26, 56, 80}, {2, 2});
  auto ints = mx::einsum(
      "ij,jk->ik", {range({2, 3}, mx::int32), range({3, 4}, mx::int32)});
  EXPECT_EQ(ints.dtype(), mx::int32);
  expect_array_values(ints, {2, 4}, {20, 23, 26, 29, 56, 68, 80, 92});
}

TEST(EinsumTest, ManyOperandsFollowTheGreedyPath) {
  std::vector<mx::array> ops;
  for (auto [n, m] : std::vector<std::pair<int, int>>{
           {2, 3}, {3, 4}, {4, 2}, {2, 3}, {3, 2}}) {
    ops.push_back(mx::divide(range({n, m}, mx::float64), mx::array(10.0)));
  }
  std::string subscripts = "ab,bc,cd,de,ef->af";
  expect_array_near(
      mx::einsum(subscripts, ops),
      {0.15056, 0.21092, 0.46592, 0.65264},
      {2, 2},
      1e-12,
      1e-12);
  // NumPy's greedy rule (most memory freed, then cheapest): bc,cd -> bd
  // (frees 14 elements), then ab,bd and de,ef tie (8 each, 24 FLOPs each;
  // the first is taken), then de,ef, then ad,df. NumPy breaks the tie the
  // other way; both paths cost 48 + 24 + 24 + 16 = 112.
  auto [path, report] = mx::einsum_path(subscripts, ops);
  EXPECT_EQ(
      path, (std::vector<std::vector<int>>{{1, 2}, {0, 3}, {0, 1}, {0, 1}}));
  EXPECT_NE(report.find("Optimized FLOP count:  1.120e+02"), std::string::npos)
      << report;
}

TEST(EinsumPathTest, OptimalOrderDependsOnShapes) {
  using Path = std::vector<std::vector<int>>;
  // (2,3)(3,4)(4,5): (ij,jk) costs 2*3*4*2 = 48, then (ik,kl) 2*4*5*2 = 80;
  // naive: 2*3*4*5 * (2 multiplies + 1 add) = 360.
  auto [path, report] = mx::einsum_path(
      "ij,jk,kl->il", {mx::ones({2, 3}), mx::ones({3, 4}), mx::ones({4, 5})});
  EXPECT_EQ(path, (Path{{0, 1}, {0, 1}}));
  for (std::string line :
       {"  Complete contraction:  ij,jk,kl->il\n",
        "         Naive scaling:  4\n",
        "     Optimized scaling:  3\n",
        "      Naive FLOP count:  3.600e+02\n",
        "  Optimized FLOP count:  1.280e+02\n",
        "   Theoretical speedup:  2.812\n",
        "  Largest intermediate:  1.000e+01 elements\n",
        "ij,jk->ik",
        "kl,ik->il"}) {
    EXPECT_NE(report.find(line), std::string::npos) << line << report;
  }
  // (5,4)(4,3)(3,2): the right pair first, 4*3*2*2 + 5*4*2*2 = 128.
  auto [path2, report2] = mx::einsum_path(
      "ij,jk,kl->il", {mx::ones({5, 4}), mx::ones({4, 3}), mx::ones({3, 2})});
  EXPECT_EQ(path2, (Path{{1, 2}, {0, 1}}));
  EXPECT_NE(
      report2.find("Optimized FLOP count:  1.280e+02"), std::string::npos);
  auto [single, unused] = mx::einsum_path("ii->i", {mx::ones({3, 3})});
  EXPECT_EQ(single, (Path{{0}}));
}

TEST(EinsumTest, GradientsMatchFiniteDifferences) {
  auto a = random_input({2, 3}, 1), b = random_input({3, 4}, 2),
       c = random_input({4, 2}, 3), sq = random_input({3, 3}, 4),
       batch = random_input({2, 2, 3}, 5);
  auto eq = [](std::string s) {
    return [s](const std::vector<mx::array>& x) {
      return std::vector<mx::array>{mx::einsum(s, x)};
    };
  };
  check_grads("matmul", eq("ij,jk->ik"), {a, b});
  check_grads("chain", eq("ij,jk,kl->il"), {a, b, c});
  check_grads("diagonal", eq("ii,ij->j"), {sq, mx::transpose(a)});
  check_grads("ellipsis", eq("...ij,...jk->...ki"), {batch, b});
  check_grads("trace", eq("ii"), {sq});
}

TEST(EinsumTest, VmapMatchesLoop) {
  auto eq = [](std::string s) {
    return [s](const std::vector<mx::array>& x) {
      return std::vector<mx::array>{mx::einsum(s, x)};
    };
  };
  check_vmap(
      "matmul",
      eq("ij,jk->ik"),
      {random_input({3, 2, 3}, 1), random_input({3, 4}, 2)},
      {0, -1});
  check_vmap("trace", eq("ii->"), {random_input({3, 3, 4}, 3)}, {2});
}

TEST(EinsumTest, BadSubscriptsRaise) {
  auto m = mx::ones({2, 3});
  auto call = [](std::string s, std::vector<mx::array> ops) {
    return [=]() { mx::einsum(s, ops); };
  };
  expect_throws_with_prefix(call("ij", {}), "[einsum]", "At least one");
  expect_throws_with_prefix(call("ij,jk", {m}), "[einsum]", "2 input");
  expect_throws_with_prefix(call("i1", {m}), "[einsum]", "'1'");
  expect_throws_with_prefix(call("ijk", {m}), "[einsum]", "(2, 3)");
  expect_throws_with_prefix(call("ij->ii", {m}), "[einsum]", "repeats");
  expect_throws_with_prefix(call("ij->k", {m}), "[einsum]", "'k'");
  expect_throws_with_prefix(call("ii", {m}), "[einsum]", "sizes 2 and 3");
  expect_throws_with_prefix(
      call("ij,ij->", {m, mx::ones({2, 4})}), "[einsum]", "size 4");
  expect_throws_with_prefix(call("...i...", {m}), "[einsum]", "ellipsis");
  expect_throws_with_prefix(call("i->j->k", {m}), "[einsum]", "'->'");
  expect_throws_with_prefix(
      [&]() { mx::einsum_path("ij,j", {m}); }, "[einsum_path]");
}

} // namespace
