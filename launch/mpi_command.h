// The MPI backend: mlx.launch builds an Open MPI `mpirun` command line and
// replaces itself with it, so mpirun's exit code and signal handling are the
// job's.
#pragma once

#include <string>
#include <vector>

#include "hosts.h"
#include "options.h"

namespace mlx::launch {

/** What the mpirun command depends on besides the options. */
struct MpiMachine {
  bool running_as_root = false;
  /** Physical cores this process may run on. */
  int local_cores = 1;
};

/** This machine's MpiMachine. */
MpiMachine this_mpi_machine();

/** Physical cores (not hyper-threads: Open MPI counts cores as slots) in
 * this process's CPU affinity mask. */
int local_core_count();

/** mpirun -np N [--host h1:k1,h2:k2] [--allow-run-as-root] [--oversubscribe]
 * [--wdir D] [-x K=V]... [mpi args]... program args... */
std::vector<std::string> build_mpirun_command(
    const LaunchOptions& options,
    const std::vector<Host>& hosts,
    int num_ranks,
    const MpiMachine& machine);

/** Prints (with --verbose or --dry-run) and execs the mpirun command.
 * Returns only for a dry run (0) or when mpirun cannot be run (127). */
int run_with_mpirun(
    const LaunchOptions& options,
    const std::vector<Host>& hosts,
    int num_ranks);

} // namespace mlx::launch
