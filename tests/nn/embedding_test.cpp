// Tests of Embedding (nn/layers/embedding.h).
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "grad_check.h"
#include "mlx/nn/layers/embedding.h"
#include "mlx/random.h"
#include "test_utils.h"

namespace nn = mlx::nn;
using mlx::utils::tree_flatten;

namespace {

mx::array f64(const std::vector<double>& v, const mx::Shape& shape) {
  return mx::array(v.begin(), shape, mx::float64);
}

// arange(15).reshape(5, 3) * 0.25 - 1.5: row r is (-1.5 + 0.75 r, ...).
mx::array test_weight() {
  return f64(
      {-1.5,
       -1.25,
       -1.0,
       -0.75,
       -0.5,
       -0.25,
       0.0,
       0.25,
       0.5,
       0.75,
       1.0,
       1.25,
       1.5,
       1.75,
       2.0},
      {5, 3});
}

} // namespace

TEST(EmbeddingTest, ParameterNameShapeAndInitScale) {
  mx::random::seed(11);
  nn::Embedding emb(1000, 16);
  auto flat = tree_flatten(emb.parameters());
  ASSERT_EQ(flat.size(), 1u);
  EXPECT_EQ(flat[0].first, "weight");
  EXPECT_EQ(flat[0].second.shape(), (mx::Shape{1000, 16}));
  EXPECT_EQ(flat[0].second.dtype(), mx::float32);
  // N(0, 1/16): standard deviation 0.25; 16000 samples estimate it within
  // about 0.0015 (standard error of the std is 0.25 / sqrt(2 * 16000)).
  auto w = emb.param("weight");
  EXPECT_NEAR(mx::mean(w).item<float>(), 0.0, 0.01);
  EXPECT_NEAR(std::sqrt(mx::var(w).item<float>()), 0.25, 0.006);
  // The same seed gives the same table.
  mx::random::seed(11);
  nn::Embedding again(1000, 16);
  expect_array_eq(again.param("weight"), w);
  std::ostringstream os;
  os << nn::Embedding(10, 4);
  EXPECT_EQ(os.str(), "Embedding(10, 4)");
}

TEST(EmbeddingTest, LooksUpRowsForAnyIndexShapeAndDtype) {
  nn::Embedding emb(5, 3);
  emb.set_param("weight", test_weight());
  // (2, 2) int32 indices -> (2, 2, 3): rows 2, 0, 4, 2.
  auto y = emb(mx::array({2, 0, 4, 2}, {2, 2}));
  expect_array_near(
      y,
      {0.0, 0.25, 0.5, -1.5, -1.25, -1.0, 1.5, 1.75, 2.0, 0.0, 0.25, 0.5},
      {2, 2, 3});
  EXPECT_EQ(y.dtype(), mx::float64);
  // Unsigned and 64-bit indices, a scalar index, a strided view.
  expect_array_near(
      emb(mx::astype(mx::array({1, 3}), mx::uint32)),
      {-0.75, -0.5, -0.25, 0.75, 1.0, 1.25},
      {2, 3});
  expect_array_near(
      emb(mx::astype(mx::array(4), mx::int64)), {1.5, 1.75, 2.0}, {3});
  auto strided = mx::slice(mx::array({0, 1, 2, 3, 4}), {0}, {5}, {2});
  expect_array_near(
      emb(strided),
      {-1.5, -1.25, -1.0, 0.0, 0.25, 0.5, 1.5, 1.75, 2.0},
      {3, 3});
  EXPECT_EQ(emb(mx::zeros({0}, mx::int32)).shape(), (mx::Shape{0, 3}));
}

TEST(EmbeddingTest, AsLinearIsProjectionOntoTheTable) {
  nn::Embedding emb(5, 3);
  emb.set_param("weight", test_weight());
  auto x = f64({1., -1., 2., 0.5, 0., -2.}, {2, 3});
  // x @ W.T (NumPy).
  expect_array_near(
      emb.as_linear(x),
      {-2.25, -0.75, 0.75, 2.25, 3.75, 1.25, 0.125, -1.0, -2.125, -3.25},
      {2, 5},
      1e-12,
      1e-12);
  expect_throws_with_prefix(
      [&] {
        emb.as_linear(mx::ones({2, 4}));
      },
      "[Embedding]",
      "(2, 4)");
}

TEST(EmbeddingTest, BadInputs) {
  nn::Embedding emb(5, 3);
  expect_throws_with_prefix(
      [&] {
        emb(mx::array({1.0f, 2.0f}));
      },
      "[Embedding]",
      "float32");
  expect_throws_with_prefix([] { nn::Embedding(4, 0); }, "[Embedding]");
}

TEST(EmbeddingTest, GradientsOfLookupAndTiedProjection) {
  nn::Embedding emb(5, 3);
  auto indices = mx::array({0, 2, 2, 4}, {2, 2});
  auto x = mlx_test::random_input({2, 3}, 21);
  mlx_test::check_grads(
      "embedding",
      mlx_test::binary([&](const mx::array& w, const mx::array& x) {
        emb.set_param("weight", w);
        return mx::concatenate(
            {mx::reshape(emb(indices), {-1}),
             mx::reshape(emb.as_linear(x), {-1})});
      }),
      {mlx_test::random_input({5, 3}, 22), x});

  // Weight tying through nn::value_and_grad: loss = sum(W[idx]) +
  // sum(x @ W.T) gives dW[r] = count(r in idx) + sum_n x[n] (NumPy).
  emb.set_param("weight", test_weight());
  auto idx = mx::array({0, 2, 2});
  auto x2 = f64({1., -1., 2., 0.5, 0., -2.}, {2, 3});
  auto fn = nn::value_and_grad(emb, [&]() {
    return mx::add(mx::sum(emb(idx)), mx::sum(emb.as_linear(x2)));
  });
  auto [loss, grads] = fn();
  auto flat = tree_flatten(grads);
  ASSERT_EQ(flat.size(), 1u);
  EXPECT_EQ(flat[0].first, "weight");
  expect_array_near(
      flat[0].second,
      {2.5,
       0.0,
       1.0,
       1.5,
       -1.0,
       0.0,
       3.5,
       1.0,
       2.0,
       1.5,
       -1.0,
       0.0,
       1.5,
       -1.0,
       0.0},
      {5, 3},
      1e-12,
      1e-12);
}
