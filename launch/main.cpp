// mlx.launch: starts a distributed job's ranks through mpirun or the TCP
// ring. See README.md in this folder.
#include <iostream>
#include <string>
#include <vector>

#include "hosts.h"
#include "mpi_command.h"
#include "options.h"
#include "ring_launch.h"

int main(int argc, char** argv) {
  using namespace mlx::launch;
  try {
    LaunchOptions options =
        parse_options(std::vector<std::string>(argv + 1, argv + argc));
    if (options.help) {
      std::cout << usage_text();
      return 0;
    }
    std::vector<Host> hosts = hosts_from_options(options);
    int num_ranks = resolve_num_ranks(options, hosts.size());
    if (options.backend == Backend::Mpi) {
      return run_with_mpirun(options, hosts, num_ranks);
    }
    return run_ring_job(options, hosts, num_ranks);
  } catch (const UsageError& e) {
    std::cerr << "mlx.launch: error: " << e.what()
              << "\n(run 'mlx.launch --help' for usage)" << std::endl;
    return kUsageExitCode;
  } catch (const std::exception& e) {
    std::cerr << "mlx.launch: error: " << e.what() << std::endl;
    return 1;
  }
}
