// Unit tests of --max-restarts: the option, the restart loop (driven by
// stand-in jobs, no processes), and where a restarted ring's ports begin.
// launch_test.sh's Restart* cases run real jobs.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "options.h"
#include "restarts.h"
#include "ring_hostfile.h"

using namespace mlx::launch;

namespace {

std::string usage_error(std::vector<std::string> args) {
  try {
    parse_options(args);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

// A job whose starts fail as `outcomes` says, then succeed; records the
// restart numbers it was started with.
struct ScriptedJob {
  std::vector<JobOutcome> outcomes;
  std::vector<int> starts;

  JobOutcome operator()(int restart) {
    starts.push_back(restart);
    size_t i = starts.size() - 1;
    return i < outcomes.size() ? outcomes[i] : JobOutcome{};
  }
};

JobOutcome rank_failed(int rank, int code) {
  return JobOutcome{
      code, rank, "rank " + std::to_string(rank) + " exited with code 3"};
}

} // namespace

TEST(LaunchRestartsTest, OptionIsParsedAndChecked) {
  EXPECT_EQ(parse_options({"p"}).max_restarts, 0);
  EXPECT_EQ(parse_options({"--max-restarts", "3", "p"}).max_restarts, 3);
  EXPECT_EQ(parse_options({"--max-restarts=0", "p"}).max_restarts, 0);
  EXPECT_EQ(
      usage_error({"--max-restarts", "-1", "p"}),
      "--max-restarts expects an integer from 0 to 1000, got '-1'");
  EXPECT_EQ(
      usage_error({"--max-restarts", "x", "p"}),
      "--max-restarts expects an integer from 0 to 1000, got 'x'");
  EXPECT_EQ(
      usage_error({"--env", "MLX_RESTART_COUNT=2", "p"})
          .rfind("--env MLX_RESTART_COUNT=... is refused", 0),
      0u);
}

TEST(LaunchRestartsTest, RestartCountIsAddedToTheRanksVariables) {
  LaunchOptions options = parse_options({"--env", "A=1", "p"});
  LaunchOptions second = with_restart_count(options, 2);
  ASSERT_EQ(second.env.size(), 2u);
  EXPECT_EQ(second.env[0], (std::pair<std::string, std::string>{"A", "1"}));
  EXPECT_EQ(
      second.env[1],
      (std::pair<std::string, std::string>{"MLX_RESTART_COUNT", "2"}));
}

TEST(LaunchRestartsTest, FailedJobsAreStartedAgainUpToTheLimit) {
  // Succeeds on its second start: one restart.
  ScriptedJob once{{rank_failed(1, 3)}};
  EXPECT_EQ(run_with_restarts(2, std::ref(once)), 0);
  EXPECT_EQ(once.starts, (std::vector<int>{0, 1}));

  // Always fails: 1 start + 2 restarts, then the last failure's code.
  JobOutcome failure = rank_failed(1, 3);
  ScriptedJob always{{failure, failure, failure, failure}};
  EXPECT_EQ(run_with_restarts(2, std::ref(always)), 3);
  EXPECT_EQ(always.starts, (std::vector<int>{0, 1, 2}));

  // Without restarts a failure is final.
  ScriptedJob no_restarts{{failure}};
  EXPECT_EQ(run_with_restarts(0, std::ref(no_restarts)), 3);
  EXPECT_EQ(no_restarts.starts, (std::vector<int>{0}));
}

TEST(LaunchRestartsTest, LauncherSignalsAndStartFailuresAreNotRestarted) {
  // SIGTERM to the launcher (128+15), or ranks that could not be started
  // (1): no rank failed on its own.
  for (int code : {143, 1}) {
    ScriptedJob job{{JobOutcome{code, std::nullopt, ""}}};
    EXPECT_EQ(run_with_restarts(5, std::ref(job)), code);
    EXPECT_EQ(job.starts, (std::vector<int>{0}));
  }
}

TEST(LaunchRestartsTest, RestartedRingListensAboveThePreviousPorts) {
  RingAddresses previous = {
      {"10.0.0.1:5000", "10.0.0.1:5001"}, {"[fe80::1]:5002", "[::1]:5003"}};
  EXPECT_EQ(highest_port(previous), 5003);
  EXPECT_EQ(restart_starting_port(previous, 5000, 4), 5004);
  // No room above: back to --starting-port (local ports are probed).
  RingAddresses top = {{"10.0.0.1:65534"}, {"10.0.0.2:65535"}};
  EXPECT_EQ(restart_starting_port(top, 5000, 2), 5000);
  RingAddresses almost = {{"10.0.0.1:65532"}, {"10.0.0.2:65533"}};
  EXPECT_EQ(restart_starting_port(almost, 5000, 2), 65534);
}
