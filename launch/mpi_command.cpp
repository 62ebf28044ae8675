#include "mpi_command.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <set>
#include <thread>
#include <utility>

#include "restarts.h"
#include "shell_words.h"
#include "supervisor.h"

namespace mlx::launch {

namespace {

std::string read_topology(int cpu, const char* field) {
  std::ifstream file(
      "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/" +
      field);
  std::string value;
  file >> value;
  return value;
}

// Ranks per host name, in the order hosts first appear.
std::vector<std::pair<std::string, int>>
slots_per_host(const std::vector<Host>& hosts, int num_ranks) {
  std::vector<std::pair<std::string, int>> slots;
  for (int rank = 0; rank < num_ranks; ++rank) {
    const std::string& name = hosts[host_index_of_rank(rank, hosts.size())].ssh;
    auto it = slots.begin();
    while (it != slots.end() && it->first != name) {
      ++it;
    }
    if (it == slots.end()) {
      slots.emplace_back(name, 1);
    } else {
      ++it->second;
    }
  }
  return slots;
}

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t colon = dirs.find(':', start);
    std::string dir = dirs.substr(start, colon - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) {
      return true;
    }
    if (colon == std::string::npos) {
      break;
    }
    start = colon + 1;
  }
  return false;
}

} // namespace

int local_core_count() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) {
    return std::max(1u, std::thread::hardware_concurrency());
  }
  // A core is a (package, core id) pair; a CPU whose topology is unreadable
  // counts as a core of its own.
  std::set<std::pair<std::string, std::string>> cores;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &allowed)) {
      continue;
    }
    std::string package = read_topology(cpu, "physical_package_id");
    std::string core = read_topology(cpu, "core_id");
    if (package.empty() || core.empty()) {
      cores.emplace("cpu", std::to_string(cpu));
    } else {
      cores.emplace(package, core);
    }
  }
  return std::max<int>(1, static_cast<int>(cores.size()));
}

MpiMachine this_mpi_machine() {
  return MpiMachine{geteuid() == 0, local_core_count()};
}

std::vector<std::string> build_mpirun_command(
    const LaunchOptions& options,
    const std::vector<Host>& hosts,
    int num_ranks,
    const MpiMachine& machine) {
  std::vector<std::string> command = {
      "mpirun", "-np", std::to_string(num_ranks)};
  if (!hosts.empty()) {
    // host:slots, so that round-robin placement with more ranks than hosts
    // fits the slots mpirun is given.
    std::string list;
    for (const auto& [name, count] : slots_per_host(hosts, num_ranks)) {
      list += (list.empty() ? "" : ",") + name + ":" + std::to_string(count);
    }
    command.insert(command.end(), {"--host", list});
  }
  if (machine.running_as_root) {
    command.push_back("--allow-run-as-root");
  }
  // Open MPI refuses more local ranks than cores unless told otherwise.
  if (hosts.empty() && num_ranks > machine.local_cores) {
    command.push_back("--oversubscribe");
  }
  if (!options.cwd.empty()) {
    command.insert(command.end(), {"--wdir", options.cwd});
  }
  for (const auto& [name, value] : options.env) {
    command.insert(command.end(), {"-x", name + "=" + value});
  }
  command.insert(
      command.end(), options.mpi_args.begin(), options.mpi_args.end());
  command.insert(command.end(), options.program.begin(), options.program.end());
  return command;
}

int run_with_mpirun(
    const LaunchOptions& options,
    const std::vector<Host>& hosts,
    int num_ranks) {
  MpiMachine machine = this_mpi_machine();
  auto command_for = [&](int restart) {
    return build_mpirun_command(
        with_restart_count(options, restart), hosts, num_ranks, machine);
  };
  std::vector<std::string> command = command_for(0);
  if (options.verbose || options.dry_run) {
    std::cerr << "mlx.launch: " << shell_join(command) << std::endl;
  }
  if (options.dry_run) {
    return 0;
  }
  if (!on_path(command[0])) {
    std::cerr << "mlx.launch: --backend mpi needs mpirun, which is not on "
                 "PATH (install Open MPI)"
              << std::endl;
    return 127;
  }
  if (options.max_restarts > 0) {
    // mpirun as a supervised child, started again after a failure; it
    // relays its ranks' output itself and says which of them failed.
    return run_with_restarts(options.max_restarts, [&](int restart) {
      ProcessSpec mpirun;
      mpirun.argv = command_for(restart);
      mpirun.inherit_output = true;
      mpirun.name = "mpirun";
      if (options.verbose && restart > 0) {
        std::cerr << "mlx.launch: " << shell_join(mpirun.argv) << std::endl;
      }
      return supervise_ranks({mpirun});
    });
  }
  std::vector<char*> argv;
  for (std::string& word : command) {
    argv.push_back(word.data());
  }
  argv.push_back(nullptr);
  std::fflush(nullptr);
  execvp(argv[0], argv.data());
  std::cerr << "mlx.launch: cannot run mpirun: " << std::strerror(errno)
            << std::endl;
  return 127;
}

} // namespace mlx::launch
