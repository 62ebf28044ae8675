// What the launcher that started this process says about it, read from the
// variables each launcher sets: Open MPI's mpirun, mlx.launch (the ring),
// MPICH's Hydra mpiexec, PMIx launchers, and SLURM's srun. One table serves
// distributed::init (which backend, how many ranks) and the GPU backend
// (which device: by local rank). Header-only, so that the Vulkan runtime's
// objects can use it without the rest of the core.
#pragma once

#include <charconv>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace mlx::core::detail {

enum class LauncherFamily {
  None, // started by hand: a group of one
  Ring, // mlx.launch's TCP ring
  Mpi,  // an MPI launcher: the MPI backend connects the ranks
};

struct LauncherVariables {
  LauncherFamily family;
  const char* name;
  /** Any of these set means this launcher started the process. */
  std::vector<const char*> markers;
  const char* rank;
  /** The first one set gives the number of ranks. */
  std::vector<const char*> size;
  /** The first one set gives the rank among those on this host. */
  std::vector<const char*> local_rank;
};

/** In order of precedence: a launcher started inside another's job (mpirun
 * or mlx.launch in a SLURM allocation) sets its own variables, while the
 * outer one's stay in the environment. srun is recognized by
 * SLURM_STEP_NUM_TASKS, which only a job step has: a batch script's shell
 * also has SLURM_PROCID and SLURM_NTASKS, but is one process. */
inline const std::vector<LauncherVariables>& known_launchers() {
  static const std::vector<LauncherVariables> launchers = {
      {LauncherFamily::Mpi,
       "Open MPI's mpirun",
       {"OMPI_COMM_WORLD_SIZE"},
       "OMPI_COMM_WORLD_RANK",
       {"OMPI_COMM_WORLD_SIZE"},
       {"OMPI_COMM_WORLD_LOCAL_RANK"}},
      {LauncherFamily::Ring,
       "mlx.launch",
       {"MLX_RANK", "MLX_HOSTFILE"},
       "MLX_RANK",
       {},
       {"MLX_LOCAL_RANK"}},
      {LauncherFamily::Mpi,
       "Hydra (MPICH's mpiexec)",
       {"PMI_RANK", "PMI_SIZE"},
       "PMI_RANK",
       {"PMI_SIZE"},
       {"MPI_LOCALRANKID", "SLURM_LOCALID"}},
      {LauncherFamily::Mpi,
       "a PMIx launcher",
       {"PMIX_RANK"},
       "PMIX_RANK",
       {"PMIX_SIZE", "SLURM_STEP_NUM_TASKS"},
       {"PMIX_LOCAL_RANK", "SLURM_LOCALID"}},
      {LauncherFamily::Mpi,
       "SLURM's srun",
       {"SLURM_STEP_NUM_TASKS"},
       "SLURM_PROCID",
       {"SLURM_STEP_NUM_TASKS"},
       {"SLURM_LOCALID"}},
  };
  return launchers;
}

struct LauncherInfo {
  LauncherFamily family = LauncherFamily::None;
  std::string name = "no launcher";
  std::optional<int> rank;
  std::optional<int> size;
  std::optional<int> local_rank;
  /** The variables read, as "NAME=value ...", for error messages. */
  std::string seen;

  /** Whether the launcher says this process is one of several. */
  bool several_ranks() const {
    return (size && *size > 1) || (rank && *rank > 0);
  }
};

/** Reads `name` as a non-negative integer; unset: nullopt; set to anything
 * else: std::runtime_error naming it. Appends "NAME=value" to `seen`. */
inline std::optional<int>
launcher_integer(const char* name, std::string& seen) {
  const char* text = std::getenv(name);
  if (text == nullptr) {
    return std::nullopt;
  }
  seen += (seen.empty() ? "" : " ") + std::string(name) + "=" + text;
  int value = -1;
  const char* end = text + std::char_traits<char>::length(text);
  auto [stop, error] = std::from_chars(text, end, value);
  if (text == end || error != std::errc() || stop != end || value < 0) {
    throw std::runtime_error(
        "[launcher] " + std::string(name) + "='" + text +
        "' is not a non-negative integer");
  }
  return value;
}

inline std::optional<int> first_launcher_integer(
    const std::vector<const char*>& names, std::string& seen) {
  for (const char* name : names) {
    if (auto value = launcher_integer(name, seen)) {
      return value;
    }
  }
  return std::nullopt;
}

/** The first known launcher whose variables are set (see known_launchers),
 * with what they say. Throws std::runtime_error when one of them is not a
 * number. */
inline LauncherInfo detect_launcher() {
  for (const LauncherVariables& launcher : known_launchers()) {
    bool found = false;
    for (const char* marker : launcher.markers) {
      found = found || std::getenv(marker) != nullptr;
    }
    if (!found) {
      continue;
    }
    LauncherInfo info;
    info.family = launcher.family;
    info.name = launcher.name;
    info.rank = launcher_integer(launcher.rank, info.seen);
    info.size = first_launcher_integer(launcher.size, info.seen);
    info.local_rank = first_launcher_integer(launcher.local_rank, info.seen);
    return info;
  }
  return LauncherInfo{};
}

} // namespace mlx::core::detail
