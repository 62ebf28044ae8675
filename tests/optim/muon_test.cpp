// Muon: Newton-Schulz orthogonalisation, the updates of matrices (wide,
// tall, > 2-D) and vectors against a NumPy reference, and its options.
#include <gtest/gtest.h>

#include <vector>

#include "mlx/optimizers.h"
#include "test_utils.h"

namespace mx = mlx::core;
namespace optim = mlx::optimizers;
using mlx::utils::Tree;

namespace {

const std::vector<float> kW0 = {1.0f, -2.0f, 3.0f, 0.5f, -0.25f, 2.0f};
const std::vector<float> kGW[3] = {
    {0.5f, -1.0f, 0.25f, 2.0f, 0.1f, -0.3f},
    {-0.2f, 0.4f, 1.5f, 0.3f, -0.6f, 0.05f},
    {1.0f, 1.0f, -1.0f, -0.5f, 0.75f, 0.2f}};
const std::vector<float> kGB[3] = {
    {0.3f, -0.2f, 0.1f}, {-0.1f, 0.5f, 0.25f}, {0.05f, -0.4f, 0.6f}};
const std::vector<float> kGK[3] = {
    {0.3f, -0.1f, 0.2f, 0.5f, -0.4f, 0.1f, 0.05f, 0.9f},
    {-0.2f, 0.6f, 0.1f, -0.3f, 0.25f, 0.4f, -0.7f, 0.15f},
    {0.5f, 0.5f, -0.5f, 0.2f, 0.1f, -0.9f, 0.3f, 0.0f}};

mx::array matrix(const std::vector<float>& v) {
  return mx::array(v.begin(), {2, 3}, mx::float32);
}

// w: a wide 2x3 matrix, wt: its 3x2 transpose (tall: orthogonalised
// transposed, lr scaled by sqrt(3/2)), k: (4, 1, 2), flattened to 4x2 for
// the iteration (lr scale from its last two dims: max(1, 1/2) = 1), b: a
// vector (plain momentum).
Tree parameters() {
  return Tree{
      {"w", Tree(matrix(kW0))},
      {"wt", Tree(mx::transpose(matrix(kW0)))},
      {"k",
       Tree(
           mx::reshape(mx::arange(8, mx::float32) / 4.0f - 0.875f, {4, 1, 2}))},
      {"b", Tree(mx::array({0.1f, -0.3f, 0.7f}))}};
}

Tree gradients(int t) {
  return Tree{
      {"w", Tree(matrix(kGW[t]))},
      {"wt", Tree(mx::transpose(matrix(kGW[t])))},
      {"k", Tree(mx::array(kGK[t].begin(), {4, 1, 2}, mx::float32))},
      {"b", Tree(mx::array(kGB[t].begin(), {3}, mx::float32))}};
}

struct Values {
  std::vector<double> w, b, wt, k;
};

void expect_updates(optim::Muon& opt, const std::vector<Values>& expected) {
  Tree params = parameters();
  for (size_t t = 0; t < expected.size(); ++t) {
    opt.update(params, gradients(static_cast<int>(t)));
    SCOPED_TRACE("update " + std::to_string(t + 1));
    // The iteration is a chain of float32 matmuls: a looser tolerance.
    expect_array_near(
        params["w"].as_array(), expected[t].w, {2, 3}, 1e-4, 1e-5);
    expect_array_near(params["b"].as_array(), expected[t].b, {3}, 1e-4, 1e-5);
    expect_array_near(
        params["wt"].as_array(), expected[t].wt, {3, 2}, 1e-4, 1e-5);
    expect_array_near(
        params["k"].as_array(), expected[t].k, {4, 1, 2}, 1e-4, 1e-5);
  }
}

} // namespace

TEST(MuonTest, NewtonSchulzPushesSingularValuesTowardsOne) {
  // tests/optim/optimizer_reference.py newton_schulz(GW[0], 5); NumPy's SVD
  // of that result gives singular values 1.1117321 and 0.6897208 (the
  // quintic's fixed band, not exactly 1).
  auto x = optim::newton_schulz(matrix(kGW[0]), 5);
  expect_array_near(
      x,
      {0.133295,
       -1.03396988,
       0.309962898,
       0.672135353,
       0.225451618,
       -0.161649108},
      {2, 3},
      1e-4,
      1e-5);
  // A tall input is orthogonalised through its transpose.
  auto xt = optim::newton_schulz(mx::transpose(matrix(kGW[0])), 5);
  expect_array_near(xt, mlx_test::to_doubles(mx::transpose(x)), {3, 2}, 1e-6);
  // Zero steps only normalise by the Frobenius norm.
  auto n = optim::newton_schulz(mx::array({3.0f, 4.0f}, {1, 2}), 0);
  expect_array_near(n, {0.6, 0.8}, {1, 2}, 1e-6);
  expect_throws_with_prefix(
      [] { optim::newton_schulz(mx::zeros({3}), 5); }, "[newton_schulz]");
}

TEST(MuonTest, DefaultsNesterovWithWeightDecay) {
  // Muon(0.02): momentum 0.95, weight_decay 0.01, nesterov, 5 steps.
  // Expected: tests/optim/optimizer_reference.py (NumPy float32).
  optim::Muon opt(0.02);
  // clang-format off
  expect_updates(opt, {
      {{0.99732846, -1.97997653, 2.99359822, 0.486299396, -0.254400402, 2.00316858},
       {0.0994130522, -0.299604148, 0.699791312},
       {0.996728003, 0.483220279, -1.97547638, -0.255389363, 2.99215961, 2.00388074},
       {-0.887464643, -0.622794032, -0.381866574, -0.131154448, 0.14195326, 0.372538716, 0.625089347, 0.86297667}},
      {{0.996742964, -1.97879589, 2.97221041, 0.469643146, -0.246869713, 2.0039835},
       {0.0993344635, -0.300390095, 0.699193597},
       {0.996011019, 0.462821245, -1.97403109, -0.24616608, 2.96596479, 2.00487852},
       {-0.893181145, -0.634426892, -0.387638241, -0.132397041, 0.132502154, 0.360901773, 0.640623271, 0.859726131}},
      {{0.98370862, -1.98145461, 2.97939467, 0.46924907, -0.258965105, 1.9917084},
       {0.0990663096, -0.299878746, 0.697686255},
       {0.980046511, 0.462341607, -1.9772867, -0.260983676, 2.97476768, 1.98983729},
       {-0.907128334, -0.641060829, -0.372666597, -0.138585165, 0.126810119, 0.370305806, 0.643307447, 0.853162467}}});
  // clang-format on
  EXPECT_EQ(opt.state()["k"]["v"].as_array().shape(), mx::Shape({4, 1, 2}));
}

TEST(MuonTest, PlainMomentumWithoutWeightDecay) {
  // Muon(0.02, momentum=0.9, weight_decay=0, nesterov=false), same script.
  optim::Muon opt(0.02, 0.9, 0.0, false);
  // clang-format off
  expect_updates(opt, {
      {{0.997334123, -1.97932053, 2.99380064, 0.486557245, -0.254509032, 2.00323296},
       {0.0993999988, -0.299600005, 0.699800014},
       {0.996734977, 0.483536065, -1.97467303, -0.25552243, 2.99240756, 2.00395966},
       {-0.887322545, -0.622871339, -0.381783515, -0.131348595, 0.141345844, 0.372618735, 0.625261962, 0.862789392}},
      {{0.995003343, -1.97429776, 2.97627831, 0.466010571, -0.249562114, 2.00555682},
       {0.099059999, -0.30024001, 0.699119985},
       {0.993880332, 0.458371609, -1.96852148, -0.249463722, 2.97094727, 2.0068059},
       {-0.897275507, -0.633203208, -0.395012856, -0.138035953, 0.138822526, 0.365185082, 0.637771785, 0.854406834}},
      {{0.988343894, -1.98132408, 2.96570182, 0.453357995, -0.248653695, 2.01221275},
       {0.098654002, -0.300016016, 0.697308004},
       {0.985724211, 0.442875445, -1.97712696, -0.248351142, 2.95799375, 2.01495767},
       {-0.913221776, -0.641074419, -0.385564804, -0.142208457, 0.137319982, 0.369817913, 0.650314271, 0.844765842}}});
  // clang-format on
}

TEST(MuonTest, VectorsTakeThePlainMomentumStep) {
  // 1-D: v = 0.1 g, u = v (no Nesterov): b - 0.5 * 0.1 g exactly.
  optim::Muon opt(0.5, 0.9, 0.0, false);
  Tree params{{"b", Tree(mx::array({1.0f, 2.0f}))}};
  Tree grads{{"b", Tree(mx::array({1.0f, -4.0f}))}};
  opt.update(params, grads);
  expect_array_near(params["b"].as_array(), {0.95, 2.2}, {2}, 1e-6);
}

TEST(MuonTest, BadSettingsRaise) {
  expect_throws_with_prefix(
      [] { optim::Muon(0.02, 0.95, 0.01, true, -1); }, "[Muon]", "-1");
}
