// detect_launcher: which launcher started this process, from the variables
// each one sets (set here with setenv, as the launchers would).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "mlx/launcher_env.h"

using namespace mlx::core::detail;

namespace {

// Every variable detect_launcher reads, cleared before each test.
const std::vector<const char*> kAllVariables = {
    "OMPI_COMM_WORLD_SIZE",
    "OMPI_COMM_WORLD_RANK",
    "OMPI_COMM_WORLD_LOCAL_RANK",
    "MLX_RANK",
    "MLX_HOSTFILE",
    "MLX_LOCAL_RANK",
    "PMI_RANK",
    "PMI_SIZE",
    "MPI_LOCALRANKID",
    "PMIX_RANK",
    "PMIX_SIZE",
    "PMIX_LOCAL_RANK",
    "SLURM_PROCID",
    "SLURM_STEP_NUM_TASKS",
    "SLURM_NTASKS",
    "SLURM_LOCALID"};

class LauncherEnvTest : public ::testing::Test {
protected:
  void SetUp() override {
    for (const char* name : kAllVariables) {
      if (const char* value = std::getenv(name)) {
        saved_.emplace_back(name, value);
      }
      unsetenv(name);
    }
  }
  void TearDown() override {
    for (const char* name : kAllVariables) {
      unsetenv(name);
    }
    for (const auto& [name, value] : saved_) {
      setenv(name.c_str(), value.c_str(), 1);
    }
  }
  void set(const std::vector<std::pair<const char*, const char*>>& vars) {
    for (const auto& [name, value] : vars) {
      setenv(name, value, 1);
    }
  }

private:
  std::vector<std::pair<std::string, std::string>> saved_;
};

} // namespace

TEST_F(LauncherEnvTest, NothingSetMeansNoLauncher) {
  auto info = detect_launcher();
  EXPECT_EQ(info.family, LauncherFamily::None);
  EXPECT_FALSE(info.several_ranks());
  EXPECT_FALSE(info.local_rank.has_value());
}

TEST_F(LauncherEnvTest, OpenMpiMpirun) {
  set(
      {{"OMPI_COMM_WORLD_SIZE", "4"},
       {"OMPI_COMM_WORLD_RANK", "2"},
       {"OMPI_COMM_WORLD_LOCAL_RANK", "0"},
       {"PMIX_RANK", "2"}});
  auto info = detect_launcher();
  EXPECT_EQ(info.family, LauncherFamily::Mpi);
  EXPECT_EQ(info.name, "Open MPI's mpirun");
  EXPECT_EQ(info.rank, 2);
  EXPECT_EQ(info.size, 4);
  EXPECT_EQ(info.local_rank, 0);
  EXPECT_TRUE(info.several_ranks());
}

TEST_F(LauncherEnvTest, SrunStepIsMpiWithSlurmRanks) {
  set(
      {{"SLURM_PROCID", "5"},
       {"SLURM_STEP_NUM_TASKS", "8"},
       {"SLURM_NTASKS", "8"},
       {"SLURM_LOCALID", "1"}});
  auto info = detect_launcher();
  EXPECT_EQ(info.family, LauncherFamily::Mpi);
  EXPECT_EQ(info.name, "SLURM's srun");
  EXPECT_EQ(info.rank, 5);
  EXPECT_EQ(info.size, 8);
  EXPECT_EQ(info.local_rank, 1);
  EXPECT_EQ(info.seen, "SLURM_PROCID=5 SLURM_STEP_NUM_TASKS=8 SLURM_LOCALID=1");
}

TEST_F(LauncherEnvTest, SlurmBatchScriptIsOneProcess) {
  // sbatch's shell has these but no job step (no SLURM_STEP_NUM_TASKS).
  set({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "4"}, {"SLURM_LOCALID", "0"}});
  EXPECT_EQ(detect_launcher().family, LauncherFamily::None);
}

TEST_F(LauncherEnvTest, SingleTaskSrunIsOneRank) {
  set(
      {{"SLURM_PROCID", "0"},
       {"SLURM_STEP_NUM_TASKS", "1"},
       {"SLURM_LOCALID", "0"}});
  auto info = detect_launcher();
  EXPECT_EQ(info.family, LauncherFamily::Mpi);
  EXPECT_FALSE(info.several_ranks());
}

TEST_F(LauncherEnvTest, HydraMpiexec) {
  set({{"PMI_RANK", "1"}, {"PMI_SIZE", "3"}, {"MPI_LOCALRANKID", "1"}});
  auto info = detect_launcher();
  EXPECT_EQ(info.name, "Hydra (MPICH's mpiexec)");
  EXPECT_EQ(info.rank, 1);
  EXPECT_EQ(info.size, 3);
  EXPECT_EQ(info.local_rank, 1);
}

TEST_F(LauncherEnvTest, PmixRankWithSizeFromSrun) {
  // srun --mpi=pmix: PMIx's rank, the step's size and local id.
  set(
      {{"PMIX_RANK", "3"},
       {"SLURM_PROCID", "3"},
       {"SLURM_STEP_NUM_TASKS", "4"},
       {"SLURM_LOCALID", "3"}});
  auto info = detect_launcher();
  EXPECT_EQ(info.name, "a PMIx launcher");
  EXPECT_EQ(info.rank, 3);
  EXPECT_EQ(info.size, 4);
  EXPECT_EQ(info.local_rank, 3);
  // Rank 0 of an unknown size is still an MPI job.
  unsetenv("SLURM_STEP_NUM_TASKS");
  unsetenv("SLURM_PROCID");
  setenv("PMIX_RANK", "0", 1);
  info = detect_launcher();
  EXPECT_EQ(info.family, LauncherFamily::Mpi);
  EXPECT_FALSE(info.size.has_value());
}

TEST_F(LauncherEnvTest, MlxLaunchWinsOverAnOuterSlurmJob) {
  // mlx.launch run inside an srun step or allocation.
  set(
      {{"SLURM_PROCID", "0"},
       {"SLURM_STEP_NUM_TASKS", "1"},
       {"MLX_RANK", "1"},
       {"MLX_HOSTFILE", "/tmp/h.json"},
       {"MLX_LOCAL_RANK", "1"}});
  auto info = detect_launcher();
  EXPECT_EQ(info.family, LauncherFamily::Ring);
  EXPECT_EQ(info.rank, 1);
  EXPECT_EQ(info.local_rank, 1);
}

TEST_F(LauncherEnvTest, MalformedNumbersAreNamed) {
  set({{"SLURM_PROCID", "x1"}, {"SLURM_STEP_NUM_TASKS", "2"}});
  try {
    detect_launcher();
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(
        e.what(), "[launcher] SLURM_PROCID='x1' is not a non-negative integer");
  }
  set({{"SLURM_PROCID", "0"}, {"SLURM_LOCALID", "-1"}});
  EXPECT_THROW(detect_launcher(), std::runtime_error);
}
