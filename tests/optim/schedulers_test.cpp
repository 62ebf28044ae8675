// Schedules: values at several steps, join_schedules' boundaries, and
// scheduled learning rates inside optimizers (MLX evaluates the schedule
// with the step before the update's increment).
#include <gtest/gtest.h>

#include <vector>

#include "mlx/optimizers.h"
#include "test_utils.h"

namespace mx = mlx::core;
namespace optim = mlx::optimizers;
using mlx::utils::Tree;

namespace {

// The schedule at each step (uint64 steps, as an optimizer passes them).
void expect_schedule(
    const optim::Schedule& schedule,
    const std::vector<uint64_t>& steps,
    const std::vector<double>& expected) {
  ASSERT_EQ(steps.size(), expected.size());
  for (size_t i = 0; i < steps.size(); ++i) {
    auto value = schedule(mx::array(steps[i], mx::uint64));
    EXPECT_EQ(value.dtype(), mx::float32);
    expect_array_near(value, {expected[i]}, {}, 1e-6, 1e-7);
  }
}

// n updates with no parameters (MLX's optimizer.update({}, {})).
void advance(optim::Optimizer& opt, int n) {
  Tree none = Tree(Tree::Dict{});
  for (int i = 0; i < n; ++i) {
    opt.update(none, Tree(Tree::Dict{}));
  }
}

} // namespace

// Expected values: NumPy float32 evaluation of each schedule's formula
// (e.g. init * decay_rate ** step for exponential_decay).

TEST(SchedulersTest, ExponentialAndStepDecay) {
  expect_schedule(
      optim::exponential_decay(0.1, 0.9),
      {0, 1, 5, 10},
      {0.100000001, 0.0899999961, 0.0590489917, 0.0348678343});
  expect_schedule(
      optim::step_decay(0.1, 0.9, 10),
      {0, 9, 10, 20, 21},
      {0.100000001, 0.100000001, 0.0899999961, 0.0809999928, 0.0809999928});
}

TEST(SchedulersTest, CosineDecay) {
  expect_schedule(
      optim::cosine_decay(0.1, 1000),
      {0, 4, 5, 500, 1000, 2000},
      {0.100000001, 0.0999960527, 0.0999938324, 0.049999997, 0, 0});
  // With an end value: constant at `end` after decay_steps.
  expect_schedule(
      optim::cosine_decay(0.1, 100, 0.01),
      {0, 25, 50, 100, 150},
      {0.100000001, 0.0868198052, 0.0549999997, 0.00999999978, 0.00999999978});
}

TEST(SchedulersTest, LinearSchedule) {
  expect_schedule(
      optim::linear_schedule(0.0, 0.1, 100),
      {0, 50, 100, 150},
      {0, 0.0500000007, 0.100000001, 0.100000001});
  expect_schedule(
      optim::linear_schedule(1.0, 0.5, 4),
      {0, 1, 2, 3, 4, 5},
      {1, 0.875, 0.75, 0.625, 0.5, 0.5});
}

TEST(SchedulersTest, JoinSchedulesSwitchesAtTheBoundaries) {
  auto warmup_then_cosine = optim::join_schedules(
      {optim::linear_schedule(0.0, 0.1, 10), optim::cosine_decay(0.1, 200)},
      {10});
  // Step 10 is the cosine's step 0, step 11 its step 1.
  expect_schedule(
      warmup_then_cosine,
      {0, 5, 9, 10, 11, 210},
      {0, 0.049999997, 0.0899999961, 0.100000001, 0.0999938324, 0});
  // Three pieces: linear 0 -> 1 over 4 steps, halving from step 4, linear
  // 0.2 -> 0 over 2 steps from step 7.
  auto three = optim::join_schedules(
      {optim::linear_schedule(0.0, 1.0, 4),
       optim::exponential_decay(1.0, 0.5),
       optim::linear_schedule(0.2, 0.0, 2)},
      {4, 7});
  expect_schedule(
      three,
      {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
      {0, 0.25, 0.5, 0.75, 1, 0.5, 0.25, 0.200000003, 0.100000001, 0, 0});
}

TEST(SchedulersTest, SchedulesAcceptOtherStepDtypes) {
  auto schedule = optim::step_decay(0.1, 0.9, 10);
  expect_array_near(schedule(mx::array(21)), {0.0809999928}, {}, 1e-6);
  auto joined = optim::join_schedules(
      {optim::linear_schedule(0.0, 0.1, 10), optim::cosine_decay(0.1, 200)},
      {10});
  expect_array_near(joined(mx::array(5)), {0.049999997}, {}, 1e-6);
}

TEST(SchedulersTest, OptimizerLearningRateFollowsTheSchedule) {
  // The examples of the reference pages: the schedule sees the step before
  // each update's increment, so after n updates the rate is schedule(n-1).
  optim::SGD cosine(optim::cosine_decay(0.1, 1000));
  expect_array_near(cosine.learning_rate(), {0.1}, {}, 1e-6);
  advance(cosine, 5);
  expect_array_near(cosine.learning_rate(), {0.0999961}, {}, 1e-6);
  EXPECT_EQ(cosine.step().item<uint64_t>(), 5u);

  optim::SGD exponential(optim::exponential_decay(0.1, 0.9));
  advance(exponential, 5);
  expect_array_near(exponential.learning_rate(), {0.06561}, {}, 1e-6);

  optim::SGD steps(optim::step_decay(0.1, 0.9, 10));
  advance(steps, 21);
  expect_array_near(steps.learning_rate(), {0.081}, {}, 1e-6);

  optim::Adam joined(optim::join_schedules(
      {optim::linear_schedule(0.0, 0.1, 10), optim::cosine_decay(0.1, 200)},
      {10}));
  expect_array_near(joined.learning_rate(), {0.0}, {}, 1e-7);
  advance(joined, 12);
  expect_array_near(joined.learning_rate(), {0.0999938}, {}, 1e-6);
  EXPECT_TRUE(joined.state().contains("learning_rate"));

  optim::Adam linear(optim::linear_schedule(0.0, 0.1, 100));
  advance(linear, 101);
  expect_array_near(linear.learning_rate(), {0.1}, {}, 1e-6);
}

TEST(SchedulersTest, ScheduledRateDrivesTheUpdates) {
  // SGD with lr = 0.1 * 0.5^step: the k-th update uses 0.1 * 0.5^(k-1).
  optim::SGD opt(optim::exponential_decay(0.1, 0.5));
  Tree params{{"w", Tree(mx::array({1.0f}))}};
  Tree grads{{"w", Tree(mx::array({1.0f}))}};
  std::vector<double> expected = {0.9, 0.85, 0.825};
  std::vector<double> rates = {0.1, 0.05, 0.025};
  for (int k = 0; k < 3; ++k) {
    opt.update(params, grads);
    expect_array_near(params["w"].as_array(), {expected[k]}, {1}, 1e-6);
    expect_array_near(opt.state()["learning_rate"].as_array(), {rates[k]}, {});
  }
  // A lambda works as a schedule too.
  optim::SGD custom([](const mx::array& step) {
    return mx::astype(step, mx::float32) + mx::array(1.0f);
  });
  advance(custom, 3);
  expect_array_near(custom.learning_rate(), {3.0}, {});
}

TEST(SchedulersTest, SetLearningRate) {
  optim::SGD opt(0.1);
  opt.set_learning_rate(0.5f);
  Tree params{{"w", Tree(mx::array({1.0f}))}};
  opt.update(params, Tree{{"w", Tree(mx::array({1.0f}))}});
  expect_array_near(params["w"].as_array(), {0.5}, {1}, 1e-6);
}

TEST(SchedulersTest, BadArgumentsRaise) {
  expect_throws_with_prefix(
      [] { optim::linear_schedule(0.0, 1.0, 0); }, "[linear_schedule]", "0");
  expect_throws_with_prefix(
      [] { optim::cosine_decay(0.1, 0); }, "[cosine_decay]");
  expect_throws_with_prefix(
      [] { optim::step_decay(0.1, 0.9, 0); }, "[step_decay]");
  expect_throws_with_prefix(
      [] { optim::join_schedules({}, {}); }, "[join_schedules]");
  expect_throws_with_prefix(
      [] { optim::join_schedules({optim::exponential_decay(0.1, 0.9)}, {10}); },
      "[join_schedules]",
      "Received 1 boundaries but expected 0");
}
